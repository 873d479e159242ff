#!/usr/bin/env bash
# Times every recipe's training steps with `ae bench --json` and prints them next to the PyTorch
# reference figures measured on this machine (bench/pytorch-reference.tsv), as ratios.
#   bash bench/compare.sh                  # all recipes, 20 timed steps each, default backend
#   STEPS=50 bash bench/compare.sh models/lenet-mnist.toml
#   FEATURES=ndarray bash bench/compare.sh # another backend (rebuilds the binary with that feature)
# A ratio below 1 means faster than PyTorch. Run it on a quiet machine: timings are wall clock.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${STEPS:-20}
if [ $# -eq 0 ]; then
  set -- models/stacked-mnist.toml models/denoising-sparse-mnist.toml models/lenet-mnist.toml \
    models/stacked-fashion-mnist.toml models/conv-ae-fashion-mnist.toml
fi
cargo build --release -q ${FEATURES:+--features "$FEATURES"}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
./target/release/ae bench "$@" --steps "$steps" --json > "$out"
python3 - "$out" bench/pytorch-reference.tsv <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
ref = {}
for line in open(sys.argv[2]):
    if line.startswith("#") or not line.strip():
        continue
    recipe, idx, what, batch, step_ms, epoch_s = line.rstrip("\n").split("\t")
    ref[(recipe, int(idx))] = (what, int(batch), float(step_ms), float(epoch_s))
seen = {}
hdr = f"{'recipe':24} {'stage':34} {'backend':8} {'batch':>5} {'step ms':>9} {'torch ms':>9} {'ratio':>6} {'epoch s':>8} {'torch s':>8} {'ratio':>6}"
print(hdr)
print("-" * len(hdr))
for r in rows:
    i = seen.get(r["recipe"], 0)
    seen[r["recipe"]] = i + 1
    step_ms = r["step_median_s"] * 1e3
    line = f"{r['recipe']:24} {r['stage'][:34]:34} {r['backend'][:8]:8} {r['batch']:>5} {step_ms:>9.2f}"
    t = ref.get((r["recipe"], i))
    if t and t[1] == r["batch"]:
        line += f" {t[2]:>9.2f} {step_ms / t[2]:>6.2f}"
    else:
        line += f" {'-':>9} {'-':>6}"
    epoch = r.get("epoch_s")
    if epoch is not None and t:
        line += f" {epoch:>8.2f} {t[3]:>8.2f} {epoch / t[3]:>6.2f}"
    elif epoch is not None:
        line += f" {epoch:>8.2f} {'-':>8} {'-':>6}"
    print(line)
PY
