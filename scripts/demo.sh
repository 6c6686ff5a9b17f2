#!/usr/bin/env bash
# The main job on a fresh machine: build claw, then walk the migration path on our samples:
# check the sample systems, import the sample legacy setups (Zapier export, crontabs,
# spreadsheets) into ./demo-out for review, compile the samples' SLOs and alerts into Prometheus
# rules and an Alertmanager config, shadow an imported Zap against its run history, and run a
# sample system in the embedded runtime (record-only, so nothing leaves the machine).
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

step "claw compile samples/systems --target prometheus|alertmanager|grafana (rules, routes and dashboards for the team's own tools)"
"$claw" compile samples/systems --target prometheus -o "$out/prometheus"
"$claw" compile samples/systems --target alertmanager -o "$out/alertmanager"
"$claw" compile samples/systems --target grafana -o "$out/grafana"
if command -v promtool >/dev/null 2>&1; then
  (cd "$out/prometheus" && promtool check rules ./*.rules.yml && promtool test rules ./*.rules.test.yml)
fi

step "claw cron explain '30 4 1,15 * 5'"
"$claw" cron explain "30 4 1,15 * 5"

step "claw shadow compare (an imported Zap against its Zapier run history, record-only)"
"$claw" shadow compare --system samples/shadow/big-order-alert.claw \
  --zapier-json samples/shadow/zapier/zap-runs-page-1.json \
  --inputs samples/shadow/mirrored-inputs.jsonl \
  --html "$out/shadow.html" || true

step "claw run samples/systems/order-alerts.claw --dry-run (SQLite file $out/claw.db), fire a manual trigger, inspect"
rm -f "$out"/claw.db*
"$claw" run samples/systems/order-alerts.claw --db "sqlite://$out/claw.db" --listen 127.0.0.1:0 \
  --dry-run > "$out/run.stdout" 2> "$out/run.log" &
run_pid=$!
trap 'kill "$run_pid" 2>/dev/null || true' EXIT
url=
for _ in $(seq 100); do
  url=$(sed -n 's/^listening on //p' "$out/run.stdout")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$out/run.log"; echo "claw run did not start" >&2; exit 1; }
run_id=$("$claw" fire order-alerts resend --url "$url" \
  --payload '{"order": {"id": "SO-1042", "total": 640.0, "currency": "EUR", "customer": {"tags": []}, "items": [{"sku": "LAMP-2"}]}}')
for _ in $(seq 50); do
  "$claw" runs --db "sqlite://$out/claw.db" --status running | grep -q . || break
  sleep 0.1
done
"$claw" runs --db "sqlite://$out/claw.db"
"$claw" events "$run_id" --db "sqlite://$out/claw.db"
"$claw" status --db "sqlite://$out/claw.db"
kill -TERM "$run_pid"
wait "$run_pid"
trap - EXIT

printf '\nGenerated systems are in %s (pending as *.claw.new): run `%s review %s` to accept or reject them.\n' "$out" "$claw" "$out"
printf 'The shadow report is %s/shadow.html.\n' "$out"
printf 'Prometheus rules (with promtool tests) are in %s/prometheus, the Alertmanager config in %s/alertmanager, the Grafana dashboards in %s/grafana.\n' "$out" "$out" "$out"
