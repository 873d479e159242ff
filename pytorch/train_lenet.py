"""Trains the notebook's LeNet-5 in PyTorch on the bundled mnist-mini (resized to 32x32 as the
`lenet-mnist` recipe does), prints its own test accuracy, and saves the state_dict with
torch.save, the way the notebook does. For checking `ae eval --weights` against PyTorch:

    python pytorch/train_lenet.py lenet.pth --epochs 2
    ae eval --weights lenet.pth --recipe lenet-mnist
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import notebook_models as nm  # noqa: E402
from evaluate import evaluate, images  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "assets", "mnist-mini"))
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    x, y = images(args.data, "train", "bilinear32")
    model = nm.LeNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x), 100):
            idx = order[i:i + 100]
            optimizer.zero_grad()
            loss = F.nll_loss(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch + 1}: last batch loss {loss.item():.4f}", file=sys.stderr)
    torch.save(model.state_dict(), args.out)
    tx, ty = images(args.data, "t10k", "bilinear32")
    print(json.dumps({"weights": args.out, **evaluate(model, tx, ty)}))


if __name__ == "__main__":
    main()
