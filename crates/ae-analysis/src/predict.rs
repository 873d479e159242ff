//! `ae predict` and `ae reconstruct`: a trained model applied to the user's own pictures.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::images::{PictureOptions, image_input};
use ae_report::grids::save_image_rows;
use ae_train::TrainError;
use ae_train::TrainedModel;
use ae_train::create_dir;

/// One class and its probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassScore {
    pub class: usize,
    pub name: String,
    pub probability: f64,
}

/// The most probable classes of one picture.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    pub image: PathBuf,
    /// Most probable first.
    pub top: Vec<ClassScore>,
}

/// The model inputs of `paths`, one after the other: `[n, c, h, w]` flattened.
pub fn inputs(
    model: &TrainedModel,
    paths: &[PathBuf],
    options: PictureOptions,
) -> Result<Vec<f32>, TrainError> {
    if paths.is_empty() {
        return Err(TrainError::InvalidOption("no image given".into()));
    }
    let mut all = Vec::new();
    for path in paths {
        all.extend(image_input(
            path,
            model.recipe.stored_shape()?,
            model.recipe.resize,
            options,
        )?);
    }
    Ok(all)
}

/// The `top` most probable classes of each picture in `paths`.
pub fn predict(
    model: &TrainedModel,
    paths: &[PathBuf],
    options: PictureOptions,
    top: usize,
) -> Result<Vec<Prediction>, TrainError> {
    let probabilities = model.probabilities(&inputs(model, paths, options)?)?;
    let names: Vec<&str> = model.class_names.iter().map(String::as_str).collect();
    let classes = probabilities.len() / paths.len();
    Ok(paths
        .iter()
        .zip(probabilities.chunks_exact(classes))
        .map(|(path, row)| Prediction {
            image: path.clone(),
            top: top_classes(row, top, &names),
        })
        .collect())
}

/// The `k` largest entries of `probabilities`, largest first (ties: lower class first).
pub fn top_classes(probabilities: &[f32], k: usize, names: &[&str]) -> Vec<ClassScore> {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|&a, &b| {
        probabilities[b]
            .total_cmp(&probabilities[a])
            .then(a.cmp(&b))
    });
    order
        .into_iter()
        .take(k)
        .map(|class| ClassScore {
            class,
            name: names
                .get(class)
                .map_or_else(|| class.to_string(), |n| n.to_string()),
            probability: f64::from(probabilities[class]),
        })
        .collect()
}

/// A picture and where its reconstruction was written.
#[derive(Debug, Clone, Serialize)]
pub struct ReconstructionFile {
    pub image: PathBuf,
    pub output: PathBuf,
    /// Mean squared error between the model's input and its reconstruction.
    pub mse: f64,
}

/// Reconstructs each picture with the run's autoencoder and writes
/// `<out_dir>/<name>-reconstruction.png`: the model's input (left) beside its reconstruction.
pub fn reconstruct(
    model: &TrainedModel,
    paths: &[PathBuf],
    options: PictureOptions,
    out_dir: &Path,
) -> Result<Vec<ReconstructionFile>, TrainError> {
    let inputs = inputs(model, paths, options)?;
    let outputs = model.reconstructions(&inputs)?;
    create_dir(out_dir)?;
    let shape = model.input_shape()?;
    let per_image: usize = shape.iter().product();
    let mut files = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let input = inputs[i * per_image..(i + 1) * per_image].to_vec();
        let output = outputs[i * per_image..(i + 1) * per_image].to_vec();
        let mse = input
            .iter()
            .zip(&output)
            .map(|(a, b)| f64::from(a - b).powi(2))
            .sum::<f64>()
            / per_image as f64;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("image{i}"));
        let mut target = out_dir.join(format!("{stem}-reconstruction.png"));
        // Two pictures of the same name from different folders must not overwrite each other.
        if files
            .iter()
            .any(|f: &ReconstructionFile| f.output == target)
        {
            target = out_dir.join(format!("{stem}-{i}-reconstruction.png"));
        }
        save_image_rows(&[vec![input, output]], shape, &target)?;
        files.push(ReconstructionFile {
            image: path.clone(),
            output: target,
            mse,
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_classes_are_sorted_and_named() {
        let names = ["a", "b", "c", "d"];
        let top = top_classes(&[0.1, 0.6, 0.05, 0.25], 3, &names);
        let got: Vec<(usize, &str)> = top.iter().map(|s| (s.class, s.name.as_str())).collect();
        assert_eq!(got, vec![(1, "b"), (3, "d"), (0, "a")]);
        assert!((top[0].probability - 0.6).abs() < 1e-7);
    }
}
