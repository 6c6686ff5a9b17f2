#!/usr/bin/env bash
# The whole test suite on a fresh machine. Installs what the tests need (PostgreSQL, Chromium,
# Python and the aiosmtpd SMTP server, promtool and amtool), starts the servers on 127.0.0.1,
# runs formatting, lints and every test with every feature, and stops the servers afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

log "system packages"
need=()
command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
# code.python steps run the system interpreter (runtime/src/python/mod.rs looks in /usr/bin first).
[ -x /usr/bin/python3 ] || need+=(python3)
# The email tests send through a real SMTP server on 127.0.0.1: aiosmtpd, Debian's package.
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need+=(python3-aiosmtpd)
# claw compile's outputs are checked by the real tools: promtool (check rules, test rules) and
# amtool (check-config).
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "cannot install ${need[*]}: not root and no sudo" >&2
    exit 2
  fi
fi

# A fresh clone gains nothing from incremental compilation, and its caches roughly double
# the target directory (about 5 GB of 12 here); a CI run that ran out of disk showed the cost.
export CARGO_INCREMENTAL=0

log "test servers"
# shellcheck source=scripts/test-servers.sh
source scripts/test-servers.sh
start_test_servers
trap stop_test_servers EXIT

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy (all targets, all features)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

# Tests that need something this run cannot provide (the shared corpus outside the repository,
# a PostgreSQL server) do not pass quietly: each appends a line to this log, counted below.
# PostgreSQL is always started above, so its absence is a failure here; a missing corpus is a
# failure where CLAW_REQUIRE_CORPUS=1 (.ci/run sets it).
export CLAW_SKIP_LOG="$PWD/target/claw-skipped.log"
export CLAW_REQUIRE_POSTGRES=1
# promtool and amtool were installed above, so a test that cannot find them fails here.
export CLAW_REQUIRE_TOOLS=1
mkdir -p target && : > "$CLAW_SKIP_LOG"

log "cargo test (all features)"
cargo test --workspace --all-features --no-fail-fast

# Default features equal all features today (typescript is on by default), so the run above
# covers them; what remains is the runtime without its optional TypeScript support.
log "cargo test -p claw-runtime (no default features)"
cargo test -p claw-runtime --no-default-features --no-fail-fast

skipped=$(sort -u "$CLAW_SKIP_LOG" | wc -l)
if [ "$skipped" -gt 0 ]; then
  log "$skipped tests did NOT run (their input is missing):"
  sort -u "$CLAW_SKIP_LOG"
else
  log "every test ran (corpus: ${CLAW_CORPUS:-../shared/corpus})"
fi

log "all tests passed"
