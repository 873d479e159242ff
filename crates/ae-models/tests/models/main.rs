//! Tests of every ae-models architecture: shapes, parameter counts, pinned forward values,
//! growth, weight transfer, sparsity penalties, upsampling and save/load.

mod common;

mod activation;
mod classifier;
mod conv_autoencoder;
mod conv_chunks;
mod conv_vae;
mod flex_patches;
mod init;
mod lenet;
mod pytorch_common;
mod pytorch_errors;
mod pytorch_fixtures;
mod pytorch_round_trip;
mod reference;
mod save_load;
mod sparsity;
mod stacked;
mod upsample;
mod vae;
