//! The model being trained, whichever it is, with seeded construction, the stage transitions
//! (grow, classifier head) and saving/loading its weights.

use std::path::Path;
use std::sync::Mutex;

use ae_models::{
    Classifies, ConvAutoencoder, ConvAutoencoderConfig, EncoderClassifier, LeNet5, LeNet5Config,
    Reconstruction, Reconstructs, StackedAutoencoder, StackedAutoencoderConfig, UpsampleMode,
};
use burn::module::{Module, ModuleVisitor, Param};
use burn::store::ModuleRecord;
use burn::tensor::{Device, Tensor};

use crate::arch::{Arch, GrowSpec, Upsample};
use crate::error::TrainError;

/// Burn's CPU backends draw initial weights from one process-wide generator. Seeding it and
/// drawing a whole model's weights happen under this lock, so models built on other threads at
/// the same time cannot take numbers from the sequence.
static INIT_LOCK: Mutex<()> = Mutex::new(());

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
}

/// Draws every lazily initialised parameter now.
struct Materialize;

impl ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

/// Runs `build` with the weight generator seeded by `seed` and materialises the result.
fn seeded<M: Module>(device: &Device, seed: u64, build: impl FnOnce() -> M) -> M {
    let _guard = INIT_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    device.seed(seed);
    let model = build();
    model.visit(&mut Materialize);
    model
}

fn upsample_mode(upsample: Upsample, device: &Device) -> UpsampleMode {
    match upsample {
        Upsample::Auto => UpsampleMode::for_device(device),
        Upsample::Burn => UpsampleMode::Burn,
        Upsample::Portable => UpsampleMode::Portable,
    }
}

fn build_stacked(
    input_size: usize,
    hidden: &[usize],
    activation: ae_models::Activation,
    output_activation: ae_models::Activation,
    grown: &[GrowSpec],
    device: &Device,
) -> StackedAutoencoder {
    let config =
        StackedAutoencoderConfig::new(input_size, hidden.to_vec(), activation, output_activation);
    grown.iter().fold(config.init(device), |ae, g| {
        ae.grow(g.hidden, g.activation, device)
    })
}

fn build_unseeded(arch: &Arch, device: &Device) -> Net {
    match arch {
        Arch::Stacked {
            input_size,
            hidden,
            activation,
            output_activation,
            grown,
        } => Net::Stacked(build_stacked(
            *input_size,
            hidden,
            *activation,
            *output_activation,
            grown,
            device,
        )),
        Arch::ConvAutoencoder {
            in_channels,
            code_size,
            negative_slope,
            upsample,
            output_activation,
        } => Net::Conv(
            ConvAutoencoderConfig::new()
                .with_in_channels(*in_channels)
                .with_code_size(*code_size)
                .with_negative_slope(*negative_slope)
                .with_upsample(upsample_mode(*upsample, device))
                .with_output_activation(*output_activation)
                .init(device),
        ),
        Arch::Lenet { num_classes } => Net::Lenet(
            LeNet5Config::new()
                .with_num_classes(*num_classes)
                .init(device),
        ),
        Arch::Classifier {
            encoder,
            num_classes,
        } => match build_unseeded(encoder, device) {
            Net::Stacked(ae) => {
                Net::Classifier(EncoderClassifier::from_stacked(ae, *num_classes, device))
            }
            Net::Conv(ae) => {
                Net::Classifier(EncoderClassifier::from_conv(ae, *num_classes, device))
            }
            // The recipe's plan only puts heads on autoencoders.
            other => other,
        },
    }
}

impl Net {
    /// A freshly initialised model of `arch` on `device`, its weights drawn from `seed`.
    pub fn build(arch: &Arch, device: &Device, seed: u64) -> Net {
        seeded(device, seed, || build_unseeded(arch, device))
    }

    /// The stacked autoencoder grown by one inner pair (outer weights carried over); the new
    /// layers' weights are drawn from `seed`. Other models are returned unchanged.
    pub fn grow(self, grow: &GrowSpec, device: &Device, seed: u64) -> Net {
        match self {
            Net::Stacked(ae) => seeded(device, seed, || {
                Net::Stacked(ae.grow(grow.hidden, grow.activation, device))
            }),
            other => other,
        }
    }

    /// The autoencoder's encoder with a new head of `num_classes` (weights drawn from `seed`);
    /// the decoder is dropped. Classifiers are returned unchanged.
    pub fn into_classifier(self, num_classes: usize, device: &Device, seed: u64) -> Net {
        match self {
            Net::Stacked(ae) => seeded(device, seed, || {
                Net::Classifier(EncoderClassifier::from_stacked(ae, num_classes, device))
            }),
            Net::Conv(ae) => seeded(device, seed, || {
                Net::Classifier(EncoderClassifier::from_conv(ae, num_classes, device))
            }),
            other => other,
        }
    }

    /// Freezes the encoder of a classifier (only its head trains).
    pub fn freeze_encoder(self) -> Net {
        match self {
            Net::Classifier(c) => Net::Classifier(c.freeze_encoder()),
            other => other,
        }
    }

    /// Reconstruction of `images` ([batch, c, h, w]); `None` for classifiers.
    pub fn reconstruct(&self, images: Tensor<4>) -> Option<Reconstruction> {
        match self {
            Net::Stacked(m) => Some(m.reconstruct(images)),
            Net::Conv(m) => Some(m.reconstruct(images)),
            Net::Lenet(_) | Net::Classifier(_) => None,
        }
    }

    /// Log-probabilities [batch, classes] of `images`; `None` for autoencoders.
    pub fn log_probs(&self, images: Tensor<4>) -> Option<Tensor<2>> {
        match self {
            Net::Lenet(m) => Some(m.log_probs(images)),
            Net::Classifier(m) => Some(m.log_probs(images)),
            Net::Stacked(_) | Net::Conv(_) => None,
        }
    }

    /// The code of `images` ([batch, c, h, w]): `[batch, code_size]`: an autoencoder's innermost
    /// code, a classifier's encoder output, LeNet-5's 84-d penultimate layer.
    pub fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        match self {
            Net::Stacked(m) => m.reconstruct(images).code,
            Net::Conv(m) => m.encode(images),
            Net::Lenet(m) => m.features(images),
            Net::Classifier(m) => m.encode(images),
        }
    }

    /// Encoder layer sizes of a stacked autoencoder, outermost first.
    #[cfg(test)]
    pub fn stacked_hidden_sizes(&self) -> Option<Vec<usize>> {
        match self {
            Net::Stacked(ae) => Some(ae.hidden_sizes()),
            _ => None,
        }
    }

    /// Writes the weights as a burnpack file (Burn writes a scratch file and renames it).
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let record = match self {
            Net::Stacked(m) => m.clone().into_record(),
            Net::Conv(m) => m.clone().into_record(),
            Net::Lenet(m) => m.clone().into_record(),
            Net::Classifier(m) => m.clone().into_record(),
        };
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
        Ok(match self {
            Net::Stacked(m) => Net::Stacked(m.try_load_record(record).map_err(err)?),
            Net::Conv(m) => Net::Conv(m.try_load_record(record).map_err(err)?),
            Net::Lenet(m) => Net::Lenet(m.try_load_record(record).map_err(err)?),
            Net::Classifier(m) => Net::Classifier(m.try_load_record(record).map_err(err)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ae_models::Activation;

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().iter::<f32>().collect()
    }

    fn outer_layers(net: &Net) -> (Vec<f32>, Vec<f32>) {
        match net {
            Net::Stacked(ae) => (
                values(ae.encoder.layers[0].linear.weight.val()),
                values(ae.decoder.layers.last().unwrap().linear.weight.val()),
            ),
            _ => panic!("not a stacked autoencoder"),
        }
    }

    fn dense(hidden: Vec<usize>, grown: Vec<usize>) -> Arch {
        Arch::Stacked {
            input_size: 784,
            hidden,
            activation: Activation::Tanh,
            output_activation: Activation::Sigmoid,
            grown: grown
                .into_iter()
                .map(|hidden| GrowSpec {
                    hidden,
                    activation: Activation::Tanh,
                })
                .collect(),
        }
    }

    #[test]
    fn greedy_growth_carries_the_outer_layers_bit_for_bit() {
        let device = Device::flex().autodiff();
        let net = Net::build(&dense(vec![400], vec![]), &device, 1);
        assert_eq!(net.stacked_hidden_sizes(), Some(vec![400]));
        let before = outer_layers(&net);
        let grow = GrowSpec {
            hidden: 256,
            activation: Activation::Tanh,
        };
        let grown = net.grow(&grow, &device, 2);
        assert_eq!(grown.stacked_hidden_sizes(), Some(vec![400, 256]));
        assert_eq!(outer_layers(&grown), before);
        match &grown {
            Net::Stacked(ae) => {
                assert_eq!(ae.decoder.layers.len(), 2);
                assert_eq!(ae.decoder.layers[0].linear.weight.dims(), [256, 400]);
                assert_eq!(ae.encoder.layers[1].linear.weight.dims(), [400, 256]);
            }
            _ => unreachable!(),
        }

        // A model rebuilt from the architecture (as on resume) takes the grown model's weights.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.bpk");
        grown.save(&path).unwrap();
        let rebuilt = Net::build(&dense(vec![400], vec![256]), &device, 99)
            .load(&path)
            .unwrap();
        assert_eq!(outer_layers(&rebuilt), before);
    }

    #[test]
    fn end_to_end_architecture_builds_the_whole_stack_at_once() {
        let device = Device::flex();
        let net = Net::build(&dense(vec![400, 256], vec![]), &device, 5);
        assert_eq!(net.stacked_hidden_sizes(), Some(vec![400, 256]));
    }

    #[test]
    fn a_seed_fixes_the_initial_weights() {
        let device = Device::flex();
        let arch = dense(vec![32], vec![]);
        let a = outer_layers(&Net::build(&arch, &device, 7));
        let b = outer_layers(&Net::build(&arch, &device, 7));
        let c = outer_layers(&Net::build(&arch, &device, 8));
        assert_eq!(a, b);
        assert_ne!(a.0, c.0);
    }

    #[test]
    fn the_classifier_keeps_the_pretrained_encoder() {
        let device = Device::flex().autodiff();
        let net = Net::build(&dense(vec![400], vec![256]), &device, 1);
        let (encoder, _) = outer_layers(&net);
        let classifier = net.into_classifier(10, &device, 2);
        match &classifier {
            Net::Classifier(c) => match &c.encoder {
                ae_models::Encoder::Dense(stack) => {
                    assert_eq!(values(stack.layers[0].linear.weight.val()), encoder);
                    assert_eq!(c.head.weight.dims(), [256, 10]);
                }
                _ => panic!("dense encoder expected"),
            },
            _ => panic!("classifier expected"),
        }
        assert!(matches!(classifier, Net::Classifier(_)));
    }
}
