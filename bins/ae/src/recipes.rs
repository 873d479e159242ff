//! Finding a recipe: a TOML file, a name in `models/`, or a copy of the shipped recipes built
//! into the binary (so `ae` and `ae train lenet-mnist` work from any folder).

use std::path::{Path, PathBuf};

use ae_train::Recipe;
use anyhow::{Result, bail};

/// The recipe `ae` trains when run without arguments.
pub const DEFAULT_RECIPE: &str = "models/stacked-mnist.toml";

/// The recipes of `models/`, by file stem, as they were when the binary was built (the list
/// is made from the folder by `build.rs`).
const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_recipes.rs"));

/// Names of the built-in recipes.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(name, _)| *name).collect()
}

/// A recipe and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedRecipe {
    pub recipe: Recipe,
    /// The file stem, e.g. `lenet-mnist` (what `ae bench` reports).
    pub stem: String,
    /// The file, or `built-in <stem>`.
    pub origin: String,
}

/// Reads and validates the recipe `arg` names: an existing file; else `models/<arg>` or
/// `models/<arg>.toml` under the working folder; else the built-in recipe of that stem (when
/// `arg` is a bare name or a path into a `models` folder).
pub fn load(arg: &str) -> Result<LoadedRecipe> {
    let path = Path::new(arg);
    if path.is_file() {
        return from_file(path);
    }
    let bare = path.components().count() == 1;
    if bare {
        for candidate in [
            Path::new("models").join(arg),
            Path::new("models").join(format!("{arg}.toml")),
        ] {
            if candidate.is_file() {
                return from_file(&candidate);
            }
        }
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let in_models = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|p| p == "models");
    if (bare || in_models)
        && let Some((name, text)) = BUILTIN.iter().find(|(name, _)| *name == stem)
    {
        let origin = format!("built-in {name}.toml");
        let recipe = Recipe::from_toml_str(text, &origin)?;
        return Ok(LoadedRecipe {
            recipe,
            stem: name.to_string(),
            origin,
        });
    }
    if path.exists() {
        bail!("{arg}: is not a file; expected a recipe (.toml)");
    }
    bail!(
        "recipe {arg} not found: no such file{}; built-in recipes: {}",
        if bare {
            format!(", nor models/{arg}.toml")
        } else {
            String::new()
        },
        builtin_names().join(", ")
    )
}

fn from_file(path: &Path) -> Result<LoadedRecipe> {
    let recipe = Recipe::from_file(path)?;
    Ok(LoadedRecipe {
        recipe,
        stem: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        origin: PathBuf::from(path).display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_recipe_validates_and_is_named_after_its_file() {
        for (name, text) in BUILTIN {
            let recipe = Recipe::from_toml_str(text, name)
                .unwrap_or_else(|e| panic!("built-in recipe {name} is invalid: {e}"));
            assert_eq!(recipe.name, *name, "recipe name vs file stem");
            assert!(recipe.description.is_some(), "{name} has no description");
        }
    }

    #[test]
    fn every_recipe_file_of_models_is_built_in() {
        let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
        let mut files: Vec<String> = std::fs::read_dir(&models)
            .unwrap()
            .filter_map(|e| {
                let path = e.unwrap().path();
                (path.extension()? == "toml")
                    .then(|| path.file_stem().unwrap().to_string_lossy().into_owned())
            })
            .collect();
        files.sort();
        assert!(files.len() >= 13, "{files:?}");
        assert_eq!(builtin_names(), files);
        let lenet_adam = load("/nonexistent/models/lenet-mnist-adam.toml").unwrap();
        assert_eq!(lenet_adam.origin, "built-in lenet-mnist-adam.toml");
    }

    #[test]
    fn the_default_recipe_is_built_in() {
        let loaded = load("/nonexistent/models/stacked-mnist.toml").unwrap();
        assert_eq!(loaded.stem, "stacked-mnist");
        assert_eq!(
            loaded.recipe.dataset,
            ae_data::DatasetName::MnistMini.into()
        );
        assert!(DEFAULT_RECIPE.ends_with("stacked-mnist.toml"));
    }

    #[test]
    fn unknown_names_list_the_builtin_recipes() {
        let err = load("no-such-recipe").unwrap_err().to_string();
        assert!(err.contains("recipe no-such-recipe not found"), "{err}");
        assert!(err.contains("lenet-mnist"), "{err}");
        let err = load("/nonexistent/dir/lenet-mnist.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not found"), "{err}");
    }
}
