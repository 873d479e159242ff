//! `ae datasets`: where each known dataset is, or why it is not usable; what a folder of
//! pictures or a NumPy file holds; a built-in dataset written out as pictures or a `.npz`.
//! Never downloads.

use ae_data::{
    DataError, DataLocator, DataRequest, DatasetId, DatasetName, load_dataset, open_dataset,
    scan_arrays, scan_image_folder, write_image_folder, write_npz,
};
use ae_train::DEFAULT_TEST_FRACTION;
use anyhow::{Context, Result, bail};

use crate::cli::DatasetsArgs;
use crate::failure::one_line;

pub fn run(args: DatasetsArgs) -> Result<()> {
    let mut locator = args.data.locator();
    locator.allow_download = false;
    if args.write_folder.is_some() || args.write_npz.is_some() {
        return write_out(&args, &locator);
    }
    if !args.datasets.is_empty() {
        for dataset in &args.datasets {
            match dataset {
                DatasetId::Named(name) => describe_named(*name, &locator),
                DatasetId::Folder(path) => describe_folder(path)?,
                DatasetId::Arrays(path) => describe_arrays(path)?,
            }
        }
        return Ok(());
    }
    for dataset in DatasetName::ALL {
        describe_named(dataset, &locator);
    }
    if locator.data_dir.is_none() {
        println!();
        println!(
            "Datasets are searched in --data-dir DIR, $AE_DATA_DIR/<name>, ~/.cache/ae/<name> and system folders;"
        );
        println!("a missing one is downloaded by `ae train` when a network is there.");
        println!(
            "Your own data: `ae datasets PATH` describes a folder of pictures or a .npz / .npy file."
        );
    }
    Ok(())
}

/// `--write-folder` / `--write-npz`: the one dataset named, written out.
fn write_out(args: &DatasetsArgs, locator: &DataLocator) -> Result<()> {
    let id = match args.datasets.as_slice() {
        [id] => id,
        _ => bail!(
            "--write-folder and --write-npz write one dataset; name it, e.g. `ae datasets mnist-mini --write-folder digits`"
        ),
    };
    let data = match (id, args.image_shape) {
        (DatasetId::Named(name), _) => load_dataset(*name, locator)?,
        (_, Some(shape)) => open_dataset(
            id,
            locator,
            &DataRequest {
                shape,
                test_fraction: args.test_fraction.unwrap_or(DEFAULT_TEST_FRACTION),
                seed: 0,
            },
        )?,
        (_, None) => bail!(
            "--image-shape C,H,W is needed to write {id}: the shape its pictures are brought to (e.g. --image-shape 1,28,28)"
        ),
    };
    let name = id;
    if let Some(dir) = &args.write_folder {
        let n = write_image_folder(&data, dir)
            .with_context(|| format!("writing {name} into {}", dir.display()))?;
        println!(
            "wrote {n} pictures of {name} into {} (train/<class>/ and test/<class>/)",
            dir.display()
        );
    }
    if let Some(file) = &args.write_npz {
        write_npz(&data, file)?;
        println!(
            "wrote {name} into {} (x_train {} images, x_test {} images, u8)",
            file.display(),
            data.train.len(),
            data.test.len()
        );
    }
    Ok(())
}

fn describe_folder(path: &std::path::Path) -> Result<()> {
    let scan = scan_image_folder(path)?;
    println!("{}  folder of pictures", path.display());
    let split = if scan.split_given {
        "train/ and test/ given"
    } else {
        "no split given: a seeded split holds out --test-fraction (default 0.2) of each class"
    };
    println!(
        "  {} pictures ({:.1} MB on disk); {split}",
        scan.pictures(),
        scan.picture_bytes as f64 / 1e6
    );
    if scan.class_names.is_empty() {
        println!("  unlabelled (no class folders): reconstruction stages only");
    } else {
        println!("  {} classes, in label order:", scan.class_names.len());
        for (label, class) in scan.class_names.iter().enumerate() {
            let train = scan.train_counts.get(label).copied().unwrap_or(0);
            match scan.test_counts.get(label) {
                Some(test) if scan.split_given => {
                    println!("    {label:>3} {class:<24} {train} train, {test} test")
                }
                _ => println!("    {label:>3} {class:<24} {train} pictures"),
            }
        }
    }
    if scan.not_pictures > 0 {
        println!(
            "  skipped: {} files that are not PNG or JPEG pictures",
            scan.not_pictures
        );
    }
    if scan.outside_classes > 0 {
        println!(
            "  skipped: {} pictures beside the class folders (not in one)",
            scan.outside_classes
        );
    }
    for ignored in &scan.ignored {
        println!(
            "  ignored: {} (neither train/ nor test/)",
            ignored.display()
        );
    }
    Ok(())
}

fn describe_arrays(path: &std::path::Path) -> Result<()> {
    let scan = scan_arrays(path)?;
    println!(
        "{}  NumPy arrays ({})",
        path.display(),
        scan.keys.join(", ")
    );
    println!(
        "  images {:?} {}; {}",
        scan.images_shape,
        scan.dtype,
        if scan.split_given {
            format!("{} train / {} test", scan.train_count, scan.test_count)
        } else {
            format!(
                "{} images, no split given: a seeded split holds out --test-fraction (default 0.2)",
                scan.train_count
            )
        }
    );
    if scan.classes == 0 {
        println!("  unlabelled: reconstruction stages only");
    } else if scan.class_names.is_empty() {
        println!(
            "  {} classes (labels 0..{})",
            scan.classes,
            scan.classes - 1
        );
    } else {
        println!(
            "  {} classes: {}",
            scan.classes,
            scan.class_names.join(", ")
        );
    }
    Ok(())
}

fn describe_named(dataset: DatasetName, locator: &DataLocator) {
    {
        let name = dataset.as_str();
        match load_dataset(dataset, locator) {
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
}

/// How many files the dataset has: four IDX files, or six CIFAR-10 batches.
fn file_count(name: DatasetName) -> usize {
    match name {
        DatasetName::Cifar10 => 6,
        _ => 4,
    }
}
