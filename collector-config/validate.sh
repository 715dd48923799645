#!/usr/bin/env bash
# Validates every Collector configuration in this folder with the built TokenLedger Collector.
#
#   collector-config/validate.sh
#
# Builds the Collector first (./build.sh; a cache hit takes well under a second), then runs
# `<collector> validate --config=<file>` for each collector-*.yaml, with the environment a user of
# that file would set. `validate` resolves ${env:…}, unmarshals every component's settings, runs
# their checks and builds the pipeline graph, without starting anything (no ClickHouse needed).
# TOKENLEDGER_* variables of the calling shell are not passed on, so the result does not depend
# on the caller's environment. It also checks that the production configuration refuses to load
# without its required variables, and runs the unit tests of the local component modules (go test).
#
# Exit status 0 when all pass; otherwise non-zero, naming each failing file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

collector="$("$here/build.sh" | tail -n1)"
[ -x "$collector" ] || { echo "validate.sh: error: build.sh did not yield a Collector binary" >&2; exit 1; }

scratch="$(mktemp -d "${TMPDIR:-/tmp}/tokenledger-validate.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# `env` arguments that drop every TOKENLEDGER_* variable of the calling shell.
clean_env=()
while IFS='=' read -r name _; do
  case "$name" in TOKENLEDGER_*) clean_env+=(-u "$name") ;; esac
done < <(env)

# What a user sets for each configuration (values only need to be well-formed: nothing connects).
env_for() {
  case "$1" in
    collector-local.yaml)
      # Nothing is required: every variable has a local default.
      ;;
    collector-production.yaml)
      printf '%s\n' \
        "TOKENLEDGER_CLICKHOUSE_ENDPOINT=https://clickhouse.example.internal:8443" \
        "TOKENLEDGER_CLICKHOUSE_USER=tokenledger_collector" \
        "TOKENLEDGER_WRITER_PASSWORD=validate-only-not-a-secret" \
        "TOKENLEDGER_QUEUE_DIR=$scratch/queue" \
        "TOKENLEDGER_OTLP_TOKEN=validate-only-not-a-token" \
        "TOKENLEDGER_OTLP_TLS_CERT_FILE=$scratch/otlp-cert.pem" \
        "TOKENLEDGER_OTLP_TLS_KEY_FILE=$scratch/otlp-key.pem" \
        "TOKENLEDGER_MEMORY_LIMIT_MIB=1536" \
        "TOKENLEDGER_MEMORY_SPIKE_MIB=384"
      ;;
    *)
      # A configuration added later: give it the production variables, which are a superset.
      env_for collector-production.yaml
      ;;
  esac
}

passed=0
failed=0
failures=()

run_validate() { # file, expectation (pass|fail), label, env assignments…
  local file="$1" expect="$2" label="$3"
  shift 3
  local out rc=0
  out="$(cd "$here" && env "${clean_env[@]}" "$@" "$collector" validate --config="$here/$file" 2>&1)" || rc=$?
  if { [ "$expect" = pass ] && [ "$rc" -eq 0 ]; } || { [ "$expect" = fail ] && [ "$rc" -ne 0 ]; }; then
    passed=$((passed + 1))
    echo "validate.sh: ok     $file ($label)"
  else
    failed=$((failed + 1))
    failures+=("$file ($label)")
    echo "validate.sh: FAILED $file ($label): expected to $expect, exit status $rc" >&2
    [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /' >&2
  fi
}

shopt -s nullglob
configs=("$here"/collector-*.yaml)
[ "${#configs[@]}" -gt 0 ] || { echo "validate.sh: error: no collector-*.yaml in $here" >&2; exit 1; }

for path in "${configs[@]}"; do
  file="$(basename "$path")"
  mapfile -t vars < <(env_for "$file")
  run_validate "$file" pass "with the variables a user sets" "${vars[@]}"
done

# The production file must not start with its required variables missing: each check leaves out one
# of them (validate reads no certificate file, so the TLS paths need not exist).
if [ -f "$here/collector-production.yaml" ]; then
  mapfile -t prod < <(env_for collector-production.yaml)
  for required in TOKENLEDGER_CLICKHOUSE_ENDPOINT TOKENLEDGER_OTLP_TOKEN TOKENLEDGER_OTLP_TLS_CERT_FILE \
      TOKENLEDGER_OTLP_TLS_KEY_FILE; do
    without=()
    for assignment in "${prod[@]}"; do
      [ "${assignment%%=*}" = "$required" ] || without+=("$assignment")
    done
    run_validate collector-production.yaml fail "without $required" "${without[@]}"
  done
fi

# The local components' own unit tests, with the module and build caches build.sh uses.
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/tokenledger/collector"
for module in clickhouseledger; do
  out=""
  rc=0
  out="$(cd "$here/$module" && GOMODCACHE="$cache_root/gomod" GOCACHE="$cache_root/gobuild" \
    GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod -modcacherw" go test ./... 2>&1)" || rc=$?
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    echo "validate.sh: ok     $module (go test)"
  else
    failed=$((failed + 1))
    failures+=("$module (go test)")
    echo "validate.sh: FAILED $module (go test), exit status $rc" >&2
    printf '%s\n' "$out" | sed 's/^/    /' >&2
  fi
done

echo "validate: $passed passed, $failed failed"
if [ "$failed" -gt 0 ]; then
  printf 'validate.sh: failing: %s\n' "${failures[@]}" >&2
  exit 1
fi
