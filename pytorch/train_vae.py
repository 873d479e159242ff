"""pytorch/examples' vae/main.py re-created on the bundled mnist-mini (8,000 / 2,000 digits, the
IDX files `ae` reads), so that `vae-mnist` can be compared with PyTorch on the same data and
epochs: the same model (notebook_models.VAE), loss (BCE + KLD summed, reported per image),
optimiser (Adam, lr 1e-3), batch 128, 10 epochs, shuffled training batches, z sampled in the
test pass. Prints one JSON line per epoch (train and test loss in nats per image, seconds) and
saves the state_dict with torch.save, as the example's model is saved:

    python pytorch/train_vae.py vae.pth --seed 0
    ae eval --weights vae.pth --recipe vae-mnist      # the same test loss, measured by ae

Needs torch and numpy.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import notebook_models as nm  # noqa: E402
from evaluate import evaluate_vae, images  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    parser.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "assets", "mnist-mini"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x, _ = images(args.data, "train", "keep")
    x_test, _ = images(args.data, "t10k", "keep")
    x, x_test = x.reshape(len(x), -1), x_test.reshape(len(x_test), -1)
    model = nm.VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    for epoch in range(1, args.epochs + 1):
        model.train()
        started = time.perf_counter()
        train_loss = 0.0
        order = torch.randperm(len(x))
        for i in range(0, len(x), args.batch_size):
            data = x[order[i:i + args.batch_size]]
            optimizer.zero_grad()
            recon, mu, logvar = model(data)
            bce, kld = nm.vae_loss(recon, data, mu, logvar)
            loss = bce + kld
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        seconds = time.perf_counter() - started
        test = evaluate_vae(model, x_test, seed=args.seed * 1000 + epoch)
        print(json.dumps({"epoch": epoch, "train_loss": train_loss / len(x), **test,
                          "train_seconds": seconds}), flush=True)
    torch.save(model.state_dict(), args.out)


if __name__ == "__main__":
    main()
