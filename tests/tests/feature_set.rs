//! One feature set for Burn: every workspace crate that builds on Burn, built or tested alone
//! (`cargo build -p X`, `cargo test -p X`), resolves the third-party crates under it with the
//! same features as `cargo test --workspace` does, so none of them recompiles Burn. Checked with
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
    let workspace = features(&["--workspace", "-e", "features"]);
    let mut differing: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for krate in ON_BURN {
        // Its tests (with dev-dependencies), and its build alone.
        for edges in ["features", "features,normal,build"] {
            for (package, feats) in features(&["-p", krate, "-e", edges]) {
                let wanted = workspace.get(&package).cloned().unwrap_or_default();
                if feats != wanted {
                    differing.insert(package, wanted);
                }
            }
        }
    }
    let lines: Vec<String> = differing
        .iter()
        .map(|(package, feats)| {
            let (name, version) = package.split_once(' ').unwrap_or((package, ""));
            let default = feats.contains("default");
            let list: Vec<String> = feats
                .iter()
                .filter(|f| *f != "default")
                .map(|f| format!("{f:?}"))
                .collect();
            format!(
                "{name} = {{ version = \"{}\", default-features = {default}, features = [{}] }}",
                version.trim_start_matches('v'),
                list.join(", ")
            )
        })
        .collect();
    assert!(
        lines.is_empty(),
        "these crates resolve other features in some build; add them to crates/ae-feature-set/Cargo.toml:\n{}",
        lines.join("\n")
    );
}
