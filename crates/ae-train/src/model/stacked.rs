//! The dense stacked autoencoder (the stacked-autoencoder and denoising notebooks): grown layer
//! by layer (greedy) or built whole (end to end); its encoder's units and decoder's output
//! units drawn as images.

use std::fmt;

use ae_models::{
    Activation, EncoderClassifier, Reconstruction, Reconstructs, StackedAutoencoder,
    StackedAutoencoderConfig,
};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::kind::dense_flops;
use super::{Arch, ArchKind, LayerTiles, ModelKind, Net, SpecKind, dense_columns, dense_rows};
use crate::error::{RecipeError, TrainError};
use crate::recipe::{Recipe, Strategy};

/// `[model] kind = "stacked"`: a dense autoencoder `input - hidden[0] - ... - hidden[0] -
/// input`; the input size is the dataset's image size after resize (784 for MNIST).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackedSpec {
    /// Encoder layer sizes, outermost first, e.g. `[400]`.
    pub hidden: Vec<usize>,
    /// Activation of encoder layers and inner decoder layers.
    #[serde(default = "default_activation")]
    pub activation: Activation,
    /// Activation of the output layer.
    #[serde(default = "default_output_activation")]
    pub output_activation: Activation,
}

fn default_activation() -> Activation {
    Activation::Tanh
}
fn default_output_activation() -> Activation {
    Activation::Sigmoid
}

/// An inner layer pair added to a stacked autoencoder (greedy layer-wise training).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrowSpec {
    /// Size of the new innermost code.
    pub hidden: usize,
    /// Activation of the new encoder layer and of the new decoder layer.
    #[serde(default = "default_activation")]
    pub activation: Activation,
}

/// Dense stacked autoencoder built from `hidden` (one activation) and then grown by `grown`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackedArch {
    pub input_size: usize,
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub output_activation: Activation,
    pub grown: Vec<GrowSpec>,
}

impl StackedArch {
    /// Encoder layer sizes, outermost first.
    pub fn hidden_sizes(&self) -> Vec<usize> {
        self.hidden
            .iter()
            .copied()
            .chain(self.grown.iter().map(|g| g.hidden))
            .collect()
    }

    /// Input, then every encoder layer's size.
    fn encoder_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![self.input_size];
        sizes.extend(self.hidden_sizes());
        sizes
    }

    fn encoder_flops(&self) -> u64 {
        self.encoder_sizes()
            .windows(2)
            .map(|w| dense_flops(w[0], w[1]))
            .sum()
    }
}

impl SpecKind for StackedSpec {
    fn initial_arch(&self, recipe: &Recipe, input: [usize; 3]) -> Result<Arch, RecipeError> {
        let [c, h, w] = input;
        if self.hidden.is_empty() {
            return Err(RecipeError::invalid(
                "model.hidden",
                "is empty, expected at least one layer size, e.g. [400]",
            ));
        }
        if let Some(i) = self.hidden.iter().position(|&h| h == 0) {
            return Err(RecipeError::Zero {
                key: format!("model.hidden[{i}]"),
            });
        }
        let mut grown = Vec::new();
        if recipe.strategy == Strategy::EndToEnd {
            grown.extend(recipe.stages.iter().filter_map(|s| s.grow.clone()));
        }
        Ok(Arch::Stacked(StackedArch {
            input_size: c * h * w,
            hidden: self.hidden.clone(),
            activation: self.activation,
            output_activation: self.output_activation,
            grown,
        }))
    }
}

impl ArchKind for StackedArch {
    fn build(&self, device: &Device) -> Net {
        let config = StackedAutoencoderConfig::new(
            self.input_size,
            self.hidden.clone(),
            self.activation,
            self.output_activation,
        );
        let ae = self.grown.iter().fold(config.init(device), |ae, g| {
            ae.grow(g.hidden, g.activation, device)
        });
        Net::Stacked(ae)
    }

    fn kind_name(&self) -> &'static str {
        "stacked autoencoder"
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = self.hidden_sizes();
        let mut sizes = vec![self.input_size];
        sizes.extend(hidden.iter().copied());
        sizes.extend(hidden.iter().rev().skip(1).copied());
        sizes.push(self.input_size);
        let sizes: Vec<String> = sizes.iter().map(|s| s.to_string()).collect();
        write!(f, "dense autoencoder {}", sizes.join("-"))
    }

    fn reconstructs(&self) -> bool {
        true
    }

    fn code_size(&self) -> usize {
        self.hidden_sizes().last().copied().unwrap_or(0)
    }

    fn forward_flops_per_sample(&self) -> u64 {
        2 * self.encoder_flops()
    }

    fn encoder_flops_per_sample(&self) -> u64 {
        self.encoder_flops()
    }

    fn describe_with_head(&self, classes: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sizes = self.encoder_sizes();
        sizes.push(classes);
        let sizes: Vec<String> = sizes.iter().map(|s| s.to_string()).collect();
        write!(f, "dense classifier {}", sizes.join("-"))
    }

    fn grown(&self, grow: &super::GrowSpec) -> Result<Arch, String> {
        let mut arch = self.clone();
        arch.grown.push(grow.clone());
        Ok(Arch::Stacked(arch))
    }
}

/// A dense first layer `[d_input, units]` as one image per unit: the `encoder` tiles of a
/// stacked autoencoder and of the classifier on its encoder.
pub(super) fn first_layer_tiles(
    weight: Tensor<2>,
    image: [usize; 3],
) -> Result<LayerTiles, TrainError> {
    let units = weight.dims()[1];
    Ok(LayerTiles::new(
        "encoder",
        format!("the first layer, one image per unit of its {units}"),
        dense_columns(weight, image)?,
    ))
}

impl ModelKind for StackedAutoencoder {
    fn reconstruct(&self, images: Tensor<4>) -> Option<Reconstruction> {
        Some(Reconstructs::reconstruct(self, images))
    }

    fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        Reconstructs::reconstruct(self, images).code
    }

    fn weight_tiles(&self, image: [usize; 3]) -> Result<Vec<LayerTiles>, TrainError> {
        let first = self
            .encoder
            .layers
            .first()
            .ok_or_else(|| TrainError::InvalidOption("the encoder has no layer".into()))?;
        let mut tiles = vec![first_layer_tiles(first.linear.weight.val(), image)?];
        if let Some(output) = self.decoder.layers.last() {
            let weight = output.linear.weight.val();
            let units = weight.dims()[0];
            tiles.push(LayerTiles::new(
                "decoder",
                format!("the decoder's output layer, one image per unit of its {units} inputs"),
                dense_rows(weight, image)?,
            ));
        }
        Ok(tiles)
    }

    fn grow(self, grow: &GrowSpec, device: &Device) -> Net {
        Net::Stacked(StackedAutoencoder::grow(
            self,
            grow.hidden,
            grow.activation,
            device,
        ))
    }

    fn into_classifier(self, classes: usize, device: &Device) -> Net {
        EncoderClassifier::from_stacked(self, classes, device).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn hidden_sizes(net: &Net) -> Vec<usize> {
        match net {
            Net::Stacked(ae) => ae.hidden_sizes(),
            _ => panic!("not a stacked autoencoder"),
        }
    }

    pub(crate) fn dense(hidden: Vec<usize>, grown: Vec<usize>) -> Arch {
        Arch::Stacked(StackedArch {
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
        })
    }

    #[test]
    fn greedy_growth_carries_the_outer_layers_bit_for_bit() {
        let device = Device::flex().autodiff();
        let net = Net::build(&dense(vec![400], vec![]), &device, 1);
        assert_eq!(hidden_sizes(&net), vec![400]);
        let before = outer_layers(&net);
        let grow = GrowSpec {
            hidden: 256,
            activation: Activation::Tanh,
        };
        let grown = super::super::seeded(&device, 2, || net.grow(&grow, &device));
        assert_eq!(hidden_sizes(&grown), vec![400, 256]);
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
        assert_eq!(hidden_sizes(&net), vec![400, 256]);
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
        let classifier = net.into_classifier(10, &device);
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
    }

    #[test]
    fn the_weight_pictures_are_the_encoder_units_and_the_decoder_outputs() {
        let device = Device::flex();
        let net = Net::build(&dense(vec![20], vec![]), &device, 3);
        let tiles = net.weight_tiles([1, 28, 28]).unwrap();
        let names: Vec<&str> = tiles.iter().map(|layer| layer.name).collect();
        assert_eq!(names, ["encoder", "decoder"]);
        for t in tiles.iter().map(|layer| &layer.tiles) {
            assert_eq!(
                (t.channels, t.height, t.width, t.tiles.len()),
                (1, 28, 28, 20)
            );
        }
        // Unit 0's image is column 0 of the [784, 20] weight.
        let Net::Stacked(ae) = &net else {
            unreachable!()
        };
        let w = values(ae.encoder.layers[0].linear.weight.val());
        assert_eq!(tiles[0].tiles.tiles[0][5], w[5 * 20]);
        assert!(net.weight_tiles([1, 32, 32]).is_err());
    }
}
