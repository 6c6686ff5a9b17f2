#!/usr/bin/env bash
# The main job on a fresh machine: build claw, then walk the migration path on our samples:
# check the sample systems, import the sample legacy setups (Zapier export, crontabs,
# spreadsheets) into ./demo-out for review, and shadow an imported Zap against its run history.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo-out}

cargo build --release -p claw
claw=./target/release/claw
step() { printf '\n== %s\n' "$*"; }

step "claw check samples/systems"
"$claw" check samples/systems

step "claw import zapier samples/zapier"
"$claw" import zapier samples/zapier -o "$out/zapier" --report "$out/zapier-findings.json"

step "claw import crontab samples/crontab/good"
"$claw" import crontab samples/crontab/good -o "$out/crontab" --report "$out/crontab-findings.json"

for f in samples/sheets/*.xlsx samples/sheets/*.ods samples/sheets/*.csv samples/sheets/*.tsv; do
  step "claw import sheet $f"
  "$claw" import sheet "$f" -o "$out/sheet"
done

step "claw review $out --check (what is waiting for review)"
"$claw" review "$out" --check || true

step "claw cron explain '30 4 1,15 * 5'"
"$claw" cron explain "30 4 1,15 * 5"

step "claw shadow compare (an imported Zap against its Zapier run history, record-only)"
"$claw" shadow compare --system samples/shadow/big-order-alert.claw \
  --zapier-json samples/shadow/zapier/zap-runs-page-1.json \
  --inputs samples/shadow/mirrored-inputs.jsonl \
  --html "$out/shadow.html" || true

printf '\nGenerated systems are in %s (pending as *.claw.new): run `%s review %s` to accept or reject them.\n' "$out" "$claw" "$out"
printf 'The shadow report is %s/shadow.html.\n' "$out"
