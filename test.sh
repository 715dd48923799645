#!/usr/bin/env bash
# Runs every test: unit tests, then the integration tests (real upstream agent in child JVMs).
set -euo pipefail
cd "$(dirname "$0")"
exec mvn -B -ntp verify "$@"
