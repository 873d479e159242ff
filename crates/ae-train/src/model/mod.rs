//! The model being trained, whichever kind it is.
//!
//! Each model kind lives in one module — [`stacked`], [`conv_autoencoder`], [`lenet`],
//! [`classifier`], [`vae`], [`conv_vae`] — that holds everything the learner does with it: the
//! recipe's `[model]` section for it, its architecture (what checkpoints record to rebuild it),
//! building it, the stage transitions it allows (growing, a classifier head), its losses and
//! evaluation on a batch (by default the objectives of [`crate::objective`] and [`crate::eval`]),
//! the weight pictures it offers and its description in words. Its PyTorch key names live with the
//! model in `ae_models::pytorch`.
//!
//! This file is the registration: the three enums that name every kind ([`ModelSpec`] in a
//! recipe, [`Arch`] in a checkpoint, [`Net`] in memory) and the three `match`es that dispatch
//! to a kind ([`each_net!`], [`each_arch!`] and `each_spec!`). Nothing else in the workspace
//! matches on a kind. A new kind is a module here, one line in each enum and each macro, and a
//! `From` impl for its model.

mod classifier;
mod conv_autoencoder;
mod conv_vae;
mod kind;
mod lenet;
mod pytorch;
mod seeded;
mod stacked;
mod tiles;
mod vae;

use std::fmt;
use std::path::Path;

use ae_models::{ConvAutoencoder, ConvVae, EncoderClassifier, LeNet5, StackedAutoencoder, Vae};
use burn::module::Module;
use burn::store::ModuleRecord;
use serde::{Deserialize, Serialize};

pub use classifier::ClassifierArch;
pub use conv_autoencoder::{ConvAutoencoderArch, ConvAutoencoderSpec, Upsample};
pub use conv_vae::{ConvVaeArch, ConvVaeSpec};
pub use kind::{ArchKind, ModelKind, SpecKind};
pub use lenet::{LenetArch, LenetSpec};
pub use seeded::seeded;
pub use stacked::{GrowSpec, StackedArch, StackedSpec};
pub use tiles::{
    LayerTiles, Tiles, conv_kernels, dense_columns, dense_rows, first_kernel_channels,
};
pub use vae::{
    ACTIVE_UNIT_VARIANCE, VaeArch, VaeSpec, active_units, standard_normal, standard_normal_draws,
};

use crate::error::TrainError;

/// The `[model]` section of a recipe: the model the first stage starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ModelSpec {
    /// Dense stacked autoencoder (`kind = "stacked"`).
    Stacked(StackedSpec),
    /// Convolutional autoencoder for 32×32 images (`kind = "conv-autoencoder"`).
    ConvAutoencoder(ConvAutoencoderSpec),
    /// LeNet-5 classifier for 1×32×32 images (`kind = "lenet"`).
    Lenet(LenetSpec),
    /// Variational autoencoder, pytorch/examples' (`kind = "vae"`).
    Vae(VaeSpec),
    /// Convolutional variational autoencoder for 32×32 images (`kind = "conv-vae"`).
    ConvVae(ConvVaeSpec),
}

/// A model architecture: enough to rebuild a model (then load its weights) from a checkpoint,
/// independent of the device. Serialised in `state.json` as `{"kind": "...", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Arch {
    /// Dense stacked autoencoder.
    Stacked(StackedArch),
    /// Convolutional autoencoder on 32×32 images.
    ConvAutoencoder(ConvAutoencoderArch),
    /// LeNet-5.
    Lenet(LenetArch),
    /// An autoencoder's encoder with a classifier head.
    Classifier(ClassifierArch),
    /// Variational autoencoder.
    Vae(VaeArch),
    /// Convolutional variational autoencoder on 32×32 images.
    ConvVae(ConvVaeArch),
}

/// Any model a stage can train.
// One value per run, moved once per step: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Net {
    /// Dense stacked autoencoder.
    Stacked(StackedAutoencoder),
    /// Convolutional autoencoder.
    Conv(ConvAutoencoder),
    /// LeNet-5.
    Lenet(LeNet5),
    /// An encoder with a classifier head.
    Classifier(EncoderClassifier),
    /// Variational autoencoder.
    Vae(Vae),
    /// Convolutional variational autoencoder.
    ConvVae(ConvVae),
}

/// `each_net!(net, m => expr)`: `expr` with `m` bound to the model inside a [`Net`] (by value,
/// reference or mutable reference, as `net` is given).
#[macro_export]
#[doc(hidden)]
macro_rules! each_net {
    ($net:expr, $m:ident => $body:expr) => {
        match $net {
            $crate::Net::Stacked($m) => $body,
            $crate::Net::Conv($m) => $body,
            $crate::Net::Lenet($m) => $body,
            $crate::Net::Classifier($m) => $body,
            $crate::Net::Vae($m) => $body,
            $crate::Net::ConvVae($m) => $body,
        }
    };
}

/// `each_arch!(arch, a => expr)`: `expr` with `a` bound to the architecture inside an [`Arch`].
#[macro_export]
#[doc(hidden)]
macro_rules! each_arch {
    ($arch:expr, $a:ident => $body:expr) => {
        match $arch {
            $crate::Arch::Stacked($a) => $body,
            $crate::Arch::ConvAutoencoder($a) => $body,
            $crate::Arch::Lenet($a) => $body,
            $crate::Arch::Classifier($a) => $body,
            $crate::Arch::Vae($a) => $body,
            $crate::Arch::ConvVae($a) => $body,
        }
    };
}

macro_rules! each_spec {
    ($spec:expr, $s:ident => $body:expr) => {
        match $spec {
            ModelSpec::Stacked($s) => $body,
            ModelSpec::ConvAutoencoder($s) => $body,
            ModelSpec::Lenet($s) => $body,
            ModelSpec::Vae($s) => $body,
            ModelSpec::ConvVae($s) => $body,
        }
    };
}

impl From<StackedAutoencoder> for Net {
    fn from(m: StackedAutoencoder) -> Net {
        Net::Stacked(m)
    }
}
impl From<ConvAutoencoder> for Net {
    fn from(m: ConvAutoencoder) -> Net {
        Net::Conv(m)
    }
}
impl From<LeNet5> for Net {
    fn from(m: LeNet5) -> Net {
        Net::Lenet(m)
    }
}
impl From<EncoderClassifier> for Net {
    fn from(m: EncoderClassifier) -> Net {
        Net::Classifier(m)
    }
}
impl From<Vae> for Net {
    fn from(m: Vae) -> Net {
        Net::Vae(m)
    }
}
impl From<ConvVae> for Net {
    fn from(m: ConvVae) -> Net {
        Net::ConvVae(m)
    }
}

impl ModelSpec {
    /// The spec's kind, for dispatch.
    pub fn kind(&self) -> &dyn SpecKind {
        each_spec!(self, s => s)
    }
}

impl Arch {
    /// The architecture's kind, for dispatch.
    pub fn kind(&self) -> &dyn ArchKind {
        each_arch!(self, a => a)
    }

    /// A short name of the kind of model, e.g. `stacked autoencoder`.
    pub fn kind_name(&self) -> &'static str {
        self.kind().kind_name()
    }

    /// True for autoencoders.
    pub fn reconstructs(&self) -> bool {
        self.kind().reconstructs()
    }

    /// Size of what the encoder outputs, i.e. what a classifier head takes: the innermost code
    /// of an autoencoder, 84 for LeNet-5's last hidden layer.
    pub fn code_size(&self) -> usize {
        self.kind().code_size()
    }

    /// Floating-point operations of one forward pass per sample, counting the multiply-adds of
    /// the dense and convolution layers (2 per multiply-add; activations, pooling and
    /// upsampling are left out, as usual). A training step costs about three times this per
    /// sample: the forward pass, then the gradients of the inputs and of the weights.
    pub fn forward_flops_per_sample(&self) -> u64 {
        self.kind().forward_flops_per_sample()
    }

    /// A freshly initialised model of this architecture on `device`, its weights drawn from
    /// `seed`.
    pub fn build(&self, device: &burn::tensor::Device, seed: u64) -> Net {
        seeded(device, seed, || self.kind().build(device))
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind().describe(f)
    }
}

impl Net {
    /// A freshly initialised model of `arch` on `device`, its weights drawn from `seed`.
    pub fn build(arch: &Arch, device: &burn::tensor::Device, seed: u64) -> Net {
        arch.build(device, seed)
    }

    /// Writes the weights as a burnpack file (Burn writes a scratch file and renames it).
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let record = each_net!(self, m => m.clone().into_record());
        record.save(path).map_err(|e| TrainError::Checkpoint {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Loads weights saved by [`Net::save`] into this (same-architecture) model.
    pub fn load(self, path: &Path) -> Result<Net, TrainError> {
        let err = |e: burn::store::RecordError| TrainError::Checkpoint {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let record = ModuleRecord::load(path).map_err(err)?;
        each_net!(self, m => m.try_load_record(record).map(Net::from).map_err(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ae_models::Activation;

    #[test]
    fn forward_flops_match_hand_counts() {
        let dense = Arch::Stacked(StackedArch {
            input_size: 784,
            hidden: vec![400],
            activation: Activation::Tanh,
            output_activation: Activation::Sigmoid,
            grown: vec![GrowSpec {
                hidden: 256,
                activation: Activation::Tanh,
            }],
        });
        // 784·400 + 400·256 multiply-adds each way, 2 FLOPs each.
        assert_eq!(
            dense.forward_flops_per_sample(),
            2 * 2 * (313_600 + 102_400)
        );
        let head = ClassifierArch::on(dense, 10);
        assert_eq!(
            head.forward_flops_per_sample(),
            2 * (313_600 + 102_400 + 2_560)
        );
        assert_eq!(head.to_string(), "dense classifier 784-400-256-10");
        // conv1 6·28·28·25, conv2 16·10·10·150, fc 400·120 + 120·84 + 84·10.
        let lenet = Arch::Lenet(LenetArch { num_classes: 10 });
        assert_eq!(
            lenet.forward_flops_per_sample(),
            2 * (117_600 + 240_000 + 48_000 + 10_080 + 840)
        );
        let conv = Arch::ConvAutoencoder(ConvAutoencoderArch {
            in_channels: 3,
            code_size: 1024,
            negative_slope: 0.1,
            upsample: Upsample::Bilinear,
            output_activation: Activation::Relu,
        });
        let encoder = 64 * 256 * 27 + 128 * 64 * 576 + 128 * 16 * 1152 + 2048 * 1024;
        let decoder =
            1024 * 2048 + 128 * 16 * 1152 + 64 * 64 * 1152 + 64 * 256 * 576 + 3 * 1024 * 576;
        assert_eq!(
            conv.forward_flops_per_sample(),
            2 * (encoder + decoder) as u64
        );
        let conv_head = ClassifierArch::on(conv, 10);
        assert_eq!(
            conv_head.forward_flops_per_sample(),
            2 * (encoder + 10_240) as u64
        );
        assert_eq!(
            conv_head.to_string(),
            "classifier on the encoder of a conv autoencoder, head 1024-10"
        );
    }

    #[test]
    fn architectures_keep_their_checkpoint_json() {
        // As state.json files written before the model kinds had modules of their own.
        let old = r#"{"kind":"classifier","encoder":{"kind":"conv-autoencoder","in_channels":1,"code_size":16,"negative_slope":0.1,"upsample":"auto"},"num_classes":10}"#;
        let arch: Arch = serde_json::from_str(old).unwrap();
        let Arch::Classifier(c) = &arch else {
            panic!("{arch:?}")
        };
        assert_eq!(c.num_classes, 10);
        let Arch::ConvAutoencoder(conv) = c.encoder.as_ref() else {
            panic!("{arch:?}")
        };
        assert_eq!(conv.output_activation, Activation::Relu);
        let written = serde_json::to_string(&Arch::Lenet(LenetArch { num_classes: 10 })).unwrap();
        assert_eq!(written, r#"{"kind":"lenet","num_classes":10}"#);
    }
}
