#!/usr/bin/env bash
# The demo: builds everything, then runs the demo app under the TokenLedger agent against the
# OpenAI simulator (or real OpenAI when OPENAI_API_KEY is set) and prints the usage it recorded.
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -ntp -q install -DskipTests
exec mvn -B -ntp -q -pl testing/integration-tests exec:java \
  -Dexec.mainClass=dev.tokenledger.it.Demo
