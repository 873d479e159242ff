//! The convolutional variational autoencoder: the conv autoencoder notebook's encoder and
//! decoder (three stride-2 convolutions and a dense code; a dense layer, convolutions and ×2
//! upsamplings) around the Gaussian latent of pytorch/examples' VAE, for 32×32 images
//! (Fashion-MNIST with `resize = "pad32"`, CIFAR-10). Trained on the negative ELBO as the dense
//! VAE is, by the same functions ([`super::vae`]); conv1's kernels drawn as tiles as the conv
//! autoencoder's.

use std::fmt;

use ae_data::Batch;
use ae_models::{ConvVae, ConvVaeConfig, Reconstruction};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::conv_autoencoder::{conv_decoder_flops, conv_encoder_flops, conv1_tiles};
use super::kind::{dense_flops as dense, needs_32x32};
use super::vae::{
    decode_latent, elbo_evaluate, elbo_losses, iw_negative_log_likelihood, posterior_mean,
    reconstruct_from_mean,
};
use super::{Arch, ArchKind, LayerTiles, ModelKind, Net, SpecKind, Upsample};
use crate::error::{RecipeError, TrainError};
use crate::measure::TestSet;
use crate::metrics::TestMetrics;
use crate::objective::StepLosses;
use crate::recipe::{Recipe, Stage};

/// `[model] kind = "conv-vae"`: for 32×32 images (any channel count).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvVaeSpec {
    /// Size of the conv encoder's dense code, the input of the μ and log σ² heads.
    #[serde(default = "default_hidden")]
    pub hidden: usize,
    /// Size of z.
    #[serde(default = "default_latent")]
    pub latent: usize,
    /// Slope of the leaky ReLUs.
    #[serde(default = "default_negative_slope")]
    pub negative_slope: f64,
    /// The decoder's ×2 upsampling: `"bilinear"` (the default), `"bilinear-align-corners"` or
    /// `"nearest"`, as the conv autoencoder's.
    #[serde(default)]
    pub upsample: Upsample,
}

fn default_hidden() -> usize {
    256
}
fn default_latent() -> usize {
    32
}
fn default_negative_slope() -> f64 {
    0.1
}

/// The conv VAE of a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvVaeArch {
    pub in_channels: usize,
    pub hidden: usize,
    pub latent: usize,
    pub negative_slope: f64,
    pub upsample: Upsample,
}

/// Rows the conv VAE decodes at once in the importance-weighted estimate: each holds a
/// 64×32×32 feature map (256 KiB in f32) in the decoder's last layers, so 1,000 rows are
/// about 0.25 GiB a map.
const IW_ROWS: usize = 1_000;

impl SpecKind for ConvVaeSpec {
    fn initial_arch(&self, recipe: &Recipe, input: [usize; 3]) -> Result<Arch, RecipeError> {
        let [c, h, w] = input;
        if (h, w) != (32, 32) {
            let fits = ["pad32", "bilinear32"];
            return Err(needs_32x32("the conv VAE", recipe, [h, w], fits));
        }
        for (key, value) in [("model.hidden", self.hidden), ("model.latent", self.latent)] {
            if value == 0 {
                return Err(RecipeError::Zero { key: key.into() });
            }
        }
        if !self.negative_slope.is_finite() {
            return Err(RecipeError::invalid(
                "model.negative_slope",
                "expected a finite number",
            ));
        }
        Ok(Arch::ConvVae(ConvVaeArch {
            in_channels: c,
            hidden: self.hidden,
            latent: self.latent,
            negative_slope: self.negative_slope,
            upsample: self.upsample,
        }))
    }
}

impl ArchKind for ConvVaeArch {
    fn build(&self, device: &Device) -> Net {
        Net::ConvVae(
            ConvVaeConfig::new()
                .with_in_channels(self.in_channels)
                .with_hidden(self.hidden)
                .with_latent(self.latent)
                .with_negative_slope(self.negative_slope)
                .with_upsampling(self.upsample.mode())
                .init(device),
        )
    }

    fn kind_name(&self) -> &'static str {
        "conv variational autoencoder"
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "conv VAE {}×32×32, code {}, {}z",
            self.in_channels, self.hidden, self.latent
        )?;
        match self.upsample {
            Upsample::Bilinear => Ok(()),
            other => write!(f, ", {} upsampling", other.mode().name()),
        }
    }

    fn reconstructs(&self) -> bool {
        true
    }

    fn is_variational(&self) -> bool {
        true
    }

    fn code_size(&self) -> usize {
        self.latent
    }

    fn code_description(&self) -> String {
        format!("{}-d latent mean μ", self.latent)
    }

    fn forward_flops_per_sample(&self) -> u64 {
        self.encoder_flops_per_sample() + conv_decoder_flops(self.latent, self.in_channels)
    }

    fn encoder_flops_per_sample(&self) -> u64 {
        conv_encoder_flops(self.in_channels, self.hidden) + 2 * dense(self.hidden, self.latent)
    }
}

impl ModelKind for ConvVae {
    fn reconstruct(&self, images: Tensor<4>) -> Option<Reconstruction> {
        Some(reconstruct_from_mean(self, images))
    }

    fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        posterior_mean(self, images)
    }

    fn decode_latent(&self, z: Tensor<2>, image: [usize; 3]) -> Option<Tensor<4>> {
        Some(decode_latent(self, z, image))
    }

    fn weight_tiles(&self, _image: [usize; 3]) -> Result<Vec<LayerTiles>, TrainError> {
        Ok(vec![conv1_tiles(self.encoder.conv1.weight.val())?])
    }

    fn losses(&self, batch: &Batch, stage: &Stage) -> Result<StepLosses, TrainError> {
        elbo_losses(self, batch, stage)
    }

    fn evaluate(&self, stage: &Stage, test: &TestSet<'_>) -> Result<TestMetrics, TrainError> {
        elbo_evaluate(self, stage, test)
    }

    fn negative_log_likelihood(
        &self,
        stage: &Stage,
        test: &TestSet<'_>,
        samples: usize,
    ) -> Result<Option<f64>, TrainError> {
        iw_negative_log_likelihood(self, stage, test, samples, IW_ROWS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelSpec;
    use crate::run::{RunOptions, train};

    /// A short conv VAE training on the bundled digits padded to 32×32.
    const RECIPE: &str = r#"
name = "conv-vae-test"
dataset = "mnist-mini"
resize = "pad32"
batch_size = 64
limit = 1024
test_limit = 100

[model]
kind = "conv-vae"

[[stages]]
name = "conv-vae"
kind = "reconstruction"
epochs = 2
optimizer = { kind = "adam", lr = 1e-3 }
"#;

    fn parse(text: &str) -> Result<Recipe, RecipeError> {
        Recipe::from_toml_str(text, "test.toml")
    }

    #[test]
    fn a_conv_vae_learns_on_padded_digits() {
        let out = tempfile::tempdir().unwrap();
        let mut options = RunOptions::new(Device::flex());
        options.data = ae_data::DataLocator {
            data_dir: Some(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/mnist-mini"),
            ),
            allow_download: false,
            ..ae_data::DataLocator::default()
        };
        options.out_dir = out.path().to_path_buf();
        let summary = train(&parse(RECIPE).unwrap(), &options).unwrap();
        let losses: Vec<f64> = summary.epochs.iter().map(|e| e.test_loss).collect();
        // Measured 2026-12-02 (flex, seed 0): 339.8 then 217.8 nats per image, the
        // importance-weighted estimate 205.0; an untrained decoder gives 1024 · ln 2 ≈ 710.
        assert!(losses[1] < losses[0], "{losses:?}");
        assert!(losses[1] < 230.0, "{losses:?}");
        for e in &summary.epochs {
            let (recon, kl) = (e.test_recon.unwrap(), e.test_kl.unwrap());
            assert!((e.test_loss - (recon + kl)).abs() < 1e-9);
            assert!(kl > 0.0 && e.train_penalty.unwrap() > 0.0);
            assert!(e.active_units.unwrap() <= 32);
        }
        let m = &summary.final_metrics;
        assert_eq!(m.iw_samples, Some(100));
        assert!(m.iw_nll.unwrap() < losses[1], "{m:?}");
        assert_eq!(
            summary.architectures,
            vec!["conv VAE 1×32×32, code 256, 32z"]
        );
    }

    #[test]
    fn conv_vae_recipes_are_checked_naming_the_key() {
        let recipe = parse(RECIPE).unwrap();
        assert_eq!(
            recipe.model,
            ModelSpec::ConvVae(ConvVaeSpec {
                hidden: 256,
                latent: 32,
                negative_slope: 0.1,
                upsample: Upsample::Bilinear,
            })
        );
        let plans = recipe.plan().unwrap();
        assert!(matches!(&plans[0].arch, Arch::ConvVae(a) if a.in_channels == 1));
        let message = |text: String| parse(&text).unwrap_err().to_string();
        // 28×28 images.
        let e = message(RECIPE.replace("resize = \"pad32\"\n", ""));
        assert!(e.contains("`resize`") && e.contains("the conv VAE"), "{e}");
        let e = message(RECIPE.replace("kind = \"conv-vae\"", "kind = \"conv-vae\"\nlatent = 0"));
        assert!(e.contains("model.latent"), "{e}");
        let e =
            message(RECIPE.replace("kind = \"conv-vae\"", "kind = \"conv-vae\"\ncode_size = 8"));
        assert!(e.contains("code_size"), "{e}");
        let e = message(RECIPE.replace(
            "kind = \"conv-vae\"",
            "kind = \"conv-vae\"\nupsample = \"cubic\"",
        ));
        assert!(e.contains("model.upsample"), "{e}");
        // A VAE's code is regularised by its KL term, and it has no classifier stage.
        let e = message(RECIPE.replace(
            "epochs = 2",
            "epochs = 2\nsparsity = { kind = \"l1\", rho = 0.1 }",
        ));
        assert!(e.contains("sparsity"), "{e}");
    }

    #[test]
    fn forward_flops_match_hand_counts() {
        let arch = Arch::ConvVae(ConvVaeArch {
            in_channels: 1,
            hidden: 256,
            latent: 32,
            negative_slope: 0.1,
            upsample: Upsample::Bilinear,
        });
        // Multiply-adds: conv 1->64 at 16², 64->128 at 8², 128->128 at 4² (3×3 each), dense
        // 2048·256, the two heads 256·32; dense 32·2048, conv 128->128 at 4², 128->64 at 8²,
        // 64->64 at 16², 64->1 at 32².
        let encoder = 64 * 256 * 9 + 128 * 64 * 576 + 128 * 16 * 1152 + 2048 * 256 + 2 * 256 * 32;
        let decoder = 32 * 2048 + 128 * 16 * 1152 + 64 * 64 * 1152 + 64 * 256 * 576 + 1024 * 576;
        assert_eq!(
            arch.forward_flops_per_sample(),
            2 * (encoder + decoder) as u64
        );
        assert_eq!(arch.kind().encoder_flops_per_sample(), 2 * encoder as u64);
        assert_eq!(arch.to_string(), "conv VAE 1×32×32, code 256, 32z");
        assert_eq!(arch.code_size(), 32);
        assert!(arch.kind().is_variational() && arch.reconstructs());
        assert_eq!(arch.kind().code_description(), "32-d latent mean μ");
        let json = serde_json::to_string(&arch).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"conv-vae","in_channels":1,"hidden":256,"latent":32,"negative_slope":0.1,"upsample":"bilinear"}"#
        );
        assert_eq!(serde_json::from_str::<Arch>(&json).unwrap(), arch);
    }
}
