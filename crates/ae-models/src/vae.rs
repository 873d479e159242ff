//! The variational autoencoder of PyTorch's examples (`vae/main.py`): 784-400-(20, 20)-400-784.
//!
//! The module draws no random numbers: the caller passes the standard normal noise `eps` of
//! the reparameterisation trick, so that its own seeded generator drives every sample.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor, activation};

use crate::vocabulary::flatten_images;
use crate::{Activation, LatentVariableModel, Reconstruction, Reconstructs, linear_then};

/// Configuration of a [`Vae`]: `input_size -> hidden` (ReLU), then two heads `hidden -> latent`
/// (μ and log σ²); the decoder `latent -> hidden` (ReLU) `-> input_size` (sigmoid).
///
/// The defaults are pytorch/examples' MNIST model (652,824 parameters). Weights and biases start
/// from PyTorch's `nn.Linear` default, `U(-1/sqrt(fan_in), 1/sqrt(fan_in))` (Burn's
/// `LinearConfig` default), as every dense layer of this crate.
#[derive(Config, Debug)]
pub struct VaeConfig {
    /// Values per input image (784 for 1x28x28).
    #[config(default = 784)]
    pub input_size: usize,
    /// Width of the encoder's and the decoder's hidden layer.
    #[config(default = 400)]
    pub hidden: usize,
    /// Dimension of the latent code z.
    #[config(default = 20)]
    pub latent: usize,
}

/// Variational autoencoder with a diagonal Gaussian posterior `q(z|x) = N(μ(x), σ²(x))`, a
/// standard normal prior and a decoder giving per-pixel logits. Field names are
/// pytorch/examples' (`fc1`, `fc21`, `fc22`, `fc3`, `fc4`), so its `state_dict` keys match.
#[derive(Module, Debug)]
pub struct Vae {
    /// Encoder layer `input_size -> hidden`, followed by ReLU.
    pub fc1: Linear,
    /// Posterior mean head `hidden -> latent` (μ).
    pub fc21: Linear,
    /// Posterior log-variance head `hidden -> latent` (log σ²).
    pub fc22: Linear,
    /// Decoder layer `latent -> hidden`, followed by ReLU.
    pub fc3: Linear,
    /// Decoder output layer `hidden -> input_size`: logits (the sigmoid gives the image).
    pub fc4: Linear,
}

/// What [`Vae::forward`] returns for a batch.
#[derive(Clone, Debug)]
pub struct VaeOutput {
    /// Decoder logits before the sigmoid: `[batch, input_size]`.
    pub logits: Tensor<2>,
    /// Posterior mean μ: `[batch, latent]`.
    pub mu: Tensor<2>,
    /// Posterior log-variance log σ²: `[batch, latent]`.
    pub log_var: Tensor<2>,
    /// The reparameterised sample `z = μ + eps · exp(0.5 · log σ²)`: `[batch, latent]`.
    pub z: Tensor<2>,
}

impl VaeConfig {
    /// Builds the model with freshly initialised weights on `device`.
    ///
    /// # Panics
    /// When a size is zero (a configuration error the caller should have caught; the message
    /// names the fields).
    pub fn init(&self, device: &Device) -> Vae {
        assert!(
            self.input_size > 0 && self.hidden > 0 && self.latent > 0,
            "VaeConfig sizes must be positive, got input_size {}, hidden {} and latent {}",
            self.input_size,
            self.hidden,
            self.latent
        );
        let linear = |d_input, d_output| LinearConfig::new(d_input, d_output).init(device);
        Vae {
            fc1: linear(self.input_size, self.hidden),
            fc21: linear(self.hidden, self.latent),
            fc22: linear(self.hidden, self.latent),
            fc3: linear(self.latent, self.hidden),
            fc4: linear(self.hidden, self.input_size),
        }
    }
}

/// The reparameterisation trick: `z = mu + eps · exp(0.5 · log_var)`, differentiable in `mu`
/// and `log_var` (`∂z/∂mu = 1`, `∂z/∂log_var = 0.5 · eps · σ`).
///
/// mu, log_var, eps: `[batch, latent]` -> z: `[batch, latent]`. `eps` holds standard normal
/// draws from the caller's generator.
///
/// # Panics
/// When the three shapes differ.
pub fn reparameterize(mu: Tensor<2>, log_var: Tensor<2>, eps: Tensor<2>) -> Tensor<2> {
    let (mu_dims, log_var_dims, eps_dims) = (mu.dims(), log_var.dims(), eps.dims());
    assert!(
        mu_dims == log_var_dims && mu_dims == eps_dims,
        "reparameterize: mu {mu_dims:?}, log_var {log_var_dims:?} and eps {eps_dims:?} must have one shape [batch, latent]"
    );
    mu + eps * log_var.mul_scalar(0.5).exp()
}

impl Vae {
    /// x: `[batch, input_size]` -> (μ, log σ²): `[batch, latent]` each.
    pub fn encode(&self, x: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let h = linear_then(&self.fc1, x, Activation::Relu);
        let mu = linear_then(&self.fc21, h.clone(), Activation::Identity);
        let log_var = linear_then(&self.fc22, h, Activation::Identity);
        (mu, log_var)
    }

    /// z: `[batch, latent]` -> logits: `[batch, input_size]` (before the sigmoid).
    pub fn decode_logits(&self, z: Tensor<2>) -> Tensor<2> {
        let h = linear_then(&self.fc3, z, Activation::Relu);
        linear_then(&self.fc4, h, Activation::Identity)
    }

    /// z: `[batch, latent]` -> image: `[batch, input_size]`, values in (0, 1): the sigmoid of
    /// [`Self::decode_logits`]. With `z` drawn from N(0, I) these are the model's samples.
    pub fn decode(&self, z: Tensor<2>) -> Tensor<2> {
        activation::sigmoid(self.decode_logits(z))
    }

    /// The training pass: encode, reparameterise with the caller's noise, decode.
    ///
    /// x: `[batch, input_size]`, eps: `[batch, latent]` standard normal draws -> logits
    /// `[batch, input_size]`, μ, log σ² and z `[batch, latent]`.
    ///
    /// # Panics
    /// When `x` is not `[batch, input_size]` or `eps` not `[batch, latent]`.
    pub fn forward(&self, x: Tensor<2>, eps: Tensor<2>) -> VaeOutput {
        let [batch, width] = x.dims();
        let eps_dims = eps.dims();
        assert!(
            width == self.input_size() && eps_dims == [batch, self.latent()],
            "Vae::forward expects x [batch, {}] and eps [batch, {}], got x [{batch}, {width}] and eps {eps_dims:?}",
            self.input_size(),
            self.latent()
        );
        let (mu, log_var) = self.encode(x);
        let z = reparameterize(mu.clone(), log_var.clone(), eps);
        let logits = self.decode_logits(z.clone());
        VaeOutput {
            logits,
            mu,
            log_var,
            z,
        }
    }

    /// Values per input image, e.g. 784.
    pub fn input_size(&self) -> usize {
        self.fc1.weight.lazy_shape().dims::<2>()[0]
    }

    /// Width of the hidden layers, e.g. 400.
    pub fn hidden(&self) -> usize {
        self.fc1.weight.lazy_shape().dims::<2>()[1]
    }

    /// Dimension of the latent code, e.g. 20.
    pub fn latent(&self) -> usize {
        self.fc21.weight.lazy_shape().dims::<2>()[1]
    }

    /// The configuration that rebuilds this architecture.
    pub fn config(&self) -> VaeConfig {
        VaeConfig::new()
            .with_input_size(self.input_size())
            .with_hidden(self.hidden())
            .with_latent(self.latent())
    }
}

impl Reconstructs for Vae {
    /// images: `[batch, c, h, w]` with `c*h*w == input_size` -> output `[batch, c, h, w]`
    /// decoded from the posterior mean (z = μ, no sampling), code μ `[batch, latent]`.
    fn reconstruct(&self, images: Tensor<4>) -> Reconstruction {
        let shape = images.dims();
        let flat = flatten_images(images, self.input_size(), "Vae");
        let (mu, _) = self.encode(flat);
        let output = self.decode(mu.clone()).reshape(shape);
        Reconstruction { output, code: mu }
    }
}

impl LatentVariableModel for Vae {
    fn encode_flat(&self, x: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        self.encode(x)
    }

    fn decode_logits_flat(&self, z: Tensor<2>) -> Tensor<2> {
        self.decode_logits(z)
    }

    fn latent(&self) -> usize {
        Vae::latent(self)
    }

    /// [`Vae::forward`] (which checks the shapes).
    fn forward_flat(&self, x: Tensor<2>, eps: Tensor<2>) -> VaeOutput {
        self.forward(x, eps)
    }
}
