#!/usr/bin/env bash
# Starts `wlcomm serve --seed-sandbox` on a free port (SQLite in a temporary folder, or the PostgreSQL URL given
# as $1 in a fresh database), then checks the contract as a client would: curl for the documented statuses, the
# Postman collection, and schemathesis against the served OpenAPI document; then the OpenAPI files, the integration
# samples and the other checks below, each with its own server. Stops the server at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

cluster_url=${1:-}
# PostgreSQL needs a key to seal stored secrets (SQLite creates a key file beside the database): one for every
# server and command of this run, unless the caller set one.
if [ -n "$cluster_url" ] && [ -z "${WLCOMM_SECRETS_KEY:-}" ]; then
  WLCOMM_SECRETS_KEY=$(head -c 32 /dev/urandom | base64)
  export WLCOMM_SECRETS_KEY
fi
work=$(mktemp -d /tmp/wlcomm-contract.XXXXXX)
wlcomm=$(swift build --show-bin-path)/wlcomm
psql="${WLCOMM_TEST_PG_BINDIR:-/usr/bin}/psql"
# A fresh database (a new one in the throwaway cluster, or a new SQLite file), so the sandbox seed starts clean.
fresh_database() {
  if [ -n "$cluster_url" ]; then
    local db="contract_$1_$(date +%s%N)"
    "$psql" "$cluster_url" -qc "CREATE DATABASE $db" >/dev/null
    echo "${cluster_url%/*}/$db"
  else
    echo "$work/$1.sqlite"
  fi
}
database_url=$(fresh_database api)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port/api/v1/communication"
key=wl_test_communication_sms_sandbox

# Limits stay on, so every answer carries RateLimit-Policy and RateLimit, but far above what schemathesis's thousands
# of requests (many with bad keys, all from 127.0.0.1) reach: a quota of 1,000,000 per 1,000 s.
high_limits=()
for limit in SEND READ AUTH SIGN_IN CONSOLE WEBHOOK_TEST; do
  high_limits+=("WLCOMM_LIMITS_${limit}_QUOTA=1000000" "WLCOMM_LIMITS_${limit}_WINDOW_SECONDS=1000")
done
env WLCOMM_DATABASE_URL="$database_url" "${high_limits[@]}" "$wlcomm" serve --seed-sandbox --port "$port" >"$work/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ready=""
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; then ready=1; break; fi
  sleep 0.1
done
if [ -z "$ready" ]; then echo "FAIL the server was not ready within 10 s; its log:"; cat "$work/server.log"; exit 1; fi

failures=0
expect() { # expect NAME STATUS CURL-ARGS…
  local name=$1 want=$2
  shift 2
  local got
  got=$(curl -s -o /dev/null -w '%{http_code}' "$@")
  if [ "$got" = "$want" ]; then echo "PASS $name: $got"; else echo "FAIL $name: expected $want, got $got"; failures=$((failures + 1)); fi
}
# An authenticated key is trusted for auth.cacheMilliseconds (1 s): a change made by the CLI shows within it.
expect_within() { # expect_within SECONDS NAME STATUS CURL-ARGS…
  local seconds=$1 name=$2 want=$3
  shift 3
  local got deadline=$((SECONDS + seconds))
  while true; do
    got=$(curl -s -o /dev/null -w '%{http_code}' "$@")
    if [ "$got" = "$want" ] || [ "$SECONDS" -ge "$deadline" ]; then break; fi
    sleep 0.1
  done
  if [ "$got" = "$want" ]; then echo "PASS $name: $got"; else echo "FAIL $name: expected $want within ${seconds} s, got $got"; failures=$((failures + 1)); fi
}
expect "balance with the sandbox key" 200 -H "X-API-Key: $key" "$base/sms-credits/balance"
expect "balance with Bearer" 200 -H "Authorization: Bearer $key" "$base/sms-credits/balance"
expect "balance without a key" 401 "$base/sms-credits/balance"
WLCOMM_DATABASE_URL="$database_url" "$wlcomm" firm suspend --firm sandbox >/dev/null
expect_within 3 "balance of a suspended firm (within the 1 s authentication cache)" 403 -H "X-API-Key: $key" "$base/sms-credits/balance"
WLCOMM_DATABASE_URL="$database_url" "$wlcomm" firm activate --firm sandbox >/dev/null
expect_within 3 "balance after re-activation" 200 -H "X-API-Key: $key" "$base/sms-credits/balance"
body=$(curl -s -H "X-API-Key: $key" "$base/sms-credits/balance")
if [ "$body" = '{"data":{"currency":"KES","sms_credits":1000,"sms_rate":1.8},"status":"success"}' ]; then
  echo "PASS balance body is the contract's shape: $body"
else
  echo "FAIL balance body: $body"; failures=$((failures + 1))
fi

python3 scripts/postman_check.py postman/World-Ledgers-Communication-API.postman_collection.json "$base" "$key" || failures=$((failures + 1))

# /metrics after the requests above: Prometheus' own linter, and the queue and HTTP series present.
curl -s "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
if command -v promtool >/dev/null 2>&1; then
  if promtool check metrics <"$work/metrics.txt"; then echo "PASS promtool check metrics: clean"
  else echo "FAIL promtool check metrics"; failures=$((failures + 1)); fi
elif [ -n "${CI:-}" ]; then
  echo "FAIL promtool is not installed (CI installs Debian's prometheus in .ci/run)"; failures=$((failures + 1))
else
  echo "SKIP promtool is not installed: the metrics are not linted"
fi
for series in 'wlcomm_queue_depth{queue="sms",status="pending"}' 'wlcomm_queue_oldest_age_seconds{queue="webhooks",status="pending"}' \
  'wlcomm_http_requests_total{route="/api/v1/communication/sms",method="POST",status="202"}' 'wlcomm_database_up'; do
  if grep -qF "$series" "$work/metrics.txt"; then echo "PASS /metrics has $series"; else echo "FAIL /metrics lacks $series"; failures=$((failures + 1)); fi
done

if [ ! -x .venv/bin/schemathesis ] || ! .venv/bin/python -c 'import standardwebhooks, aiosmtpd, openapi_spec_validator, openapi_python_client, selenium' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check schemathesis==4.32.5 standardwebhooks==1.1.0 aiosmtpd==1.4.6 \
    openapi-spec-validator==0.9.0 openapi-python-client==0.29.1 selenium==4.50.0
fi
# positive_data_acceptance is left out: a schema-valid body can still be refused by the contract's own rules
# (422 "no valid recipients" for a well-formed string that is not a Kenyan number, an unknown {placeholder}).
# negative_data_rejection also takes 413: a body breaking maxLength/maxItems (200,000-character email, 10,001
# recipients) can be over the 1 MiB body limit, and then 413 is the right refusal.
# The hook gives every generated Idempotency-Key that is well-formed a fresh UUID: hypothesis repeats small values
# ("0", "00") across cases, and the same key with another body is refused (422), which would leave most POSTs
# untested. Malformed keys are kept, so their 422 is still checked. Replays are checked by limits_check.py.
cat >"$work/schemathesis_hooks.py" <<'PY'
import re
import uuid

import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and re.fullmatch(r"[!-~]{1,255}", key):
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
PY
{ echo "hooks = \"$work/schemathesis_hooks.py\""; cat <<'TOML'; } >"$work/schemathesis.toml"
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
TOML
# The Callbacks operations (M-Pesa, Africa's Talking, tracking) are outside the base path and need real tokens:
# daraja_fake_check.py, at_fake_check.py and smtp_check.py check them.
.venv/bin/schemathesis --config-file "$work/schemathesis.toml" run "$base/openapi.yaml" --url "$base" -H "X-API-Key: $key" --checks all \
  --exclude-checks positive_data_acceptance --exclude-tag Callbacks \
  --max-examples 100 --seed 1 --no-color || failures=$((failures + 1))

echo "-- the console in headless Chromium (Selenium): keys, webhook test, M-Pesa credits, messages, contacts, invitations, the admin's rate, isolation, CSRF, screenshots"
.venv/bin/python scripts/console_check.py "$wlcomm" "$(fresh_database console)" || failures=$((failures + 1))

echo "-- the management API against openapi/manage.yaml: schemathesis as the sandbox owner and as an admin"
.venv/bin/python scripts/manage_api_check.py "$wlcomm" "$(fresh_database manage)" || failures=$((failures + 1))

echo "-- signed webhooks to a local receiver, verified by the contract's formula and standardwebhooks"
.venv/bin/python scripts/webhook_check.py "$wlcomm" "$(fresh_database hooks)" || failures=$((failures + 1))

echo "-- the OpenAPI documents: the 3.0 rendering up to date, both valid, examples valid, 500s, every webhook event, generated clients"
.venv/bin/python scripts/openapi_check.py || failures=$((failures + 1))

echo "-- the samples (plain PHP, Laravel-style PHP, Python) against this build, their receivers against real deliveries"
.venv/bin/python scripts/samples_check.py "$wlcomm" "$(fresh_database samples)" || failures=$((failures + 1))

echo "-- live email through a local STARTTLS + AUTH relay (aiosmtpd): the message on the wire, tracking, suppression"
.venv/bin/python scripts/smtp_check.py "$wlcomm" "$(fresh_database smtp)" || failures=$((failures + 1))

echo "-- kill -9 while dispatching, then restart"
python3 scripts/crash_check.py "$wlcomm" "$(fresh_database crash)" "$psql" || failures=$((failures + 1))

echo "-- slow clients: body read timeout (408), idle timeout, oversized request head"
python3 scripts/slow_client_check.py "$wlcomm" "$(fresh_database slow)" || failures=$((failures + 1))

python3 scripts/abuse_check.py "$wlcomm" "$(fresh_database abuse)" "$psql" || failures=$((failures + 1))  # prints its own '-- N.' headers

echo "-- rate limits and Idempotency-Key shared by two server processes on one database (PostgreSQL only)"
python3 scripts/limits_check.py "$wlcomm" "$(fresh_database limits)" "$psql" || failures=$((failures + 1))
python3 scripts/outage_check.py "$wlcomm" "$cluster_url" "$psql" || failures=$((failures + 1))  # PostgreSQL only (SKIP on SQLite); stops its own cluster, never this one
python3 scripts/disk_full_check.py "$wlcomm" "$cluster_url" || failures=$((failures + 1))  # SQLite only (SKIP on PostgreSQL, and when it cannot mount a tmpfs); fills its own 4 MiB tmpfs

echo "-- behind a trusted reverse proxy (trustedProxies) each client has its own failed-authentication budget"
python3 scripts/proxy_check.py "$wlcomm" "$(fresh_database proxy)" || failures=$((failures + 1))

echo "-- a backup of a live server under load (SQLite: wlcomm backup/restore; PostgreSQL: pg_dump/pg_restore) restores every message and a ledger that adds up"
python3 scripts/backup_check.py "$wlcomm" "$(fresh_database backup)" "$psql" || failures=$((failures + 1))

shared_fakes=../shared/fakes
if [ -f "$shared_fakes/africastalking_fake.py" ]; then
  echo "-- live SMS through ../shared/fakes/africastalking_fake.py"
  python3 scripts/at_fake_check.py "$wlcomm" "$(fresh_database at)" "$shared_fakes/africastalking_fake.py" "$psql" || failures=$((failures + 1))
  echo "-- Kenyan SMS rules: sender IDs per firm and category, opt-outs (406 UserInBlacklist, the opt-out callback), quiet hours"
  python3 scripts/kenya_check.py "$wlcomm" "$(fresh_database kenya)" "$shared_fakes/africastalking_fake.py" "$psql" || failures=$((failures + 1))
  if [ -n "$cluster_url" ]; then
    echo "-- three servers on one PostgreSQL database, the fake at 120 ms per call, lease 5 s: no SMS sent twice, then one SIGKILLed, then one SIGTERMed"
    python3 scripts/multi_instance_check.py "$wlcomm" "$(fresh_database multi)" "$shared_fakes/africastalking_fake.py" "$psql" || failures=$((failures + 1))
  fi
elif [ -n "${CI:-}" ]; then
  echo "FAIL ../shared/fakes not found: CI runs the Africa's Talking fake check"; failures=$((failures + 1))
else
  echo "-- ../shared/fakes not found: the Africa's Talking fake check is skipped"
fi
if [ -f "$shared_fakes/daraja_fake.py" ]; then
  echo "-- M-Pesa purchases through ../shared/fakes/daraja_fake.py"
  python3 scripts/daraja_fake_check.py "$wlcomm" "$(fresh_database daraja)" "$shared_fakes/daraja_fake.py" "$psql" || failures=$((failures + 1))
elif [ -n "${CI:-}" ]; then
  echo "FAIL ../shared/fakes not found: CI runs the Daraja fake check"; failures=$((failures + 1))
else
  echo "-- ../shared/fakes not found: the Daraja fake check is skipped"
fi

if [ "$failures" -gt 0 ]; then
  echo "contract checks: $failures failed; server log:"; cat "$work/server.log"
  exit 1
fi
echo "contract checks: all passed"
