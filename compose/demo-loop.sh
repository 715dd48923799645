#!/bin/sh
# The demo service of the docker-compose stack: the demo app under the TokenLedger agent, every
# TOKENLEDGER_DEMO_INTERVAL seconds (default 60), so the dashboards fill up.
#
# Without OPENAI_API_KEY it calls the OpenAI simulator, started here in the same container (it
# listens on loopback only) and named as an OpenAI host to the agent; with OPENAI_API_KEY it makes
# a few cheap calls to the real OpenAI API instead.
set -eu
cd /opt/tokenledger
interval="${TOKENLEDGER_DEMO_INTERVAL:-60}"
agent="-javaagent:/opt/tokenledger/tokenledger-javaagent.jar"
if [ -z "${OPENAI_API_KEY:-}" ]; then
  java -jar openai-simulator.jar --port 8089 >/tmp/simulator.log 2>&1 &
  sleep 3
  base_url="http://127.0.0.1:8089/v1"
  hosts="-Dotel.instrumentation.tokenledger.hosts=127.0.0.1"
  export OPENAI_API_KEY="sk-demo-not-a-key"
  scenarios="default"
else
  base_url="${OPENAI_BASE_URL:-https://api.openai.com/v1}"
  hosts=""
  scenarios="${TOKENLEDGER_DEMO_SCENARIOS:-default}"
fi
while true; do
  # shellcheck disable=SC2086 # $hosts is one option or nothing
  java $agent $hosts -jar demo-app.jar --base-url "$base_url" --scenarios "$scenarios" || true
  sleep "$interval"
done
