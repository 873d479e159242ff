"""Test accuracy (or MSE, or a VAE's test loss) of PyTorch weights on an IDX dataset, the way
`ae eval` measures it: images as floats in [0, 1], resized like the recipe (`keep`, `pad32`, or
`bilinear32` = torchvision's Resize(32) on a PIL image).

    python pytorch/evaluate.py model.safetensors            # a file from `ae export`
    python pytorch/evaluate.py lenet.pth --model lenet --resize bilinear32
    python pytorch/evaluate.py vae.pth --model vae           # pytorch/examples' VAE

A VAE's test loss is pytorch/examples' own: BCE + KLD summed over the test set divided by its
size, z sampled (torch.manual_seed(--seed)), in nats per image, with both parts.

Needs torch, safetensors, numpy (and pillow for bilinear32).
"""
import argparse
import gzip
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import notebook_models as nm  # noqa: E402


def read_idx(path):
    """An IDX file (gzipped or not) as a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(folder, stem):
    for name in (stem + ".gz", stem):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise FileNotFoundError(f"{stem}(.gz) not in {folder}")


def images(folder, split, resize):
    """[n, 1, H, W] float32 in [0, 1] and labels [n] of the `train` or `t10k` split."""
    x = read_idx(find(folder, f"{split}-images-idx3-ubyte"))
    y = read_idx(find(folder, f"{split}-labels-idx1-ubyte")).astype(np.int64)
    if resize == "pad32":
        x = np.pad(x, ((0, 0), (2, 2), (2, 2)))
    elif resize == "bilinear32":
        from PIL import Image
        x = np.stack([np.asarray(Image.fromarray(img).resize((32, 32), Image.BILINEAR)) for img in x])
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(y)


def evaluate_vae(model, x, batch=1000, seed=0):
    """pytorch/examples' test(): the mean over the test images of BCE + KLD (z sampled)."""
    torch.manual_seed(seed)
    model.eval()
    bce_sum, kld_sum = 0.0, 0.0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = x[i:i + batch].reshape(-1, model.input_size)
            recon, mu, logvar = model(xb)
            bce, kld = nm.vae_loss(recon, xb, mu, logvar)
            bce_sum, kld_sum = bce_sum + bce.item(), kld_sum + kld.item()
    n = len(x)
    return {"test_loss": (bce_sum + kld_sum) / n, "test_recon": bce_sum / n, "test_kl": kld_sum / n,
            "samples": n}


def evaluate(model, x, y, batch=1000):
    """Accuracy for a classifier (log-probability output), else MSE of the reconstruction."""
    model.eval()
    correct, squared, classifier = 0, 0.0, None
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = x[i:i + batch]
            flat = not isinstance(model, (nm.LeNet, nm.ConvAutoencoder, nm.ConvClassifier))
            out = model(xb.reshape(len(xb), -1) if flat else xb)
            classifier = out.shape[1] != xb[0].numel()
            if classifier:
                correct += (out.argmax(1) == y[i:i + batch]).sum().item()
            else:
                squared += ((out.reshape(xb.shape) - xb) ** 2).sum().item()
    if classifier:
        return {"test_accuracy": correct / len(x), "correct": correct, "samples": len(x)}
    return {"test_mse": squared / x.numel(), "samples": len(x)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("weights")
    parser.add_argument("--model", choices=["lenet", "vae"], help="the class for a file without ae's metadata")
    parser.add_argument("--seed", type=int, default=0, help="the seed of a VAE's sampled z")
    parser.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "assets", "mnist-mini"))
    parser.add_argument("--resize", choices=["keep", "pad32", "bilinear32"])
    args = parser.parse_args()
    if args.model:
        model, meta = (nm.LeNet() if args.model == "lenet" else nm.VAE()), {}
        state = torch.load(args.weights) if not args.weights.endswith(".safetensors") else None
        if state is None:
            from safetensors.torch import load_file
            state = load_file(args.weights)
        model.load_state_dict(state, strict=True)
    else:
        model, meta = nm.from_export(args.weights), nm.metadata(args.weights)
    resize = args.resize or json.loads(meta.get("resize", '"keep"'))
    x, y = images(args.data, "t10k", resize)
    vae = isinstance(model, (nm.VAE, nm.ConvVAE))
    result = evaluate_vae(model, x, seed=args.seed) if vae else evaluate(model, x, y)
    print(json.dumps({"weights": args.weights, "resize": resize, **result}))


if __name__ == "__main__":
    main()
