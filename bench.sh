#!/usr/bin/env bash
# The benchmarks. Each prints its figures as ratios against a baseline measured in the same run.
#   http      chat completions in fresh JVMs through openai-java, OkHttp, the JDK client, Reactor
#             Netty, HttpURLConnection and Apache HttpClient 5 and 4: upstream agent alone vs its
#             openai-java instrumentation vs the extension; extra CPU and allocation per call, ratio
#   realtime  Realtime sessions at real audio rates through the JDK WebSocket client, agent alone
#             vs agent + extension: CPU-time ratio, retained heap per open connection
#   rollup    a 30-day dashboard query on usage_hourly vs the same answer from a raw scan of the
#             ledger, at 1, 10 and 100 million ledger rows (embedded ClickHouse engine)
#   ingest    usage records per second from telemetrygen through the production Collector into the
#             ledger (embedded ClickHouse engine), none lost: rate steps, flat out, CPU per process, profile
#   freshness time from a response to its row in usage_hourly, through the real Collector
# Usage: ./bench.sh [http|realtime|rollup|ingest|freshness|all] [arguments of that one benchmark]
set -euo pipefail
cd "$(dirname "$0")"
which=${1:-http}
[ $# -gt 0 ] && shift

run_it_main() {
  mvn -B -ntp -q -pl testing/integration-tests exec:java -Dexec.mainClass="dev.tokenledger.it.$1" -Dexec.args="${*:2}"
}

case "$which" in
  http | realtime | rollup | ingest | freshness | all) ;;
  *)
    echo "unknown benchmark '$which': choose http, realtime, rollup, ingest, freshness or all" >&2
    exit 2
    ;;
esac

if [ "$which" = all ] && [ $# -gt 0 ]; then
  echo "arguments apply to one benchmark: name it instead of 'all'" >&2
  exit 2
fi

mvn -B -ntp -q install -DskipTests
if [ "$which" = http ] || [ "$which" = all ]; then run_it_main OverheadBenchmark "$@"; fi
if [ "$which" = realtime ] || [ "$which" = all ]; then run_it_main RealtimeBenchmark "$@"; fi
if [ "$which" = rollup ] || [ "$which" = all ]; then
  mvn -B -ntp -q -pl clickhouse-support exec:java -Dexec.classpathScope=test \
    -Dexec.mainClass=dev.tokenledger.clickhouse.RollupBenchmark -Dexec.args="$*"
fi
if [ "$which" = ingest ] || [ "$which" = all ]; then run_it_main IngestBenchmark "$@"; fi
if [ "$which" = freshness ] || [ "$which" = all ]; then run_it_main FreshnessBenchmark "$@"; fi
