//! A classifier on top of a (pretrained) autoencoder's encoder.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::serde::{Deserialize, Serialize};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor};

use crate::vocabulary::flatten_images;
use crate::{
    Activation, Classifies, ConvAutoencoder, ConvAutoencoderConfig, ConvEncoder, DenseStack,
    StackedAutoencoder, StackedAutoencoderConfig,
};

/// Architecture of a classifier's encoder, for building one from scratch (random init) or
/// rebuilding one before loading saved weights.
///
/// Serialises externally tagged in kebab case, e.g.
/// `{ "dense": { "input_size": 784, "hidden": [400, 256], "activation": "tanh" } }` or
/// `{ "conv": { "in_channels": 3, "code_size": 1024, "negative_slope": 0.1 } }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(crate = "burn::serde", rename_all = "kebab-case")]
pub enum EncoderConfig {
    /// The encoder half of a [`StackedAutoencoder`]: `input_size -> hidden[0] -> ... -> hidden[n-1]`,
    /// each layer followed by `activation`.
    Dense {
        /// Values per input image (784 for 1x28x28).
        input_size: usize,
        /// Layer sizes, outermost first.
        hidden: Vec<usize>,
        /// Activation after every layer.
        activation: Activation,
    },
    /// A [`ConvEncoder`] (convolutions and FC bottleneck) for `[b, in_channels, 32, 32]` images.
    Conv {
        /// Image channels.
        in_channels: usize,
        /// Size of the code (the FC bottleneck).
        code_size: usize,
        /// Slope of the LeakyReLUs.
        negative_slope: f64,
    },
}

impl From<&StackedAutoencoderConfig> for EncoderConfig {
    fn from(config: &StackedAutoencoderConfig) -> Self {
        EncoderConfig::Dense {
            input_size: config.input_size,
            hidden: config.hidden.clone(),
            activation: config.activation,
        }
    }
}

impl From<&ConvAutoencoderConfig> for EncoderConfig {
    fn from(config: &ConvAutoencoderConfig) -> Self {
        EncoderConfig::Conv {
            in_channels: config.in_channels,
            code_size: config.code_size,
            negative_slope: config.negative_slope,
        }
    }
}

impl EncoderConfig {
    /// Builds the encoder with freshly initialised weights on `device`.
    pub fn init(&self, device: &Device) -> Encoder {
        match self {
            EncoderConfig::Dense {
                input_size,
                hidden,
                activation,
            } => {
                // Identity is a placeholder: only the encoder half is kept.
                let config = StackedAutoencoderConfig::new(
                    *input_size,
                    hidden.clone(),
                    *activation,
                    Activation::Identity,
                );
                let encoder = config.init(device).encoder;
                Encoder::Dense(encoder)
            }
            EncoderConfig::Conv {
                in_channels,
                code_size,
                negative_slope,
            } => Encoder::Conv(
                ConvAutoencoderConfig::new()
                    .with_in_channels(*in_channels)
                    .with_code_size(*code_size)
                    .with_negative_slope(*negative_slope)
                    .init_encoder(device),
            ),
        }
    }
}

/// An autoencoder's encoder, without its decoder.
// One encoder per model: the variants' size difference costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Encoder {
    /// Dense layers; flattens `[b, c, h, w]` images to `[b, c*h*w]` first.
    Dense(DenseStack),
    /// Convolutions plus FC bottleneck; input `[b, c, 32, 32]`.
    Conv(ConvEncoder),
}

impl Encoder {
    /// images: `[batch, c, h, w]` -> code: `[batch, code_size]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        match self {
            Encoder::Dense(stack) => {
                stack.forward(flatten_images(images, stack.d_input(), "dense encoder"))
            }
            Encoder::Conv(encoder) => encoder.forward(images),
        }
    }

    /// Size of the code the encoder produces.
    pub fn code_size(&self) -> usize {
        match self {
            Encoder::Dense(stack) => stack.d_output(),
            Encoder::Conv(encoder) => encoder.code_size(),
        }
    }

    /// The configuration that rebuilds this encoder's architecture.
    pub fn config(&self) -> EncoderConfig {
        match self {
            Encoder::Dense(stack) => EncoderConfig::Dense {
                input_size: stack.d_input(),
                hidden: stack.layers.iter().map(|layer| layer.d_output()).collect(),
                activation: stack
                    .layers
                    .first()
                    .map_or(Activation::Identity, |layer| layer.activation),
            },
            Encoder::Conv(encoder) => EncoderConfig::Conv {
                in_channels: encoder.in_channels(),
                code_size: encoder.code_size(),
                negative_slope: encoder.negative_slope,
            },
        }
    }
}

/// Configuration of an [`EncoderClassifier`] built from scratch (random init, the baseline
/// against pretraining) or rebuilt before loading saved weights.
#[derive(Config, Debug)]
pub struct EncoderClassifierConfig {
    /// The encoder's architecture.
    pub encoder: EncoderConfig,
    /// Number of output classes.
    #[config(default = 10)]
    pub num_classes: usize,
    /// Freeze the encoder (see [`EncoderClassifier::freeze_encoder`]).
    #[config(default = false)]
    pub freeze_encoder: bool,
}

/// An encoder followed by a new Linear head `code_size -> num_classes` and log-softmax.
///
/// The 784-400-256 stack gives 419,226 parameters for 10 classes; the 3-channel conv encoder
/// 2,331,658.
#[derive(Module, Debug)]
pub struct EncoderClassifier {
    /// The (possibly pretrained) encoder.
    pub encoder: Encoder,
    /// `[b, code_size] -> [b, num_classes]`, freshly initialised.
    pub head: Linear,
    /// Whether the encoder is frozen (not saved with the weights).
    pub frozen: bool,
}

impl EncoderClassifierConfig {
    /// Builds the classifier with freshly initialised weights on `device`.
    ///
    /// # Panics
    /// When `num_classes` is zero.
    pub fn init(&self, device: &Device) -> EncoderClassifier {
        let classifier =
            EncoderClassifier::new(self.encoder.init(device), self.num_classes, device);
        if self.freeze_encoder {
            classifier.freeze_encoder()
        } else {
            classifier
        }
    }
}

impl EncoderClassifier {
    /// Puts a fresh head `code_size -> num_classes` on `encoder`.
    ///
    /// # Panics
    /// When `num_classes` is zero.
    pub fn new(encoder: Encoder, num_classes: usize, device: &Device) -> Self {
        assert!(
            num_classes > 0,
            "EncoderClassifier needs at least one class"
        );
        let head = LinearConfig::new(encoder.code_size(), num_classes).init(device);
        EncoderClassifier {
            encoder,
            head,
            frozen: false,
        }
    }

    /// Keeps the autoencoder's encoder (its weights move, no copy or save/load) and drops its
    /// decoder; the head is new, on `device`.
    pub fn from_stacked(ae: StackedAutoencoder, num_classes: usize, device: &Device) -> Self {
        Self::new(Encoder::Dense(ae.encoder), num_classes, device)
    }

    /// Keeps the conv autoencoder's encoder (convolutions and FC bottleneck) and drops its
    /// decoder; the head is new, on `device`.
    pub fn from_conv(ae: ConvAutoencoder, num_classes: usize, device: &Device) -> Self {
        Self::new(Encoder::Conv(ae.encoder), num_classes, device)
    }

    /// Freezes the encoder: its parameters stop requiring gradients (so an optimiser leaves them
    /// unchanged) and its code is detached; only the head trains.
    pub fn freeze_encoder(mut self) -> Self {
        self.encoder = self.encoder.no_grad();
        self.frozen = true;
        self
    }

    /// Whether [`Self::freeze_encoder`] was applied.
    pub fn is_encoder_frozen(&self) -> bool {
        self.frozen
    }

    /// Number of output classes.
    pub fn num_classes(&self) -> usize {
        self.head.weight.lazy_shape().dims::<2>()[1]
    }

    /// The configuration that rebuilds this architecture (and frozen state).
    pub fn config(&self) -> EncoderClassifierConfig {
        EncoderClassifierConfig::new(self.encoder.config())
            .with_num_classes(self.num_classes())
            .with_freeze_encoder(self.frozen)
    }

    /// images: `[batch, c, h, w]` -> code: `[batch, code_size]` (detached when frozen)
    pub fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        let code = self.encoder.forward(images);
        if self.frozen { code.detach() } else { code }
    }

    /// images: `[batch, c, h, w]` -> logits: `[batch, num_classes]`
    pub fn logits(&self, images: Tensor<4>) -> Tensor<2> {
        crate::linear_then(&self.head, self.encode(images), Activation::Identity)
    }
}

impl Classifies for EncoderClassifier {
    /// images: `[batch, c, h, w]` -> log-probabilities `[batch, num_classes]`
    fn log_probs(&self, images: Tensor<4>) -> Tensor<2> {
        log_softmax(self.logits(images), 1)
    }
}
