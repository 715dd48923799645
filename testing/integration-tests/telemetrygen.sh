#!/usr/bin/env bash
# Installs telemetrygen, the OpenTelemetry Collector contrib project's OTLP load generator, which the
# ingest benchmark (IngestBenchmark) runs to send usage records to the Collector.
#
#   testing/integration-tests/telemetrygen.sh [--force]
#
# The version is TELEMETRYGEN_VERSION below (override with the environment variable of that name);
# keep it on the contrib release of collector-config/builder-config.yaml. Everything lives outside
# the repository, under ${XDG_CACHE_HOME:-$HOME/.cache}/tokenledger/:
#   collector/gomod/, collector/gobuild/   the Go module and build caches the Collector build uses
#   telemetrygen/<version>/telemetrygen    the binary (go install … into GOBIN)
# An installed version is a cache hit. The last line on stdout is the absolute path of the binary;
# progress and Go's output go to stderr.
set -euo pipefail

TELEMETRYGEN_VERSION="${TELEMETRYGEN_VERSION:-v0.161.0}"
module="github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/tokenledger"

say() { printf 'telemetrygen.sh: %s\n' "$*" >&2; }
die() { printf 'telemetrygen.sh: error: %s\n' "$*" >&2; exit 1; }

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument '$arg' (usage: telemetrygen.sh [--force])" ;;
  esac
done

case "$TELEMETRYGEN_VERSION" in
  v[0-9]*) ;;
  *) die "TELEMETRYGEN_VERSION must be a release tag such as v0.161.0 (it is '$TELEMETRYGEN_VERSION')" ;;
esac

bin_dir="$cache_root/telemetrygen/$TELEMETRYGEN_VERSION"
binary="$bin_dir/telemetrygen"
if [ "$force" -eq 0 ] && [ -x "$binary" ]; then
  say "cache hit (telemetrygen $TELEMETRYGEN_VERSION)"
  printf '%s\n' "$binary"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  die "the 'go' command is not on PATH. telemetrygen is installed from Go modules and needs Go 1.26 or
  newer: install it from https://go.dev/doc/install (or your distribution's package if it is recent
  enough), make sure 'go version' works, and run this again."
fi
go_version="$(go env GOVERSION 2>/dev/null || true)"
case "$go_version" in
  go1.*) ;;
  *) die "could not read the Go version ('go env GOVERSION' said '$go_version'); is Go installed correctly?" ;;
esac

mkdir -p "$bin_dir"
# One install at a time per version (parallel runs share the cache).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$bin_dir.lock"
  flock 9
  if [ "$force" -eq 0 ] && [ -x "$binary" ]; then
    say "cache hit after waiting for another install (telemetrygen $TELEMETRYGEN_VERSION)"
    printf '%s\n' "$binary"
    exit 0
  fi
fi

export GOMODCACHE="$cache_root/collector/gomod"
export GOCACHE="$cache_root/collector/gobuild"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw"
say "installing $module@$TELEMETRYGEN_VERSION with $go_version; the first install takes minutes"
start=$(date +%s)
if ! GOBIN="$bin_dir" go install "$module@$TELEMETRYGEN_VERSION" >&2; then
  die "could not install $module@$TELEMETRYGEN_VERSION from the Go module proxy
  (GOPROXY=$(go env GOPROXY)). Check that the proxy is reachable and serves that version."
fi
[ -x "$binary" ] || die "go install finished but $binary is missing"
say "installed in $(( $(date +%s) - start ))s: $binary"
printf '%s\n' "$binary"
