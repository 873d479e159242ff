//! `ae`: for now, a summary of the bundled dataset (the training commands come with ae-train).

use ae_data::{DataLocator, DatasetName, load_dataset};

fn main() -> anyhow::Result<()> {
    let data = load_dataset(DatasetName::MnistMini, &DataLocator::default())?;
    println!(
        "{}: {} train / {} test images of {:?}, from {}",
        data.name,
        data.train.len(),
        data.test.len(),
        data.train.image_shape(),
        data.source.dir.display()
    );
    println!("train class counts: {:?}", data.train.class_counts());
    println!("pixel mean: {:.4}", data.train.pixel_mean());
    for f in &data.source.files {
        println!("  {} sha256 {} verified: {}", f.name, f.sha256, f.verified);
    }
    Ok(())
}
