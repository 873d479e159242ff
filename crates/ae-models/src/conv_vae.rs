//! A convolutional variational autoencoder: the conv autoencoder notebook's encoder and decoder
//! ([`ConvEncoder`], [`ConvDecoder`]) around the Gaussian latent of pytorch/examples' VAE, for
//! 32×32 images (Fashion-MNIST padded to 32×32, CIFAR-10).
//!
//! As [`Vae`](crate::Vae), the module draws no random numbers: the caller passes the standard
//! normal noise `eps` of the reparameterisation trick.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor, activation};

use crate::{
    Activation, CONV_IMAGE_SIZE, ConvAutoencoderConfig, ConvDecoder, ConvEncoder,
    LatentVariableModel, Reconstruction, Reconstructs, UpsampleImplementation, Upsampling,
    VaeOutput, linear_then, reparameterize,
};

/// Configuration of a [`ConvVae`]: the conv encoder `[c, 32, 32] -> hidden` (three stride-2
/// convolutions and a dense layer, LeakyReLU each), two heads `hidden -> latent` (μ and
/// log σ²), and the conv decoder `latent -> [c, 32, 32]` giving logits (its last convolution
/// without activation; the sigmoid gives the image).
///
/// The defaults are for Fashion-MNIST padded to 32×32: 1 channel, a 256-unit hidden code, a
/// 32-d latent. Weights start from PyTorch's defaults for `nn.Conv2d` / `nn.Linear`
/// (`U(-1/sqrt(fan_in), 1/sqrt(fan_in))`, Burn's defaults).
#[derive(Config, Debug)]
pub struct ConvVaeConfig {
    /// Image channels: 1 for Fashion-MNIST padded to 32×32, 3 for CIFAR-10.
    #[config(default = 1)]
    pub in_channels: usize,
    /// Size of the conv encoder's dense code, the heads' input.
    #[config(default = 256)]
    pub hidden: usize,
    /// Dimension of the latent code z.
    #[config(default = 32)]
    pub latent: usize,
    /// Slope of every LeakyReLU.
    #[config(default = 0.1)]
    pub negative_slope: f64,
    /// What the decoder's three ×2 upsamplings compute.
    #[config(default = "Upsampling::Bilinear")]
    pub upsampling: Upsampling,
    /// How they are computed: `None` (the default) picks
    /// [`UpsampleImplementation::for_device`] at every forward pass.
    pub upsample_implementation: Option<UpsampleImplementation>,
}

/// Convolutional VAE with a diagonal Gaussian posterior `q(z|x) = N(μ(x), σ²(x))`, a standard
/// normal prior and a decoder giving per-pixel logits.
///
/// Images `[batch, in_channels, 32, 32]` in `[0, 1]`. The encoder's dense code (after its
/// LeakyReLU) feeds both heads; the decoder takes z.
#[derive(Module, Debug)]
pub struct ConvVae {
    /// `[b, c, 32, 32] -> [b, hidden]`: the conv autoencoder's encoder.
    pub encoder: ConvEncoder,
    /// Posterior mean head `hidden -> latent` (μ).
    pub fc_mu: Linear,
    /// Posterior log-variance head `hidden -> latent` (log σ²).
    pub fc_log_var: Linear,
    /// `[b, latent] -> [b, c, 32, 32]` logits: the conv autoencoder's decoder with code size
    /// `latent` and no output activation.
    pub decoder: ConvDecoder,
}

/// What [`ConvVae::forward`] returns for a batch.
#[derive(Clone, Debug)]
pub struct ConvVaeOutput {
    /// Decoder logits before the sigmoid: `[batch, in_channels, 32, 32]`.
    pub logits: Tensor<4>,
    /// Posterior mean μ: `[batch, latent]`.
    pub mu: Tensor<2>,
    /// Posterior log-variance log σ²: `[batch, latent]`.
    pub log_var: Tensor<2>,
    /// The reparameterised sample `z = μ + eps · exp(0.5 · log σ²)`: `[batch, latent]`.
    pub z: Tensor<2>,
}

impl ConvVaeOutput {
    /// The same output with the logits flattened to `[batch, c·32·32]`, as
    /// [`elbo_terms`](crate::elbo_terms) takes it.
    pub fn flatten(self) -> VaeOutput {
        let [batch, c, h, w] = self.logits.dims();
        VaeOutput {
            logits: self.logits.reshape([batch, c * h * w]),
            mu: self.mu,
            log_var: self.log_var,
            z: self.z,
        }
    }
}

impl ConvVaeConfig {
    /// The conv autoencoder configuration whose encoder (code `hidden`) this model uses; the
    /// decoder's is the same with code size `latent`.
    fn autoencoder(&self, code_size: usize) -> ConvAutoencoderConfig {
        ConvAutoencoderConfig::new()
            .with_in_channels(self.in_channels)
            .with_code_size(code_size)
            .with_negative_slope(self.negative_slope)
            .with_upsampling(self.upsampling)
            .with_upsample_implementation(self.upsample_implementation)
            .with_output_activation(Activation::Identity)
    }

    /// Builds the model with freshly initialised weights on `device` (drawn in the order
    /// encoder, μ head, log σ² head, decoder).
    ///
    /// # Panics
    /// When a size is zero (the message names the fields).
    pub fn init(&self, device: &Device) -> ConvVae {
        assert!(
            self.in_channels > 0 && self.hidden > 0 && self.latent > 0,
            "ConvVaeConfig sizes must be positive, got in_channels {}, hidden {} and latent {}",
            self.in_channels,
            self.hidden,
            self.latent
        );
        let encoder = self.autoencoder(self.hidden).init_encoder(device);
        let fc_mu = LinearConfig::new(self.hidden, self.latent).init(device);
        let fc_log_var = LinearConfig::new(self.hidden, self.latent).init(device);
        let decoder = self.autoencoder(self.latent).init_decoder(device);
        ConvVae {
            encoder,
            fc_mu,
            fc_log_var,
            decoder,
        }
    }
}

impl ConvVae {
    /// images: `[batch, in_channels, 32, 32]` -> (μ, log σ²): `[batch, latent]` each.
    ///
    /// # Panics
    /// When the images are not `[_, in_channels, 32, 32]`.
    pub fn encode(&self, images: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let h = self.encoder.forward(images);
        let mu = linear_then(&self.fc_mu, h.clone(), Activation::Identity);
        let log_var = linear_then(&self.fc_log_var, h, Activation::Identity);
        (mu, log_var)
    }

    /// z: `[batch, latent]` -> logits `[batch, in_channels, 32, 32]` (before the sigmoid).
    pub fn decode_logits(&self, z: Tensor<2>) -> Tensor<4> {
        self.decoder.forward(z)
    }

    /// z: `[batch, latent]` -> images `[batch, in_channels, 32, 32]`, values in (0, 1): the
    /// sigmoid of [`Self::decode_logits`]. With `z` drawn from N(0, I) these are samples.
    pub fn decode(&self, z: Tensor<2>) -> Tensor<4> {
        activation::sigmoid(self.decode_logits(z))
    }

    /// The training pass: encode, reparameterise with the caller's noise, decode.
    ///
    /// images: `[batch, in_channels, 32, 32]`, eps: `[batch, latent]` standard normal draws.
    ///
    /// # Panics
    /// When the images are not `[batch, in_channels, 32, 32]` or `eps` not `[batch, latent]`.
    pub fn forward(&self, images: Tensor<4>, eps: Tensor<2>) -> ConvVaeOutput {
        let [batch, ..] = images.dims();
        let eps_dims = eps.dims();
        assert!(
            eps_dims == [batch, self.latent()],
            "ConvVae::forward expects eps [{batch}, {}] for {batch} images, got {eps_dims:?}",
            self.latent()
        );
        let (mu, log_var) = self.encode(images);
        let z = reparameterize(mu.clone(), log_var.clone(), eps);
        let logits = self.decode_logits(z.clone());
        ConvVaeOutput {
            logits,
            mu,
            log_var,
            z,
        }
    }

    /// Image channels, e.g. 1.
    pub fn in_channels(&self) -> usize {
        self.encoder.in_channels()
    }

    /// Size of the encoder's dense code, e.g. 256.
    pub fn hidden(&self) -> usize {
        self.encoder.code_size()
    }

    /// Dimension of the latent code, e.g. 32.
    pub fn latent(&self) -> usize {
        self.fc_mu.weight.lazy_shape().dims::<2>()[1]
    }

    /// The configuration that rebuilds this architecture (and upsampling).
    pub fn config(&self) -> ConvVaeConfig {
        ConvVaeConfig::new()
            .with_in_channels(self.in_channels())
            .with_hidden(self.hidden())
            .with_latent(self.latent())
            .with_negative_slope(self.encoder.negative_slope)
            .with_upsampling(self.decoder.upsampling)
            .with_upsample_implementation(self.decoder.upsample_implementation)
    }

    /// The same model with another upsampling mode (weights untouched).
    pub fn with_upsampling(mut self, upsampling: Upsampling) -> Self {
        self.decoder.upsampling = upsampling;
        self
    }

    /// The same model with its upsampling computed by `implementation` on every device.
    pub fn with_upsample_implementation(mut self, implementation: UpsampleImplementation) -> Self {
        self.decoder.upsample_implementation = Some(implementation);
        self
    }

    /// `[batch, c·32·32]` rows back to images `[batch, c, 32, 32]`.
    ///
    /// # Panics
    /// When a row does not hold `in_channels · 32 · 32` values.
    fn unflatten(&self, x: Tensor<2>) -> Tensor<4> {
        let [batch, width] = x.dims();
        let c = self.in_channels();
        let side = CONV_IMAGE_SIZE;
        assert!(
            width == c * side * side,
            "ConvVae expects rows of {c}·32·32 = {} values, got [{batch}, {width}]",
            c * side * side
        );
        x.reshape([batch, c, side, side])
    }
}

impl LatentVariableModel for ConvVae {
    /// x: `[batch, c·32·32]`, each row an image in `[c, 32, 32]` order.
    fn encode_flat(&self, x: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        self.encode(self.unflatten(x))
    }

    fn decode_logits_flat(&self, z: Tensor<2>) -> Tensor<2> {
        let logits = self.decode_logits(z);
        let [batch, c, h, w] = logits.dims();
        logits.reshape([batch, c * h * w])
    }

    fn latent(&self) -> usize {
        ConvVae::latent(self)
    }
}

impl Reconstructs for ConvVae {
    /// images: `[batch, in_channels, 32, 32]` -> output of the same shape decoded from the
    /// posterior mean (z = μ, no sampling), code μ `[batch, latent]`.
    fn reconstruct(&self, images: Tensor<4>) -> Reconstruction {
        let (mu, _) = self.encode(images);
        let output = self.decode(mu.clone());
        Reconstruction { output, code: mu }
    }
}
