#!/usr/bin/env bash
# Runs wlcomm-bench (docs/benchmarks.md): our server's figures as ratios against GET /healthz and against Kannel,
# all measured in the same run with the same load generator (wrk).
#
#   scripts/bench.sh [--short] [postgres://user@host:port/db]
#
# Without --short: release build (`swift build -c release --product wlcomm-bench`, 10-20 minutes from cold on two
# cores), full counts (10 s loads at 64 connections, three 10,000-recipient blasts, ...), a few minutes per engine.
# With --short: the debug build that `swift build --build-tests` (scripts/test.sh) already made, small counts;
# both engines finish in under three minutes. Debug figures are far below release ones: --short checks that the
# benchmark runs, not how fast the server is.
#
# Runs on a fresh SQLite file, then, when a PostgreSQL URL is given, on a fresh database created beside the one in
# the URL (with psql; the URL's own database when psql is missing) and dropped afterwards. Writes
# .build/bench/{sqlite,postgres}.json and .txt; scripts/bench_chart.py turns the JSON into docs/benchmarks.png.
# As root with apt-get, installs wrk, kannel and kannel-extras when they are missing (Kannel is optional: without
# it the benchmark prints "kannel: not installed" and skips its rows).
set -euo pipefail
cd "$(dirname "$0")/.."

short=()
if [ "${1:-}" = --short ]; then
  short=(--short)
  shift
fi
pg_url=${1:-}

if { ! command -v wrk >/dev/null 2>&1 || ! command -v bearerbox >/dev/null 2>&1 || [ ! -x /usr/lib/kannel/test/fakesmsc ]; } &&
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "bench: installing wrk, kannel and kannel-extras from Debian's packages" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk kannel kannel-extras >/dev/null) >&2 || true
fi

if [ ${#short[@]} -gt 0 ]; then
  swift build --product wlcomm-bench 2>&1 | tail -3
  bin="$(swift build --show-bin-path)/wlcomm-bench"
else
  swift build -c release --product wlcomm-bench 2>&1 | tail -3
  bin="$(swift build -c release --show-bin-path)/wlcomm-bench"
fi

out=.build/bench
mkdir -p "$out"

echo "== wlcomm-bench on SQLite"
"$bin" "${short[@]}" --json "$out/sqlite.json" | tee "$out/sqlite.txt"

if [ -n "$pg_url" ]; then
  psql=""
  for candidate in "${WLCOMM_TEST_PG_BINDIR:-/nonexistent}/psql" "$(command -v psql || true)" /usr/lib/postgresql/*/bin/psql; do
    if [ -x "$candidate" ]; then psql=$candidate; fi
  done
  url=$pg_url
  database=""
  if [ -n "$psql" ]; then
    database="wlcomm_bench_$(date +%s%N)"
    "$psql" "$pg_url" -qc "CREATE DATABASE $database" >/dev/null
    url="${pg_url%/*}/$database"
    trap '"$psql" "$pg_url" -qc "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1 || true' EXIT
  fi
  echo "== wlcomm-bench on PostgreSQL"
  "$bin" "${short[@]}" --database-url "$url" --json "$out/postgres.json" | tee "$out/postgres.txt"
fi
