#!/usr/bin/env bash
# The overhead benchmark: chat completions under the upstream agent alone vs agent + extension,
# in the same run. Arguments (optional): rounds, warm-up calls, measured calls.
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -ntp -q install -DskipTests
exec mvn -B -ntp -q -pl integration-tests exec:java \
  -Dexec.mainClass=dev.tokenledger.it.OverheadBenchmark -Dexec.args="$*"
