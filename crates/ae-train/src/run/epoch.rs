//! One epoch of a stage: the training steps (losses read back every [`CHECK_EVERY`] steps and
//! checked), the evaluation on the test set, the epoch's record, the checkpoint and the
//! metrics file; an interrupt within the epoch saves a partial checkpoint.

use std::time::Instant;

use ae_data::BatchLoader;
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Int, Tensor};

use super::session::Session;
use super::{CHECK_EVERY, TAG_DATA, TAG_TEST_NOISE};
use crate::checkpoint::{PartialEpoch, Pointer, Which};
use crate::error::TrainError;
use crate::measure::TestSet;
use crate::metrics::EpochRecord;
use crate::model::{ModelKind, Net};
use crate::objective::StepLosses;
use crate::observe::{EpochModel, EpochStart, Step};
use crate::optim::learning_rate;
use crate::readback::{read_int_scalars, read_scalars};
use crate::recipe::StageKind;
use crate::run_folder::MetricsFile;

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
    step_seconds: f64,
    latest_loss: Option<f64>,
}

impl EpochSums {
    pub(super) fn from_partial(p: Option<PartialEpoch>) -> Self {
        let p = p.unwrap_or_default();
        Self {
            steps_done: p.steps_done,
            samples: p.samples,
            loss_sum: f64::from_bits(p.loss_sum_bits),
            penalty_sum: f64::from_bits(p.penalty_sum_bits),
            correct: p.correct,
            seconds: p.seconds,
            step_seconds: p.step_seconds,
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
            step_seconds: self.step_seconds,
        }
    }
}

impl Session {
    /// One epoch: training steps, evaluation, checkpoint, metrics.
    pub(super) fn run_epoch(
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
        self.observers.epoch_started(&EpochStart {
            stage: stage + 1,
            stage_name: &stage_name,
            epoch: epoch + 1,
            epochs: spec.epochs,
            steps: steps_per_epoch,
            steps_done: sums.steps_done,
        });
        let started = Instant::now();
        let ad = self.ad.clone();
        for (step, batch) in loader
            .iter(epoch_seed, &ad)
            .enumerate()
            .skip(sums.steps_done)
        {
            let step_started = Instant::now();
            let losses = net.losses(&batch, &spec)?;
            window.push(step, batch.len, &losses);
            let grads = GradientsParams::from_grads(losses.loss.backward(), &net);
            net = optim.step(lr_at(step), net, grads);
            sums.step_seconds += step_started.elapsed().as_secs_f64();
            sums.steps_done = step + 1;
            self.total_steps += 1;
            self.steps_this_call += 1;
            let last = step + 1 == steps_per_epoch;
            if window.len() >= CHECK_EVERY || last {
                self.absorb(&mut window, &mut sums, stage, epoch)?;
            }
            self.observers.step(&Step {
                step,
                latest_loss: sums.latest_loss,
            });
            if !last && self.should_stop() {
                self.absorb(&mut window, &mut sums, stage, epoch)?;
                sums.seconds += started.elapsed().as_secs_f64();
                self.save_partial(&net, optim, stage, epoch, &sums)?;
                return Err(self.interrupted(stage, epoch, sums.steps_done));
            }
        }
        sums.seconds += started.elapsed().as_secs_f64();

        let valid = net.valid();
        let test = valid.evaluate(
            &spec,
            &TestSet {
                data: &self.test,
                batch_size: self.recipe.eval_batch_size,
                noise: spec.noise,
                noise_seed: self.seed(&[TAG_TEST_NOISE, stage as u64]),
                device: &self.plain,
            },
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
            // The sparsity penalty, or a variational autoencoder's β·KL.
            train_penalty: (spec.sparsity.is_some()
                || self.plan[stage].arch.kind().is_variational())
            .then(|| sums.penalty_sum / sums.steps_done.max(1) as f64),
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
            test_recon: test.recon,
            test_kl: test.kl,
            active_units: test.active_units,
            train_samples: sums.samples,
            steps: sums.steps_done,
            seconds: sums.seconds,
            step_seconds: sums.step_seconds,
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
            self.recipe.dataset.clone(),
            self.manifest.dataset.class_names.clone(),
            "running",
            self.best.clone(),
            self.history.clone(),
        ))?;
        self.observers.epoch_ended(&record, spec.epochs);
        self.observers.epoch_model(&EpochModel {
            run_dir: &self.folder.dir,
            stage,
            global_epoch: record.global_epoch,
            net: &net,
            test: &self.test,
            input_shape: self.input_shape(),
            code_size: self.plan[stage].arch.code_size(),
            seed: self.recipe.seed,
            device: &self.plain,
        })?;
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
}
