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
        /// Absent from checkpoints written before it existed, which all used ReLU.
        #[serde(default = "crate::recipe::default_conv_output_activation")]
        output_activation: Activation,
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

    /// Floating-point operations of one forward pass per sample, counting the multiply-adds of
    /// the dense and convolution layers (2 per multiply-add; activations, pooling and
    /// upsampling are left out, as usual). A training step costs about three times this per
    /// sample: the forward pass, then the gradients of the inputs and of the weights.
    pub fn forward_flops_per_sample(&self) -> u64 {
        let dense = |i: usize, o: usize| 2 * (i * o) as u64;
        // out_channels × out_h × out_w positions, each in_channels × k × k multiply-adds.
        let conv = |cin: usize, cout: usize, k: usize, side_out: usize| {
            2 * (cout * side_out * side_out * cin * k * k) as u64
        };
        let conv_encoder = |c: usize, code: usize| {
            conv(c, 64, 3, 16) + conv(64, 128, 3, 8) + conv(128, 128, 3, 4) + dense(2048, code)
        };
        match self {
            Arch::Stacked { input_size, .. } => {
                let mut sizes = vec![*input_size];
                sizes.extend(self.stacked_hidden());
                let encoder: u64 = sizes.windows(2).map(|w| dense(w[0], w[1])).sum();
                2 * encoder
            }
            Arch::ConvAutoencoder {
                in_channels,
                code_size,
                ..
            } => {
                conv_encoder(*in_channels, *code_size)
                    + dense(*code_size, 2048)
                    + conv(128, 128, 3, 4)
                    + conv(128, 64, 3, 8)
                    + conv(64, 64, 3, 16)
                    + conv(64, *in_channels, 3, 32)
            }
            Arch::Lenet { num_classes } => {
                conv(1, 6, 5, 28)
                    + conv(6, 16, 5, 10)
                    + dense(400, 120)
                    + dense(120, 84)
                    + dense(84, *num_classes)
            }
            Arch::Classifier {
                encoder,
                num_classes,
            } => {
                let body = match encoder.as_ref() {
                    Arch::Stacked { input_size, .. } => {
                        let mut sizes = vec![*input_size];
                        sizes.extend(encoder.stacked_hidden());
                        sizes.windows(2).map(|w| dense(w[0], w[1])).sum()
                    }
                    Arch::ConvAutoencoder {
                        in_channels,
                        code_size,
                        ..
                    } => conv_encoder(*in_channels, *code_size),
                    other => other.forward_flops_per_sample(),
                };
                body + dense(encoder.code_size(), *num_classes)
            }
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
                output_activation,
                ..
            } => write!(
                f,
                "conv autoencoder {in_channels}×32×32, code {code_size}, {} output",
                output_activation.name()
            ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_flops_match_hand_counts() {
        let dense = Arch::Stacked {
            input_size: 784,
            hidden: vec![400],
            activation: Activation::Tanh,
            output_activation: Activation::Sigmoid,
            grown: vec![GrowSpec {
                hidden: 256,
                activation: Activation::Tanh,
            }],
        };
        // 784·400 + 400·256 multiply-adds each way, 2 FLOPs each.
        assert_eq!(
            dense.forward_flops_per_sample(),
            2 * 2 * (313_600 + 102_400)
        );
        let head = Arch::Classifier {
            encoder: Box::new(dense),
            num_classes: 10,
        };
        assert_eq!(
            head.forward_flops_per_sample(),
            2 * (313_600 + 102_400 + 2_560)
        );
        // conv1 6·28·28·25, conv2 16·10·10·150, fc 400·120 + 120·84 + 84·10.
        let lenet = Arch::Lenet { num_classes: 10 };
        assert_eq!(
            lenet.forward_flops_per_sample(),
            2 * (117_600 + 240_000 + 48_000 + 10_080 + 840)
        );
        let conv = Arch::ConvAutoencoder {
            in_channels: 3,
            code_size: 1024,
            negative_slope: 0.1,
            upsample: Upsample::Auto,
            output_activation: Activation::Relu,
        };
        let encoder = 64 * 256 * 27 + 128 * 64 * 576 + 128 * 16 * 1152 + 2048 * 1024;
        let decoder =
            1024 * 2048 + 128 * 16 * 1152 + 64 * 64 * 1152 + 64 * 256 * 576 + 3 * 1024 * 576;
        assert_eq!(
            conv.forward_flops_per_sample(),
            2 * (encoder + decoder) as u64
        );
    }
}
