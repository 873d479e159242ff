//! # ae-feature-set
//!
//! No code: its `Cargo.toml` turns on, for the third-party crates under Burn, the features that
//! the whole workspace's tests resolve, so that `cargo build`, `cargo test --workspace` and
//! `cargo test -p <crate>` all compile Burn once, with the same features. Every workspace crate
//! that depends on Burn depends on this one. It depends on nothing of the workspace.
#![forbid(unsafe_code)]
