//! The three faces of a model kind: its recipe section ([`SpecKind`]), its architecture
//! ([`ArchKind`]) and the model itself ([`ModelKind`]). Each kind's module implements them; the
//! learner only calls these.

use ae_data::Batch;
use ae_models::Reconstruction;
use burn::module::Module;
use burn::tensor::{Device, Tensor};
use std::fmt;

use super::{Arch, GrowSpec, LayerTiles, Net};
use crate::error::{RecipeError, TrainError};
use crate::measure::TestSet;
use crate::metrics::TestMetrics;
use crate::objective::StepLosses;
use crate::recipe::{Recipe, Stage};

/// FLOPs of a dense layer `inputs -> outputs` per sample (2 per multiply-add).
pub fn dense_flops(inputs: usize, outputs: usize) -> u64 {
    2 * (inputs * outputs) as u64
}

/// FLOPs of a convolution per sample: `cout × side_out²` positions, each `cin × k²`
/// multiply-adds, 2 FLOPs each.
pub fn conv_flops(cin: usize, cout: usize, k: usize, side_out: usize) -> u64 {
    2 * (cout * side_out * side_out * cin * k * k) as u64
}

/// The error of a model that takes 32×32 images given `h`×`w` ones by the recipe's resize;
/// `resizes` names the resize values that fit, in the order to suggest them.
pub fn needs_32x32(
    model: &str,
    recipe: &Recipe,
    [h, w]: [usize; 2],
    resizes: [&str; 2],
) -> RecipeError {
    RecipeError::invalid(
        "resize",
        format!(
            "{model} needs 32×32 images but {} has {h}×{w}; set resize = \"{}\" or \"{}\"",
            recipe.dataset, resizes[0], resizes[1]
        ),
    )
}

/// A kind's `[model]` section of a recipe.
pub trait SpecKind {
    /// The architecture the first stage starts from (before its `grow`), for images of
    /// `input` = `[channels, height, width]` after the recipe's resize. Errors name the key.
    fn initial_arch(&self, recipe: &Recipe, input: [usize; 3]) -> Result<Arch, RecipeError>;
}

/// A kind's architecture: what a checkpoint records to rebuild the model.
pub trait ArchKind {
    /// The model with freshly drawn weights (call through [`Arch::build`], which seeds).
    fn build(&self, device: &Device) -> Net;
    /// A short name of the kind of model, e.g. `stacked autoencoder`.
    fn kind_name(&self) -> &'static str;
    /// The architecture in words, e.g. `dense autoencoder 784-400-784`.
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
    /// True for autoencoders (reconstruction stages train them; a classification stage puts a
    /// head on their encoder).
    fn reconstructs(&self) -> bool {
        false
    }
    /// True for variational autoencoders: trained on the negative ELBO (the stage's
    /// `likelihood` and `beta` apply), no classifier head.
    fn is_variational(&self) -> bool {
        false
    }
    /// Size of what the encoder outputs (what a classifier head takes).
    fn code_size(&self) -> usize;
    /// What that code is, for captions: e.g. `256-d autoencoder code`.
    fn code_description(&self) -> String {
        format!("{}-d autoencoder code", self.code_size())
    }
    /// Forward-pass FLOPs per sample (see [`Arch::forward_flops_per_sample`]).
    fn forward_flops_per_sample(&self) -> u64;
    /// Forward-pass FLOPs per sample of the encoder alone (what a classifier keeps).
    fn encoder_flops_per_sample(&self) -> u64 {
        self.forward_flops_per_sample()
    }
    /// A classifier on this encoder with a head of `classes`, in words.
    fn describe_with_head(&self, classes: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "classifier on the encoder of a {}, head {}-{classes}",
            self.kind_name(),
            self.code_size()
        )
    }
    /// The architecture with one more inner layer pair (greedy stacking), or why it cannot grow.
    fn grown(&self, _grow: &GrowSpec) -> Result<Arch, String> {
        Err(format!(
            "only a stacked autoencoder can grow, this stage trains a {}",
            self.kind_name()
        ))
    }
    /// Whether a classification stage may freeze a pretrained encoder of this model.
    fn has_pretrained_encoder(&self) -> bool {
        self.reconstructs()
    }
    /// For a classifier on an autoencoder's encoder: that autoencoder and the head's classes.
    fn head_on(&self) -> Option<(&Arch, usize)> {
        None
    }
}

/// A kind's model: what the learner does with it on a batch.
///
/// The losses and the evaluation default to the stage's objective (reconstruction: MSE plus
/// the sparsity penalty; classification: NLL); a kind with another objective overrides them.
pub trait ModelKind: Module + Into<Net> {
    /// Reconstruction of `images` `[batch, c, h, w]`; `None` for models without a decoder.
    fn reconstruct(&self, _images: Tensor<4>) -> Option<Reconstruction> {
        None
    }
    /// For a generative model: the pictures decoded from latent codes `z` `[n, code_size]`,
    /// `[n, c, h, w]` for images of `image` = `[c, h, w]`; `None` for models that do not
    /// generate.
    fn decode_latent(&self, _z: Tensor<2>, _image: [usize; 3]) -> Option<Tensor<4>> {
        None
    }
    /// Log-probabilities `[batch, classes]` of `images`; `None` for models without a head.
    fn log_probs(&self, _images: Tensor<4>) -> Option<Tensor<2>> {
        None
    }
    /// The code of `images`: `[batch, code_size]` (see [`ArchKind::code_size`]).
    fn encode(&self, images: Tensor<4>) -> Tensor<2>;
    /// The weight pictures the model offers, named by layer (see [`LayerTiles::name`]) and
    /// laid out as the lectures show them, for images of `image` = `[c, h, w]`. A layer keeps
    /// its name across stages (the conv autoencoder's `conv1` is its classifier's `conv1`), so
    /// each stage's update can be drawn.
    fn weight_tiles(&self, image: [usize; 3]) -> Result<Vec<LayerTiles>, TrainError>;
    /// The model grown by one inner layer pair (new weights from the device's generator);
    /// models that cannot grow are returned unchanged.
    fn grow(self, _grow: &GrowSpec, _device: &Device) -> Net {
        self.into()
    }
    /// The encoder with a new head of `classes` (the decoder is dropped); models that
    /// classify already are returned unchanged.
    fn into_classifier(self, _classes: usize, _device: &Device) -> Net {
        self.into()
    }
    /// Only the head trains from now on; models without a pretrained encoder are unchanged.
    fn freeze_encoder(self) -> Net {
        self.into()
    }
    /// Forward pass and losses on a training batch of `stage`.
    fn losses(&self, batch: &Batch, stage: &Stage) -> Result<StepLosses, TrainError>
    where
        Self: Sized,
    {
        crate::objective::stage_losses(self, batch, stage)
    }
    /// An estimate of the test set's −log p(x) in nats per image, for generative models:
    /// the importance-weighted bound with `samples` samples per image (Burda et al. 2016).
    /// `None` for models that give no likelihood.
    fn negative_log_likelihood(
        &self,
        _stage: &Stage,
        _test: &TestSet<'_>,
        _samples: usize,
    ) -> Result<Option<f64>, TrainError> {
        Ok(None)
    }
    /// Test metrics of `stage` on `test` (the model in validation mode).
    fn evaluate(&self, stage: &Stage, test: &TestSet<'_>) -> Result<TestMetrics, TrainError>
    where
        Self: Sized,
    {
        crate::measure::evaluate_stage(self, stage.kind, test)
    }
}

/// [`Net`] is every kind at once: each call goes to the kind inside.
impl ModelKind for Net {
    fn reconstruct(&self, images: Tensor<4>) -> Option<Reconstruction> {
        crate::each_net!(self, m => ModelKind::reconstruct(m, images))
    }
    fn log_probs(&self, images: Tensor<4>) -> Option<Tensor<2>> {
        crate::each_net!(self, m => ModelKind::log_probs(m, images))
    }
    fn decode_latent(&self, z: Tensor<2>, image: [usize; 3]) -> Option<Tensor<4>> {
        crate::each_net!(self, m => ModelKind::decode_latent(m, z, image))
    }
    fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        crate::each_net!(self, m => ModelKind::encode(m, images))
    }
    fn weight_tiles(&self, image: [usize; 3]) -> Result<Vec<LayerTiles>, TrainError> {
        crate::each_net!(self, m => ModelKind::weight_tiles(m, image))
    }
    fn grow(self, grow: &GrowSpec, device: &Device) -> Net {
        crate::each_net!(self, m => ModelKind::grow(m, grow, device))
    }
    fn into_classifier(self, classes: usize, device: &Device) -> Net {
        crate::each_net!(self, m => ModelKind::into_classifier(m, classes, device))
    }
    fn freeze_encoder(self) -> Net {
        crate::each_net!(self, m => ModelKind::freeze_encoder(m))
    }
    fn losses(&self, batch: &Batch, stage: &Stage) -> Result<StepLosses, TrainError> {
        crate::each_net!(self, m => ModelKind::losses(m, batch, stage))
    }
    fn evaluate(&self, stage: &Stage, test: &TestSet<'_>) -> Result<TestMetrics, TrainError> {
        crate::each_net!(self, m => ModelKind::evaluate(m, stage, test))
    }
    fn negative_log_likelihood(
        &self,
        stage: &Stage,
        test: &TestSet<'_>,
        samples: usize,
    ) -> Result<Option<f64>, TrainError> {
        crate::each_net!(self, m => ModelKind::negative_log_likelihood(m, stage, test, samples))
    }
}
