//! `ae datasets`: where each known dataset is, or why it is not usable. Never downloads.

use ae_data::{DataError, DatasetName, load_dataset};
use anyhow::Result;

use crate::cli::DatasetsArgs;
use crate::failure::one_line;

pub fn run(args: DatasetsArgs) -> Result<()> {
    let mut locator = args.data.locator();
    locator.allow_download = false;
    for dataset in DatasetName::ALL {
        let name = dataset.as_str();
        match load_dataset(dataset, &locator) {
            Ok(data) => {
                let [c, h, w] = data.train.image_shape();
                let verified = data.source.files.iter().filter(|f| f.verified).count();
                let files = data.source.files.len();
                println!("{name:<14} found     {}", data.source.dir.display());
                println!(
                    "{:<14} {} train / {} test images of {c}x{h}x{w}; {}",
                    "",
                    data.train.len(),
                    data.test.len(),
                    if verified == files {
                        format!("all {files} files match their published digests")
                    } else if verified == 0 {
                        format!("{files} files, none with a published digest to check (unverified)")
                    } else {
                        format!("{verified} of {files} files match their published digests")
                    }
                );
                for f in &data.source.files {
                    println!(
                        "{:<14}   {:<28} sha256 {}{}",
                        "",
                        f.name,
                        f.sha256,
                        if f.verified {
                            "  verified"
                        } else {
                            "  unverified"
                        }
                    );
                }
            }
            Err(DataError::NotFound { .. }) => {
                println!("{name:<14} missing");
                for probe in locator.probe(dataset) {
                    let detail = if probe.missing.len() == file_count(dataset) {
                        "none of its files".to_string()
                    } else {
                        format!("missing {}", probe.missing.join(", "))
                    };
                    println!("{:<14}   searched {} ({detail})", "", probe.dir.display());
                }
            }
            Err(e) => {
                println!("{name:<14} unusable  {}", one_line(&e.to_string()));
            }
        }
    }
    if locator.data_dir.is_none() {
        println!();
        println!(
            "Datasets are searched in --data-dir DIR, $AE_DATA_DIR/<name>, ~/.cache/ae/<name> and system folders;"
        );
        println!("a missing one is downloaded by `ae train` when a network is there.");
    }
    Ok(())
}

/// How many files the dataset has: four IDX files, or six CIFAR-10 batches.
fn file_count(name: DatasetName) -> usize {
    match name {
        DatasetName::Cifar10 => 6,
        _ => 4,
    }
}
