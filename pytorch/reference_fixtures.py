"""Writes the training-step fixtures of crates/ae-train/tests/pytorch_steps.rs: PyTorch's own
losses over a few optimiser steps, from the weights and input of two model fixtures in
crates/ae-models/tests/fixtures/pytorch, so that the test can check that ae trains step for
step as PyTorch does (forward, backward and optimiser together).

    python pytorch/training_steps_fixture.py   # needs torch and safetensors

- the dense 784-400-784 autoencoder (tanh code, sigmoid output), MSE, SGD lr 0.98 (the
  stacked-autoencoder notebook), 5 steps on the fixture's 4 inputs;
- the conv autoencoder (1 channel, 16-wide code), MSE, Adam lr 1e-3 (the conv-autoencoder
  notebook), 5 steps on the fixture's 2 inputs.

Each `<model>.steps.safetensors` holds `losses` [5] (the loss before each step) and `output`
(the model's output for the input after the 5 steps).
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


torch.set_num_threads(1)
run("autoencoder-784-400-784", nm.Autoencoder(784, 400),
    lambda p: torch.optim.SGD(p, lr=0.98))
run("conv-autoencoder-1ch-code16", nm.ConvAutoencoder(1, 16, 0.1),
    lambda p: torch.optim.Adam(p, lr=1e-3))
