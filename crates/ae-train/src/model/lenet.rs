//! LeNet-5 (the LeNet notebook): a classifier of its own, no pretraining; its first
//! convolution's kernels drawn as tiles, its 84-d penultimate layer as the code.

use std::fmt;

use ae_data::NUM_CLASSES;
use ae_models::{Classifies, LeNet5, LeNet5Config};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::kind::{conv_flops, dense_flops, needs_32x32};
use super::{
    Arch, ArchKind, LayerTiles, ModelKind, Net, SpecKind, conv_kernels, first_kernel_channels,
};
use crate::error::{RecipeError, TrainError};
use crate::recipe::Recipe;

/// `[model] kind = "lenet"`: LeNet-5 for 1×32×32 images (no other keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LenetSpec {}

/// LeNet-5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LenetArch {
    pub num_classes: usize,
}

/// Size of LeNet-5's penultimate layer, its code.
const FEATURES: usize = 84;

impl SpecKind for LenetSpec {
    fn initial_arch(&self, recipe: &Recipe, input: [usize; 3]) -> Result<Arch, RecipeError> {
        let [c, h, w] = input;
        if c != 1 {
            return Err(RecipeError::invalid(
                "dataset",
                format!(
                    "LeNet-5 takes 1-channel images but {} has {c} channels",
                    recipe.dataset
                ),
            ));
        }
        if (h, w) != (32, 32) {
            let fits = ["bilinear32", "pad32"];
            return Err(needs_32x32("LeNet-5", recipe, [h, w], fits));
        }
        // Before a user's data is read its class count is not known; the run plans again.
        let num_classes = recipe
            .dataset_classes()
            .filter(|&c| c > 0)
            .unwrap_or(NUM_CLASSES);
        Ok(Arch::Lenet(LenetArch { num_classes }))
    }
}

impl ArchKind for LenetArch {
    fn build(&self, device: &Device) -> Net {
        Net::Lenet(
            LeNet5Config::new()
                .with_num_classes(self.num_classes)
                .init(device),
        )
    }

    fn kind_name(&self) -> &'static str {
        "LeNet-5"
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LeNet-5, {} classes", self.num_classes)
    }

    fn code_size(&self) -> usize {
        FEATURES
    }

    fn code_description(&self) -> String {
        format!("LeNet-5's {FEATURES}-d penultimate layer")
    }

    fn forward_flops_per_sample(&self) -> u64 {
        conv_flops(1, 6, 5, 28)
            + conv_flops(6, 16, 5, 10)
            + dense_flops(400, 120)
            + dense_flops(120, FEATURES)
            + dense_flops(FEATURES, self.num_classes)
    }
}

impl ModelKind for LeNet5 {
    fn log_probs(&self, images: Tensor<4>) -> Option<Tensor<2>> {
        Some(Classifies::log_probs(self, images))
    }

    fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        self.features(images)
    }

    fn weight_tiles(&self, _image: [usize; 3]) -> Result<Vec<LayerTiles>, TrainError> {
        // As the LeNet lecture shows them: conv1's six 5×5 kernels in one row, and the six
        // input channels of conv2's first kernel in one row.
        let conv1 = conv_kernels(self.conv1.weight.val())?;
        let kernels = conv1.tiles.len();
        let conv2 = first_kernel_channels(self.conv2.weight.val())?;
        let channels = conv2.tiles.len();
        Ok(vec![
            LayerTiles::new("conv1", format!("conv1's {kernels} kernels"), conv1).per_row(kernels),
            LayerTiles::new(
                "conv2-kernel1",
                format!("the {channels} input channels of conv2's first kernel"),
                conv2,
            )
            .per_row(channels),
        ])
    }
}
