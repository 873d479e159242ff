//! The checks of a recipe's values that need no data: names, sizes, ranges of every stage's
//! optimiser, schedule, noise and sparsity. Errors name the key.

use super::{OptimizerSpec, Recipe, Schedule, Sparsity, Stage};
use crate::error::RecipeError;

impl Recipe {
    pub(super) fn validate_scalars(&self) -> Result<(), RecipeError> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            || self.name.starts_with('.')
        {
            return Err(RecipeError::invalid(
                "name",
                format!(
                    "{:?} cannot name a run folder; expected letters, digits, '-', '_' or '.'",
                    self.name
                ),
            ));
        }
        for (key, value) in [
            ("batch_size", Some(self.batch_size)),
            ("eval_batch_size", Some(self.eval_batch_size)),
            ("limit", self.limit),
            ("test_limit", self.test_limit),
        ] {
            if value == Some(0) {
                return Err(RecipeError::Zero { key: key.into() });
            }
        }
        if let Some(fraction) = self.test_fraction
            && !(fraction > 0.0 && fraction < 1.0)
        {
            return Err(RecipeError::invalid(
                "test_fraction",
                format!("is {fraction}; expected a share strictly between 0 and 1, e.g. 0.2"),
            ));
        }
        if self.stages.is_empty() {
            return Err(RecipeError::invalid(
                "stages",
                "the recipe has no stage; expected at least one [[stages]] table",
            ));
        }
        Ok(())
    }

    pub(super) fn validate_stage_values(&self, i: usize, stage: &Stage) -> Result<(), RecipeError> {
        let key = |k: &str| format!("stages[{i}].{k}");
        if stage.epochs == 0 {
            return Err(RecipeError::Zero { key: key("epochs") });
        }
        if stage.batch_size == Some(0) {
            return Err(RecipeError::Zero {
                key: key("batch_size"),
            });
        }
        if let Some(name) = &stage.name
            && name.trim().is_empty()
        {
            return Err(RecipeError::invalid(key("name"), "is empty"));
        }
        // `v` must pass `ok`, else the key is named with what was `expected`.
        let check = |k: &str, v: f64, ok: bool, expected: &str| {
            if ok {
                Ok(())
            } else {
                Err(RecipeError::invalid(
                    key(k),
                    format!("is {v}, expected {expected}"),
                ))
            }
        };
        let positive =
            |k: &str, v: f64| check(k, v, v.is_finite() && v > 0.0, "a finite number > 0");
        let non_negative =
            |k: &str, v: f64| check(k, v, v.is_finite() && v >= 0.0, "a finite number >= 0");
        let unit = |k: &str, v: f64| check(k, v, (0.0..1.0).contains(&v), "a number in [0, 1)");
        match &stage.optimizer {
            OptimizerSpec::Sgd {
                lr,
                momentum,
                weight_decay,
            } => {
                positive("optimizer.lr", *lr)?;
                unit("optimizer.momentum", *momentum)?;
                non_negative("optimizer.weight_decay", *weight_decay)?;
            }
            OptimizerSpec::Adam {
                lr,
                betas,
                eps,
                weight_decay,
            } => {
                positive("optimizer.lr", *lr)?;
                unit("optimizer.betas[0]", betas[0])?;
                unit("optimizer.betas[1]", betas[1])?;
                positive("optimizer.eps", *eps)?;
                non_negative("optimizer.weight_decay", *weight_decay)?;
            }
        }
        match &stage.schedule {
            None => {}
            Some(Schedule::Step {
                every_epochs,
                gamma,
            }) => {
                if *every_epochs == 0 {
                    return Err(RecipeError::Zero {
                        key: key("schedule.every_epochs"),
                    });
                }
                positive("schedule.gamma", *gamma)?;
            }
            Some(Schedule::Cosine { min_lr }) => {
                non_negative("schedule.min_lr", *min_lr)?;
                if *min_lr > stage.optimizer.lr() {
                    return Err(RecipeError::invalid(
                        key("schedule.min_lr"),
                        format!(
                            "is {min_lr}, above the optimiser's lr {}; expected at most that",
                            stage.optimizer.lr()
                        ),
                    ));
                }
            }
        }
        stage
            .noise
            .validate()
            .map_err(|e| RecipeError::invalid(key("noise"), e.to_string()))?;
        match &stage.sparsity {
            None => {}
            Some(Sparsity::L1 { rho }) => non_negative("sparsity.rho", *rho)?,
            Some(Sparsity::Kl { target, beta }) => {
                if !(*target > 0.0 && *target < 1.0) {
                    return Err(RecipeError::invalid(
                        key("sparsity.target"),
                        format!("is {target}, expected a number in (0, 1)"),
                    ));
                }
                non_negative("sparsity.beta", *beta)?;
            }
        }
        if let Some(beta) = stage.beta {
            non_negative("beta", beta)?;
        }
        Ok(())
    }
}
