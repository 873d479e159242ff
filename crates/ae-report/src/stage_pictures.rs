//! The observer that draws a run's weight and reconstruction grids into `grids/`: each layer
//! the model kind offers (`encoder`, `decoder`) at initialisation, trained and the difference,
//! at the end of every stage; the clean / noisy / reconstructed test images after a
//! reconstruction stage. The initial tiles are kept in `checkpoints/initial-<layer>.tiles`, so
//! a resumed run draws the same differences.

use std::path::{Path, PathBuf};

use ae_data::{BatchLoader, Noise};
use ae_train::{
    ModelKind, ModelStart, Net, Observer, StageEnd, StageKind, Tiles, TrainError, read_f32,
};
use burn::module::Module;
use burn::tensor::Tensor;

use crate::grids::{save_image_rows, save_weight_grid};

/// Images shown in the reconstruction grid.
const RECONSTRUCTION_SAMPLES: usize = 10;

/// Draws the grids (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct StagePictures;

fn initial_tiles_path(run_dir: &Path, layer: &str) -> PathBuf {
    run_dir
        .join("checkpoints")
        .join(format!("initial-{layer}.tiles"))
}

impl Observer for StagePictures {
    fn model_initialised(&self, model: &ModelStart<'_>) -> Result<(), TrainError> {
        let grids = model.run_dir.join("grids");
        for (layer, tiles) in model.net.valid().weight_tiles(model.input_shape)? {
            tiles.save(&initial_tiles_path(model.run_dir, layer))?;
            save_weight_grid(&tiles, &grids.join(format!("{layer}-initial.png")))?;
        }
        Ok(())
    }

    fn stage_ended(&self, end: &StageEnd<'_>) -> Result<(), TrainError> {
        let valid = end.net.valid();
        let grids = end.run_dir.join("grids");
        for (layer, tiles) in valid.weight_tiles(end.input_shape)? {
            save_weight_grid(&tiles, &grids.join(format!("{layer}-trained.png")))?;
            let initial_path = initial_tiles_path(end.run_dir, layer);
            if initial_path.exists() {
                let initial = Tiles::load(&initial_path)?;
                if let Some(diff) = tiles.difference(&initial) {
                    save_weight_grid(&diff, &grids.join(format!("{layer}-difference.png")))?;
                }
            }
        }
        if end.stage.kind == StageKind::Reconstruction {
            reconstruction_grid(&valid, end, &grids.join("reconstruction.png"))?;
        }
        Ok(())
    }
}

/// The first test images, clean, noisy (when the stage adds noise) and reconstructed.
fn reconstruction_grid(valid: &Net, end: &StageEnd<'_>, path: &Path) -> Result<(), TrainError> {
    let noise = end.stage.noise;
    let n = RECONSTRUCTION_SAMPLES.min(end.test.len());
    let loader = BatchLoader::new(end.test.clone(), n).noise(noise);
    let Some(batch) = loader.iter(end.noise_seed, end.device).next() else {
        return Ok(());
    };
    let Some(rec) = valid.reconstruct(batch.input.clone()) else {
        return Ok(());
    };
    let shape = end.input_shape;
    let per: usize = shape.iter().product();
    let images = |t: Tensor<4>| -> Result<Vec<Vec<f32>>, TrainError> {
        Ok(read_f32(t)?.chunks(per).map(<[f32]>::to_vec).collect())
    };
    let mut rows = vec![images(batch.clean)?];
    if noise != Noise::None {
        rows.push(images(batch.input)?);
    }
    rows.push(images(rec.output)?);
    save_image_rows(&rows, shape, path)
}
