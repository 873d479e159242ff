//! The model of any stage ([`Net`]) loaded from or saved as PyTorch weights.

use std::collections::BTreeMap;
use std::path::Path;

use ae_models::pytorch::{WeightsError, WeightsFile, expected_shapes, save_pytorch};

use crate::net::Net;

impl Net {
    /// This architecture with the file's weights.
    pub(crate) fn load_weights(self, file: &WeightsFile) -> Result<Net, WeightsError> {
        Ok(match self {
            Net::Stacked(m) => Net::Stacked(file.load_into(m)?),
            Net::Conv(m) => Net::Conv(file.load_into(m)?),
            Net::Lenet(m) => Net::Lenet(file.load_into(m)?),
            Net::Classifier(m) => Net::Classifier(file.load_into(m)?),
        })
    }

    /// Writes the weights as safetensors with the notebook's keys and PyTorch layouts.
    pub(crate) fn save_weights(
        &self,
        path: &Path,
        metadata: &[(String, String)],
    ) -> Result<(), WeightsError> {
        match self {
            Net::Stacked(m) => save_pytorch(m, path, metadata),
            Net::Conv(m) => save_pytorch(m, path, metadata),
            Net::Lenet(m) => save_pytorch(m, path, metadata),
            Net::Classifier(m) => save_pytorch(m, path, metadata),
        }
    }

    /// The PyTorch keys and shapes of this model.
    pub(crate) fn pytorch_shapes(&self) -> BTreeMap<String, Vec<usize>> {
        match self {
            Net::Stacked(m) => expected_shapes(m),
            Net::Conv(m) => expected_shapes(m),
            Net::Lenet(m) => expected_shapes(m),
            Net::Classifier(m) => expected_shapes(m),
        }
    }
}
