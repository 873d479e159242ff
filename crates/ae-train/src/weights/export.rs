//! `ae export`: a run folder's checkpoint as safetensors for the notebook's PyTorch class.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::Device;

use crate::checkpoint::{Checkpoints, Which};
use crate::error::TrainError;
use crate::model::Net;
use crate::recipe::Recipe;
use crate::run_folder::RunFolder;
use crate::trained_model::run_class_names;

/// What [`export`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportSummary {
    /// The safetensors file.
    pub out: PathBuf,
    /// The run's recipe name.
    pub recipe: String,
    /// Stage of the checkpoint, from 1, and its name.
    pub stage: usize,
    pub stage_name: String,
    /// Complete epochs of that stage.
    pub epoch: usize,
    /// The architecture, in words (`dense autoencoder 784-400-784`).
    pub architecture: String,
    /// Every key written, with its PyTorch shape.
    pub keys: BTreeMap<String, Vec<usize>>,
}

/// Writes the `which` checkpoint of the run in `run_dir` to `out` as safetensors with the
/// notebook's keys and layouts. The header's metadata holds `recipe`, `stage` (from 1),
/// `stage_name`, `epoch`, `architecture` (in words), `arch` (the JSON `state.json` uses),
/// `dataset`, `class_names` (a JSON array, one name per class: the folder names of a folder of
/// pictures) and `resize` (how the recipe sizes the images).
pub fn export(
    run_dir: &Path,
    which: Which,
    out: &Path,
    device: &Device,
) -> Result<ExportSummary, TrainError> {
    let folder = RunFolder::open(run_dir)?;
    let recipe = Recipe::from_file(&folder.recipe())?;
    let checkpoints = Checkpoints::new(run_dir);
    let pointer = checkpoints
        .pointer(which)?
        .ok_or_else(|| TrainError::RunFolder {
            path: run_dir.to_path_buf(),
            message: "has no checkpoint yet (no epoch finished)".into(),
        })?;
    let state = checkpoints.state(&pointer)?;
    let device = device.clone().without_autodiff();
    let net = Net::build(&state.arch, &device, 0)
        .load(&checkpoints.folder(&pointer).join("model.bpk"))?;
    let stage_name = recipe
        .stages
        .get(state.stage)
        .map(|s| s.display_name(state.stage))
        .unwrap_or_default();
    let architecture = state.arch.to_string();
    let arch_json = serde_json::to_string(&state.arch).map_err(|e| TrainError::Json {
        path: run_dir.to_path_buf(),
        message: e.to_string(),
    })?;
    let metadata = vec![
        ("recipe".to_string(), recipe.name.clone()),
        ("stage".to_string(), pointer.stage.to_string()),
        ("stage_name".to_string(), stage_name.clone()),
        ("epoch".to_string(), pointer.epoch.to_string()),
        ("architecture".to_string(), architecture.clone()),
        ("arch".to_string(), arch_json),
        ("dataset".to_string(), recipe.dataset.to_string()),
        (
            "class_names".to_string(),
            serde_json::to_string(&run_class_names(&folder.manifest(), &recipe)?)
                .unwrap_or_default(),
        ),
        // As JSON, e.g. "bilinear32": how the recipe sizes the images the model takes.
        (
            "resize".to_string(),
            serde_json::to_string(&recipe.resize).unwrap_or_default(),
        ),
    ];
    net.save_weights(out, &metadata)?;
    Ok(ExportSummary {
        out: out.to_path_buf(),
        recipe: recipe.name,
        stage: pointer.stage,
        stage_name,
        epoch: pointer.epoch,
        architecture,
        keys: net.pytorch_shapes(),
    })
}
