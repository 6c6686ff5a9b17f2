#!/usr/bin/env bash
# The main job on a fresh machine: build claw, check our sample systems, import the sample
# legacy setups into ./systems (pending review), and show what was found.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p claw
claw=./target/release/claw
out=${1:-systems}
echo "== claw check samples/systems"
"$claw" check samples/systems
for kind in zapier crontab sheets; do
  dir=samples/$kind
  [ -d "$dir" ] || continue
  sub=$kind; [ "$kind" = sheets ] && sub=sheet
  for f in "$dir"/*; do
    case "$f" in *.py|*.md) continue ;; esac
    echo "== claw import $sub $f"
    "$claw" import "$sub" "$f" -o "$out/$sub" || echo "(import of $f reported an error)"
  done
done
echo "== pending review"
"$claw" review "$out" --check || true
echo "Run \`$claw review $out\` to accept or reject the generated systems."
