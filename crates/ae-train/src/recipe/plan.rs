//! Working out the model of every stage from the recipe, and how each stage's model is made
//! from the previous one; every impossible pipeline is refused here, naming the key.

use super::{Head, Recipe, StageKind, Strategy};
use crate::error::RecipeError;
use crate::model::{Arch, ClassifierArch, GrowSpec};

/// The model each stage trains and how it gets there from the previous stage.
#[derive(Debug, Clone, PartialEq)]
pub struct StagePlan {
    /// The stage's display name.
    pub name: String,
    /// The architecture trained in this stage.
    pub arch: Arch,
    /// How the model of the previous stage (or nothing) becomes `arch`.
    pub transition: Transition,
}

/// How a stage's model is made from the previous one.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// First stage: a freshly initialised model.
    Build,
    /// The same model continues training.
    Continue,
    /// A stacked autoencoder grows an inner layer pair (greedy strategy).
    Grow(GrowSpec),
    /// The decoder is dropped and a new classifier head is put on the encoder.
    ToClassifier { num_classes: usize },
}

impl Recipe {
    /// The classes a classification stage's head gets: the dataset's, or before a user's data
    /// was read, the head's own `classes` (10 when not given; the run plans again with the
    /// count it found). An unlabelled dataset has none to classify.
    fn head_classes(&self, kind_key: &str, given: Option<usize>) -> Result<usize, RecipeError> {
        match self.dataset_classes() {
            Some(0) => Err(RecipeError::invalid(
                kind_key,
                format!(
                    "\"classification\" needs labels, but {} has none (a folder whose pictures are not in class folders, or a NumPy file without y_train / labels); train reconstruction stages only, or give the data its classes",
                    self.dataset
                ),
            )),
            Some(found) => Ok(found),
            None => Ok(given.unwrap_or(ae_data::NUM_CLASSES).max(1)),
        }
    }

    /// Validates the recipe and works out the model of every stage.
    pub fn plan(&self) -> Result<Vec<StagePlan>, RecipeError> {
        self.validate_scalars()?;
        let input = self.input_shape()?;
        let mut arch = self.model.kind().initial_arch(self, input)?;
        let mut plans = Vec::with_capacity(self.stages.len());
        for (i, stage) in self.stages.iter().enumerate() {
            let key = |k: &str| format!("stages[{i}].{k}");
            self.validate_stage_values(i, stage)?;
            let mut transition = if i == 0 {
                Transition::Build
            } else {
                Transition::Continue
            };
            if let Some(grow) = &stage.grow {
                if grow.hidden == 0 {
                    return Err(RecipeError::Zero {
                        key: key("grow.hidden"),
                    });
                }
                if stage.kind != StageKind::Reconstruction {
                    return Err(RecipeError::invalid(
                        key("grow"),
                        "only a reconstruction stage can grow the stack",
                    ));
                }
                let grown = arch
                    .kind()
                    .grown(grow)
                    .map_err(|message| RecipeError::invalid(key("grow"), message))?;
                if self.strategy == Strategy::Greedy {
                    arch = grown;
                    if i > 0 {
                        transition = Transition::Grow(grow.clone());
                    }
                }
            }
            match stage.kind {
                StageKind::Reconstruction => {
                    if !arch.reconstructs() {
                        return Err(RecipeError::invalid(
                            key("kind"),
                            format!(
                                "a reconstruction stage needs an autoencoder, but this stage's model is a {}",
                                arch.kind_name()
                            ),
                        ));
                    }
                }
                StageKind::Classification => {
                    let head = stage.head.clone().unwrap_or(Head {
                        classes: None,
                        input: None,
                    });
                    let classes = self.head_classes(&key("kind"), head.classes)?;
                    if let (Some(given), Some(found)) = (head.classes, self.dataset_classes())
                        && given != found
                    {
                        return Err(RecipeError::invalid(
                            key("head.classes"),
                            format!(
                                "is {given}, but {} has {found} classes; expected {found}",
                                self.dataset
                            ),
                        ));
                    }
                    if let Some(found) = head.input {
                        let expected = arch.code_size();
                        if found != expected {
                            return Err(RecipeError::HeadMismatch {
                                key: key("head.input"),
                                expected,
                                found,
                            });
                        }
                    }
                    if stage.freeze_encoder && !arch.kind().has_pretrained_encoder() {
                        return Err(RecipeError::invalid(
                            key("freeze_encoder"),
                            format!("{} has no pretrained encoder to freeze", arch.kind_name()),
                        ));
                    }
                    if arch.kind().is_variational() {
                        return Err(RecipeError::invalid(
                            key("kind"),
                            "a variational autoencoder trains in reconstruction stages only (its codes: ae embed, which uses μ)",
                        ));
                    }
                    if arch.reconstructs() {
                        arch = ClassifierArch::on(arch, classes);
                        transition = if i == 0 {
                            Transition::Build
                        } else {
                            Transition::ToClassifier {
                                num_classes: classes,
                            }
                        };
                    }
                }
            }
            if stage.kind == StageKind::Reconstruction {
                if stage.head.is_some() {
                    return Err(RecipeError::invalid(
                        key("head"),
                        "only a classification stage has a head",
                    ));
                }
                if stage.freeze_encoder {
                    return Err(RecipeError::invalid(
                        key("freeze_encoder"),
                        "only a classification stage can freeze the encoder",
                    ));
                }
            } else if stage.sparsity.is_some() {
                return Err(RecipeError::invalid(
                    key("sparsity"),
                    "a sparsity penalty applies to reconstruction stages only",
                ));
            }
            if !arch.kind().is_variational() {
                for (name, given) in [
                    ("beta", stage.beta.is_some()),
                    ("likelihood", stage.likelihood.is_some()),
                ] {
                    if given {
                        return Err(RecipeError::invalid(
                            key(name),
                            format!(
                                "applies to a variational autoencoder's stages; this stage trains a {}",
                                arch.kind_name()
                            ),
                        ));
                    }
                }
            } else if stage.sparsity.is_some() {
                return Err(RecipeError::invalid(
                    key("sparsity"),
                    "a variational autoencoder's code is regularised by its KL term; use beta instead",
                ));
            }
            plans.push(StagePlan {
                name: stage.display_name(i),
                arch: arch.clone(),
                transition,
            });
        }
        Ok(plans)
    }
}
