//! One run in progress: its state, the walk through the stages with their transitions, and how
//! it ends (manifest, metrics, the observers told).

use std::path::PathBuf;
use std::sync::Arc;

use ae_data::{Prepared, derive_seed};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::Device;

use super::{RunData, RunOptions, RunSummary, TAG_INIT, TAG_TEST_NOISE};
use crate::checkpoint::{CheckpointState, Checkpoints, PartialEpoch, Pointer, STATE_FORMAT, Which};
use crate::error::TrainError;
use crate::evaluate_run::DEFAULT_IW_SAMPLES;
use crate::files::{rfc3339, unix_seconds, write_json};
use crate::interrupt::Interrupt;
use crate::measure::TestSet;
use crate::metrics::EpochRecord;
use crate::model::{ModelKind, Net, seeded};
use crate::observe::{ModelStart, Observers, RunEnd, RunStart, StageEnd};
use crate::optim::build_optimizer;
use crate::recipe::{Recipe, StagePlan, Transition};
use crate::run_folder::{Manifest, MetricsFile, RunFolder};
use crate::weights::{INIT_MODEL_FILE, initial_net};

/// Where a stage's epoch loop starts.
pub(super) struct StageStart {
    pub epochs_done: usize,
    pub partial: Option<PartialEpoch>,
    pub optim: ModuleOptimizer,
}

/// One run in progress.
pub(super) struct Session {
    pub recipe: Recipe,
    pub plan: Vec<StagePlan>,
    pub folder: RunFolder,
    pub checkpoints: Checkpoints,
    pub train: Arc<Prepared>,
    pub test: Arc<Prepared>,
    pub manifest: Manifest,
    /// Autodiff device for training, plain device for evaluation.
    pub ad: Device,
    pub plain: Device,
    pub observers: Observers,
    pub interrupt: Interrupt,
    pub interrupt_after_steps: Option<u64>,
    /// PyTorch weights for the first stage (`RunOptions::init`).
    pub init: Option<PathBuf>,
    pub steps_this_call: u64,
    pub total_steps: u64,
    pub history: Vec<EpochRecord>,
    pub best: Option<Pointer>,
    /// A generative model's importance-weighted −log p(x) on the test set at the end of the
    /// run: samples per image and nats per image.
    pub iw_nll: Option<(usize, f64)>,
    /// Samples per image of that estimate (0: none).
    pub iw_samples: usize,
}

impl Session {
    pub fn new(
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
            observers: options.observers.clone(),
            interrupt: options.interrupt.clone(),
            interrupt_after_steps: options.interrupt_after_steps,
            init: options.init.clone(),
            steps_this_call: 0,
            total_steps: 0,
            history: Vec::new(),
            best: None,
            iw_nll: None,
            iw_samples: options.iw_samples.unwrap_or(DEFAULT_IW_SAMPLES),
        }
    }

    pub fn seed(&self, parts: &[u64]) -> u64 {
        derive_seed(self.recipe.seed, parts)
    }

    pub fn input_shape(&self) -> [usize; 3] {
        self.train.image_shape()
    }

    pub fn should_stop(&self) -> bool {
        self.interrupt.is_requested()
            || self
                .interrupt_after_steps
                .is_some_and(|n| self.steps_this_call >= n)
    }

    /// Runs to the end, then records how the run ended in the manifest and metrics and tells
    /// the observers.
    pub fn run(
        mut self,
        start: Option<(Pointer, CheckpointState)>,
    ) -> Result<RunSummary, TrainError> {
        let started = self.observers.run_started(&RunStart {
            run_dir: &self.folder.dir,
            recipe: &self.recipe,
            plan: &self.plan,
            resumed: start.is_some(),
        });
        let outcome = started.and_then(|()| self.run_stages(start));
        let (status, message) = match &outcome {
            Ok(()) => ("completed", None),
            Err(e @ TrainError::Interrupted { .. }) => ("interrupted", Some(e.to_string())),
            Err(e) => ("failed", Some(e.to_string())),
        };
        self.manifest.status = status.into();
        self.manifest.message = message;
        self.manifest.end_time = Some(rfc3339(unix_seconds()));
        let mut metrics = MetricsFile::new(
            &self.recipe.name,
            self.recipe.dataset.clone(),
            self.manifest.dataset.class_names.clone(),
            status,
            self.best.clone(),
            self.history.clone(),
        );
        if let Some((samples, nll)) = self.iw_nll {
            metrics.final_metrics.iw_samples = Some(samples);
            metrics.final_metrics.iw_nll = Some(nll);
        }
        let metrics_written = self.folder.write_metrics(&metrics);
        let manifest_written = write_json(&self.folder.manifest(), &self.manifest);
        let observed = self.observers.run_ended(&RunEnd {
            run_dir: &self.folder.dir,
            recipe: &self.recipe,
            manifest: &self.manifest,
            metrics: &metrics,
            status,
        });
        outcome?;
        metrics_written?;
        observed?;
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
                self.observers.model_initialised(&ModelStart {
                    run_dir: &self.folder.dir,
                    net: &net,
                    input_shape: self.input_shape(),
                })?;
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
                        self.stage_ended(&net, stage)?;
                        (stage + 1, 0)
                    } else {
                        (stage, epoch + 1)
                    };
                    return Err(self.interrupted(next_stage, next_epoch, 0));
                }
            }
            self.stage_ended(&net, stage)?;
            stage += 1;
        }
        self.iw_nll = self.likelihood_estimate(&net)?;
        Ok(())
    }

    /// The last model's importance-weighted −log p(x) on the test set, for a generative model
    /// (none when the run asks for 0 samples).
    fn likelihood_estimate(&self, net: &Net) -> Result<Option<(usize, f64)>, TrainError> {
        let samples = self.iw_samples;
        if samples == 0 {
            return Ok(None);
        }
        let last = self.plan.len() - 1;
        let spec = &self.recipe.stages[last];
        let test = TestSet {
            data: &self.test,
            batch_size: self.recipe.eval_batch_size,
            noise: spec.noise,
            noise_seed: self.seed(&[TAG_TEST_NOISE, last as u64]),
            device: &self.plain,
        };
        let estimate = net.valid().negative_log_likelihood(spec, &test, samples)?;
        Ok(estimate.map(|nll| (samples, nll)))
    }

    /// The previous stage's model turned into this stage's.
    fn transition(&self, net: Net, stage: usize) -> Net {
        let seed = self.seed(&[TAG_INIT, stage as u64]);
        let ad = &self.ad;
        match &self.plan[stage].transition {
            Transition::Build | Transition::Continue => net,
            Transition::Grow(grow) => seeded(ad, seed, || net.grow(grow, ad)),
            Transition::ToClassifier { num_classes } => {
                seeded(ad, seed, || net.into_classifier(*num_classes, ad))
            }
        }
    }

    fn stage_ended(&self, net: &Net, stage: usize) -> Result<(), TrainError> {
        self.observers.stage_ended(&StageEnd {
            run_dir: &self.folder.dir,
            index: stage,
            stage: &self.recipe.stages[stage],
            net,
            test: &self.test,
            input_shape: self.input_shape(),
            noise_seed: self.seed(&[TAG_TEST_NOISE, stage as u64]),
            device: &self.plain,
        })
    }

    pub fn state(
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

    pub fn interrupted(&self, stage: usize, epoch: usize, step: usize) -> TrainError {
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

    pub fn non_finite(
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
}
