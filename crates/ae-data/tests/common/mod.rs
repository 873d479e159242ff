//! Helpers shared by the test files: writing IDX and CIFAR fixtures in the real formats.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use ae_data::idx::{encode_images, encode_labels};

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Writes a small IDX dataset (gzipped, canonical names) with `n_train` / `n_test` images.
pub fn write_idx_dataset(dir: &Path, n_train: usize, n_test: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for (prefix, n) in [("train", n_train), ("t10k", n_test)] {
        let pixels: Vec<u8> = (0..n * 784).map(|i| (i % 251) as u8).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        std::fs::write(
            dir.join(format!("{prefix}-images-idx3-ubyte.gz")),
            gzip(&encode_images(n, 28, 28, &pixels)),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{prefix}-labels-idx1-ubyte.gz")),
            gzip(&encode_labels(&labels)),
        )
        .unwrap();
    }
}

/// The pixel of record `i` at channel `c`, row `y`, column `x` in the generated CIFAR files.
pub fn cifar_pixel(i: usize, c: usize, y: usize, x: usize) -> u8 {
    ((i * 7 + c * 50 + y * 3 + x) % 256) as u8
}

/// Writes the six CIFAR-10 batch files with `per_batch` records each.
pub fn write_cifar_dataset(dir: &Path, per_batch: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let names = [
        "data_batch_1.bin",
        "data_batch_2.bin",
        "data_batch_3.bin",
        "data_batch_4.bin",
        "data_batch_5.bin",
        "test_batch.bin",
    ];
    for (b, name) in names.iter().enumerate() {
        let mut pixels = Vec::new();
        let mut labels = Vec::new();
        for r in 0..per_batch {
            let i = b * per_batch + r;
            labels.push((i % 10) as u8);
            for c in 0..3 {
                for y in 0..32 {
                    for x in 0..32 {
                        pixels.push(cifar_pixel(i, c, y, x));
                    }
                }
            }
        }
        std::fs::write(
            dir.join(name),
            ae_data::cifar::encode_batch(&pixels, &labels),
        )
        .unwrap();
    }
}
