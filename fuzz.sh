#!/usr/bin/env bash
# The coverage-guided fuzzer (Jazzer) on the extension's readers: each target runs for the given time
# and prints its executions (and per second), the inputs in its corpus, the code edges they cover,
# and its findings.
#   json-scanner     the streaming JSON scanner
#   sse-reader       the text/event-stream parser and the stream reader behind a response collector
#   usage-parser     JSON bodies of every API and usage objects through every usage shape
#   realtime-reader  Realtime WebSocket messages, whole and fragmented, through the connection state
# Usage: ./fuzz.sh [seconds-per-target] [target...]     (default: 60 seconds, every target)
# The corpus grows under agent-extension/target/fuzz/<target>/corpus and is reused by later runs;
# findings are written to agent-extension/target/fuzz/<target>/findings/. Exits 1 when there are any.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
[ $# -gt 0 ] && shift
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: ./fuzz.sh [seconds-per-target] [target...]" >&2
  exit 2
fi

out=agent-extension/target/fuzz
# The extension and its tests, compiled with the fuzzer's driver on the class path (profile fuzz).
mvn -B -ntp -q -Pfuzz -pl agent-extension -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/fuzz-classpath.txt -Dmdep.includeScope=test
cp="agent-extension/target/test-classes:agent-extension/target/classes:$(cat agent-extension/target/fuzz-classpath.txt)"
mkdir -p "$out"
echo "$cp" >"$out/classpath"

declare -A classes
names=()
while read -r name class; do
  classes[$name]=$class
  names+=("$name")
done < <(java -cp "$cp" dev.tokenledger.fuzz.FuzzTargets list)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${names[@]}")
for t in "${targets[@]}"; do
  if [ -z "${classes[$t]:-}" ]; then
    echo "unknown target '$t': choose from ${names[*]}" >&2
    exit 2
  fi
done

# Seeds: the unit tests' fixtures and the simulator's answers, written anew each run.
rm -rf "$out/seeds"
if ! java -cp "$cp" dev.tokenledger.fuzz.FuzzTargets seeds "$out/seeds" "${targets[@]}" >"$out/seeds.log" 2>&1; then
  cat "$out/seeds.log" >&2
  exit 1
fi

status=0
failed=0
summary=()
for t in "${targets[@]}"; do
  dir=$out/$t
  rm -rf "$dir/findings"
  mkdir -p "$dir/corpus" "$dir/findings"
  log=$dir/fuzz.log
  echo "fuzzing $t for ${seconds}s (log: $log)"
  # -timeout: an input that takes 10 s is a hang. --keep_going: report every distinct finding of the
  # run, not just the first. Only our readers are instrumented for coverage.
  set +e
  timeout $((seconds + 300)) java -Xmx1g -cp "$cp" com.code_intelligence.jazzer.Jazzer \
    --target_class="${classes[$t]}" \
    --instrumentation_includes='dev.tokenledger.usage.**:dev.tokenledger.realtime.**' \
    --keep_going=100 \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/findings/" \
    "$dir/corpus" "$out/seeds/$t" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -aoE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  rate=$(grep -aoE '^stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  inputs=$(grep -aoE 'DONE .* corp: [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  edges=$(grep -aoE 'DONE +cov: [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  findings=$(find "$dir/findings" -type f -name 'crash-*' | wc -l)
  if [ "$findings" -eq 0 ] && [ "$rc" -ne 0 ]; then
    echo "  the fuzzer stopped with status $rc; the end of $log:" >&2
    tail -20 "$log" >&2
    status=1
    failed=$((failed + 1))
  fi
  if [ "$findings" -gt 0 ]; then
    status=1
    failed=$((failed + 1))
    grep -aE '^(== Java Exception|Caused by|dev\.tokenledger\.fuzz\.FuzzFinding)' "$log" | head -20 >&2 || true
    echo "  reproduce: java -cp \"\$(cat agent-extension/target/fuzz/classpath)\" dev.tokenledger.fuzz.FuzzTargets" \
      "run $t $dir/findings/crash-*; a finding copied to agent-extension/src/test/resources/fuzz/$t/" \
      "is replayed by the unit tests (FuzzTargetsTest)" >&2
  fi
  summary+=("$(printf '%-16s executions %9s  (%s/s)  corpus inputs %5s  coverage %5s  findings %s' \
    "$t" "${runs:-?}" "${rate:-?}" "${inputs:-?}" "${edges:-?}" "$findings")")
done
printf '%s\n' "${summary[@]}"
echo "fuzz: $((${#targets[@]} - failed)) passed, $failed failed"
exit $status
