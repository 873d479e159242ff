//! Builds the list of the recipes compiled into the binary from the files in `models/`, so the
//! built-in set follows that folder by construction (`src/recipes.rs` includes the list).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let models = Path::new(&manifest_dir).join("../../models");
    println!("cargo:rerun-if-changed={}", models.display());
    let mut files: Vec<_> = std::fs::read_dir(&models)
        .unwrap_or_else(|e| panic!("{}: cannot list the recipes: {e}", models.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    // By file stem, as `ae` lists them (a path sort would put `x-adam.toml` before `x.toml`).
    files.sort_by_key(|path| path.file_stem().map(|s| s.to_owned()));
    let mut list = String::from("&[\n");
    for path in &files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_else(|| panic!("{}: recipe file name is not UTF-8", path.display()));
        let absolute = path
            .canonicalize()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        println!("cargo:rerun-if-changed={}", absolute.display());
        let _ = writeln!(
            list,
            "    ({stem:?}, include_str!({:?})),",
            absolute.display().to_string()
        );
    }
    list.push_str("]\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_recipes.rs");
    std::fs::write(&out, list).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
