//! The observer that draws what a generative model does at every epoch, as pytorch/examples'
//! `vae/main.py` writes `results/sample_<epoch>.png` and `reconstruction_<epoch>.png`: 64
//! pictures decoded from one fixed draw of z ~ N(0, I) (drawn from the recipe's seed, the same
//! at every epoch, so the pictures show the decoder learning), and the first 8 test images above
//! their reconstructions. Models that do not generate are left alone.

use std::path::{Path, PathBuf};

use ae_data::{BatchLoader, derive_seed};
use ae_train::{
    EpochModel, ModelKind, Observer, TrainError, create_dir, read_f32, standard_normal,
};
use burn::module::Module;

use crate::grids::{grid_shape, save_image_rows};

/// Pictures in an epoch's sample grid (8 × 8, as pytorch/examples).
pub const SAMPLES: usize = 64;
/// Test images in an epoch's reconstruction picture.
pub const RECONSTRUCTED: usize = 8;
/// The seed tag of the fixed noise, after the learner's tags.
const TAG_SAMPLE_NOISE: u64 = 16;

/// `grids/samples-<epoch>.png` and `grids/reconstruction-<epoch>.png` at every epoch.
#[derive(Debug, Default)]
pub struct EpochSamples;

/// The sample grid of run epoch `epoch` (from 1) in `run_dir`.
pub fn samples_path(run_dir: &Path, epoch: usize) -> PathBuf {
    run_dir.join(format!("grids/samples-{epoch:03}.png"))
}

/// The reconstruction picture of run epoch `epoch` (from 1) in `run_dir`.
pub fn reconstruction_path(run_dir: &Path, epoch: usize) -> PathBuf {
    run_dir.join(format!("grids/reconstruction-{epoch:03}.png"))
}

impl Observer for EpochSamples {
    fn epoch_model(&self, e: &EpochModel<'_>) -> Result<(), TrainError> {
        let valid = e.net.valid();
        let z = standard_normal(
            derive_seed(e.seed, &[TAG_SAMPLE_NOISE]),
            SAMPLES,
            e.code_size,
            e.device,
        );
        let Some(samples) = valid.decode_latent(z, e.input_shape) else {
            return Ok(());
        };
        let per: usize = e.input_shape.iter().product();
        let pictures: Vec<Vec<f32>> = read_f32(samples)?
            .chunks(per)
            .map(<[f32]>::to_vec)
            .collect();
        let (per_row, _) = grid_shape(SAMPLES, Some(8));
        let rows: Vec<Vec<Vec<f32>>> = pictures.chunks(per_row).map(<[_]>::to_vec).collect();
        create_dir(&e.run_dir.join("grids"))?;
        save_image_rows(
            &rows,
            e.input_shape,
            &samples_path(e.run_dir, e.global_epoch),
        )?;

        let n = RECONSTRUCTED.min(e.test.len());
        let loader = BatchLoader::new(e.test.clone(), n.max(1));
        if let Some(batch) = loader.iter(0, e.device).next()
            && let Some(rec) = valid.reconstruct(batch.clean.clone())
        {
            let images = |values: Vec<f32>| -> Vec<Vec<f32>> {
                values.chunks(per).map(<[f32]>::to_vec).collect()
            };
            let rows = vec![
                images(read_f32(batch.clean)?),
                images(read_f32(rec.output)?),
            ];
            save_image_rows(
                &rows,
                e.input_shape,
                &reconstruction_path(e.run_dir, e.global_epoch),
            )?;
        }
        Ok(())
    }
}
