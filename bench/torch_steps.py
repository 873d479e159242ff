"""PyTorch's training step for every ae recipe stage, timed the way the notebooks train.

    python bench/torch_steps.py [--recipes lenet-mnist,stacked-mnist] [--steps 30]
        [--conv-steps 3] [--threads 2]  > torch.json

For each stage: the notebook's model, loss and optimiser at its batch size, on a fixed random
batch; one step = zero_grad, forward, loss, backward, optimiser step. After warm-up, the median
(and min, max) wall time of `--steps` steps is printed as a JSON array of
{recipe, stage_index, stage, batch, step_median_s, step_min_s, step_max_s}, the same fields as
`ae bench --json`, so `bench/compare.sh` can put the two side by side. Needs torch (CPU build is
enough): python3 -m venv ~/.cache/torch-venv && ~/.cache/torch-venv/bin/pip install torch numpy
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

RECIPES = ["stacked-mnist", "stacked-fashion-mnist", "denoising-sparse-mnist", "lenet-mnist",
           "vae-mnist",
           "conv-ae-fashion-mnist", "conv-ae-cifar10"]


class SparseL1(torch.autograd.Function):
    """The denoising notebook's L1 penalty: identity forward, gradient + rho * sign(h)."""

    @staticmethod
    def forward(ctx, h, rho):
        ctx.save_for_backward(h)
        ctx.rho = rho
        return h

    @staticmethod
    def backward(ctx, grad):
        (h,) = ctx.saved_tensors
        return grad + ctx.rho * h.sign(), None


def mlp(sizes, hidden, last):
    """Linear layers of the given widths, `hidden` after each but the last, `last` after it."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        layers.append(last() if i == len(sizes) - 2 else hidden())
    return nn.Sequential(*layers)


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        x = F.relu(self.fc2(x))
        return F.log_softmax(self.fc3(x), dim=1)


class ConvAutoencoder(nn.Module):
    def __init__(self, channels):
        super().__init__()
        act = lambda: nn.LeakyReLU(0.1)  # noqa: E731
        up = lambda: nn.Upsample(scale_factor=2, mode="bilinear")  # noqa: E731
        self.conv_encoder = nn.Sequential(
            nn.Conv2d(channels, 64, 3, 2, 1), act(), nn.Conv2d(64, 128, 3, 2, 1), act(),
            nn.Conv2d(128, 128, 3, 2, 1), act())
        self.fc_encoder = nn.Sequential(nn.Linear(2048, 1024), act())
        self.fc_decoder = nn.Sequential(nn.Linear(1024, 2048), act())
        self.conv_decoder = nn.Sequential(
            nn.Conv2d(128, 128, 3, 1, 1), act(), up(), nn.Conv2d(128, 64, 3, 1, 1), act(), up(),
            nn.Conv2d(64, 64, 3, 1, 1), act(), up(), nn.Conv2d(64, channels, 3, 1, 1), nn.ReLU())

    def encode(self, x):
        return self.fc_encoder(self.conv_encoder(x).flatten(1))

    def forward(self, x):
        return self.conv_decoder(self.fc_decoder(self.encode(x)).view(-1, 128, 4, 4))


class ConvClassifier(nn.Module):
    def __init__(self, autoencoder):
        super().__init__()
        self.autoencoder = autoencoder
        self.head = nn.Linear(1024, 10)

    def forward(self, x):
        return self.head(self.autoencoder.encode(x))


def stages(recipe):
    """(stage name, batch, model, loss(model), optimiser) for each stage of a recipe."""
    torch.manual_seed(0)
    if recipe in ("stacked-mnist", "stacked-fashion-mnist", "denoising-sparse-mnist", "lenet-mnist"):
        b = 100
        x, y = torch.rand(b, 784), torch.randint(0, 10, (b,))
    if recipe in ("stacked-mnist", "stacked-fashion-mnist"):
        ae1 = mlp([784, 400, 784], nn.Tanh, nn.Sigmoid)
        ae2 = mlp([784, 400, 256, 400, 784], nn.Tanh, nn.Sigmoid)
        clf = mlp([784, 400, 256, 10], nn.Tanh, lambda: nn.LogSoftmax(dim=1))
        return [
            ("autoencoder-784-400-784", b, ae1, lambda m: F.mse_loss(m(x), x),
             torch.optim.SGD(ae1.parameters(), 0.98)),
            ("autoencoder-784-400-256-400-784", b, ae2, lambda m: F.mse_loss(m(x), x),
             torch.optim.SGD(ae2.parameters(), 0.98)),
            ("classifier-256-10", b, clf, lambda m: F.nll_loss(m(x), y),
             torch.optim.SGD(clf.parameters(), 0.1)),
        ]
    if recipe == "denoising-sparse-mnist":
        encoder = nn.Sequential(nn.Linear(784, 400), nn.Tanh())
        decoder = nn.Sequential(nn.Linear(400, 784), nn.Sigmoid())
        ae = nn.Sequential(encoder, decoder)

        def dsae_loss(_):
            noisy = x + 0.1 + 0.2 * torch.randn_like(x)
            return F.mse_loss(decoder(SparseL1.apply(encoder(noisy), 0.1)), x)

        clf = mlp([784, 400, 10], nn.Tanh, lambda: nn.LogSoftmax(dim=1))
        return [
            ("denoising-sparse-autoencoder", b, ae, dsae_loss, torch.optim.Adam(ae.parameters(), 1e-3)),
            ("classifier-400-10", b, clf, lambda m: F.nll_loss(m(x), y),
             torch.optim.SGD(clf.parameters(), 0.1)),
        ]
    if recipe == "lenet-mnist":
        x32 = torch.rand(b, 1, 32, 32)
        net = LeNet5()
        return [("lenet5", b, net, lambda m: F.nll_loss(m(x32), y), torch.optim.Adam(net.parameters(), 1e-4))]
    if recipe in ("conv-ae-fashion-mnist", "conv-ae-cifar10"):
        b, ch = 2000, (1 if recipe == "conv-ae-fashion-mnist" else 3)
        x, y = torch.rand(b, ch, 32, 32), torch.randint(0, 10, (b,))
        ae = ConvAutoencoder(ch)
        clf = ConvClassifier(ae)
        return [
            ("conv-autoencoder", b, ae, lambda m: F.mse_loss(m(x), x), torch.optim.Adam(ae.parameters(), 1e-3)),
            ("classifier-1024-10", b, clf, lambda m: F.cross_entropy(m(x), y),
             torch.optim.Adam(clf.parameters(), 1e-3)),
        ]
    if recipe in ("vae-mnist", "vae-fashion-mnist", "beta-vae-mnist"):
        # pytorch/examples' vae/main.py: its VAE, its loss (BCE + KLD summed over the batch).
        import importlib.util
        import os
        spec = importlib.util.spec_from_file_location(
            "notebook_models", os.path.join(os.path.dirname(__file__), "..", "pytorch", "notebook_models.py"))
        nm = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(nm)
        b = 128
        x = (torch.rand(b, 784) > 0.5).float()
        latent, beta = (10, 4.0) if recipe == "beta-vae-mnist" else (20, 1.0)
        vae = nm.VAE(784, 400, latent)

        def vae_loss(m):
            recon, mu, logvar = m(x)
            bce, kld = nm.vae_loss(recon, x, mu, logvar)
            return bce + beta * kld

        return [("vae" if recipe != "beta-vae-mnist" else "beta-vae", b, vae, vae_loss,
                 torch.optim.Adam(vae.parameters(), 1e-3))]
    raise SystemExit(f"torch_steps.py: unknown recipe {recipe!r} (known: {', '.join(RECIPES)})")


def time_steps(model, loss_of, optimiser, steps, warmup):
    def step():
        optimiser.zero_grad(set_to_none=False)
        loss_of(model).backward()
        optimiser.step()

    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipes", default=",".join(RECIPES))
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--conv-steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for recipe in filter(None, args.recipes.split(",")):
        conv = recipe.startswith("conv-ae")
        for index, (stage, batch, model, loss_of, optimiser) in enumerate(stages(recipe)):
            times = time_steps(model, loss_of, optimiser,
                               args.conv_steps if conv else args.steps, 1 if conv else 3)
            rows.append(dict(recipe=recipe, stage_index=index, stage=stage, batch=batch,
                             step_median_s=statistics.median(times), step_min_s=min(times),
                             step_max_s=max(times)))
            print(f"torch {recipe} {index} {stage}: {rows[-1]['step_median_s'] * 1e3:.2f} ms",
                  file=sys.stderr)
    json.dump(rows, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
