#!/usr/bin/env bash
# Times every recipe's training step with `ae bench --json` and, in the same run, the original
# PyTorch code's (bench/torch_steps.py), recipe by recipe, and prints them side by side.
#   bash bench/compare.sh                        # the five main recipes, default backend
#   TORCH_PYTHON=~/.cache/torch-venv/bin/python bash bench/compare.sh   # which Python has torch
#   STEPS=50 bash bench/compare.sh models/lenet-mnist.toml
#   FEATURES=ndarray bash bench/compare.sh       # another backend (rebuilds the binary with it)
#   CONV_LIMIT=60000 bash bench/compare.sh       # time the conv AE's epoch on all 60,000 images
#   AE=/path/to/ae bash bench/compare.sh         # time that binary (no build)
# PyTorch is timed live when TORCH_PYTHON (default: ~/.cache/torch-venv/bin/python) imports
# torch; otherwise the stored figures of bench/pytorch-reference.tsv are used, and the output
# says so: those come from another day, so only the live ratios are measurements.
# Columns: median training step (fixed batch, after warm-up), its GFLOP/s and share of the
# best matrix product in the process (the roof), PyTorch's median step, their ratio (below 1:
# faster than PyTorch), then one epoch per 100 training images. Then the user and system CPU
# time of the `ae` runs: system time is page faults and thread switches.
# Last, whole epochs of the default job (stacked-mnist, 3 stages × 10 epochs), REPEATS times
# (default 2), each repeat `ae bench` + `ae train` + bench/torch_epochs.py one after another:
# per stage the median training-loop time per epoch (ae: the run's metrics.json `seconds`,
# batching, shuffling, loss read-back and progress included, evaluation excluded; PyTorch: the
# notebook's DataLoader loop with `loss.item()` every step, EPOCH_LOADER=index for slicing a
# permutation instead), each against its steps' sum (steps per epoch × median step, from another
# process, so the ratio carries both processes' noise) and against the time inside its own steps
# (`in-loop`: ae's metrics.json `step_seconds`, torch_epochs.py's `in_loop_step_s`; measured in the
# loop itself, so it is what the loop adds and nothing else), and the test pass of each epoch (ae: `ae bench`'s eval_s; PyTorch: its `no_grad` pass); then the
# whole training loop (all 30 epochs) of each repeat and their ratio. EPOCHS=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${STEPS:-30}
conv_steps=${CONV_STEPS:-3}
conv_limit=${CONV_LIMIT:-10000}
torch_python=${TORCH_PYTHON:-$HOME/.cache/torch-venv/bin/python}
if [ $# -eq 0 ]; then
  set -- models/stacked-mnist.toml models/denoising-sparse-mnist.toml models/lenet-mnist.toml \
    models/stacked-fashion-mnist.toml models/conv-ae-fashion-mnist.toml
fi
live=0
if [ -x "$torch_python" ] && "$torch_python" -c "import torch" 2>/dev/null; then
  live=1
fi
ae=${AE:-./target/release/ae}
if [ -z "${AE:-}" ]; then
  cargo build --release -q ${FEATURES:+--features "$FEATURES"}
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
TIMEFORMAT="%U %S"
echo "[" > "$work/ae.json"
echo "[" > "$work/torch.json"
first=1
for recipe in "$@"; do
  name=$(basename "$recipe" .toml)
  args=(--steps "$steps")
  case "$name" in
    conv-ae*) args=(--steps "$conv_steps" --warmup 1 --limit "$conv_limit") ;;
  esac
  if [ $first -eq 0 ]; then echo "," >> "$work/ae.json"; echo "," >> "$work/torch.json"; fi
  first=0
  echo "ae    $name (${args[*]})" >&2
  { time "$ae" bench "$recipe" "${args[@]}" --json 2>/dev/null \
      | sed '1d;$d' >> "$work/ae.json"; } 2>> "$work/cpu"
  if [ $live -eq 1 ]; then
    echo "torch $name" >&2
    "$torch_python" bench/torch_steps.py --recipes "$name" --steps "$steps" \
      --conv-steps "$conv_steps" 2>/dev/null | sed '1d;$d' >> "$work/torch.json"
  fi
done
echo "]" >> "$work/ae.json"
echo "]" >> "$work/torch.json"
python3 - "$work" bench/pytorch-reference.tsv "$live" "$torch_python" <<'PY'
import json, sys
work, tsv, live, torch_python = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
rows = json.load(open(f"{work}/ae.json"))
ref = {}
if live:
    for t in json.load(open(f"{work}/torch.json")):
        ref[(t["recipe"], t["stage_index"])] = (t["batch"], t["step_median_s"] * 1e3)
    print(f"PyTorch: timed live in this run ({torch_python}), recipe by recipe after ae")
else:
    for line in open(tsv):
        if line.startswith("#") or not line.strip():
            continue
        recipe, idx, what, batch, step_ms, epoch_s, images = line.rstrip("\n").split("\t")
        ref[(recipe, int(idx))] = (int(batch), float(step_ms))
    print(f"PyTorch: NOT timed live (no torch in {torch_python}); stored figures from {tsv},")
    print("measured on another day: the ratios below are indicative only")
if rows:
    print(f"roof: a 1024^3 f32 matmul reaches {rows[0]['matmul_gflops']:.0f} GFLOP/s "
          f"({rows[0].get('matmul_library', rows[0]['backend'])})")
hdr = (f"{'recipe':24} {'stage':34} {'batch':>5} {'step ms':>9} {'GFLOP/s':>8} {'roof':>5} "
       f"{'torch ms':>9} {'ratio':>6} {'ms/100 img':>10}")
print(hdr)
print("-" * len(hdr))
seen = {}
for r in rows:
    i = seen.get(r["recipe"], 0)
    seen[r["recipe"]] = i + 1
    step_ms = r["step_median_s"] * 1e3
    share = 100 * r["step_gflops"] / r["matmul_gflops"]
    line = (f"{r['recipe']:24} {r['stage'][:34]:34} {r['batch']:>5} {step_ms:>9.2f} "
            f"{r['step_gflops']:>8.1f} {share:>4.0f}%")
    t = ref.get((r["recipe"], i))
    if t and t[0] == r["batch"]:
        line += f" {t[1]:>9.2f} {step_ms / t[1]:>6.2f}"
    else:
        line += f" {'-':>9} {'-':>6}"
    line += f" {100 * 1e3 / r['samples_per_s']:>10.2f}"
    print(line)
user = system = 0.0
for line in open(f"{work}/cpu"):
    u, s = line.split()
    user, system = user + float(u), system + float(s)
if user > 0:
    print(f"ae CPU time: user {user:.1f} s, system {system:.1f} s ({100 * system / user:.1f}% of user)")
PY
[ "${EPOCHS:-1}" = "0" ] && exit 0
repeats=${REPEATS:-2}
loader=${EPOCH_LOADER:-dataloader}
for r in $(seq 1 "$repeats"); do
  echo "epochs, repeat $r/$repeats: ae bench, ae train, torch epochs (stacked-mnist)" >&2
  "$ae" bench models/stacked-mnist.toml --steps "$steps" --json 2>/dev/null \
    > "$work/ae-bench-$r.json"
  "$ae" train models/stacked-mnist.toml --quiet --out "$work/runs-$r" \
    > "$work/ae-train-$r.log" 2>&1
  cp "$work"/runs-"$r"/stacked-mnist-*/metrics.json "$work/ae-epochs-$r.json"
  if [ $live -eq 1 ]; then
    "$torch_python" bench/torch_epochs.py --loader "$loader" --steps "$steps" \
      > "$work/torch-epochs-$r.json" 2>/dev/null
  fi
done
python3 - "$work" "$repeats" "$live" "$loader" <<'PY'
import json, os, statistics, sys
work, repeats, live, loader = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
med = statistics.median
runs = []
for r in range(1, repeats + 1):
    bench = json.load(open(f"{work}/ae-bench-{r}.json"))
    epochs = json.load(open(f"{work}/ae-epochs-{r}.json"))["epochs"]
    torch = json.load(open(f"{work}/torch-epochs-{r}.json")) if live else None
    stages = []
    for i, b in enumerate(bench):
        secs = [e["seconds"] for e in epochs if e["stage"] == i + 1]
        steps = max(e["steps"] for e in epochs if e["stage"] == i + 1)
        in_steps = [e.get("step_seconds", 0.0) for e in epochs if e["stage"] == i + 1]
        st = dict(name=b["stage"], loop=med(secs), total=sum(secs), sum=steps * b["step_median_s"],
                  in_loop=sum(secs) / max(sum(in_steps), 1e-12), eval=b["eval_s"])
        if torch:
            t = torch[i]
            st.update(t_loop=med(t["train_loop_s"]), t_total=sum(t["train_loop_s"]),
                      t_sum=t["steps_per_epoch"] * t["step_median_s"], t_eval=med(t["eval_s"]),
                      t_in_loop=sum(t["train_loop_s"]) / max(sum(t["in_loop_step_s"]), 1e-12))
        stages.append(st)
    runs.append(stages)
print()
print(f"stacked-mnist, whole epochs: median over {repeats} repeat(s) of each stage's median epoch"
      + (f"; PyTorch loader: {loader}" if live else "; PyTorch not timed live"))
hdr = (f"{'stage':34} {'ae loop s':>9} {'ae steps':>8} {'ae/steps':>8} {'ae/in-loop':>10} "
       f"{'torch loop':>10} {'torch steps':>11} {'t/steps':>7} {'t/in-loop':>9} {'loop ratio':>10} "
       f"{'ae eval ms':>10} {'torch eval':>10} {'eval ratio':>10}")
print(hdr)
print("-" * len(hdr))
for i, st in enumerate(runs[0]):
    v = lambda k: med([run[i][k] for run in runs])  # noqa: E731
    line = (f"{st['name'][:34]:34} {v('loop'):>9.3f} {v('sum'):>8.3f} {v('loop') / v('sum'):>8.2f}"
            f" {v('in_loop'):>10.3f}")
    if live:
        line += (f" {v('t_loop'):>10.3f} {v('t_sum'):>11.3f} {v('t_loop') / v('t_sum'):>7.2f}"
                 f" {v('t_in_loop'):>9.3f} {v('loop') / v('t_loop'):>10.2f} {v('eval') * 1e3:>10.1f}"
                 f" {v('t_eval') * 1e3:>10.1f} {v('eval') / v('t_eval'):>10.2f}")
    else:
        line += (f" {'-':>10} {'-':>11} {'-':>7} {'-':>9} {'-':>10} {v('eval') * 1e3:>10.1f}"
                 f" {'-':>10} {'-':>10}")
    print(line)
for r, stages in enumerate(runs, 1):
    ae_total = sum(s["total"] for s in stages)
    line = f"whole training loop, repeat {r}: ae {ae_total:.2f} s"
    if live:
        t_total = sum(s["t_total"] for s in stages)
        line += f", PyTorch {t_total:.2f} s, ratio {ae_total / t_total:.2f}"
    print(line)
PY
