#!/usr/bin/env bash
# Real servers for the test suite, on 127.0.0.1 only.
#
# Interface (used by scripts/test.sh — keep it): `source scripts/test-servers.sh`, then
# `start_test_servers` exports CLAW_TEST_POSTGRES_URL, and `stop_test_servers` stops
# everything started. Run directly for manual use:
#   scripts/test-servers.sh start|stop
#   scripts/test-servers.sh COMMAND [ARGS...]   # start, run the command, always stop
#
# PostgreSQL: Debian's `postgresql`, installed if missing (as root). A throwaway cluster
# (initdb, trust auth) owned by the `postgres` user when run as root, listening on a free
# port with its socket inside the cluster folder. fsync is off for speed unless
# CLAW_TEST_PG_FSYNC=on (benchmarks set it so the figures include real commits).
# Idempotent: starting twice in one shell reuses the running cluster.

_claw_pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
  return 1
}

_claw_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000))
}

_claw_as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

_claw_install_pg() {
  _claw_pg_bin >/dev/null && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL is not installed and this is not root: sudo apt-get install -y postgresql" >&2
    return 1
  fi
  echo "installing postgresql" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 \
    || { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }
}

start_test_servers() {
  local bin port dir
  if [ -n "${CLAW_TEST_PG_DIR:-}" ] && [ -f "$CLAW_TEST_PG_DIR/data/postmaster.pid" ]; then
    echo "PostgreSQL already running ($CLAW_TEST_POSTGRES_URL)"
    return 0
  fi
  _claw_install_pg || return 1
  bin=$(_claw_pg_bin) || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; return 1; }
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
  fi
  port=$(_claw_free_port)
  dir=$(mktemp -d /tmp/claw-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  _claw_as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; return 1; }
  _claw_as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=${CLAW_TEST_PG_FSYNC:-off} -c max_connections=200" -w start >/dev/null \
    || { cat "$dir/server.log" >&2; rm -rf "$dir"; return 1; }
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
    "") echo "usage: $0 start|stop|COMMAND [ARGS...]" >&2; exit 2 ;;
    *)
      start_test_servers >&2
      trap stop_test_servers EXIT INT TERM
      set +e
      "$@"
      status=$?
      set -e
      exit $status
      ;;
  esac
fi
