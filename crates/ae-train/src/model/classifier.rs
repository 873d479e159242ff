//! An autoencoder's encoder with a classifier head (the notebooks' fine-tuning stages): the
//! encoder's first layer drawn as its autoencoder's is, its encoder output as the code.

use std::fmt;

use ae_models::{Classifies, Encoder, EncoderClassifier};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::conv_autoencoder::conv1_tiles;
use super::kind::dense_flops;
use super::stacked::first_layer_tiles;
use super::{Arch, ArchKind, LayerTiles, ModelKind, Net};
use crate::error::TrainError;

/// An autoencoder's encoder with a classifier head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierArch {
    pub encoder: Box<Arch>,
    pub num_classes: usize,
}

impl ClassifierArch {
    /// The classifier a classification stage trains on the autoencoder `encoder`.
    pub fn on(encoder: Arch, num_classes: usize) -> Arch {
        Arch::Classifier(ClassifierArch {
            encoder: Box::new(encoder),
            num_classes,
        })
    }
}

impl ArchKind for ClassifierArch {
    fn build(&self, device: &Device) -> Net {
        // The encoder's weights are drawn first, then the head's (as when a head is put on a
        // trained autoencoder).
        self.encoder
            .kind()
            .build(device)
            .into_classifier(self.num_classes, device)
    }

    fn kind_name(&self) -> &'static str {
        "encoder classifier"
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.encoder.kind().describe_with_head(self.num_classes, f)
    }

    fn code_size(&self) -> usize {
        self.encoder.code_size()
    }

    fn code_description(&self) -> String {
        format!("{}-d code of the classifier's encoder", self.code_size())
    }

    fn forward_flops_per_sample(&self) -> u64 {
        self.encoder.kind().encoder_flops_per_sample()
            + dense_flops(self.encoder.code_size(), self.num_classes)
    }

    fn has_pretrained_encoder(&self) -> bool {
        true
    }

    fn head_on(&self) -> Option<(&Arch, usize)> {
        Some((&self.encoder, self.num_classes))
    }
}

impl ModelKind for EncoderClassifier {
    fn log_probs(&self, images: Tensor<4>) -> Option<Tensor<2>> {
        Some(Classifies::log_probs(self, images))
    }

    fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        EncoderClassifier::encode(self, images)
    }

    fn weight_tiles(&self, image: [usize; 3]) -> Result<Vec<LayerTiles>, TrainError> {
        let first = match &self.encoder {
            Encoder::Dense(stack) => match stack.layers.first() {
                Some(layer) => first_layer_tiles(layer.linear.weight.val(), image)?,
                None => return Err(TrainError::InvalidOption("the encoder has no layer".into())),
            },
            Encoder::Conv(enc) => conv1_tiles(enc.conv1.weight.val())?,
        };
        Ok(vec![first])
    }

    fn freeze_encoder(self) -> Net {
        EncoderClassifier::freeze_encoder(self).into()
    }
}
