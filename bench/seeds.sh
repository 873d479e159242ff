#!/usr/bin/env bash
# Runs one recipe with several seeds and summarises the run folders' metrics.json: per seed the
# final test accuracy, the test MSE (clean input) at the end of the last reconstruction stage,
# the code's mean |h| there (for a sigmoid code: its mean activation), and the median training
# seconds per epoch of each stage; then mean ± sample standard deviation and the min–max range,
# and per stage the mean and the least of the seeds' seconds per epoch (the least is the one
# other work on a shared machine disturbed least).
#   bash bench/seeds.sh stacked-mnist                 # seeds 0 1 2
#   SEEDS="0 1 2 3 4" bash bench/seeds.sh lenet-mnist -- --epochs 20
#   bash bench/seeds.sh --summarise runs/seeds/lenet-mnist   # only summarise existing runs
# Arguments after `--` go to every `ae train`. Runs go to runs/seeds/<recipe>/ (OUT changes
# `runs/seeds`); the summary is printed and written to <that folder>/summary.md. The binary is
# target/release/ae, built first; AE=PATH uses another one instead (no build).
# Seconds per epoch are wall clock: on a shared machine they are upper bounds.
set -euo pipefail
cd "$(dirname "$0")/.."

summarise_only=0
if [ "${1:-}" = "--summarise" ]; then
  summarise_only=1
  shift
fi
if [ $# -lt 1 ]; then
  echo "usage: bash bench/seeds.sh RECIPE [-- TRAIN_ARGS...] | bash bench/seeds.sh --summarise FOLDER" >&2
  exit 2
fi

if [ $summarise_only -eq 1 ]; then
  dir=$1
else
  recipe=$1
  shift
  [ "${1:-}" = "--" ] && shift
  name=$(basename "$recipe" .toml)
  dir=${OUT:-runs/seeds}/$name
  mkdir -p "$dir"
  ae=${AE:-}
  if [ -z "$ae" ]; then
    cargo build --release -q
    ae=./target/release/ae
  fi
  for seed in ${SEEDS:-0 1 2}; do
    echo "== $name seed $seed" >&2
    "$ae" train "$recipe" --seed "$seed" --out "$dir" --quiet "$@" \
      | tee "$dir/seed$seed.log" >&2
  done
fi

machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores"
python3 - "$dir" "$machine" <<'PY' | tee "$dir/summary.md"
import json, os, statistics, sys
folder, machine = sys.argv[1], sys.argv[2]
runs = []
for entry in sorted(os.listdir(folder)):
    metrics = os.path.join(folder, entry, "metrics.json")
    manifest = os.path.join(folder, entry, "manifest.json")
    if not os.path.isfile(metrics):
        continue
    m = json.load(open(metrics))
    if m.get("status") != "completed":
        print(f"skipping {entry}: status {m.get('status')}", file=sys.stderr)
        continue
    seed = json.load(open(manifest)).get("seed") if os.path.isfile(manifest) else None
    epochs = m["epochs"]
    recon = [e for e in epochs if e["kind"] == "reconstruction"]
    last_recon = [e for e in recon if e["stage"] == recon[-1]["stage"]][-1] if recon else None
    stages = sorted({e["stage"] for e in epochs})
    secs = [statistics.median(e["seconds"] for e in epochs if e["stage"] == s) for s in stages]
    runs.append({
        "run": entry,
        "seed": seed,
        "acc": m.get("test_accuracy"),
        "mse": last_recon["test_loss"] if last_recon else None,
        "code": last_recon.get("mean_abs_code") if last_recon else None,
        "secs": secs,
    })
if not runs:
    sys.exit(f"no completed run with a metrics.json under {folder}")

def fmt(v, pct=False):
    if v is None:
        return "–"
    return f"{100 * v:.2f}%" if pct else f"{v:.4f}"

def spread(values, pct=False):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    scale = 100 if pct else 1
    mean = statistics.mean(values) * scale
    sd = statistics.stdev(values) * scale if len(values) > 1 else 0.0
    lo, hi = min(values) * scale, max(values) * scale
    unit = "%" if pct else ""
    digits = 2 if pct else 4
    return f"{mean:.{digits}f}{unit} ± {sd:.{digits}f} (range {lo:.{digits}f}–{hi:.{digits}f})"

print(f"# {os.path.basename(os.path.normpath(folder))}: {len(runs)} seeds\n")
print(f"machine: {machine}; s/epoch = median training-loop seconds per epoch, per stage\n")
print("| seed | test accuracy | test MSE | mean abs code | s/epoch per stage | run |")
print("| --- | --- | --- | --- | --- | --- |")
for r in runs:
    secs = " · ".join(f"{s:.2f}" for s in r["secs"])
    print(f"| {r['seed']} | {fmt(r['acc'], True)} | {fmt(r['mse'])} | {fmt(r['code'])} | {secs} | {r['run']} |")
stages = range(len(runs[0]["secs"]))
mean_secs = [statistics.mean(r["secs"][i] for r in runs) for i in stages]
least_secs = [min(r["secs"][i] for r in runs) for i in stages]
print(f"| mean ± sd | {spread([r['acc'] for r in runs], True)} | {spread([r['mse'] for r in runs])} "
      f"| {spread([r['code'] for r in runs])} | {' · '.join(f'{s:.2f}' for s in mean_secs)} (mean); "
      f"{' · '.join(f'{s:.2f}' for s in least_secs)} (least) | |")
PY
