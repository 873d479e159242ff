#!/usr/bin/env bash
# Times every recipe's training with `ae bench --json` and prints it next to the PyTorch
# reference measured on this machine (bench/pytorch-reference.tsv), as ratios.
#   bash bench/compare.sh                    # the five main recipes, default backend
#   STEPS=50 bash bench/compare.sh models/lenet-mnist.toml
#   FEATURES=ndarray bash bench/compare.sh   # another backend (rebuilds the binary with it)
#   CONV_LIMIT=60000 bash bench/compare.sh   # time the conv AE's epoch on all 60,000 images
# Columns: median training step (fixed batch, after warm-up) and its GFLOP/s, then one epoch
# with batching and noise. The epoch ratio compares time per training image, so an epoch cut
# short with --limit (the conv AE's, by default 10,000 images) still compares fairly.
# A ratio below 1 means faster than PyTorch. Run it on a quiet machine: timings are wall clock.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${STEPS:-30}
conv_steps=${CONV_STEPS:-3}
conv_limit=${CONV_LIMIT:-10000}
if [ $# -eq 0 ]; then
  set -- models/stacked-mnist.toml models/denoising-sparse-mnist.toml models/lenet-mnist.toml \
    models/stacked-fashion-mnist.toml models/conv-ae-fashion-mnist.toml
fi
cargo build --release -q ${FEATURES:+--features "$FEATURES"}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "[" > "$out"
first=1
for recipe in "$@"; do
  args=(--steps "$steps")
  case "$recipe" in
    *conv-ae*) args=(--steps "$conv_steps" --warmup 1 --limit "$conv_limit") ;;
  esac
  echo "timing $recipe (${args[*]})" >&2
  [ $first -eq 1 ] || echo "," >> "$out"
  first=0
  ./target/release/ae bench "$recipe" "${args[@]}" --json | sed '1d;$d' >> "$out"
done
echo "]" >> "$out"
python3 - "$out" bench/pytorch-reference.tsv <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
ref = {}
for line in open(sys.argv[2]):
    if line.startswith("#") or not line.strip():
        continue
    recipe, idx, what, batch, step_ms, epoch_s, images = line.rstrip("\n").split("\t")
    ref[(recipe, int(idx))] = (what, int(batch), float(step_ms), float(epoch_s), int(images))
if rows:
    print(f"roof: a 1024^3 f32 matmul reaches {rows[0]['matmul_gflops']:.0f} GFLOP/s on {rows[0]['backend']}")
hdr = (f"{'recipe':24} {'stage':34} {'batch':>5} {'step ms':>9} {'GFLOP/s':>8} {'torch ms':>9} "
       f"{'ratio':>6} {'ms/100 img':>10} {'torch':>7} {'ratio':>6}")
print(hdr)
print("-" * len(hdr))
seen = {}
for r in rows:
    i = seen.get(r["recipe"], 0)
    seen[r["recipe"]] = i + 1
    step_ms = r["step_median_s"] * 1e3
    line = f"{r['recipe']:24} {r['stage'][:34]:34} {r['batch']:>5} {step_ms:>9.2f} {r['step_gflops']:>8.1f}"
    t = ref.get((r["recipe"], i))
    if t and t[1] == r["batch"]:
        line += f" {t[2]:>9.2f} {step_ms / t[2]:>6.2f}"
    else:
        line += f" {'-':>9} {'-':>6}"
    # Epoch time per 100 training images (images = samples/s × epoch seconds).
    ours = 100 * 1e3 / r["samples_per_s"]
    line += f" {ours:>10.2f}"
    if t:
        theirs = 100 * 1e3 * t[3] / t[4]
        line += f" {theirs:>7.2f} {ours / theirs:>6.2f}"
    print(line)
PY
