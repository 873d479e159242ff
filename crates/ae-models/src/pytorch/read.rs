//! Reading every tensor of a PyTorch or safetensors file with burn-store's readers.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use burn::store::burn_pack::Tensor as PackTensor;
use burn::store::{ModuleStore, PytorchStore, SafetensorsStore};

use super::error::{WeightsError, one_line};
use super::format::{WeightsFormat, describe_head};

/// The tensors of a weights file, by their keys in the file (the PyTorch names), read lazily:
/// shapes and dtypes are known, the values are drawn when loaded into a model.
#[derive(Debug)]
pub struct WeightsFile {
    /// The file.
    pub path: PathBuf,
    /// Its format, detected from its content.
    pub format: WeightsFormat,
    /// Every tensor, by key.
    pub tensors: BTreeMap<String, PackTensor>,
    /// The safetensors metadata (`recipe`, `stage`, `architecture` in files `ae export`
    /// wrote); empty for PyTorch files.
    pub metadata: HashMap<String, String>,
}

impl WeightsFile {
    /// Reads `path`, a `.pth`/`.pt` file from `torch.save(state_dict)` or a `.safetensors`
    /// file: the format is told from the content, whatever the extension.
    pub fn read(path: &Path) -> Result<WeightsFile, WeightsError> {
        let io = |source| WeightsError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut head = Vec::with_capacity(16);
        file.by_ref().take(16).read_to_end(&mut head).map_err(io)?;
        let format = WeightsFormat::detect(&head).ok_or_else(|| WeightsError::UnknownFormat {
            path: path.to_path_buf(),
            found: describe_head(&head, len),
        })?;
        let corrupt = |message: String| WeightsError::Corrupt {
            path: path.to_path_buf(),
            format: format.name(),
            message: one_line(message),
        };
        let (tensors, metadata) = match format {
            WeightsFormat::Pytorch => {
                // Keys exactly as stored: no renumbering of `nn.Sequential` indices.
                let mut store = PytorchStore::from_file(path).map_indices_contiguous(false);
                let tensors = store
                    .get_all_tensors()
                    .map_err(|e| corrupt(e.to_string()))?
                    .clone();
                (tensors, HashMap::new())
            }
            WeightsFormat::Safetensors => {
                let bytes = std::fs::read(path).map_err(io)?;
                let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)
                    .map_err(|e| corrupt(format!("{e:?}")))?;
                let metadata = header.metadata().clone().unwrap_or_default();
                let mut store = SafetensorsStore::from_bytes(Some(bytes));
                let tensors = store
                    .get_all_tensors()
                    .map_err(|e| corrupt(e.to_string()))?
                    .clone();
                (tensors, metadata)
            }
        };
        Ok(WeightsFile {
            path: path.to_path_buf(),
            format,
            tensors,
            metadata,
        })
    }

    /// The keys and shapes in the file.
    pub fn shapes(&self) -> BTreeMap<String, Vec<usize>> {
        self.tensors
            .iter()
            .map(|(key, tensor)| (key.clone(), tensor.shape.to_vec()))
            .collect()
    }
}
