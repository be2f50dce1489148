# shellcheck shell=bash
# Starts a throwaway PostgreSQL cluster for the tests: initdb into a temporary folder, a free port on 127.0.0.1,
# torn down by stop_test_postgres (call it from an EXIT trap). Sets WLCOMM_TEST_POSTGRES_URL on success.
# When no PostgreSQL binaries can be found or installed, it leaves the variable unset and the PostgreSQL half of the
# conformance suite reports itself skipped.

find_pg_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; fi
}

start_test_postgres() {
  local bindir
  bindir=$(find_pg_bindir)
  if [ -z "$bindir" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "postgres: installing PostgreSQL from Debian's packages" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2 || true
    bindir=$(find_pg_bindir)
  fi
  if [ -z "$bindir" ]; then
    echo "postgres: no PostgreSQL binaries; the PostgreSQL conformance tests will be SKIPPED" >&2
    return 0
  fi
  PG_TEST_DIR=$(mktemp -d /tmp/wlcomm-pg.XXXXXX)
  PG_TEST_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local run=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$PG_TEST_DIR"
    run=(runuser -u postgres --)
  fi
  PG_TEST_RUN=("${run[@]}")
  PG_TEST_BINDIR=$bindir
  "${run[@]}" "$bindir/initdb" -D "$PG_TEST_DIR/data" -A trust -U postgres --no-sync >"$PG_TEST_DIR/initdb.log" 2>&1
  "${run[@]}" "$bindir/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w start \
    -o "-p $PG_TEST_PORT -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200" >/dev/null
  export WLCOMM_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_TEST_PORT/postgres"
  export WLCOMM_TEST_PG_BINDIR="$bindir"
  echo "postgres: throwaway cluster on port $PG_TEST_PORT ($("$bindir/postgres" --version))" >&2
}

stop_test_postgres() {
  if [ -n "${PG_TEST_DIR:-}" ] && [ -d "$PG_TEST_DIR/data" ]; then
    "${PG_TEST_RUN[@]}" "$PG_TEST_BINDIR/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_TEST_DIR"
  fi
}
