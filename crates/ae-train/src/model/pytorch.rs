//! The model of any stage loaded from or saved as PyTorch weights; the key names and layouts
//! of each kind are the model's own, in `ae_models::pytorch`.

use std::collections::BTreeMap;
use std::path::Path;

use ae_models::pytorch::{WeightsError, WeightsFile, expected_shapes, save_pytorch};

use super::Net;

impl Net {
    /// This architecture with the file's weights.
    pub fn load_weights(self, file: &WeightsFile) -> Result<Net, WeightsError> {
        crate::each_net!(self, m => file.load_into(m).map(Net::from))
    }

    /// Writes the weights as safetensors with the notebook's keys and PyTorch layouts.
    pub fn save_weights(
        &self,
        path: &Path,
        metadata: &[(String, String)],
    ) -> Result<(), WeightsError> {
        crate::each_net!(self, m => save_pytorch(m, path, metadata))
    }

    /// The PyTorch keys and shapes of this model.
    pub fn pytorch_shapes(&self) -> BTreeMap<String, Vec<usize>> {
        crate::each_net!(self, m => expected_shapes(m))
    }
}
