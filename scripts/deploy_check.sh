#!/usr/bin/env bash
# Checks the deployment kit in deploy/: the systemd unit with systemd-analyze (verify, and its exposure score at
# most 2.5), the nginx example with `nginx -t` (with a throwaway certificate in place of Let's Encrypt's) and run on
# loopback ports to see that tokens in paths are not logged, the alert
# rules with `promtool check rules`, and the Grafana dashboard and the alert rules' expressions against the metrics
# the service exports (scripts/dashboard_check.py). The example configuration is checked by the Swift tests
# (ExampleConfigurationTests). Each tool that is missing is reported and skipped; .ci/run installs nginx-light and
# prometheus (promtool).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

if command -v systemd-analyze >/dev/null 2>&1; then
  # verify wants the ExecStart binary to exist: point the unit at this build's.
  binary="$(pwd)/.build/debug/wlcomm"
  sed "s#/usr/local/bin/wlcomm#$binary#" deploy/wlcomm.service > "$work/wlcomm.service"
  if systemd-analyze verify "$work/wlcomm.service"; then echo "PASS systemd-analyze verify deploy/wlcomm.service"
  else echo "FAIL systemd-analyze verify deploy/wlcomm.service"; failures=$((failures + 1)); fi
  exposure=$(systemd-analyze security --offline=yes "$work/wlcomm.service" 2>/dev/null | sed -n 's/.*Overall exposure level for wlcomm.service: \([0-9.]*\).*/\1/p')
  if [ -n "$exposure" ] && awk "BEGIN { exit !($exposure <= 2.5) }"; then echo "PASS the unit's exposure level is $exposure (at most 2.5)"
  else echo "FAIL the unit's exposure level is '${exposure}' (at most 2.5)"; failures=$((failures + 1)); fi
else
  echo "SKIP systemd-analyze is not installed: the unit is not checked"
fi

if command -v nginx >/dev/null 2>&1; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 -subj /CN=deploy-check 2>/dev/null
  sed "s#/etc/letsencrypt/live/comm.example.co.ke/fullchain.pem#$work/cert.pem#; s#/etc/letsencrypt/live/comm.example.co.ke/privkey.pem#$work/key.pem#" \
    deploy/nginx.conf > "$work/site.conf"
  printf 'pid %s/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  include %s/site.conf;\n}\n' "$work" "$work" > "$work/nginx.conf"
  if nginx -t -q -c "$work/nginx.conf"; then echo "PASS nginx -t accepts deploy/nginx.conf"
  else echo "FAIL nginx -t refuses deploy/nginx.conf"; failures=$((failures + 1)); fi
  # The same site on free loopback ports, its logs in the work folder, nothing listening behind it (as when wlcomm
  # is down): no token, phone number or query string reaches either log.
  tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  plain_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  sed "s#listen 443 ssl http2;#listen 127.0.0.1:$tls_port ssl http2;#; s#listen 80;#listen 127.0.0.1:$plain_port;#; s#/var/log/nginx/#$work/#" \
    "$work/site.conf" > "$work/site-run.conf"
  printf 'pid %s/run.pid;\nerror_log %s/error.log;\nevents {}\nhttp {\n  include %s/site-run.conf;\n}\n' "$work" "$work" "$work" > "$work/run.conf"
  nginx -g 'daemon off;' -c "$work/run.conf" 2>>"$work/error.log" &
  nginx_pid=$!
  trap 'kill "$nginx_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
  for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$plain_port/" && break; sleep 0.1; done
  paths="/callbacks/mpesa/stk/12/SECRETTOKEN /callbacks/africastalking/dlr/SECRETTOKEN /callbacks/africastalking/optout/SECRETTOKEN
    //console/invite/SECRETTOKEN /t/c/SECRETTOKEN /t/o/SECRETTOKEN.gif /api/v1/communication/contacts/254700SECRET
    /api/v1/communication/sms/opt-outs/254700SECRET /api/v1/communication/privacy/export?phone=254700SECRET"
  for path in $paths; do
    curl -sk -o /dev/null --max-time 5 -H "Referer: https://x/console/invite/SECRETTOKEN" "https://127.0.0.1:$tls_port$path" || true
  done
  curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$plain_port/callbacks/africastalking/dlr/SECRETTOKEN" || true
  kill "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  logged=$(grep -c '"GET /' "$work/access.log" 2>/dev/null || true)
  if [ "${logged:-0}" -ge 10 ] && ! grep -q SECRET "$work/access.log" "$work/error.log"; then
    echo "PASS nginx logs $logged requests with callback, invitation and tracking tokens, phone numbers and queries left out"
  else
    echo "FAIL nginx's logs: $(grep SECRET "$work/access.log" "$work/error.log" 2>/dev/null | head -3) ($logged lines)"; failures=$((failures + 1))
  fi
else
  echo "SKIP nginx is not installed: deploy/nginx.conf is not checked"
fi

if command -v promtool >/dev/null 2>&1; then
  if promtool check rules deploy/alerts.yml; then echo "PASS promtool check rules deploy/alerts.yml"
  else echo "FAIL promtool check rules deploy/alerts.yml"; failures=$((failures + 1)); fi
else
  echo "SKIP promtool is not installed: deploy/alerts.yml is not checked"
fi

# The .venv's Python has PyYAML for the alert rules' expressions; without it they are skipped (the dashboard is not).
python=python3
if [ -x .venv/bin/python ]; then python=.venv/bin/python; fi
if ! "$python" scripts/dashboard_check.py; then failures=$((failures + 1)); fi
exit $((failures > 0))
