"""The notebooks' models in PyTorch, with the notebooks' module names, so that weights move
between `ae` and PyTorch (`ae export` writes them; `ae eval --weights` / `ae train --init` read
them). Needs torch and safetensors.

    import notebook_models as nm
    model = nm.from_export("lenet.safetensors")   # class and sizes from the file's metadata

or by hand, with the class the notebook defines:

    from safetensors.torch import load_file
    model = nm.LeNet()
    model.load_state_dict(load_file("lenet.safetensors"), strict=True)

State-dict keys (each with .weight and .bias):
  LeNet                 conv1, conv2, fc1, fc2, fc3
  Autoencoder           encoder.0, decoder.0; after grow(): encoder.0, encoder.2, decoder.0, decoder.2
  classifier(ae)        0.0, 0.2, ... (the encoder), classifier.0 (the head)
  ConvAutoencoder       conv_encoder.{0,2,4}, fc_encoder.0, fc_decoder.0, conv_decoder.{0,3,6,9}
  ConvClassifier        conv_encoder.{0,2,4}, fc_encoder.0, classifier.0
  VAE                   fc1, fc21, fc22, fc3, fc4 (pytorch/examples' vae/main.py)
  ConvVAE               conv_encoder.{0,2,4}, fc_encoder.0, fc_mu, fc_log_var, fc_decoder.0,
                        conv_decoder.{0,3,6,9} (the conv autoencoder's layers, VAE heads)
"""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F


def activation(spec):
    """An activation module from its name in a recipe ("tanh", {"leaky-relu": {...}}, ...)."""
    if isinstance(spec, dict):
        (name, args), = spec.items()
        if name != "leaky-relu":
            raise ValueError(f"unknown activation {spec}")
        return nn.LeakyReLU(args["negative_slope"])
    return {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu": nn.ReLU, "identity": nn.Identity}[spec]()


class LeNet(nn.Module):
    """LeNet-5 (the LeNet notebook): [b, 1, 32, 32] -> log-probabilities [b, classes]."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, kernel_size=5)
        self.pool1 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.pool2 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        x = x.view(-1, 400)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return F.log_softmax(self.fc3(x), dim=1)


class Autoencoder(nn.Module):
    """The dense autoencoder of the stacked and denoising-sparse notebooks: 784-400-784, tanh
    code, sigmoid reconstruction (other sizes and activations as the recipe says). Input
    [b, 784]."""

    def __init__(self, input_size=784, hidden=400, act="tanh", output_act="sigmoid"):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(input_size, hidden), activation(act))
        self.decoder = nn.Sequential(nn.Linear(hidden, input_size), activation(output_act))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def grow(net, hidden, act="tanh"):
    """Greedy layer-wise growth (stacked notebook): a new innermost pair, outer layers kept."""
    width = net.encoder[-2].out_features
    n = len(net.encoder)
    net.encoder.add_module(str(n), nn.Linear(width, hidden))
    net.encoder.add_module(str(n + 1), activation(act))
    net.decoder = nn.Sequential(nn.Linear(hidden, width), activation(act), *net.decoder)
    return net


def classifier(net, num_classes=10):
    """The stacked notebook's classifier: the autoencoder's encoder (child "0") and a new head
    (child "classifier": Linear, LogSoftmax). Input [b, 784]."""
    width = net.encoder[-2].out_features
    clf = nn.Sequential(*list(net.children())[:-1])
    clf.add_module("classifier", nn.Sequential(nn.Linear(width, num_classes), nn.LogSoftmax(dim=1)))
    return clf


class ConvAutoencoder(nn.Module):
    """The conv-autoencoder notebook's network: [b, ch, 32, 32] -> [b, ch, 32, 32]."""

    def __init__(self, ch=3, code=1024, negative_slope=0.1):
        super().__init__()
        lr = lambda: nn.LeakyReLU(negative_slope)
        up = lambda: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.conv_encoder = nn.Sequential(
            nn.Conv2d(ch, 64, 3, stride=2, padding=1), lr(),
            nn.Conv2d(64, 128, 3, stride=2, padding=1), lr(),
            nn.Conv2d(128, 128, 3, stride=2, padding=1), lr())
        self.fc_encoder = nn.Sequential(nn.Linear(128 * 4 * 4, code), lr())
        self.fc_decoder = nn.Sequential(nn.Linear(code, 128 * 4 * 4), lr())
        self.conv_decoder = nn.Sequential(
            nn.Conv2d(128, 128, 3, stride=1, padding=1), lr(), up(),
            nn.Conv2d(128, 64, 3, stride=1, padding=1), lr(), up(),
            nn.Conv2d(64, 64, 3, stride=1, padding=1), lr(), up(),
            nn.Conv2d(64, ch, 3, stride=1, padding=1), nn.ReLU())

    def forward(self, x):
        x = self.conv_encoder(x).view(x.size(0), -1)
        x = self.fc_decoder(self.fc_encoder(x)).view(x.size(0), 128, 4, 4)
        return self.conv_decoder(x)


class ConvClassifier(nn.Module):
    """The conv autoencoder's encoder with a classifier head (the notebook has no class for it;
    these are ae's names): [b, ch, 32, 32] -> log-probabilities [b, classes]."""

    def __init__(self, ch=3, code=1024, num_classes=10, negative_slope=0.1):
        super().__init__()
        ae = ConvAutoencoder(ch, code, negative_slope)
        self.conv_encoder = ae.conv_encoder
        self.fc_encoder = ae.fc_encoder
        self.classifier = nn.Sequential(nn.Linear(code, num_classes), nn.LogSoftmax(dim=1))

    def forward(self, x):
        x = self.conv_encoder(x).view(x.size(0), -1)
        return self.classifier(self.fc_encoder(x))


class VAE(nn.Module):
    """pytorch/examples' variational autoencoder (vae/main.py), sizes as parameters (the
    defaults are the example's): [b, 784] -> (reconstruction [b, 784], mu, logvar [b, latent])."""

    def __init__(self, input_size=784, hidden=400, latent=20):
        super().__init__()
        self.input_size = input_size
        self.fc1 = nn.Linear(input_size, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, input_size)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, self.input_size))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


class ConvVAE(nn.Module):
    """ae's convolutional VAE (the conv autoencoder notebook's encoder and decoder with
    pytorch/examples' VAE heads): [b, ch, 32, 32] -> (reconstruction [b, ch·32·32] in (0, 1),
    mu, logvar [b, latent]), the same outputs as VAE, so that vae_loss applies."""

    def __init__(self, ch=1, hidden=256, latent=32, negative_slope=0.1):
        super().__init__()
        ae = ConvAutoencoder(ch, hidden, negative_slope)
        self.ch = ch
        self.input_size = ch * 32 * 32
        self.conv_encoder, self.fc_encoder = ae.conv_encoder, ae.fc_encoder
        self.fc_mu = nn.Linear(hidden, latent)
        self.fc_log_var = nn.Linear(hidden, latent)
        lr = lambda: nn.LeakyReLU(negative_slope)
        up = lambda: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.fc_decoder = nn.Sequential(nn.Linear(latent, 128 * 4 * 4), lr())
        # The autoencoder's decoder without its last activation: logits out.
        self.conv_decoder = nn.Sequential(*list(ae.conv_decoder.children())[:-1])

    def encode(self, x):
        h = self.fc_encoder(self.conv_encoder(x.view(-1, self.ch, 32, 32)).flatten(1))
        return self.fc_mu(h), self.fc_log_var(h)

    def decode(self, z):
        h = self.fc_decoder(z).view(z.size(0), 128, 4, 4)
        return torch.sigmoid(self.conv_decoder(h)).flatten(1)

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


def vae_loss(recon_x, x, mu, logvar):
    """pytorch/examples' loss_function: BCE summed over the pixels plus the closed-form KL,
    summed over the batch; returns (BCE, KLD) so that callers can report both."""
    bce = F.binary_cross_entropy(recon_x, x.view(-1, recon_x.shape[1]), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce, kld


def from_arch(arch):
    """The PyTorch model for an `arch` description (the JSON `ae export` puts in the file)."""
    kind = arch["kind"]
    if kind == "lenet":
        return LeNet(arch["num_classes"])
    if kind == "stacked":
        act = arch["activation"]
        net = Autoencoder(arch["input_size"], arch["hidden"][0], act, arch["output_activation"])
        for hidden in arch["hidden"][1:]:
            net = grow(net, hidden, act)
        for g in arch["grown"]:
            net = grow(net, g["hidden"], g.get("activation", "tanh"))
        return net
    if kind == "conv-autoencoder":
        return ConvAutoencoder(arch["in_channels"], arch["code_size"], arch["negative_slope"])
    if kind == "classifier":
        encoder = arch["encoder"]
        if encoder["kind"] == "conv-autoencoder":
            return ConvClassifier(encoder["in_channels"], encoder["code_size"], arch["num_classes"],
                                  encoder["negative_slope"])
        return classifier(from_arch(encoder), arch["num_classes"])
    if kind == "vae":
        return VAE(arch["input_size"], arch["hidden"], arch["latent"])
    if kind == "conv-vae":
        return ConvVAE(arch["in_channels"], arch["hidden"], arch["latent"], arch["negative_slope"])
    raise ValueError(f"unknown architecture kind {kind!r}")


def metadata(path):
    """The metadata of a safetensors file (recipe, stage, architecture, arch, dataset, resize)."""
    from safetensors import safe_open
    with safe_open(path, framework="pt") as f:
        return f.metadata() or {}


def from_export(path):
    """The model a file written by `ae export` holds, loaded with strict=True, in eval mode."""
    from safetensors.torch import load_file
    model = from_arch(json.loads(metadata(path)["arch"]))
    model.load_state_dict(load_file(path), strict=True)
    return model.eval()
