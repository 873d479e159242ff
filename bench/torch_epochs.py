"""PyTorch's whole training epochs for the default job (`stacked-mnist`), timed epoch by epoch.

    python bench/torch_epochs.py [--epochs 10] [--loader dataloader|index] [--threads 2]
        [--eval-batch 1000] [--steps 30] [--data assets/mnist-mini]  > torch_epochs.json

The stacked-autoencoder notebook's three stages on the same data as `ae train stacked-mnist`
(the bundled mnist-mini IDX files, bytes / 255, flattened to 784), the same batch size (100,
last partial batch kept) and optimisers, greedy growth and the classifier from
`pytorch/notebook_models.py`. Each epoch is the notebook's loop:

    for x, y in train_loader:              # shuffled afresh each epoch
        optimiser.zero_grad(); loss = ...; loss.backward(); optimiser.step()
        running += loss.item() * len(x)    # the loss read back every step, as the notebook prints it
    with torch.no_grad():                  # the test pass, every epoch
        for x, y in test_loader: ...       # MSE, or NLL and accuracy

`--loader dataloader` (the default) is the notebook's `DataLoader(TensorDataset(...),
batch_size=100, shuffle=True)`; `--loader index` draws a permutation and slices the tensors
(the fastest a Python loop gets, what bench/PYTORCH-REFERENCE.md's runs did). The training
loop (first `for` above) and the test pass are timed separately with `time.perf_counter`, as
bench/torch_steps.py times a step; before the epochs, the median of `--steps` steps on a
fixed batch after 3 warm-up steps is timed on a copy of the model (so the loop can be set
against its steps' sum); within the loop, the time from `zero_grad` to `step` of every step is
summed too (`in_loop_step_s`), so the loop's own cost (loader, `loss.item()`) is measured in the
same process, as `ae`'s metrics.json `step_seconds` measures it. Output: a JSON array, one row per stage:
{recipe, stage_index, stage, batch, steps_per_epoch, step_median_s, train_loop_s: [per epoch],
in_loop_step_s: [per epoch], eval_s: [per epoch], train_loss: [...], test_loss: [...], test_accuracy: [...] | null, loader}.
"""
import argparse
import copy
import gzip
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pytorch"))
import notebook_models as nm  # noqa: E402


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / 255.0)
    return x, torch.from_numpy(y.astype(np.int64))


class IndexLoader:
    """A shuffled pass over in-memory tensors by slicing a permutation (no per-item collate)."""

    def __init__(self, x, y, batch, shuffle, generator=None):
        self.x, self.y, self.batch, self.shuffle, self.generator = x, y, batch, shuffle, generator

    def __iter__(self):
        n = len(self.x)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else None
        for i in range(0, n, self.batch):
            if order is None:
                yield self.x[i:i + self.batch], self.y[i:i + self.batch]
            else:
                idx = order[i:i + self.batch]
                yield self.x[idx], self.y[idx]

    def __len__(self):
        return (len(self.x) + self.batch - 1) // self.batch


def loaders(kind, train, test, batch, eval_batch, seed):
    g = torch.Generator().manual_seed(seed)
    if kind == "dataloader":
        return (DataLoader(TensorDataset(*train), batch_size=batch, shuffle=True, generator=g),
                DataLoader(TensorDataset(*test), batch_size=eval_batch, shuffle=False))
    return IndexLoader(*train, batch, True, g), IndexLoader(*test, eval_batch, False)


def time_steps(model, loss_of, optimiser, x, y, steps, warmup=3):
    """Median step (zero_grad, forward, loss, backward, step) on a fixed batch, on copies."""
    model = copy.deepcopy(model)
    optimiser = type(optimiser)(model.parameters(), **optimiser.defaults)
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        optimiser.zero_grad(set_to_none=False)
        loss_of(model, x, y).backward()
        optimiser.step()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def reconstruction_loss(model, x, _y):
    return F.mse_loss(model(x), x)


def classification_loss(model, x, y):
    return F.nll_loss(model(x), y)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10, help="epochs of each stage (recipe: 10)")
    p.add_argument("--loader", choices=["dataloader", "index"], default="dataloader")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--eval-batch", type=int, default=1000, help="test batch (ae's eval_batch_size)")
    p.add_argument("--steps", type=int, default=30, help="timed steps of the step median")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", default=os.path.join(HERE, "..", "assets", "mnist-mini"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train, test = load(args.data, "train"), load(args.data, "test")
    train_loader, test_loader = loaders(args.loader, train, test, args.batch, args.eval_batch,
                                        args.seed)
    fixed = (train[0][:args.batch], train[1][:args.batch])

    net = nm.Autoencoder(784, 400, "tanh", "sigmoid")
    plan = [
        ("autoencoder-784-400-784", lambda n: n, 0.98, reconstruction_loss),
        ("autoencoder-784-400-256-400-784", lambda n: nm.grow(n, 256, "tanh"), 0.98,
         reconstruction_loss),
        ("classifier-256-10", lambda n: nm.classifier(n, 10), 0.1, classification_loss),
    ]
    rows = []
    for index, (stage, transition, lr, loss_of) in enumerate(plan):
        net = transition(net)
        optimiser = torch.optim.SGD(net.parameters(), lr)
        classify = loss_of is classification_loss
        step_s = time_steps(net, loss_of, optimiser, *fixed, args.steps)
        row = dict(recipe="stacked-mnist", stage_index=index, stage=stage, batch=args.batch,
                   steps_per_epoch=len(train_loader), step_median_s=step_s, loader=args.loader,
                   train_loop_s=[], in_loop_step_s=[], eval_s=[], train_loss=[], test_loss=[],
                   test_accuracy=[] if classify else None)
        for _epoch in range(args.epochs):
            net.train()
            running, seen, in_steps = 0.0, 0, 0.0
            start = time.perf_counter()
            for x, y in train_loader:
                step_start = time.perf_counter()
                optimiser.zero_grad()
                loss = loss_of(net, x, y)
                loss.backward()
                optimiser.step()
                in_steps += time.perf_counter() - step_start
                running += loss.item() * len(x)
                seen += len(x)
            row["train_loop_s"].append(time.perf_counter() - start)
            row["in_loop_step_s"].append(in_steps)
            row["train_loss"].append(running / seen)
            net.eval()
            start = time.perf_counter()
            total, correct = 0.0, 0
            with torch.no_grad():
                for x, y in test_loader:
                    out = net(x)
                    if classify:
                        total += F.nll_loss(out, y, reduction="sum").item()
                        correct += (out.argmax(1) == y).sum().item()
                    else:
                        total += F.mse_loss(out, x, reduction="sum").item()
            row["eval_s"].append(time.perf_counter() - start)
            n = len(test[0])
            row["test_loss"].append(total / n if classify else total / (n * 784))
            if classify:
                row["test_accuracy"].append(correct / n)
        rows.append(row)
        print(f"torch {stage}: step {step_s * 1e3:.2f} ms, loop "
              f"{statistics.median(row['train_loop_s']):.3f} s/epoch "
              f"({statistics.median(row['train_loop_s']) / (step_s * row['steps_per_epoch']):.2f}"
              f" of the steps' sum), eval {statistics.median(row['eval_s']) * 1e3:.1f} ms",
              file=sys.stderr)
    json.dump(rows, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
