#!/usr/bin/env bash
# Runs every test of the project:
#   1. builds the package and its tests once, then fuzzes every parser briefly (scripts/fuzz.sh);
#   2. starts a throwaway PostgreSQL cluster (scripts/postgres.sh) for the conformance suite;
#   3. HTTP contract checks against the real `wlcomm serve`, on SQLite and on PostgreSQL
#      (scripts/contract_checks.sh: curl smoke of the contract, the Postman collection, schemathesis, and the
#      provider, crash, limits, abuse, outage and multi-instance checks);
#   4. the benchmark in its short form (scripts/bench.sh --short: every phase, ours and Kannel's, on both engines);
#   5. the Swift test suites (unit, property, store conformance on both engines, HTTP).
# Python tools go into .venv (created here). Set WLCOMM_SKIP_CONTRACT=1 to run the Swift suites only.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v curl >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
fi

source scripts/postgres.sh
trap stop_test_postgres EXIT
start_test_postgres

echo "== build"
swift build --build-tests

echo "== fuzz (short)"
scripts/fuzz.sh

echo "== deployment kit (deploy/: systemd unit, nginx example)"
scripts/deploy_check.sh

if [ "${WLCOMM_SKIP_CONTRACT:-0}" != 1 ]; then
  echo "== contract checks (SQLite)"
  scripts/contract_checks.sh ""
  if [ -n "${WLCOMM_TEST_POSTGRES_URL:-}" ]; then
    echo "== contract checks (PostgreSQL)"
    scripts/contract_checks.sh "$WLCOMM_TEST_POSTGRES_URL"
  fi
fi

echo "== benchmark (short, debug build: shows every phase runs, not how fast; docs/benchmarks.md)"
scripts/bench.sh --short "${WLCOMM_TEST_POSTGRES_URL:-}"

echo "== swift test"
swift test --skip-build --no-parallel 2>&1 | tee .build/swift-test.log
