//! The learner: runs a recipe's stages on the autodiff version of the chosen device, writes the
//! run folder as it goes, and resumes from it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use ae_data::{BatchLoader, DataLocator, Noise, Prepared, derive_seed, load_dataset};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor};

use crate::arch::Arch;
use crate::checkpoint::{CheckpointState, Checkpoints, PartialEpoch, Pointer, STATE_FORMAT, Which};
use crate::error::TrainError;
use crate::eval::{evaluate_net, read_f32, read_int_scalars, read_scalars};
use crate::files::{read_json, rfc3339, unix_seconds, write_atomic, write_json};
use crate::grids::{
    Tiles, first_layer_tiles, output_layer_tiles, save_image_rows, save_weight_grid,
};
use crate::interrupt::{clear_interrupt, install_handler, interrupt_requested};
use crate::metrics::EpochRecord;
use crate::net::Net;
use crate::objective::{StepLosses, step_losses};
use crate::optim::{build_optimizer, learning_rate, load_optimizer};
use crate::progress::Progress;
use crate::recipe::{Overrides, Recipe, StageKind, StagePlan, Transition};
use crate::report::write_outputs;
use crate::run_folder::{
    BURN_VERSION, DataFileInfo, DatasetInfo, FinalMetrics, Manifest, MetricsFile, RunFolder,
    backend_name,
};
use crate::weights::{INIT_MODEL_FILE, initial_net};

/// How often (in steps) the training losses are read back and checked for NaN/inf.
pub const CHECK_EVERY: usize = 20;

/// Seed-derivation tags: weights of a stage, data order and noise of an epoch, test noise.
pub(crate) const TAG_INIT: u64 = 1;
pub(crate) const TAG_DATA: u64 = 2;
pub(crate) const TAG_TEST_NOISE: u64 = 3;

/// Images shown in the reconstruction grid.
const RECONSTRUCTION_SAMPLES: usize = 10;

/// How a training run is carried out (everything that is not the recipe).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Where the dataset is found (and whether it may be downloaded).
    pub data: DataLocator,
    /// The folder run folders are created in (`runs` by default).
    pub out_dir: PathBuf,
    /// Command-line overrides of the recipe (epochs, seed, limit, dataset).
    pub overrides: Overrides,
    /// The device; training runs on its autodiff version.
    pub device: Device,
    /// Progress on stderr: a bar on a terminal, one line per epoch otherwise.
    pub progress: bool,
    /// Continue the run in this folder instead of starting one (see [`resume`]).
    pub resume: Option<PathBuf>,
    /// Install a Ctrl-C / SIGTERM handler that stops after the current step with a checkpoint.
    pub handle_signals: bool,
    /// Behave as if interrupted once this many optimiser steps were taken by this call
    /// (tests and demonstrations of resuming).
    pub interrupt_after_steps: Option<u64>,
    /// Start the first stage from these PyTorch weights (`.pth` or safetensors, see
    /// `ae_models::pytorch`) instead of a random initialisation.
    pub init: Option<PathBuf>,
}

impl RunOptions {
    /// Defaults: data found the usual way, runs in `./runs`, no overrides, progress and signal
    /// handling on.
    pub fn new(device: Device) -> Self {
        Self {
            data: DataLocator::default(),
            out_dir: PathBuf::from("runs"),
            overrides: Overrides::default(),
            device,
            progress: true,
            resume: None,
            handle_signals: true,
            interrupt_after_steps: None,
            init: None,
        }
    }
}

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The run folder.
    pub run_dir: PathBuf,
    /// Its `report.html`.
    pub report: PathBuf,
    /// The recipe's name.
    pub recipe: String,
    /// Every epoch of every stage.
    pub epochs: Vec<EpochRecord>,
    /// Test accuracy / per-class / confusion of the last classification stage, or the final MSE.
    pub final_metrics: FinalMetrics,
    /// The best checkpoint of the last stage.
    pub best: Option<Pointer>,
    /// Architecture trained in each stage, e.g. `dense autoencoder 784-400-784`.
    pub architectures: Vec<String>,
    /// Training seconds (sum over epochs, evaluation excluded).
    pub train_seconds: f64,
}

/// Trains `recipe` (with `options.overrides` applied) in a new run folder under
/// `options.out_dir`, or continues `options.resume` (whose `recipe.toml` must equal this recipe
/// with the overrides).
///
/// Ends with the complete run folder. Errors: an invalid recipe, missing data, NaN/inf loss
/// ([`TrainError::NonFinite`], last good checkpoint kept), an interrupt
/// ([`TrainError::Interrupted`], checkpoint saved), or I/O.
pub fn train(recipe: &Recipe, options: &RunOptions) -> Result<RunSummary, TrainError> {
    if let Some(dir) = &options.resume {
        let folder = RunFolder::open(dir)?;
        let stored = Recipe::from_file(&folder.recipe())?;
        let mut wanted = recipe.clone();
        wanted.apply_overrides(&options.overrides);
        if wanted != stored {
            return Err(TrainError::RunFolder {
                path: dir.clone(),
                message: "was started with a different recipe (see its recipe.toml); resume it with the run folder alone".into(),
            });
        }
        let mut options = options.clone();
        options.overrides = Overrides::default();
        options.resume = None;
        return resume(dir, &options);
    }
    let mut recipe = recipe.clone();
    recipe.apply_overrides(&options.overrides);
    let plan = recipe.plan()?;
    let data = load_data(&recipe, &options.data)?;
    let folder = RunFolder::create(&options.out_dir, &recipe.name)?;
    write_atomic(&folder.recipe(), recipe.to_toml().as_bytes())?;
    let manifest = Manifest {
        recipe: recipe.name.clone(),
        seed: recipe.seed,
        backend: backend_name(&options.device),
        device: format!("{:?}", options.device),
        ae_train_version: env!("CARGO_PKG_VERSION").to_string(),
        burn_version: BURN_VERSION.to_string(),
        dataset: data.info.clone(),
        stages: plan.iter().map(|p| p.arch.to_string()).collect(),
        start_time: rfc3339(unix_seconds()),
        end_time: None,
        status: "running".into(),
        message: None,
        resumed: Vec::new(),
        init_weights: options.init.as_ref().map(|p| p.display().to_string()),
    };
    write_json(&folder.manifest(), &manifest)?;
    Session::new(recipe, plan, folder, data, manifest, options).run(None)
}

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

/// The data of a run: prepared splits and what the manifest records about them.
pub(crate) struct RunData {
    pub train: Arc<Prepared>,
    pub test: Arc<Prepared>,
    pub info: DatasetInfo,
}

/// Loads the recipe's dataset, applies the sample limits and the resize.
pub(crate) fn load_data(recipe: &Recipe, locator: &DataLocator) -> Result<RunData, TrainError> {
    let dataset = load_dataset(recipe.dataset, locator)?;
    let train_available = dataset.train.len();
    let test_available = dataset.test.len();
    let train_set = match recipe.limit {
        Some(n) => dataset.train.take(n)?,
        None => dataset.train,
    };
    let test_set = match recipe.test_limit {
        Some(n) => dataset.test.take(n)?,
        None => dataset.test,
    };
    let train = Arc::new(Prepared::new(&train_set, recipe.resize));
    let test = Arc::new(Prepared::new(&test_set, recipe.resize));
    let info = DatasetInfo {
        name: recipe.dataset,
        dir: std::fs::canonicalize(&dataset.source.dir).unwrap_or(dataset.source.dir.clone()),
        files: dataset
            .source
            .files
            .iter()
            .map(|f| DataFileInfo {
                name: f.name.clone(),
                sha256: f.sha256.clone(),
                verified: f.verified,
            })
            .collect(),
        train_samples: train.len(),
        train_available,
        test_samples: test.len(),
        test_available,
        image_shape: train_set.image_shape(),
        input_shape: train.image_shape(),
    };
    if train.is_empty() || test.is_empty() {
        return Err(TrainError::DatasetMismatch {
            dataset: recipe.dataset.to_string(),
            message: "has no training or no test image".into(),
        });
    }
    Ok(RunData { train, test, info })
}

/// Losses of the steps since the last read-back, still on the device.
#[derive(Default)]
struct Window {
    first_step: usize,
    lens: Vec<usize>,
    losses: Vec<Tensor<1>>,
    penalties: Vec<Tensor<1>>,
    correct: Vec<Tensor<1, Int>>,
}

/// One step's numbers, read back.
struct StepValues {
    step: usize,
    len: usize,
    loss: f32,
    penalty: Option<f32>,
    correct: Option<i64>,
}

impl Window {
    fn push(&mut self, step: usize, len: usize, losses: &StepLosses) {
        if self.lens.is_empty() {
            self.first_step = step;
        }
        self.lens.push(len);
        self.losses.push(losses.data_loss.clone().inner());
        if let Some(p) = &losses.penalty {
            self.penalties.push(p.clone().inner());
        }
        if let Some(c) = &losses.correct {
            self.correct.push(c.clone().inner());
        }
    }

    fn len(&self) -> usize {
        self.lens.len()
    }

    /// Reads the window back (one transfer per quantity) and empties it.
    fn drain(&mut self) -> Result<Vec<StepValues>, TrainError> {
        let losses = read_scalars(std::mem::take(&mut self.losses))?;
        let penalties = read_scalars(std::mem::take(&mut self.penalties))?;
        let correct = read_int_scalars(std::mem::take(&mut self.correct))?;
        let lens = std::mem::take(&mut self.lens);
        Ok(lens
            .into_iter()
            .enumerate()
            .map(|(i, len)| StepValues {
                step: self.first_step + i,
                len,
                loss: losses[i],
                penalty: penalties.get(i).copied(),
                correct: correct.get(i).copied(),
            })
            .collect())
    }
}

/// Running sums of an epoch.
struct EpochSums {
    steps_done: usize,
    samples: usize,
    loss_sum: f64,
    penalty_sum: f64,
    correct: u64,
    seconds: f64,
    latest_loss: Option<f64>,
}

impl EpochSums {
    fn from_partial(p: Option<PartialEpoch>) -> Self {
        let p = p.unwrap_or_default();
        Self {
            steps_done: p.steps_done,
            samples: p.samples,
            loss_sum: f64::from_bits(p.loss_sum_bits),
            penalty_sum: f64::from_bits(p.penalty_sum_bits),
            correct: p.correct,
            seconds: p.seconds,
            latest_loss: None,
        }
    }

    fn to_partial(&self) -> PartialEpoch {
        PartialEpoch {
            steps_done: self.steps_done,
            samples: self.samples,
            loss_sum_bits: self.loss_sum.to_bits(),
            penalty_sum_bits: self.penalty_sum.to_bits(),
            correct: self.correct,
            seconds: self.seconds,
        }
    }
}

/// Where a stage's epoch loop starts.
struct StageStart {
    epochs_done: usize,
    partial: Option<PartialEpoch>,
    optim: ModuleOptimizer,
}

/// One run in progress.
struct Session {
    recipe: Recipe,
    plan: Vec<StagePlan>,
    folder: RunFolder,
    checkpoints: Checkpoints,
    train: Arc<Prepared>,
    test: Arc<Prepared>,
    manifest: Manifest,
    /// Autodiff device for training, plain device for evaluation.
    ad: Device,
    plain: Device,
    progress: Progress,
    handle_signals: bool,
    interrupt_after_steps: Option<u64>,
    /// PyTorch weights for the first stage (`RunOptions::init`).
    init: Option<PathBuf>,
    steps_this_call: u64,
    total_steps: u64,
    history: Vec<EpochRecord>,
    best: Option<Pointer>,
}

impl Session {
    fn new(
        recipe: Recipe,
        plan: Vec<StagePlan>,
        folder: RunFolder,
        data: RunData,
        manifest: Manifest,
        options: &RunOptions,
    ) -> Self {
        let plain = options.device.clone().without_autodiff();
        Session {
            checkpoints: Checkpoints::new(&folder.dir),
            recipe,
            plan,
            folder,
            train: data.train,
            test: data.test,
            manifest,
            ad: plain.clone().autodiff(),
            plain,
            progress: Progress::new(options.progress),
            handle_signals: options.handle_signals,
            interrupt_after_steps: options.interrupt_after_steps,
            init: options.init.clone(),
            steps_this_call: 0,
            total_steps: 0,
            history: Vec::new(),
            best: None,
        }
    }

    fn seed(&self, parts: &[u64]) -> u64 {
        derive_seed(self.recipe.seed, parts)
    }

    fn input_shape(&self) -> [usize; 3] {
        self.train.image_shape()
    }

    fn should_stop(&self) -> bool {
        interrupt_requested()
            || self
                .interrupt_after_steps
                .is_some_and(|n| self.steps_this_call >= n)
    }

    /// Runs to the end, then records how the run ended in the manifest and metrics.
    fn run(mut self, start: Option<(Pointer, CheckpointState)>) -> Result<RunSummary, TrainError> {
        clear_interrupt();
        if self.handle_signals && !install_handler() {
            self.progress
                .line("note: another Ctrl-C handler is installed; interrupts are not caught here");
        }
        let outcome = self.run_stages(start);
        self.progress.abandon();
        let (status, message) = match &outcome {
            Ok(()) => ("completed", None),
            Err(e @ TrainError::Interrupted { .. }) => ("interrupted", Some(e.to_string())),
            Err(e) => ("failed", Some(e.to_string())),
        };
        self.manifest.status = status.into();
        self.manifest.message = message;
        self.manifest.end_time = Some(rfc3339(unix_seconds()));
        let metrics = MetricsFile::new(
            &self.recipe.name,
            self.recipe.dataset,
            status,
            self.best.clone(),
            self.history.clone(),
        );
        let finished = match &outcome {
            // An interrupted run writes its outputs when it completes.
            Err(TrainError::Interrupted { .. }) => self.folder.write_metrics(&metrics),
            _ => self
                .folder
                .write_metrics(&metrics)
                .and_then(|()| write_outputs(&self.folder, &self.recipe, &self.manifest, &metrics)),
        };
        let manifest_written = write_json(&self.folder.manifest(), &self.manifest);
        outcome?;
        finished?;
        manifest_written?;
        Ok(RunSummary {
            run_dir: self.folder.dir.clone(),
            report: self.folder.report(),
            recipe: self.recipe.name.clone(),
            train_seconds: self.history.iter().map(|r| r.seconds).sum(),
            final_metrics: metrics.final_metrics.clone(),
            best: self.best.clone(),
            architectures: self.plan.iter().map(|p| p.arch.to_string()).collect(),
            epochs: self.history,
        })
    }

    fn run_stages(&mut self, start: Option<(Pointer, CheckpointState)>) -> Result<(), TrainError> {
        let (mut net, mut stage, mut resume_at) = match start {
            None => {
                let seed = self.seed(&[TAG_INIT, 0]);
                let net = initial_net(
                    Net::build(&self.plan[0].arch, &self.ad, seed),
                    &self.plan[0].arch,
                    self.init.as_deref(),
                    &self.checkpoints.dir().join(INIT_MODEL_FILE),
                    &self.ad,
                    seed,
                )?;
                self.save_initial_weights(&net)?;
                (net, 0, None)
            }
            Some((pointer, state)) => self.restore(&pointer, state)?,
        };
        while stage < self.plan.len() {
            let spec = self.recipe.stages[stage].clone();
            let stage_start = match resume_at.take() {
                Some(start) => start,
                None => {
                    if stage > 0 {
                        net = self.transition(net, stage);
                    }
                    self.best = None;
                    StageStart {
                        epochs_done: 0,
                        partial: None,
                        optim: build_optimizer(&spec.optimizer),
                    }
                }
            };
            if spec.freeze_encoder {
                net = net.freeze_encoder();
            }
            let StageStart {
                epochs_done,
                mut partial,
                mut optim,
            } = stage_start;
            for epoch in epochs_done..spec.epochs {
                net = self.run_epoch(stage, epoch, net, &mut optim, partial.take())?;
                let run_done = stage + 1 == self.plan.len() && epoch + 1 == spec.epochs;
                if !run_done && self.should_stop() {
                    let (next_stage, next_epoch) = if epoch + 1 == spec.epochs {
                        self.write_stage_grids(&net, stage)?;
                        (stage + 1, 0)
                    } else {
                        (stage, epoch + 1)
                    };
                    return Err(self.interrupted(next_stage, next_epoch, 0));
                }
            }
            self.write_stage_grids(&net, stage)?;
            stage += 1;
        }
        Ok(())
    }

    /// The model, stage and epoch loop state from the last checkpoint. A checkpoint at the end
    /// of a stage continues with the next stage.
    fn restore(
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

    /// The previous stage's model turned into this stage's.
    fn transition(&self, net: Net, stage: usize) -> Net {
        let seed = self.seed(&[TAG_INIT, stage as u64]);
        match &self.plan[stage].transition {
            Transition::Build | Transition::Continue => net,
            Transition::Grow(grow) => net.grow(grow, &self.ad, seed),
            Transition::ToClassifier { num_classes } => {
                net.into_classifier(*num_classes, &self.ad, seed)
            }
        }
    }

    /// One epoch: training steps, evaluation, checkpoint, metrics.
    fn run_epoch(
        &mut self,
        stage: usize,
        epoch: usize,
        mut net: Net,
        optim: &mut ModuleOptimizer,
        partial: Option<PartialEpoch>,
    ) -> Result<Net, TrainError> {
        let spec = self.recipe.stages[stage].clone();
        let stage_name = self.plan[stage].name.clone();
        let loader = BatchLoader::new(self.train.clone(), self.recipe.stage_batch_size(stage))
            .shuffle(true)
            .noise(spec.noise);
        let steps_per_epoch = loader.num_batches();
        let base_lr = spec.optimizer.lr();
        let lr_at = |step: usize| {
            learning_rate(
                base_lr,
                spec.schedule.as_ref(),
                epoch,
                step,
                spec.epochs,
                steps_per_epoch,
            )
        };
        let mut sums = EpochSums::from_partial(partial);
        let mut window = Window::default();
        let epoch_seed = self.seed(&[TAG_DATA, stage as u64, epoch as u64]);
        self.progress.start_epoch(
            format!(
                "stage {} '{}' epoch {}/{}",
                stage + 1,
                stage_name,
                epoch + 1,
                spec.epochs
            ),
            steps_per_epoch,
            sums.steps_done,
        );
        let started = Instant::now();
        let ad = self.ad.clone();
        for (step, batch) in loader
            .iter(epoch_seed, &ad)
            .enumerate()
            .skip(sums.steps_done)
        {
            let losses = step_losses(&net, &batch, spec.kind, spec.sparsity.as_ref())?;
            window.push(step, batch.len, &losses);
            let grads = GradientsParams::from_grads(losses.loss.backward(), &net);
            net = optim.step(lr_at(step), net, grads);
            sums.steps_done = step + 1;
            self.total_steps += 1;
            self.steps_this_call += 1;
            let last = step + 1 == steps_per_epoch;
            if window.len() >= CHECK_EVERY || last {
                self.absorb(&mut window, &mut sums, stage, epoch)?;
            }
            self.progress.step(sums.latest_loss);
            if !last && self.should_stop() {
                self.absorb(&mut window, &mut sums, stage, epoch)?;
                sums.seconds += started.elapsed().as_secs_f64();
                self.save_partial(&net, optim, stage, epoch, &sums)?;
                self.progress.abandon();
                return Err(self.interrupted(stage, epoch, sums.steps_done));
            }
        }
        sums.seconds += started.elapsed().as_secs_f64();

        let valid = net.valid();
        let test = evaluate_net(
            &valid,
            &self.test,
            spec.kind,
            self.recipe.eval_batch_size,
            spec.noise,
            self.seed(&[TAG_TEST_NOISE, stage as u64]),
            &self.plain,
        )?;
        if !test.loss.is_finite() {
            return Err(self.non_finite(
                stage,
                epoch,
                steps_per_epoch,
                "the test loss",
                test.loss as f32,
            ));
        }
        let samples = sums.samples.max(1) as f64;
        let record = EpochRecord {
            stage: stage + 1,
            stage_name: stage_name.clone(),
            kind: spec.kind,
            epoch: epoch + 1,
            global_epoch: self.history.len() + 1,
            lr: lr_at(0),
            train_loss: sums.loss_sum / samples,
            train_penalty: spec
                .sparsity
                .as_ref()
                .map(|_| sums.penalty_sum / sums.steps_done.max(1) as f64),
            train_accuracy: (spec.kind == StageKind::Classification)
                .then(|| sums.correct as f64 / samples),
            test_loss: test.loss,
            test_mse_noisy: test.mse_noisy,
            test_accuracy: test.confusion.as_ref().map(|c| c.accuracy()),
            per_class_accuracy: test.confusion.as_ref().map(|c| c.per_class_accuracy()),
            confusion_matrix: test.confusion.clone(),
            inactive_fraction: test.inactive_fraction,
            mean_abs_code: test.mean_abs_code,
            mean_abs_code_noisy: test.mean_abs_code_noisy,
            train_samples: sums.samples,
            steps: sums.steps_done,
            seconds: sums.seconds,
        };
        self.history.push(record.clone());

        let name =
            self.checkpoints
                .unique_name(&format!("stage{}-epoch{:03}", stage + 1, epoch + 1));
        let pointer = Pointer {
            dir: name.clone(),
            stage: stage + 1,
            epoch: epoch + 1,
            step: None,
            score: Some(record.score()),
        };
        let improved = self
            .best
            .as_ref()
            .is_none_or(|b| b.score.is_none_or(|s| record.score() > s));
        if improved {
            self.best = Some(pointer.clone());
        }
        let state = self.state(stage, epoch + 1, None);
        self.checkpoints.save(&name, &net, optim, &state)?;
        self.checkpoints.point(Which::Last, &pointer)?;
        if improved {
            self.checkpoints.point(Which::Best, &pointer)?;
        }
        if spec.kind == StageKind::Reconstruction {
            // Kept for the analyses (`ae embed`, `ae reconstruct`) once a head replaces the decoder.
            self.checkpoints.point(Which::Autoencoder, &pointer)?;
        }
        self.checkpoints.prune()?;
        self.folder.write_metrics(&MetricsFile::new(
            &self.recipe.name,
            self.recipe.dataset,
            "running",
            self.best.clone(),
            self.history.clone(),
        ))?;
        self.progress.end_epoch(&record, spec.epochs);
        Ok(net)
    }

    /// Reads the window back, checks every value and adds it to the sums.
    fn absorb(
        &self,
        window: &mut Window,
        sums: &mut EpochSums,
        stage: usize,
        epoch: usize,
    ) -> Result<(), TrainError> {
        if window.len() == 0 {
            return Ok(());
        }
        for v in window.drain()? {
            if !v.loss.is_finite() {
                return Err(self.non_finite(stage, epoch, v.step + 1, "the training loss", v.loss));
            }
            if let Some(p) = v.penalty {
                if !p.is_finite() {
                    return Err(self.non_finite(
                        stage,
                        epoch,
                        v.step + 1,
                        "the sparsity penalty",
                        p,
                    ));
                }
                sums.penalty_sum += f64::from(p);
            }
            sums.loss_sum += f64::from(v.loss) * v.len as f64;
            sums.samples += v.len;
            sums.correct += v.correct.map_or(0, |c| c.max(0) as u64);
            sums.latest_loss = Some(f64::from(v.loss));
        }
        Ok(())
    }

    fn state(
        &self,
        stage: usize,
        epochs_done: usize,
        partial: Option<PartialEpoch>,
    ) -> CheckpointState {
        CheckpointState {
            format: STATE_FORMAT,
            arch: self.plan[stage].arch.clone(),
            stage,
            epochs_done,
            partial,
            history: self.history.clone(),
            best: self.best.clone(),
            total_steps: self.total_steps,
        }
    }

    /// Saves a checkpoint within an epoch (interrupt).
    fn save_partial(
        &self,
        net: &Net,
        optim: &ModuleOptimizer,
        stage: usize,
        epoch: usize,
        sums: &EpochSums,
    ) -> Result<(), TrainError> {
        let name = self.checkpoints.unique_name(&format!(
            "stage{}-epoch{:03}-step{:05}",
            stage + 1,
            epoch + 1,
            sums.steps_done
        ));
        let state = self.state(stage, epoch, Some(sums.to_partial()));
        self.checkpoints.save(&name, net, optim, &state)?;
        self.checkpoints.point(
            Which::Last,
            &Pointer {
                dir: name,
                stage: stage + 1,
                epoch,
                step: Some(sums.steps_done),
                score: None,
            },
        )?;
        self.checkpoints.prune()
    }

    fn interrupted(&self, stage: usize, epoch: usize, step: usize) -> TrainError {
        TrainError::Interrupted {
            run_dir: self.folder.dir.clone(),
            stage: stage + 1,
            stage_name: self
                .plan
                .get(stage)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            epoch: epoch + 1,
            step,
        }
    }

    fn non_finite(
        &self,
        stage: usize,
        epoch: usize,
        step: usize,
        what: &'static str,
        value: f32,
    ) -> TrainError {
        let checkpoint = self
            .checkpoints
            .pointer(Which::Last)
            .ok()
            .flatten()
            .map(|p| self.checkpoints.folder(&p));
        TrainError::NonFinite {
            stage: stage + 1,
            stage_name: self.plan[stage].name.clone(),
            epoch: epoch + 1,
            step,
            what,
            value,
            checkpoint,
        }
    }

    fn initial_tiles_path(&self, which: &str) -> PathBuf {
        self.checkpoints
            .dir()
            .join(format!("initial-{which}.tiles"))
    }

    /// Keeps the first (and dense output) layer at initialisation for the grids.
    fn save_initial_weights(&self, net: &Net) -> Result<(), TrainError> {
        let valid = net.valid();
        let shape = self.input_shape();
        let first = first_layer_tiles(&valid, shape)?;
        first.save(&self.initial_tiles_path("encoder"))?;
        save_weight_grid(&first, &self.folder.grids().join("encoder-initial.png"))?;
        if let Some(output) = output_layer_tiles(&valid, shape) {
            let output = output?;
            output.save(&self.initial_tiles_path("decoder"))?;
            save_weight_grid(&output, &self.folder.grids().join("decoder-initial.png"))?;
        }
        Ok(())
    }

    /// Weight grids (trained and difference) and, after a reconstruction stage, the
    /// reconstruction grid.
    fn write_stage_grids(&self, net: &Net, stage: usize) -> Result<(), TrainError> {
        let valid = net.valid();
        let shape = self.input_shape();
        let grids = self.folder.grids();
        let mut layers = vec![("encoder", Some(first_layer_tiles(&valid, shape)))];
        layers.push(("decoder", output_layer_tiles(&valid, shape)));
        for (which, tiles) in layers {
            let Some(tiles) = tiles else { continue };
            let tiles = tiles?;
            save_weight_grid(&tiles, &grids.join(format!("{which}-trained.png")))?;
            let initial_path = self.initial_tiles_path(which);
            if initial_path.exists() {
                let initial = Tiles::load(&initial_path)?;
                if let Some(diff) = tiles.difference(&initial) {
                    save_weight_grid(&diff, &grids.join(format!("{which}-difference.png")))?;
                }
            }
        }
        let spec = &self.recipe.stages[stage];
        if spec.kind == StageKind::Reconstruction {
            self.write_reconstruction_grid(&valid, spec.noise, stage)?;
        }
        Ok(())
    }

    fn write_reconstruction_grid(
        &self,
        valid: &Net,
        noise: Noise,
        stage: usize,
    ) -> Result<(), TrainError> {
        let n = RECONSTRUCTION_SAMPLES.min(self.test.len());
        let loader = BatchLoader::new(self.test.clone(), n).noise(noise);
        let Some(batch) = loader
            .iter(self.seed(&[TAG_TEST_NOISE, stage as u64]), &self.plain)
            .next()
        else {
            return Ok(());
        };
        let Some(rec) = valid.reconstruct(batch.input.clone()) else {
            return Ok(());
        };
        let shape = self.input_shape();
        let per: usize = shape.iter().product();
        let images = |t: Tensor<4>| -> Result<Vec<Vec<f32>>, TrainError> {
            Ok(read_f32(t)?.chunks(per).map(<[f32]>::to_vec).collect())
        };
        let mut rows = vec![images(batch.clean)?];
        if noise != Noise::None {
            rows.push(images(batch.input)?);
        }
        rows.push(images(rec.output)?);
        save_image_rows(
            &rows,
            shape,
            &self.folder.grids().join("reconstruction.png"),
        )
    }
}

/// Reads a run folder's metrics file.
pub fn read_metrics(run_dir: &Path) -> Result<MetricsFile, TrainError> {
    read_json(&RunFolder::open(run_dir)?.metrics_json())
}
