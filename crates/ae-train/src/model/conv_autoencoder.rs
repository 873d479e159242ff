//! The convolutional autoencoder (the conv AE notebook, Fashion-MNIST and CIFAR-10 at 32×32):
//! conv1's kernels drawn as tiles (RGB for 3 channels), the dense bottleneck as the code.

use std::fmt;

use ae_models::{
    Activation, ConvAutoencoder, ConvAutoencoderConfig, EncoderClassifier, Reconstruction,
    Reconstructs, Upsampling,
};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::kind::{conv_flops as conv, dense_flops as dense, needs_32x32};
use super::{Arch, ArchKind, LayerTiles, ModelKind, Net, SpecKind, conv_kernels};
use crate::error::{RecipeError, TrainError};
use crate::recipe::Recipe;

/// What the conv autoencoder's decoder's ×2 upsamplings compute (PyTorch's `nn.Upsample`
/// modes), on every backend: Burn's kernels on flex, an equivalent portable implementation
/// elsewhere (chosen per device, not by the recipe).
///
/// Reads `"bilinear"`, `"bilinear-align-corners"` and `"nearest"`, and the old values `"auto"`,
/// `"burn"` and `"portable"` (which chose an implementation, all of them bilinear) as
/// bilinear, so older recipes and checkpoints load unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Upsample {
    /// Bilinear, `align_corners=False` (the notebook's, PyTorch's default since 0.4).
    #[default]
    Bilinear,
    /// Bilinear, `align_corners=True` (what the lecture's pre-0.4 PyTorch computed).
    BilinearAlignCorners,
    /// Nearest neighbour: every sample repeated 2×2.
    Nearest,
}

impl<'de> Deserialize<'de> for Upsample {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        match name.as_str() {
            "bilinear" | "auto" | "burn" | "portable" => Ok(Upsample::Bilinear),
            "bilinear-align-corners" => Ok(Upsample::BilinearAlignCorners),
            "nearest" => Ok(Upsample::Nearest),
            _ => Err(serde::de::Error::custom(format!(
                "recipe key `model.upsample` is `{name}`, expected one of `bilinear`, \
                 `bilinear-align-corners`, `nearest`"
            ))),
        }
    }
}

impl Upsample {
    /// The model crate's mode.
    pub fn mode(self) -> Upsampling {
        match self {
            Upsample::Bilinear => Upsampling::Bilinear,
            Upsample::BilinearAlignCorners => Upsampling::BilinearAlignCorners,
            Upsample::Nearest => Upsampling::Nearest,
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
    /// The decoder's ×2 upsampling: `"bilinear"` (the default), `"bilinear-align-corners"` or
    /// `"nearest"`.
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
    /// Checkpoints written before the modes existed say `"auto"`, `"burn"` or `"portable"`:
    /// all bilinear.
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
                .with_upsampling(self.upsample.mode())
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
        )?;
        match self.upsample {
            Upsample::Bilinear => Ok(()),
            other => write!(f, ", {} upsampling", other.mode().name()),
        }
    }

    fn reconstructs(&self) -> bool {
        true
    }

    fn code_size(&self) -> usize {
        self.code_size
    }

    fn forward_flops_per_sample(&self) -> u64 {
        self.encoder_flops_per_sample() + conv_decoder_flops(self.code_size, self.in_channels)
    }

    fn encoder_flops_per_sample(&self) -> u64 {
        conv_encoder_flops(self.in_channels, self.code_size)
    }
}

/// FLOPs per sample of the conv encoder (three convolutions, then the FC layer to `code`).
pub(super) fn conv_encoder_flops(in_channels: usize, code: usize) -> u64 {
    conv(in_channels, 64, 3, 16) + conv(64, 128, 3, 8) + conv(128, 128, 3, 4) + dense(2048, code)
}

/// FLOPs per sample of the conv decoder (the FC layer from `code`, then four convolutions).
pub(super) fn conv_decoder_flops(code: usize, out_channels: usize) -> u64 {
    dense(code, 2048)
        + conv(128, 128, 3, 4)
        + conv(128, 64, 3, 8)
        + conv(64, 64, 3, 16)
        + conv(64, out_channels, 3, 32)
}

/// The conv encoder's first convolution `[64, c, 3, 3]` as its 64 kernels (RGB for 3 input
/// channels), 8 to a row as the conv autoencoder notebook draws them (`make_grid(nrow=8)`):
/// the autoencoder's and its classifier's `conv1` tiles.
pub(super) fn conv1_tiles(weight: Tensor<4>) -> Result<LayerTiles, TrainError> {
    let [out, channels, _, _] = weight.dims();
    let colour = if channels == 3 { " (RGB)" } else { "" };
    Ok(LayerTiles::new(
        "conv1",
        format!("conv1's {out} kernels{colour}"),
        conv_kernels(weight)?,
    )
    .per_row(8))
}

impl ModelKind for ConvAutoencoder {
    fn reconstruct(&self, images: Tensor<4>) -> Option<Reconstruction> {
        Some(Reconstructs::reconstruct(self, images))
    }

    fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        ConvAutoencoder::encode(self, images)
    }

    fn weight_tiles(&self, _image: [usize; 3]) -> Result<Vec<LayerTiles>, TrainError> {
        Ok(vec![conv1_tiles(self.encoder.conv1.weight.val())?])
    }

    fn into_classifier(self, classes: usize, device: &Device) -> Net {
        EncoderClassifier::from_conv(self, classes, device).into()
    }
}
