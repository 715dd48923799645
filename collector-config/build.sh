#!/usr/bin/env bash
# Builds the TokenLedger Collector from builder-config.yaml with the OpenTelemetry Collector Builder.
#
#   collector-config/build.sh [--force]
#
# Everything it downloads or produces lives outside the repository, under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/tokenledger/collector/
#     gomod/            Go module cache (GOMODCACHE)
#     gobuild/          Go build cache (GOCACHE)
#     builder/<ver>/    the builder binary (go install … into GOBIN)
#     dist/<key>/       the built Collector, <key> = hash of the manifest, the Go and builder versions
# A changed manifest gets a new key and is rebuilt; an unchanged one is a cache hit (well under a
# second). The last line on stdout is the absolute path of the Collector binary; progress and the
# builder's output go to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="$here/builder-config.yaml"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/tokenledger/collector"

say() { printf 'build.sh: %s\n' "$*" >&2; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument '$arg' (usage: build.sh [--force])" ;;
  esac
done

[ -f "$manifest" ] || die "manifest not found: $manifest"

# --- Go ------------------------------------------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
  die "the 'go' command is not on PATH. The Collector is built from Go modules and needs Go 1.26 or newer:
  install it from https://go.dev/doc/install (or your distribution's package if it is recent enough,
  e.g. 'apt-get install golang-go' / 'brew install go'), make sure 'go version' works, and run this again."
fi
go_version="$(go env GOVERSION 2>/dev/null || true)"
case "$go_version" in
  go1.*) ;;
  *) die "could not read the Go version ('go env GOVERSION' said '$go_version'); is Go installed correctly?" ;;
esac
go_minor="$(printf '%s' "$go_version" | sed -E 's/^go1\.([0-9]+).*/\1/')"
if [ "$go_minor" -lt 26 ] 2>/dev/null; then
  die "$go_version is too old: the pinned Collector modules need Go 1.26 or newer (see https://go.dev/doc/install)."
fi

# --- versions and cache key ----------------------------------------------------------------------
# The builder must be the core release the manifest pins; read it from the otlpreceiver line.
builder_version="${TOKENLEDGER_OCB_VERSION:-$(sed -nE 's#^[[:space:]]*-?[[:space:]]*gomod:[[:space:]]*go\.opentelemetry\.io/collector/receiver/otlpreceiver[[:space:]]+(v[0-9][^[:space:]]*).*#\1#p' "$manifest" | head -n1)}"
[ -n "$builder_version" ] || die "could not find the core version (the otlpreceiver gomod line) in $manifest"
dist_name="$(sed -nE 's#^[[:space:]]+name:[[:space:]]*([A-Za-z0-9._-]+).*#\1#p' "$manifest" | head -n1)"
[ -n "$dist_name" ] || die "could not find dist.name in $manifest"

if command -v sha256sum >/dev/null 2>&1; then hash_cmd=(sha256sum)
elif command -v shasum >/dev/null 2>&1; then hash_cmd=(shasum -a 256)
else die "neither sha256sum nor shasum is available to hash the manifest"
fi
# Local component modules the manifest names with `path:` (copied next to the builder's working
# directory); their sources are part of the key.
local_modules=(clickhouseledger)
key="$( { cat "$manifest"; printf '\n%s\n%s\n' "$go_version" "$builder_version";
          for m in "${local_modules[@]}"; do
            find "$here/$m" -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) ! -name '*_test.go' | LC_ALL=C sort | xargs cat
          done; } | "${hash_cmd[@]}" | cut -c1-16)"

dist_dir="$cache_root/dist/$key"
binary="$dist_dir/$dist_name"

if [ "$force" -eq 0 ] && [ -x "$binary" ]; then
  say "cache hit ($dist_name, key $key)"
  printf '%s\n' "$binary"
  exit 0
fi

mkdir -p "$cache_root"

# One build at a time per cache (parallel test runs share it).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache_root/build.lock"
  flock 9
  if [ "$force" -eq 0 ] && [ -x "$binary" ]; then
    say "cache hit after waiting for another build ($dist_name, key $key)"
    printf '%s\n' "$binary"
    exit 0
  fi
fi

export GOMODCACHE="$cache_root/gomod"
export GOCACHE="$cache_root/gobuild"
# Keep the machine's GOFLAGS and GOPROXY; add module-mode and writable module cache (so the cache
# can be deleted with rm -rf).
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod -modcacherw"

# --- the builder ---------------------------------------------------------------------------------
builder_dir="$cache_root/builder/$builder_version"
builder="$builder_dir/builder"
if [ ! -x "$builder" ]; then
  say "installing go.opentelemetry.io/collector/cmd/builder@$builder_version"
  mkdir -p "$builder_dir"
  if ! GOBIN="$builder_dir" go install "go.opentelemetry.io/collector/cmd/builder@$builder_version" >&2; then
    die "could not install the Collector builder $builder_version from the Go module proxy
  (GOPROXY=$(go env GOPROXY)). Check that the proxy is reachable and serves that version."
  fi
fi

# --- build ---------------------------------------------------------------------------------------
work="$cache_root/work/$key"
rm -rf "$work"
mkdir -p "$work"
for m in "${local_modules[@]}"; do
  mkdir -p "$work/$m"
  find "$here/$m" -maxdepth 1 -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) ! -name '*_test.go' -exec cp {} "$work/$m/" \;
done
log="$work/build.log"
say "building $dist_name (key $key) with builder $builder_version and $go_version; the first build takes minutes"
say "log: $log"
start=$(date +%s)
if ! (cd "$work" && "$builder" --config="$manifest") >"$log" 2>&1; then
  tail -n 40 "$log" >&2 || true
  die "the builder failed (full log: $log). If a module 'is not available' or 'unknown revision',
  the proxy does not serve that version: pin another release in $manifest (all versions together)."
fi
built="$work/_build/$dist_name"
[ -x "$built" ] || die "the builder finished but $built is missing (log: $log)"

# Sanity check: the binary runs and contains the ClickHouse exporter.
if ! "$built" components 2>/dev/null | grep -q 'clickhouse'; then
  die "the built binary does not list the clickhouse exporter ('$built components'); log: $log"
fi

mkdir -p "$dist_dir"
cp "$log" "$dist_dir/build.log"
cp "$built" "$binary.tmp.$$"
mv -f "$binary.tmp.$$" "$binary"
rm -rf "$work"
say "built in $(( $(date +%s) - start ))s: $binary ($(du -h "$binary" | cut -f1))"
printf '%s\n' "$binary"
