//! # ae-models
//!
//! The models of the *ae* project as Burn 0.22 modules, usable on their own: the notebooks'
//! dense and stacked autoencoders (with greedy layer-wise [`StackedAutoencoder::grow`]), the
//! sparsity penalties ([`l1_penalty`], [`kl_sparsity_penalty`]), the CIFAR-10 convolutional
//! autoencoder ([`ConvAutoencoder`]), LeNet-5 ([`LeNet5`]) and a classifier on a pretrained
//! encoder ([`EncoderClassifier`]).
//!
//! Every module has a serde [`Config`](burn::config::Config) beside it with
//! `init(&self, device)`, and saves/loads with Burn's `save_file` / `load_file` (burnpack).
//! All models take images `[batch, channels, height, width]` with values in `[0, 1]`; dense
//! models flatten them internally. Two traits let a learner treat them alike:
//! [`Reconstructs`] (autoencoders) and [`Classifies`] (log-softmax classifiers).
//!
//! Weights start from PyTorch's defaults (`U(-1/sqrt(fan_in), 1/sqrt(fan_in))` for weights
//! and biases of `Linear` and `Conv2d`, which are Burn's defaults too).
//!
//! ## Using a model in another project
//!
//! Add `ae-models` and `burn` (with the backend features you need) to `Cargo.toml`, then:
//!
//! ```
//! use ae_models::{
//!     Classifies, EncoderClassifier, LeNet5Config, Reconstructs, StackedAutoencoderConfig,
//! };
//! use burn::module::Module;
//! use burn::tensor::{Device, Distribution, Tensor};
//!
//! let device = Device::flex();
//!
//! // The notebook's 784-400-784 autoencoder: tanh code, sigmoid reconstruction.
//! let autoencoder = StackedAutoencoderConfig::mnist_dense().init(&device);
//! assert_eq!(autoencoder.num_params(), 628_384);
//! let images = Tensor::<4>::random([8, 1, 28, 28], Distribution::Uniform(0.0, 1.0), &device);
//! let reconstruction = autoencoder.reconstruct(images.clone());
//! assert_eq!(reconstruction.output.dims(), [8, 1, 28, 28]);
//! assert_eq!(reconstruction.code.dims(), [8, 400]);
//!
//! // Greedy layer-wise training: add a 400 -> 256 -> 400 pair inside the trained one.
//! let stacked = autoencoder.grow(256, ae_models::Activation::Tanh, &device);
//! assert_eq!(stacked.hidden_sizes(), vec![400, 256]);
//!
//! // Reuse the pretrained encoder for a 10-class classifier.
//! let classifier = EncoderClassifier::from_stacked(stacked, 10, &device);
//! let log_probs = classifier.log_probs(images);
//! assert_eq!(log_probs.dims(), [8, 10]);
//!
//! // LeNet-5 takes 32x32 images.
//! let lenet = LeNet5Config::new().init(&device);
//! let digits = Tensor::<4>::zeros([2, 1, 32, 32], &device);
//! assert_eq!(lenet.log_probs(digits).dims(), [2, 10]);
//! ```
//!
//! ## Weights from and for PyTorch
//!
//! The [`pytorch`] module loads the notebooks' `state_dict`s (`.pth` or `.safetensors`) into
//! these models and saves them as safetensors with the notebooks' key names, in a few lines:
//!
//! ```no_run
//! use ae_models::pytorch::{load_pytorch, save_pytorch};
//! use ae_models::StackedAutoencoderConfig;
//! use burn::tensor::Device;
//!
//! let device = Device::flex();
//! // A notebook's 784-400-784 autoencoder, saved with torch.save(model.state_dict(), ...).
//! let autoencoder = load_pytorch(
//!     StackedAutoencoderConfig::mnist_dense().init(&device),
//!     "autoencoder.pth".as_ref(),
//! )?;
//! // Back for PyTorch: model.load_state_dict(load_file("autoencoder.safetensors"), strict=True)
//! save_pytorch(&autoencoder, "autoencoder.safetensors".as_ref(), &[])?;
//! # Ok::<(), ae_models::pytorch::WeightsError>(())
//! ```
//!
//! ## Training on any backend
//!
//! Burn's own bilinear interpolation has no backward pass on ndarray (or the GPU backends), so
//! the conv autoencoder's decoder upsamples with Burn's kernels on flex and with an equivalent
//! portable implementation (interpolation matrices, or broadcasts for nearest) elsewhere,
//! chosen per device and mode at each forward pass ([`UpsampleImplementation::for_device`]);
//! every [`Upsampling`] mode works on every backend.
#![forbid(unsafe_code)]

mod activation;
mod conv_autoencoder;
mod conv_chunks;
mod conv_vae;
mod dense;
mod elbo;
mod encoder_classifier;
mod lenet;
pub mod pytorch;
mod sparsity;
mod stacked;
mod upsample;
mod vae;
mod vocabulary;

pub use activation::Activation;
pub use conv_autoencoder::{
    CONV_IMAGE_SIZE, ConvAutoencoder, ConvAutoencoderConfig, ConvDecoder, ConvEncoder,
};
pub use conv_chunks::{conv2d_in_batch_blocks, conv2d_in_batch_chunks, conv2d_output_size};
pub use conv_vae::{ConvVae, ConvVaeConfig, ConvVaeOutput};
pub use dense::{DenseLayer, DenseLayerConfig, linear_then};
pub use elbo::{
    ElboTerms, LatentVariableModel, Likelihood, bernoulli_nll, elbo_terms, gaussian_kl,
    gaussian_nll, iwae_nll, log_importance_weights, log_mean_exp,
};
pub use encoder_classifier::{Encoder, EncoderClassifier, EncoderClassifierConfig, EncoderConfig};
pub use lenet::{LENET_IMAGE_SIZE, LeNet5, LeNet5Config};
pub use sparsity::{KL_ACTIVATION_CLAMP, kl_sparsity_penalty, l1_penalty};
pub use stacked::{DenseStack, StackedAutoencoder, StackedAutoencoderConfig};
pub use upsample::{
    MAX_GPU_MATMUL_ROWS, MAX_WORKGROUPS_PER_DIMENSION, UpsampleImplementation, Upsampling,
    matmul_in_row_blocks, matmul_in_row_chunks, upsample_2x,
};
pub use vae::{Vae, VaeConfig, VaeOutput, reparameterize};
pub use vocabulary::{Classifies, Reconstruction, Reconstructs};
