//! Architecture descriptions: enough to rebuild a model (then load its weights) from a
//! checkpoint, independent of the device.

use std::fmt;

use ae_models::Activation;
use serde::{Deserialize, Serialize};

/// An inner layer pair added to a stacked autoencoder (greedy layer-wise training).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrowSpec {
    /// Size of the new innermost code.
    pub hidden: usize,
    /// Activation of the new encoder layer and of the new decoder layer.
    #[serde(default = "default_grow_activation")]
    pub activation: Activation,
}

fn default_grow_activation() -> Activation {
    Activation::Tanh
}

/// Which bilinear ×2 upsampling the conv autoencoder's decoder uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Upsample {
    /// Burn's own interpolation on flex (fastest there); the portable one on every other
    /// backend, whose bilinear backward pass is missing.
    #[default]
    Auto,
    /// Burn's bilinear interpolation (backward works on flex only).
    Burn,
    /// The portable slice-and-concatenate implementation (any backend).
    Portable,
}

/// A model architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Arch {
    /// Dense stacked autoencoder built from `hidden` (one activation) and then grown by `grown`.
    Stacked {
        input_size: usize,
        hidden: Vec<usize>,
        activation: Activation,
        output_activation: Activation,
        grown: Vec<GrowSpec>,
    },
    /// Convolutional autoencoder on 32×32 images.
    ConvAutoencoder {
        in_channels: usize,
        code_size: usize,
        negative_slope: f64,
        upsample: Upsample,
    },
    /// LeNet-5.
    Lenet { num_classes: usize },
    /// An autoencoder's encoder with a classifier head.
    Classifier {
        encoder: Box<Arch>,
        num_classes: usize,
    },
}

impl Arch {
    /// A short name of the kind of model.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Arch::Stacked { .. } => "stacked autoencoder",
            Arch::ConvAutoencoder { .. } => "conv autoencoder",
            Arch::Lenet { .. } => "LeNet-5",
            Arch::Classifier { .. } => "encoder classifier",
        }
    }

    /// True for autoencoders.
    pub fn reconstructs(&self) -> bool {
        matches!(self, Arch::Stacked { .. } | Arch::ConvAutoencoder { .. })
    }

    /// Encoder layer sizes of a stacked autoencoder, outermost first (empty for other models).
    pub fn stacked_hidden(&self) -> Vec<usize> {
        match self {
            Arch::Stacked { hidden, grown, .. } => hidden
                .iter()
                .copied()
                .chain(grown.iter().map(|g| g.hidden))
                .collect(),
            Arch::Classifier { encoder, .. } => encoder.stacked_hidden(),
            _ => Vec::new(),
        }
    }

    /// Size of what the encoder outputs, i.e. what a classifier head takes: the innermost code
    /// of an autoencoder, 84 for LeNet-5's last hidden layer.
    pub fn code_size(&self) -> usize {
        match self {
            Arch::Stacked { .. } => self.stacked_hidden().last().copied().unwrap_or(0),
            Arch::ConvAutoencoder { code_size, .. } => *code_size,
            Arch::Lenet { .. } => 84,
            Arch::Classifier { encoder, .. } => encoder.code_size(),
        }
    }

    /// The stacked autoencoder with one more inner layer pair.
    pub(crate) fn grown(&self, grow: GrowSpec) -> Arch {
        match self {
            Arch::Stacked {
                input_size,
                hidden,
                activation,
                output_activation,
                grown,
            } => {
                let mut grown = grown.clone();
                grown.push(grow);
                Arch::Stacked {
                    input_size: *input_size,
                    hidden: hidden.clone(),
                    activation: *activation,
                    output_activation: *output_activation,
                    grown,
                }
            }
            other => other.clone(),
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arch::Stacked { input_size, .. } => {
                let hidden = self.stacked_hidden();
                let mut sizes = vec![*input_size];
                sizes.extend(hidden.iter().copied());
                sizes.extend(hidden.iter().rev().skip(1).copied());
                sizes.push(*input_size);
                let sizes: Vec<String> = sizes.iter().map(|s| s.to_string()).collect();
                write!(f, "dense autoencoder {}", sizes.join("-"))
            }
            Arch::ConvAutoencoder {
                in_channels,
                code_size,
                ..
            } => write!(f, "conv autoencoder {in_channels}×32×32, code {code_size}"),
            Arch::Lenet { num_classes } => write!(f, "LeNet-5, {num_classes} classes"),
            Arch::Classifier {
                encoder,
                num_classes,
            } => match encoder.as_ref() {
                Arch::Stacked { input_size, .. } => {
                    let mut sizes = vec![*input_size];
                    sizes.extend(encoder.stacked_hidden());
                    sizes.push(*num_classes);
                    let sizes: Vec<String> = sizes.iter().map(|s| s.to_string()).collect();
                    write!(f, "dense classifier {}", sizes.join("-"))
                }
                other => write!(
                    f,
                    "classifier on the encoder of a {}, head {}-{num_classes}",
                    other.kind_name(),
                    other.code_size()
                ),
            },
        }
    }
}
