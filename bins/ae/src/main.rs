//! `ae`: train, evaluate and benchmark the autoencoder recipes of `models/`.
//!
//! A thin layer over `ae-train`: it parses the command line, picks the device, finds recipes
//! and prints results. Every failure is one line on stderr and a non-zero exit code.

mod bench;
mod cli;
mod datasets;
mod device;
mod eval;
mod failure;
mod recipes;
mod report;
mod train;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, TrainArgs};

fn main() -> ExitCode {
    failure::install_panic_hook();
    // Fresh pages for every tensor cost up to half a dense step (see ae_train::keep_freed_memory).
    ae_train::keep_freed_memory();
    let cli = Cli::parse();
    let result = ae_train::on_compute_threads(move || match cli.command {
        None => train::run(TrainArgs::default_job()),
        Some(Command::Train(args)) => train::run(args),
        Some(Command::Eval(args)) => eval::run(args),
        Some(Command::Datasets(args)) => datasets::run(args),
        Some(Command::Bench(args)) => bench::run(args),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", failure::error_line(&error));
            ExitCode::FAILURE
        }
    }
}
