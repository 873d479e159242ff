//! The convolutional autoencoder (the conv AE notebook, Fashion-MNIST and CIFAR-10 at 32×32):
//! conv1's kernels drawn as tiles (RGB for 3 channels), the dense bottleneck as the code.

use std::fmt;

use ae_models::{
    Activation, ConvAutoencoder, ConvAutoencoderConfig, EncoderClassifier, Reconstruction,
    Reconstructs, UpsampleMode,
};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::kind::{conv_flops as conv, dense_flops as dense, needs_32x32};
use super::{Arch, ArchKind, LayerTiles, ModelKind, Net, SpecKind, conv_kernels};
use crate::error::{RecipeError, TrainError};
use crate::recipe::Recipe;

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

impl Upsample {
    fn mode(self, device: &Device) -> UpsampleMode {
        match self {
            Upsample::Auto => UpsampleMode::for_device(device),
            Upsample::Burn => UpsampleMode::Burn,
            Upsample::Portable => UpsampleMode::Portable,
        }
    }
}

/// `[model] kind = "conv-autoencoder"`: for 32×32 images (any channel count) with a dense
/// bottleneck.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvAutoencoderSpec {
    /// Size of the dense code.
    #[serde(default = "default_code_size")]
    pub code_size: usize,
    /// Slope of the leaky ReLUs.
    #[serde(default = "default_negative_slope")]
    pub negative_slope: f64,
    /// Which bilinear ×2 upsampling: `"auto"` (Burn's on flex, the portable one elsewhere),
    /// `"burn"` or `"portable"`.
    #[serde(default)]
    pub upsample: Upsample,
    /// Activation of the decoder's last convolution: `"relu"` (the notebook's, the default),
    /// `"sigmoid"` or `"identity"` (any [`Activation`] is accepted). A ReLU output channel
    /// whose bias starts negative is dead from the first step; the other two always pass a
    /// gradient.
    #[serde(default = "default_output_activation")]
    pub output_activation: Activation,
}

fn default_code_size() -> usize {
    1024
}
fn default_negative_slope() -> f64 {
    0.1
}
fn default_output_activation() -> Activation {
    Activation::Relu
}

/// Convolutional autoencoder on 32×32 images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvAutoencoderArch {
    pub in_channels: usize,
    pub code_size: usize,
    pub negative_slope: f64,
    pub upsample: Upsample,
    /// Absent from checkpoints written before it existed, which all used ReLU.
    #[serde(default = "default_output_activation")]
    pub output_activation: Activation,
}

impl SpecKind for ConvAutoencoderSpec {
    fn initial_arch(&self, recipe: &Recipe, input: [usize; 3]) -> Result<Arch, RecipeError> {
        let [c, h, w] = input;
        if (h, w) != (32, 32) {
            let fits = ["pad32", "bilinear32"];
            return Err(needs_32x32("the conv autoencoder", recipe, [h, w], fits));
        }
        if self.code_size == 0 {
            return Err(RecipeError::Zero {
                key: "model.code_size".into(),
            });
        }
        if !self.negative_slope.is_finite() {
            return Err(RecipeError::invalid(
                "model.negative_slope",
                "expected a finite number",
            ));
        }
        Ok(Arch::ConvAutoencoder(ConvAutoencoderArch {
            in_channels: c,
            code_size: self.code_size,
            negative_slope: self.negative_slope,
            upsample: self.upsample,
            output_activation: self.output_activation,
        }))
    }
}

impl ArchKind for ConvAutoencoderArch {
    fn build(&self, device: &Device) -> Net {
        Net::Conv(
            ConvAutoencoderConfig::new()
                .with_in_channels(self.in_channels)
                .with_code_size(self.code_size)
                .with_negative_slope(self.negative_slope)
                .with_upsample(self.upsample.mode(device))
                .with_output_activation(self.output_activation)
                .init(device),
        )
    }

    fn kind_name(&self) -> &'static str {
        "conv autoencoder"
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "conv autoencoder {}×32×32, code {}, {} output",
            self.in_channels,
            self.code_size,
            self.output_activation.name()
        )
    }

    fn reconstructs(&self) -> bool {
        true
    }

    fn code_size(&self) -> usize {
        self.code_size
    }

    fn forward_flops_per_sample(&self) -> u64 {
        self.encoder_flops_per_sample()
            + dense(self.code_size, 2048)
            + conv(128, 128, 3, 4)
            + conv(128, 64, 3, 8)
            + conv(64, 64, 3, 16)
            + conv(64, self.in_channels, 3, 32)
    }

    fn encoder_flops_per_sample(&self) -> u64 {
        conv(self.in_channels, 64, 3, 16)
            + conv(64, 128, 3, 8)
            + conv(128, 128, 3, 4)
            + dense(2048, self.code_size)
    }
}

impl ModelKind for ConvAutoencoder {
    fn reconstruct(&self, images: Tensor<4>) -> Option<Reconstruction> {
        Some(Reconstructs::reconstruct(self, images))
    }

    fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        ConvAutoencoder::encode(self, images)
    }

    fn weight_tiles(&self, _image: [usize; 3]) -> Result<Vec<LayerTiles>, TrainError> {
        Ok(vec![(
            "encoder",
            conv_kernels(self.encoder.conv1.weight.val())?,
        )])
    }

    fn into_classifier(self, classes: usize, device: &Device) -> Net {
        EncoderClassifier::from_conv(self, classes, device).into()
    }
}
