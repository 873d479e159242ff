//! The observer that draws a run's weight and reconstruction grids into `grids/`, as the
//! lectures show them: each layer the model kind offers (a dense `encoder` and `decoder`, the
//! conv models' `conv1`, LeNet's `conv2-kernel1`) at initialisation and at the end of every
//! stage, with the update of each stage (its weights minus the previous picture's), one scale
//! per grid by default; the clean / noisy / reconstructed test images after a reconstruction
//! stage. `grids/weights.json` lists the pictures in order with the fraction of near-zero
//! weights in each ([`WeightPictures`]), which `report.html` follows. The layer's tiles at its
//! last two pictures are kept in `checkpoints/tiles-<layer>-<stage>.tiles`, so a resumed run
//! draws the same updates.

use std::path::{Path, PathBuf};

use ae_data::{BatchLoader, Noise};
use ae_train::{
    LayerTiles, ModelKind, ModelStart, Net, Observer, StageEnd, StageKind, Tiles, TrainError,
    read_f32,
};
use burn::module::Module;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::grids::{GridScale, save_image_rows, save_weight_grid};

/// Images shown in the reconstruction grid.
const RECONSTRUCTION_SAMPLES: usize = 10;

/// A weight counts as near zero when its magnitude is at most this fraction of the layer's
/// largest: within about one grey level of zero's in a grid drawn on one scale.
pub const NEAR_ZERO: f32 = 0.01;

/// The record of the weight pictures: `grids/weights.json`.
pub const WEIGHTS_RECORD: &str = "weights.json";

/// Draws the grids (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct StagePictures {
    scale: GridScale,
}

impl StagePictures {
    /// Weight grids scaled as `scale` says (the notebooks' one scale per grid by default).
    pub fn new(scale: GridScale) -> Self {
        Self { scale }
    }
}

/// What `grids/weights.json` holds: every layer's pictures, in the order they were drawn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WeightPictures {
    /// `"grid"` (one scale per grid) or `"tile"` (each tile on its own).
    pub scale: String,
    pub layers: Vec<LayerPictures>,
}

/// One layer's pictures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerPictures {
    /// The layer's name in file names (`conv1`, `encoder`, ...).
    pub name: String,
    /// What its tiles show ("conv1's 64 kernels").
    pub title: String,
    pub snapshots: Vec<Snapshot>,
}

/// A layer's weights at one point of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// 0 at initialisation, `k` after stage `k` (from 1).
    pub stage: usize,
    /// `initial`, or the stage's name.
    pub stage_name: String,
    /// The picture of the weights, in `grids/`.
    pub picture: String,
    /// The picture of the stage's update (these weights minus the previous picture's), when
    /// the layer existed before the stage and changed in it.
    pub update: Option<String>,
    /// True when the stage left the layer exactly as it was (a frozen layer): no update picture.
    pub unchanged: bool,
    /// Fraction of the weights with |w| at most [`NEAR_ZERO`] of the largest |w|.
    pub near_zero_fraction: f64,
    /// The largest |w|.
    pub max_abs: f32,
}

impl WeightPictures {
    /// Reads `grids/weights.json` of a run folder; `None` when there is none (a run without
    /// this observer, or from before it existed).
    pub fn read(grids: &Path) -> Result<Option<WeightPictures>, TrainError> {
        let path = grids.join(WEIGHTS_RECORD);
        if !path.exists() {
            return Ok(None);
        }
        ae_train::read_json(&path).map(Some)
    }

    fn write(&self, grids: &Path) -> Result<(), TrainError> {
        ae_train::write_json(&grids.join(WEIGHTS_RECORD), self)
    }

    /// Adds (or, when a resumed run draws it again, replaces) a layer's snapshot.
    fn record(&mut self, layer: &LayerTiles, snapshot: Snapshot) {
        let index = match self.layers.iter().position(|l| l.name == layer.name) {
            Some(index) => index,
            None => {
                self.layers.push(LayerPictures {
                    name: layer.name.to_string(),
                    title: layer.title.clone(),
                    snapshots: Vec::new(),
                });
                self.layers.len() - 1
            }
        };
        let snapshots = &mut self.layers[index].snapshots;
        snapshots.retain(|s| s.stage != snapshot.stage);
        snapshots.push(snapshot);
        snapshots.sort_by_key(|s| s.stage);
    }
}

/// Where a layer's tiles at stage `stage` (0: initialisation) are kept.
fn tiles_path(run_dir: &Path, layer: &str, stage: usize) -> PathBuf {
    run_dir
        .join("checkpoints")
        .join(format!("tiles-{layer}-{stage}.tiles"))
}

/// The layer's tiles at its latest picture before `stage`, if any.
fn previous_tiles(run_dir: &Path, layer: &str, stage: usize) -> Result<Option<Tiles>, TrainError> {
    for earlier in (0..stage).rev() {
        let path = tiles_path(run_dir, layer, earlier);
        if path.exists() {
            return Tiles::load(&path).map(Some);
        }
    }
    Ok(None)
}

/// A stage name as a file-name part: letters, digits, `-`, `_` and `.` kept, the rest `-`.
fn file_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

impl StagePictures {
    /// Draws the layers' pictures at `stage` (0: initialisation) and records them.
    fn snapshot(
        &self,
        run_dir: &Path,
        layers: Vec<LayerTiles>,
        stage: usize,
        stage_name: &str,
    ) -> Result<(), TrainError> {
        let grids = run_dir.join("grids");
        let mut record = WeightPictures::read(&grids)?.unwrap_or_default();
        record.scale = match self.scale {
            GridScale::Grid => "grid",
            GridScale::Tile => "tile",
        }
        .to_string();
        for layer in layers {
            let stem = format!("{}-{stage}-{}", layer.name, file_part(stage_name));
            let picture = format!("{stem}.png");
            let draw = |tiles: &Tiles, file: &str| {
                save_weight_grid(tiles, layer.per_row, self.scale, &grids.join(file))
            };
            draw(&layer.tiles, &picture)?;
            let change = match previous_tiles(run_dir, layer.name, stage)? {
                Some(previous) => layer.tiles.difference(&previous),
                None => None,
            };
            let unchanged = change.as_ref().is_some_and(Tiles::is_zero);
            let update = match change {
                Some(change) if !unchanged => {
                    let file = format!("{stem}-update.png");
                    draw(&change, &file)?;
                    Some(file)
                }
                _ => None,
            };
            // Kept: this picture's tiles and the previous one's (a stage drawn again after a
            // resume compares with the same weights); older ones are not needed.
            layer.tiles.save(&tiles_path(run_dir, layer.name, stage))?;
            for older in 0..stage.saturating_sub(1) {
                let path = tiles_path(run_dir, layer.name, older);
                if path.exists() {
                    std::fs::remove_file(&path)
                        .map_err(|e| TrainError::io(&path, "cannot remove", e))?;
                }
            }
            let snapshot = Snapshot {
                stage,
                stage_name: stage_name.to_string(),
                picture,
                update,
                unchanged,
                near_zero_fraction: layer.tiles.near_zero_fraction(NEAR_ZERO),
                max_abs: layer.tiles.max_abs(),
            };
            record.record(&layer, snapshot);
        }
        record.write(&grids)
    }
}

impl Observer for StagePictures {
    fn model_initialised(&self, model: &ModelStart<'_>) -> Result<(), TrainError> {
        let layers = model.net.valid().weight_tiles(model.input_shape)?;
        self.snapshot(model.run_dir, layers, 0, "initial")
    }

    fn stage_ended(&self, end: &StageEnd<'_>) -> Result<(), TrainError> {
        let valid = end.net.valid();
        let layers = valid.weight_tiles(end.input_shape)?;
        let name = end.stage.display_name(end.index);
        self.snapshot(end.run_dir, layers, end.index + 1, &name)?;
        if end.stage.kind == StageKind::Reconstruction {
            reconstruction_grid(&valid, end, &end.run_dir.join("grids/reconstruction.png"))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_names_become_file_name_parts() {
        assert_eq!(file_part("classifier-1024-10"), "classifier-1024-10");
        assert_eq!(file_part("fine tune/2"), "fine-tune-2");
    }

    fn layer(values: Vec<f32>) -> LayerTiles {
        LayerTiles::new(
            "conv1",
            "conv1's 2 kernels",
            Tiles::new([1, 1, 2], vec![values]),
        )
        .per_row(8)
    }

    #[test]
    fn snapshots_draw_each_stage_and_its_update_and_record_them_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("grids")).unwrap();
        std::fs::create_dir_all(dir.path().join("checkpoints")).unwrap();
        let pictures = StagePictures::default();
        let run = dir.path();
        pictures
            .snapshot(run, vec![layer(vec![1.0, 2.0])], 0, "initial")
            .unwrap();
        pictures
            .snapshot(run, vec![layer(vec![1.0, 2.0])], 1, "frozen")
            .unwrap();
        pictures
            .snapshot(run, vec![layer(vec![0.001, 3.0])], 2, "fine tune")
            .unwrap();
        // A resumed run drawing stage 2 again replaces its entry.
        pictures
            .snapshot(run, vec![layer(vec![0.001, 3.0])], 2, "fine tune")
            .unwrap();
        let record = WeightPictures::read(&run.join("grids")).unwrap().unwrap();
        assert_eq!(record.scale, "grid");
        assert_eq!(record.layers.len(), 1);
        let s = &record.layers[0].snapshots;
        let pictures: Vec<&str> = s.iter().map(|s| s.picture.as_str()).collect();
        assert_eq!(
            pictures,
            [
                "conv1-0-initial.png",
                "conv1-1-frozen.png",
                "conv1-2-fine-tune.png"
            ]
        );
        // Stage 1 left the layer as it was; stage 2 changed it, and its update is drawn.
        assert_eq!((s[0].update.as_deref(), s[0].unchanged), (None, false));
        assert_eq!((s[1].update.as_deref(), s[1].unchanged), (None, true));
        assert_eq!(s[2].update.as_deref(), Some("conv1-2-fine-tune-update.png"));
        // 0.001 is within 1% of the largest |w| (3), 3 is not.
        assert_eq!((s[2].near_zero_fraction, s[2].max_abs), (0.5, 3.0));
        for file in pictures
            .iter()
            .copied()
            .chain(["conv1-2-fine-tune-update.png"])
        {
            assert!(run.join("grids").join(file).exists(), "{file}");
        }
        assert!(!run.join("grids/conv1-1-frozen-update.png").exists());
        // The tiles of the last two pictures are kept.
        let kept = |stage| tiles_path(run, "conv1", stage).exists();
        assert_eq!((kept(0), kept(1), kept(2)), (false, true, true));
        let latest = Tiles::load(&tiles_path(run, "conv1", 2)).unwrap();
        assert_eq!(latest.tiles, vec![vec![0.001, 3.0]]);
    }
}
