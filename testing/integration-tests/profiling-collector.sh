#!/usr/bin/env bash
# Builds the TokenLedger Collector once more with its symbol table kept, for profiling (perf names
# the Collector's functions only in such a binary; the distribution's binary is stripped, as the
# builder does by default). Same manifest, same components, same compiler flags: only the linker
# keeps the symbols (-ldflags=-w instead of -s -w), so the code profiled is the code that ships.
# The ingest benchmark uses it for its profile round.
#
#   testing/integration-tests/profiling-collector.sh
#
# It runs collector-config/build.sh first (for the builder, the caches and the cache key) and keeps
# the binary under ${XDG_CACHE_HOME:-$HOME/.cache}/tokenledger/collector/profiling/<key>/; with a
# warm Go build cache only the link step runs. The last line on stdout is the binary's path.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
config_dir="$(cd "$here/../../collector-config" && pwd)"
manifest="$config_dir/builder-config.yaml"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/tokenledger/collector"

say() { printf 'profiling-collector.sh: %s\n' "$*" >&2; }
die() { printf 'profiling-collector.sh: error: %s\n' "$*" >&2; exit 1; }

shipped="$(bash "$config_dir/build.sh" | tail -n1)"
[ -x "$shipped" ] || die "collector-config/build.sh did not give a binary"
key="$(basename "$(dirname "$shipped")")"
dist_name="$(basename "$shipped")"
out_dir="$cache_root/profiling/$key"
binary="$out_dir/$dist_name"
if [ -x "$binary" ]; then
  say "cache hit ($dist_name with symbols, key $key)"
  printf '%s\n' "$binary"
  exit 0
fi

builder_version="$(sed -nE 's#^[[:space:]]*-?[[:space:]]*gomod:[[:space:]]*go\.opentelemetry\.io/collector/receiver/otlpreceiver[[:space:]]+(v[0-9][^[:space:]]*).*#\1#p' "$manifest" | head -n1)"
builder="$cache_root/builder/${TOKENLEDGER_OCB_VERSION:-$builder_version}/builder"
[ -x "$builder" ] || die "the builder is not at $builder (collector-config/build.sh installs it)"

export GOMODCACHE="$cache_root/gomod"
export GOCACHE="$cache_root/gobuild"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod -modcacherw"

work="$cache_root/work/profiling-$key"
rm -rf "$work"
mkdir -p "$work"
for m in clickhouseledger; do
  mkdir -p "$work/$m"
  find "$config_dir/$m" -maxdepth 1 -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) ! -name '*_test.go' -exec cp {} "$work/$m/" \;
done
say "linking $dist_name with its symbol table (key $key)"
if ! (cd "$work" && "$builder" --config="$manifest" --ldflags=-w) >"$work/build.log" 2>&1; then
  tail -n 30 "$work/build.log" >&2 || true
  die "the builder failed (log: $work/build.log)"
fi
mkdir -p "$out_dir"
cp "$work/_build/$dist_name" "$binary.tmp.$$"
mv -f "$binary.tmp.$$" "$binary"
rm -rf "$work"
printf '%s\n' "$binary"
