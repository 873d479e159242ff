"""Writes the fixtures with which ae's tests check that it computes as PyTorch does:

    python pytorch/reference_fixtures.py [steps] [upsampling]   # needs torch and safetensors

With no argument it writes both groups below; name one to rewrite only its files (the step
losses differ in the last bits from one CPU to another).

1. The training-step fixtures of crates/ae-train/tests/pytorch_steps.rs: PyTorch's own losses
   over a few optimiser steps, from the weights and input of two model fixtures in
   crates/ae-models/tests/fixtures/pytorch, so that the test can check that ae trains step for
   step as PyTorch does (forward, backward and optimiser together).

   - the dense 784-400-784 autoencoder (tanh code, sigmoid output), MSE, SGD lr 0.98 (the
     stacked-autoencoder notebook), 5 steps on the fixture's 4 inputs;
   - the conv autoencoder (1 channel, 16-wide code), MSE, Adam lr 1e-3 (the conv-autoencoder
     notebook), 5 steps on the fixture's 2 inputs.

   Each `crates/ae-train/tests/fixtures/<model>.steps.safetensors` holds `losses` [5] (the loss
   before each step) and `output` (the model's output for the input after the 5 steps).

2. The upsampling fixture of crates/ae-models/tests/models/upsample.rs,
   `crates/ae-models/tests/fixtures/pytorch/upsample-2x.safetensors`: for three seeded inputs
   (`small` [2, 3, 5, 7], odd sides for the edge rules; `wide` [2, 64, 4, 4], the decoder's
   first upsampling; `tiny` [1, 2, 1, 2], a side of one), `<case>.input`, `<case>.weight`
   (output-shaped) and, for each mode of `F.interpolate(x, scale_factor=2, mode=...)`
   (`bilinear`, `bilinear-align-corners`, `nearest`), `<case>.<mode>.output` and
   `<case>.<mode>.input_grad`, the gradient of `sum(output * weight)` with respect to the input.
"""
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import notebook_models as nm  # noqa: E402

fixtures = os.path.join(here, "..", "crates", "ae-models", "tests", "fixtures", "pytorch")
out_dir = os.path.join(here, "..", "crates", "ae-train", "tests", "fixtures")

UPSAMPLING = {
    "bilinear": dict(mode="bilinear", align_corners=False),
    "bilinear-align-corners": dict(mode="bilinear", align_corners=True),
    "nearest": dict(mode="nearest"),
}


def run(name, model, make_optimizer, steps=5):
    model.load_state_dict(load_file(os.path.join(fixtures, f"{name}.safetensors")), strict=True)
    x = load_file(os.path.join(fixtures, f"{name}.io.safetensors"))["input"]
    optimizer = make_optimizer(model.parameters())
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), x)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        output = model(x)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{name}.steps.safetensors")
    save_file({"losses": torch.tensor(losses), "output": output.contiguous()}, path)
    print(name, " ".join(f"{v:.6f}" for v in losses))




def upsampling(seed=20):
    generator = torch.Generator().manual_seed(seed)
    tensors = {}
    for case, shape in [("small", [2, 3, 5, 7]), ("wide", [2, 64, 4, 4]), ("tiny", [1, 2, 1, 2])]:
        x = torch.randn(shape, generator=generator)
        weight = torch.randn(shape[:2] + [2 * shape[2], 2 * shape[3]], generator=generator)
        tensors[f"{case}.input"] = x
        tensors[f"{case}.weight"] = weight
        for name, options in UPSAMPLING.items():
            leaf = x.clone().requires_grad_(True)
            output = F.interpolate(leaf, scale_factor=2, **options)
            (output * weight).sum().backward()
            tensors[f"{case}.{name}.output"] = output.detach().contiguous()
            tensors[f"{case}.{name}.input_grad"] = leaf.grad.contiguous()
    path = os.path.join(fixtures, "upsample-2x.safetensors")
    save_file(tensors, path)
    print("upsample-2x", len(tensors), "tensors")


def steps():
    run("autoencoder-784-400-784", nm.Autoencoder(784, 400),
        lambda p: torch.optim.SGD(p, lr=0.98))
    run("conv-autoencoder-1ch-code16", nm.ConvAutoencoder(1, 16, 0.1),
        lambda p: torch.optim.Adam(p, lr=1e-3))


torch.set_num_threads(1)
groups = {"steps": steps, "upsampling": upsampling}
for group in sys.argv[1:] or list(groups):
    if group not in groups:
        sys.exit(f"unknown fixture group {group!r}, expected one of {', '.join(groups)}")
    groups[group]()
