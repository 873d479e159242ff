//! The binary's command line, run as a process. (These tests also make `cargo test` build
//! `target/release/ae`, which the end-to-end tests in `tests/` run.)

use std::process::Command;

fn ae(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ae"))
        .args(args)
        .output()
        .expect("run ae")
}

#[test]
fn help_lists_the_four_commands() {
    let out = ae(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for command in ["train", "eval", "datasets", "bench"] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(command)),
            "{command} missing from:\n{text}"
        );
    }
}

#[test]
fn every_command_has_help() {
    for command in ["train", "eval", "datasets", "bench"] {
        let out = ae(&[command, "--help"]);
        assert!(out.status.success(), "{command} --help failed");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("--device") || command == "datasets",
            "{command}:\n{text}"
        );
        assert!(text.contains("Usage: ae"), "{command}:\n{text}");
    }
}

#[test]
fn a_zero_epoch_count_is_refused_by_the_parser() {
    let out = ae(&["train", "lenet-mnist", "--epochs", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("must be at least 1"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_unknown_recipe_is_one_line_naming_the_built_in_ones() {
    let out = ae(&["train", "no-such-recipe"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: recipe no-such-recipe not found"),
        "{err}"
    );
    assert!(err.contains("stacked-mnist"), "{err}");
}
