//! Writing a model as a safetensors file with the notebook's keys and PyTorch's layouts.

use std::path::Path;

use burn::store::{BurnToPyTorchAdapter, ModuleSnapshot, SafetensorsStore};

use super::error::{WeightsError, one_line};
use super::load::remapper;
use super::names::PytorchNames;

/// Writes `model` to `path` as safetensors that
/// `model.load_state_dict(safetensors.torch.load_file(path), strict=True)` accepts on the
/// notebook's PyTorch class: the notebook's keys, Linear weights as `[out, in]`, f32.
///
/// `metadata` goes into the file's header (string pairs; burn-store adds `format`, `producer`
/// and `version`). The file is written beside `path` and renamed into place, replacing any
/// file there.
pub fn save_pytorch<M: PytorchNames>(
    model: &M,
    path: &Path,
    metadata: &[(String, String)],
) -> Result<(), WeightsError> {
    let mut store = SafetensorsStore::from_file(path)
        .with_to_adapter(BurnToPyTorchAdapter)
        .skip_enum_variants(true)
        .remap(remapper(&model.pytorch_names(), true))
        .overwrite(true);
    for (key, value) in metadata {
        store = store.metadata(key.clone(), value.clone());
    }
    model
        .save_into(&mut store)
        .map_err(|e| WeightsError::Write {
            path: path.to_path_buf(),
            message: one_line(e),
        })
}
