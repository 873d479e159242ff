//! `ae eval --weights`: PyTorch weights measured on a recipe's test set.

use std::path::{Path, PathBuf};

use ae_models::pytorch::{WeightsError, WeightsFile, WeightsFormat};
use burn::module::Module;

use crate::error::TrainError;
use crate::evaluate_run::{EvalOptions, TestReport};
use crate::measure::TestSet;
use crate::model::{ModelKind, Net};
use crate::recipe::{Overrides, Recipe, StagePlan};
use crate::run::{TAG_TEST_NOISE, load_data};

/// What [`evaluate_weights`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightsReport {
    /// The weights file and its format.
    pub weights: PathBuf,
    pub format: WeightsFormat,
    /// The recipe and the stage (from 1) whose model and test the weights were given.
    pub recipe: String,
    pub stage: usize,
    /// The stage's architecture, in words.
    pub architecture: String,
    /// The measurement.
    pub test: TestReport,
}

/// The stage (index from 0) whose model takes the file's weights, and that model.
///
/// With `stage` (from 1) that stage; otherwise the stage the file's metadata names when it was
/// exported from this recipe, else the last stage whose model fits. When none fits, the error
/// is the last stage's, with the recipe named.
fn fitting_stage(
    file: &WeightsFile,
    recipe: &Recipe,
    plan: &[StagePlan],
    stage: Option<usize>,
    device: &burn::tensor::Device,
) -> Result<(usize, Net), TrainError> {
    let try_stage = |index: usize| Net::build(&plan[index].arch, device, 0).load_weights(file);
    if let Some(n) = stage {
        if n == 0 || n > plan.len() {
            return Err(TrainError::InvalidOption(format!(
                "--stage {n}: recipe '{}' has stages 1 to {}",
                recipe.name,
                plan.len()
            )));
        }
        return Ok((n - 1, try_stage(n - 1)?));
    }
    let exported_stage = (file.metadata.get("recipe") == Some(&recipe.name))
        .then(|| file.metadata.get("stage")?.parse::<usize>().ok())
        .flatten()
        .filter(|n| (1..=plan.len()).contains(n));
    if let Some(n) = exported_stage
        && let Ok(net) = try_stage(n - 1)
    {
        return Ok((n - 1, net));
    }
    let mut last_error: Option<WeightsError> = None;
    for index in (0..plan.len()).rev() {
        match try_stage(index) {
            Ok(net) => return Ok((index, net)),
            Err(e) if last_error.is_none() => last_error = Some(e),
            Err(_) => {}
        }
    }
    let last = plan.len() - 1;
    Err(TrainError::InvalidOption(format!(
        "{}; the weights fit no stage of recipe '{}' (compared above with its last stage {} '{}', {}); choose one with --stage",
        last_error.map(|e| e.to_string()).unwrap_or_default(),
        recipe.name,
        last + 1,
        plan[last].name,
        plan[last].arch
    )))
}

/// Loads the weights in `weights` (PyTorch `.pth` or safetensors, told apart by content) into
/// the model of `recipe`'s stage `stage` (from 1; by default the stage they fit, see
/// above) and measures it on the recipe's test set, as `evaluate` does for a run.
/// `options.checkpoint` is not used.
pub fn evaluate_weights(
    weights: &Path,
    recipe: &Recipe,
    stage: Option<usize>,
    options: &EvalOptions,
) -> Result<WeightsReport, TrainError> {
    let mut recipe = recipe.clone();
    recipe.apply_overrides(&Overrides {
        dataset: options.dataset.clone(),
        ..Overrides::default()
    });
    if let Some(n) = options.test_limit {
        recipe.test_limit = Some(n);
    }
    recipe.plan()?;
    let file = WeightsFile::read(weights)?;
    // Only the test split is used; the training limit keeps loading cheap.
    let mut data_recipe = recipe.clone();
    data_recipe.limit = Some(1);
    let data = load_data(&data_recipe, &options.data)?;
    if recipe.dataset.is_custom() {
        // A user's data: the heads have its number of classes.
        recipe.classes = Some(data.info.class_names.len());
    }
    let plan = recipe.plan()?;
    let device = options.device.clone().without_autodiff();
    let (index, net) = fitting_stage(&file, &recipe, &plan, stage, &device)?;
    let stage_spec = &recipe.stages[index];
    let noise_seed = ae_data::derive_seed(recipe.seed, &[TAG_TEST_NOISE, index as u64]);
    let metrics = net.valid().evaluate(
        stage_spec,
        &TestSet {
            data: &data.test,
            batch_size: recipe.eval_batch_size,
            noise: stage_spec.noise,
            noise_seed,
            device: &device,
        },
    )?;
    Ok(WeightsReport {
        weights: weights.to_path_buf(),
        format: file.format,
        recipe: recipe.name.clone(),
        stage: index + 1,
        architecture: plan[index].arch.to_string(),
        test: TestReport::new(
            plan[index].name.clone(),
            stage_spec.kind,
            recipe.dataset.clone(),
            data.info.class_names,
            metrics,
        ),
    })
}
