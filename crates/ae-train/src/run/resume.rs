//! Continuing an interrupted run from its last checkpoint: the same stage, epoch and step,
//! with the model and optimiser state as they were, so the result is bit-identical to an
//! uninterrupted run.

use std::path::Path;

use super::session::{Session, StageStart};
use super::{RunOptions, RunSummary, TAG_INIT, load_data};
use crate::checkpoint::{CheckpointState, Checkpoints, Pointer, Which};
use crate::error::TrainError;
use crate::files::{read_json, rfc3339, unix_seconds, write_json};
use crate::model::{Arch, Net};
use crate::optim::load_optimizer;
use crate::recipe::{Overrides, Recipe};
use crate::run_folder::{Manifest, RunFolder, backend_name};

/// Continues the interrupted run in `run_dir` from its last checkpoint, in the right stage,
/// epoch and step, with the recipe stored in the folder. Overrides are refused (the run keeps
/// its recipe); the device may differ.
pub fn resume(run_dir: &Path, options: &RunOptions) -> Result<RunSummary, TrainError> {
    if options.overrides != Overrides::default() {
        return Err(TrainError::InvalidOption(
            "a resumed run keeps its recipe: epochs, seed, limit and dataset cannot be changed when resuming".into(),
        ));
    }
    let folder = RunFolder::open(run_dir)?;
    let recipe = Recipe::from_file(&folder.recipe())?;
    let plan = recipe.plan()?;
    let mut manifest: Manifest = read_json(&folder.manifest())?;
    let data = load_data(&recipe, &options.data)?;
    if data.info.files != manifest.dataset.files {
        return Err(TrainError::RunFolder {
            path: run_dir.to_path_buf(),
            message: format!(
                "the dataset files found in {} differ from those the run started with (see manifest.json)",
                data.info.dir.display()
            ),
        });
    }
    let checkpoints = Checkpoints::new(&folder.dir);
    let start = match checkpoints.pointer(Which::Last)? {
        Some(pointer) => {
            let state = checkpoints.state(&pointer)?;
            Some((pointer, state))
        }
        None => None,
    };
    manifest.resumed.push(format!(
        "{} on {}",
        rfc3339(unix_seconds()),
        backend_name(&options.device)
    ));
    manifest.status = "running".into();
    manifest.message = None;
    manifest.end_time = None;
    write_json(&folder.manifest(), &manifest)?;
    Session::new(recipe, plan, folder, data, manifest, options).run(start)
}

impl Session {
    /// The model, stage and epoch loop state from the last checkpoint. A checkpoint at the end
    /// of a stage continues with the next stage.
    pub(super) fn restore(
        &mut self,
        pointer: &Pointer,
        state: CheckpointState,
    ) -> Result<(Net, usize, Option<StageStart>), TrainError> {
        let folder = self.checkpoints.folder(pointer);
        let stage = state.stage;
        let expected: Option<&Arch> = self.plan.get(stage).map(|p| &p.arch);
        if expected != Some(&state.arch) {
            return Err(TrainError::RunFolder {
                path: folder,
                message: "the checkpoint's model does not match the run's recipe.toml".into(),
            });
        }
        let net = Net::build(&state.arch, &self.ad, self.seed(&[TAG_INIT, stage as u64]))
            .load(&folder.join("model.bpk"))?;
        self.history = state.history;
        self.best = state.best;
        self.total_steps = state.total_steps;
        let spec = &self.recipe.stages[stage];
        if state.epochs_done >= spec.epochs && state.partial.is_none() {
            return Ok((net, stage + 1, None));
        }
        let optim = load_optimizer(&spec.optimizer, &folder.join("optimizer.bpk"))?;
        Ok((
            net,
            stage,
            Some(StageStart {
                epochs_done: state.epochs_done,
                partial: state.partial,
                optim,
            }),
        ))
    }
}
