//! Two feature sets for Burn, one per command of the README: every workspace crate that builds
//! on Burn, built alone (`cargo build -p X`), resolves the third-party crates under it as the
//! binary's build (`cargo run --release`) does, and tested alone (`cargo test -p X`) as `cargo
//! test --workspace` does, so that none of them recompiles Burn once those two are built. The
//! binary's set has no ndarray backend (the tests turn it on as a dev-dependency). Checked with
//! `cargo tree`, offline (the test build has fetched every crate).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// The workspace crates that depend on Burn.
const ON_BURN: [&str; 8] = [
    "ae",
    "ae-train",
    "ae-data",
    "ae-models",
    "ae-kernels",
    "ae-report",
    "ae-analysis",
    "ae-feature-set",
];

/// `name version` -> features, for every registry crate `cargo tree ARGS` resolves.
fn features(args: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args(["tree", "--offline", "--prefix", "none", "-f", "{p}|{f}"])
        .args(args)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let line = line.replace(" (*)", "");
        let Some((package, feats)) = line.trim().rsplit_once('|') else {
            continue;
        };
        let parts: Vec<&str> = package.split(' ').collect();
        // Workspace and vendored crates carry a path: they are ours, not what is unified.
        if parts.len() != 2 {
            continue;
        }
        map.entry(format!("{} {}", parts[0], parts[1]))
            .or_default()
            .extend(
                feats
                    .split(',')
                    .filter(|f| !f.is_empty())
                    .map(str::to_string),
            );
    }
    map
}

#[test]
fn every_crate_on_burn_resolves_the_workspace_features() {
    let tests = features(&["--workspace", "-e", "features"]);
    let binary = features(&["-p", "ae", "-e", "features,normal,build"]);
    let mut differing: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for krate in ON_BURN {
        // Its tests (with dev-dependencies) against the workspace's tests, and its build alone
        // against the binary's.
        for (edges, set) in [("features", &tests), ("features,normal,build", &binary)] {
            for (package, feats) in features(&["-p", krate, "-e", edges]) {
                let wanted = set.get(&package).cloned().unwrap_or_default();
                if feats != wanted {
                    differing.insert(format!("{package} ({edges})"), wanted);
                }
            }
        }
    }
    let lines: Vec<String> = differing
        .iter()
        .map(|(package, feats)| {
            let (package, edges) = package.split_once(" (").unwrap_or((package, ""));
            let (name, version) = package.split_once(' ').unwrap_or((package, ""));
            let default = feats.contains("default");
            let list: Vec<String> = feats
                .iter()
                .filter(|f| *f != "default")
                .map(|f| format!("{f:?}"))
                .collect();
            let set = if edges.starts_with("features)") { "tests" } else { "binary" };
            format!(
                "{name} = {{ version = \"{}\", default-features = {default}, features = [{}] }}  # the {set} set",
                version.trim_start_matches('v'),
                list.join(", ")
            )
        })
        .collect();
    assert!(
        lines.is_empty(),
        "these crates resolve other features in some build; add them to crates/ae-feature-set/Cargo.toml \
         (the binary's set under [dependencies], the tests' under [dev-dependencies]):\n{}",
        lines.join("\n")
    );
}

/// The binary's first build (`cargo run --release`) compiles no ndarray backend: it was the
/// longest crate of a cold build.
#[test]
fn the_binary_builds_without_the_ndarray_backend() {
    let binary = features(&["-p", "ae", "-e", "features,normal,build"]);
    let ndarray: Vec<&String> = binary
        .keys()
        .filter(|p| p.starts_with("burn-ndarray "))
        .collect();
    assert!(
        ndarray.is_empty(),
        "`cargo build -p ae` resolves {ndarray:?}"
    );
    assert!(
        binary
            .keys()
            .any(|p| p.starts_with("burn-flex ") || p.starts_with("burn "))
    );
    let tests = features(&["--workspace", "-e", "features"]);
    assert!(
        tests.keys().any(|p| p.starts_with("burn-ndarray ")),
        "the tests compare with ndarray, so `cargo test --workspace` must build it"
    );
}
