#!/usr/bin/env bash
# Real servers for the test suite, on 127.0.0.1 only.
#
# Interface (used by scripts/test.sh — keep it): `source scripts/test-servers.sh`, then
# `start_test_servers` exports CLAW_TEST_POSTGRES_URL, and `stop_test_servers` stops
# everything started. Run directly (`scripts/test-servers.sh start|stop`) for manual use.
#
# PostgreSQL: a throwaway cluster (initdb, trust auth) owned by the `postgres` user when run as
# root, listening on a free port with its socket inside the cluster folder.

_claw_pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
  return 1
}

_claw_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

_claw_as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_test_servers() {
  local bin port dir
  bin=$(_claw_pg_bin) || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; return 1; }
  port=$(_claw_free_port)
  dir=$(mktemp -d /tmp/claw-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  _claw_as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  _claw_as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" -w start >/dev/null \
    || { cat "$dir/server.log" >&2; return 1; }
  export CLAW_TEST_PG_DIR="$dir"
  export CLAW_TEST_PG_BIN="$bin"
  export CLAW_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "PostgreSQL on 127.0.0.1:$port ($CLAW_TEST_POSTGRES_URL)"
}

stop_test_servers() {
  if [ -n "${CLAW_TEST_PG_DIR:-}" ] && [ -d "$CLAW_TEST_PG_DIR/data" ]; then
    _claw_as_pg "$CLAW_TEST_PG_BIN/pg_ctl" -D "$CLAW_TEST_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$CLAW_TEST_PG_DIR"
    unset CLAW_TEST_PG_DIR CLAW_TEST_POSTGRES_URL
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    start) start_test_servers; echo "export CLAW_TEST_POSTGRES_URL=$CLAW_TEST_POSTGRES_URL CLAW_TEST_PG_DIR=$CLAW_TEST_PG_DIR CLAW_TEST_PG_BIN=$CLAW_TEST_PG_BIN" ;;
    stop) stop_test_servers ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
  esac
fi
