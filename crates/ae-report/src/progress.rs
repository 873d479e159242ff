//! Progress on stderr, as an observer of the run: a bar per epoch (indicatif) when stderr is a
//! terminal, plain one-line-per-epoch logs otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;

use ae_train::{EpochRecord, EpochStart, Observer, RunEnd, StageKind, Step, TrainError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The progress observer: give it to `RunOptions::observers` for terminal output.
pub struct ProgressPrinter(Mutex<Progress>);

impl std::fmt::Debug for ProgressPrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressPrinter")
    }
}

impl ProgressPrinter {
    /// A bar when stderr is a terminal, one line per epoch otherwise.
    pub fn new() -> Self {
        Self(Mutex::new(Progress::new()))
    }

    fn with(&self, f: impl FnOnce(&mut Progress)) {
        let mut progress = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut progress);
    }
}

impl Default for ProgressPrinter {
    fn default() -> Self {
        Self::new()
    }
}

impl Observer for ProgressPrinter {
    fn epoch_started(&self, e: &EpochStart<'_>) {
        let label = format!(
            "stage {} '{}' epoch {}/{}",
            e.stage, e.stage_name, e.epoch, e.epochs
        );
        self.with(|p| p.start_epoch(label, e.steps, e.steps_done));
    }

    fn step(&self, step: &Step) {
        self.with(|p| p.step(step.latest_loss));
    }

    fn epoch_ended(&self, record: &EpochRecord, epochs: usize) {
        self.with(|p| p.end_epoch(record, epochs));
    }

    fn run_ended(&self, _run: &RunEnd<'_>) -> Result<(), TrainError> {
        self.with(Progress::abandon);
        Ok(())
    }
}

/// Where progress goes.
struct Progress {
    mode: Mode,
    bar: Option<ProgressBar>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Lines,
    Bar,
}

impl Progress {
    /// A bar when stderr is a terminal, lines otherwise.
    fn new() -> Self {
        let mode = if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines
        };
        Self { mode, bar: None }
    }

    /// Prints a line (above the bar when one is shown).
    pub fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    /// Starts an epoch of `steps` steps, `done` of which are already taken (resume).
    pub fn start_epoch(&mut self, label: String, steps: usize, done: usize) {
        if self.mode != Mode::Bar {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} steps {elapsed} eta {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(label);
        bar.set_position(done as u64);
        self.bar = Some(bar);
    }

    /// One more step; `loss` is the latest known training loss.
    pub fn step(&self, loss: Option<f64>) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if let Some(loss) = loss {
                bar.set_message(format!("loss {loss:.4}"));
            }
        }
    }

    /// Ends the epoch and prints its summary line.
    pub fn end_epoch(&mut self, record: &EpochRecord, total_epochs: usize) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        self.line(&epoch_line(record, total_epochs));
    }

    /// Removes the bar without a summary (interrupt, failure).
    pub fn abandon(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.abandon();
        }
    }
}

/// `stage 1 'ae' epoch 3/10: train loss 0.0712, test loss 0.0698, mean |h| 0.4105, 0.52 s` or
/// `stage 3 'classifier' epoch 3/10: train loss 0.3120, train accuracy 90.85%, test loss 0.2950,
/// test accuracy 91.20%, 0.31 s`.
/// An autoencoder's line gives the code's mean |h| (for a sigmoid code, its mean activation,
/// what a KL sparsity target is about).
pub fn epoch_line(r: &EpochRecord, total_epochs: usize) -> String {
    let mut line = format!(
        "stage {} '{}' epoch {}/{}: train loss {:.4}",
        r.stage, r.stage_name, r.epoch, total_epochs, r.train_loss
    );
    // A variational autoencoder's training loss in its parts (train_loss is the
    // reconstruction term, train_penalty β·KL).
    if r.test_kl.is_some()
        && let Some(kl) = r.train_penalty
    {
        line = format!(
            "stage {} '{}' epoch {}/{}: train loss {:.4} (reconstruction {:.4} + β·KL {:.4})",
            r.stage,
            r.stage_name,
            r.epoch,
            total_epochs,
            r.train_loss + kl,
            r.train_loss,
            kl
        );
    }
    // The training accuracy (over the epoch's batches, as the notebooks print it).
    if r.kind == StageKind::Classification
        && let Some(acc) = r.train_accuracy
    {
        line.push_str(&format!(", train accuracy {:.2}%", 100.0 * acc));
    }
    line.push_str(&format!(", test loss {:.4}", r.test_loss));
    if r.kind == StageKind::Classification
        && let Some(acc) = r.test_accuracy
    {
        line.push_str(&format!(", test accuracy {:.2}%", 100.0 * acc));
    }
    if let (Some(recon), Some(kl)) = (r.test_recon, r.test_kl) {
        line.push_str(&format!(
            " (reconstruction {recon:.4} + KL {kl:.4} nats/image)"
        ));
    }
    if let Some(units) = r.active_units {
        line.push_str(&format!(", {units} active latent units"));
    }
    if let Some(noisy) = r.test_mse_noisy {
        line.push_str(&format!(", noisy-input MSE {noisy:.4}"));
    }
    if let Some(code) = r.mean_abs_code {
        line.push_str(&format!(", mean |h| {code:.4}"));
        if let Some(noisy) = r.mean_abs_code_noisy {
            line.push_str(&format!(" ({noisy:.4} with noisy input)"));
        }
    }
    line.push_str(&format!(", {:.2} s", r.seconds));
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: StageKind) -> EpochRecord {
        EpochRecord {
            stage: 1,
            stage_name: "ae".into(),
            kind,
            epoch: 3,
            global_epoch: 3,
            lr: 1e-3,
            train_loss: 0.07124,
            train_penalty: None,
            train_accuracy: None,
            test_loss: 0.06981,
            test_mse_noisy: None,
            test_accuracy: None,
            per_class_accuracy: None,
            confusion_matrix: None,
            inactive_fraction: None,
            mean_abs_code: None,
            mean_abs_code_noisy: None,
            test_recon: None,
            test_kl: None,
            active_units: None,
            train_samples: 8000,
            steps: 80,
            seconds: 0.5213,
            step_seconds: 0.5,
        }
    }

    #[test]
    fn epoch_lines_give_the_code_mean_or_both_accuracies() {
        let mut r = record(StageKind::Reconstruction);
        r.test_mse_noisy = Some(0.08);
        r.mean_abs_code = Some(0.05127);
        assert_eq!(
            epoch_line(&r, 10),
            "stage 1 'ae' epoch 3/10: train loss 0.0712, test loss 0.0698, \
             noisy-input MSE 0.0800, mean |h| 0.0513, 0.52 s"
        );
        r.mean_abs_code_noisy = Some(0.2);
        assert!(
            epoch_line(&r, 10).contains("mean |h| 0.0513 (0.2000 with noisy input), 0.52 s"),
            "{}",
            epoch_line(&r, 10)
        );
        let mut r = record(StageKind::Classification);
        r.test_accuracy = Some(0.912);
        r.train_accuracy = Some(0.90854);
        assert_eq!(
            epoch_line(&r, 10),
            "stage 1 'ae' epoch 3/10: train loss 0.0712, train accuracy 90.85%, \
             test loss 0.0698, test accuracy 91.20%, 0.52 s"
        );
    }
}
