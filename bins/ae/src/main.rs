//! `ae`: train, evaluate and benchmark the autoencoder recipes of `models/`.
//!
//! A thin layer over `ae-train` (the learner), `ae-report` (what a run shows) and
//! `ae-analysis` (looking inside a trained model): it parses the command line, picks the
//! device, finds recipes, plugs the observers and the Ctrl-C handler into a run and prints
//! results; `ae-runtime` sets up the process. Every failure is one line on stderr and a non-zero exit code.
#![forbid(unsafe_code)]

mod bench;
mod cli;
mod datasets;
mod device;
mod embed;
mod eval;
mod failure;
mod generate;
mod predict;
mod recipes;
mod report;
mod robustness;
mod train;
mod weights;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, TrainArgs};

/// Large freed blocks (the conv autoencoder's activations) are kept for the next training step
/// instead of being faulted in from the kernel again (see `ae_runtime::LargeBlockCache`).
#[global_allocator]
static ALLOCATOR: ae_runtime::LargeBlockCache = ae_runtime::LargeBlockCache;

fn main() -> ExitCode {
    failure::install_panic_hook();
    // Fresh pages for every tensor cost up to half a dense step (see ae_runtime::keep_freed_memory).
    ae_runtime::keep_freed_memory();
    // Before any thread starts: an OpenBLAS too old for this CPU would pick kernels slower than
    // the fallback (see ae_blas::prefer_avx512_kernels).
    ae_blas::prefer_avx512_kernels();
    let cli = Cli::parse();
    let result = ae_runtime::on_compute_threads(move || match cli.command {
        None => train::run(TrainArgs::default_job()),
        Some(Command::Train(args)) => train::run(args),
        Some(Command::Eval(args)) => eval::run(args),
        Some(Command::Datasets(args)) => datasets::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Export(args)) => weights::export_run(args),
        Some(Command::Embed(args)) => embed::run(args),
        Some(Command::Robustness(args)) => robustness::run(args),
        Some(Command::Predict(args)) => predict::run_predict(args),
        Some(Command::Reconstruct(args)) => predict::run_reconstruct(args),
        Some(Command::Sample(args)) => generate::run_sample(args),
        Some(Command::Interpolate(args)) => generate::run_interpolate(args),
        Some(Command::Traverse(args)) => generate::run_traverse(args),
        Some(Command::Manifold(args)) => generate::run_manifold(args),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", failure::error_line(&error));
            ExitCode::FAILURE
        }
    }
}
