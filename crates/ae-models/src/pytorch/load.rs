//! Loading a weights file into a model: every key and shape checked first (in PyTorch's names
//! and layouts, so that errors speak the notebook's language), then applied with burn-store's
//! `PyTorchToBurnAdapter` (Linear weights transposed) and any float dtype cast to f32.

use std::collections::BTreeMap;
use std::path::Path;

use burn::store::burn_pack::Tensor as PackTensor;
use burn::store::{
    BurnToPyTorchAdapter, FloatCastAdapter, KeyRemapper, ModuleAdapter, ModuleSnapshot,
    PyTorchToBurnAdapter,
};
use burn::tensor::DType;

use super::error::{WeightsError, one_line};
use super::names::PytorchNames;
use super::read::WeightsFile;

/// How many keys an error message lists besides the first.
const LISTED: usize = 4;

/// Key remapping from Burn module paths to PyTorch keys (`to_pytorch`) or back.
pub(crate) fn remapper(names: &[(String, String)], to_pytorch: bool) -> KeyRemapper {
    let escape = |name: &str| name.replace('.', r"\.");
    let patterns = names.iter().map(|(burn, pytorch)| {
        let (from, to) = if to_pytorch {
            (burn, pytorch)
        } else {
            (pytorch, burn)
        };
        (format!(r"^{}\.", escape(from)), format!("{to}."))
    });
    // The names are plain identifiers, digits and dots: always a valid pattern.
    KeyRemapper::from_pattern_iter(patterns).expect("layer names make valid patterns")
}

/// The model's parameters as PyTorch keys with PyTorch shapes (nothing is materialised).
pub fn expected_shapes<M: PytorchNames>(model: &M) -> BTreeMap<String, Vec<usize>> {
    let tensors = model.collect(None, Some(Box::new(BurnToPyTorchAdapter)), true);
    let (tensors, _) = remapper(&model.pytorch_names(), true).remap(tensors);
    tensors
        .into_iter()
        .map(|t| (t.name.clone(), t.shape.to_vec()))
        .collect()
}

fn others(label: &str, keys: &[&String]) -> String {
    if keys.is_empty() {
        return String::new();
    }
    let mut listed: Vec<&str> = keys.iter().take(LISTED).map(|k| k.as_str()).collect();
    if keys.len() > LISTED {
        listed.push("…");
    }
    format!("; also {label}: {}", listed.join(", "))
}

fn abbreviated(keys: &BTreeMap<String, Vec<usize>>) -> String {
    let mut listed: Vec<&str> = keys.keys().take(LISTED + 2).map(|k| k.as_str()).collect();
    if keys.len() > LISTED + 2 {
        listed.push("…");
    }
    listed.join(", ")
}

impl WeightsFile {
    /// Checks that the file holds exactly the model's parameters, in shapes that fit and in a
    /// float dtype; the first fault found is the error (missing keys first, then unexpected
    /// ones, then shapes and dtypes).
    pub fn check<M: PytorchNames>(&self, model: &M) -> Result<(), WeightsError> {
        let path = || self.path.clone();
        let expected = expected_shapes(model);
        let missing: Vec<&String> = expected
            .keys()
            .filter(|k| !self.tensors.contains_key(*k))
            .collect();
        if let Some((first, rest)) = missing.split_first() {
            return Err(WeightsError::MissingKey {
                path: path(),
                key: (*first).clone(),
                expected: expected[*first].clone(),
                others: others("missing", rest),
            });
        }
        let unexpected: Vec<&String> = self
            .tensors
            .keys()
            .filter(|k| !expected.contains_key(*k))
            .collect();
        if let Some((first, rest)) = unexpected.split_first() {
            return Err(WeightsError::UnexpectedKey {
                path: path(),
                key: (*first).clone(),
                expected: abbreviated(&expected),
                others: others("unexpected", rest),
            });
        }
        for (key, shape) in &expected {
            let tensor = &self.tensors[key];
            if tensor.shape.as_slice() != shape.as_slice() {
                return Err(WeightsError::ShapeMismatch {
                    path: path(),
                    key: key.clone(),
                    expected: shape.clone(),
                    found: tensor.shape.to_vec(),
                });
            }
            if !tensor.dtype.is_float() {
                return Err(WeightsError::NotFloat {
                    path: path(),
                    key: key.clone(),
                    dtype: format!("{:?}", tensor.dtype),
                });
            }
        }
        Ok(())
    }

    /// Loads the file's tensors into `model` (any architecture with [`PytorchNames`]) after
    /// [`Self::check`]: PyTorch `[out, in]` Linear weights become Burn's `[in, out]`, and
    /// f16/bf16/f64 values become f32.
    pub fn load_into<M: PytorchNames>(&self, mut model: M) -> Result<M, WeightsError> {
        self.check(&model)?;
        let tensors: Vec<PackTensor> = self.tensors.values().cloned().collect();
        let (tensors, _) = remapper(&model.pytorch_names(), false).remap(tensors);
        let adapter: Box<dyn ModuleAdapter> =
            Box::new(PyTorchToBurnAdapter.chain(FloatCastAdapter::to(DType::F32)));
        let result = model.apply(tensors, None, Some(adapter), true);
        // After `check`, only unreadable tensor data is left to fail here.
        if let Some(error) = result.errors.first() {
            return Err(WeightsError::Corrupt {
                path: self.path.clone(),
                format: self.format.name(),
                message: one_line(error),
            });
        }
        if let Some((key, _)) = result.missing.first() {
            return Err(WeightsError::Corrupt {
                path: self.path.clone(),
                format: self.format.name(),
                message: format!("parameter '{key}' was not loaded"),
            });
        }
        Ok(model)
    }
}

/// Loads a PyTorch (`.pth`/`.pt`) or safetensors file, told apart by content, into `model`.
///
/// `model` gives the architecture (build it with its config first); its weights are replaced.
/// Errors name the file and the first fault: a missing or unexpected key, a shape that does not
/// fit (expected and found, PyTorch layout), a file in neither format, a truncated file.
pub fn load_pytorch<M: PytorchNames>(model: M, path: &Path) -> Result<M, WeightsError> {
    WeightsFile::read(path)?.load_into(model)
}
