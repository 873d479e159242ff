//! Batching: shapes, value range, determinism under a seed, and noise statistics.

use std::sync::Arc;

use ae_data::{
    BatchLoader, DataLocator, DatasetName, Noise, Prepared, Resize, bundled_assets_dir,
    derive_seed, load_dataset,
};
use burn::tensor::Device;

fn prepared(n: usize, resize: Resize) -> Arc<Prepared> {
    let locator = DataLocator {
        data_dir: Some(bundled_assets_dir()),
        allow_download: false,
        ..Default::default()
    };
    let data = load_dataset(DatasetName::MnistMini, &locator).unwrap();
    Arc::new(Prepared::new(&data.train.take(n).unwrap(), resize))
}

fn values(t: burn::tensor::Tensor<4>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

#[test]
fn batches_have_exact_shapes_values_and_keep_the_last_partial_batch() {
    let data = prepared(250, Resize::Keep);
    let loader = BatchLoader::new(data.clone(), 100);
    assert_eq!(loader.num_batches(), 3);
    let device = Device::flex();
    let batches: Vec<_> = loader.iter(7, &device).collect();
    assert_eq!(batches.len(), 3);
    assert_eq!(batches[0].input.dims(), [100, 1, 28, 28]);
    assert_eq!(batches[2].clean.dims(), [50, 1, 28, 28]);
    assert_eq!(batches[2].targets.dims(), [50]);
    assert_eq!(batches[2].len, 50);
    // without shuffling, batch 0 holds images 0..100 exactly as u8/255
    let v = values(batches[0].clean.clone());
    assert_eq!(v.len(), 100 * 784);
    assert_eq!(&v[784..2 * 784], data.image(1));
    assert!(v.iter().all(|&p| (0.0..=1.0).contains(&p)));
    let t: Vec<i64> = batches[0]
        .targets
        .clone()
        .into_data()
        .convert::<i64>()
        .try_to_vec()
        .unwrap();
    assert_eq!(
        t[..5].iter().map(|&l| l as u8).collect::<Vec<_>>(),
        data.labels()[..5]
    );
}

#[test]
fn resized_batches_are_32_by_32() {
    let loader = BatchLoader::new(prepared(10, Resize::Bilinear32), 4);
    let b = loader.iter(0, &Device::flex()).next().unwrap();
    assert_eq!(b.input.dims(), [4, 1, 32, 32]);
}

#[test]
fn same_seed_same_batches_other_seed_other_order() {
    let loader = BatchLoader::new(prepared(300, Resize::Keep), 50)
        .shuffle(true)
        .noise(Noise::Gaussian {
            mean: 0.1,
            std: 0.2,
        });
    let device = Device::flex();
    let s = derive_seed(42, &[1, 3]);
    let a: Vec<_> = loader.iter(s, &device).map(|b| values(b.input)).collect();
    let b: Vec<_> = loader.iter(s, &device).map(|b| values(b.input)).collect();
    assert_eq!(a, b);
    let c: Vec<_> = loader
        .iter(derive_seed(42, &[1, 4]), &device)
        .map(|b| values(b.input))
        .collect();
    assert_ne!(a, c);
    // every image appears exactly once per epoch
    let mut order = loader.order(s);
    assert_ne!(order, (0..300).collect::<Vec<_>>());
    order.sort_unstable();
    assert_eq!(order, (0..300).collect::<Vec<_>>());
}

#[test]
fn gaussian_noise_has_the_asked_mean_and_std_and_is_not_clamped() {
    let loader = BatchLoader::new(prepared(500, Resize::Keep), 500).noise(Noise::Gaussian {
        mean: 0.1,
        std: 0.2,
    });
    let b = loader.iter(3, &Device::flex()).next().unwrap();
    let noisy = values(b.input);
    let clean = values(b.clean);
    let diff: Vec<f64> = noisy
        .iter()
        .zip(&clean)
        .map(|(n, c)| (n - c) as f64)
        .collect();
    let n = diff.len() as f64;
    let mean = diff.iter().sum::<f64>() / n;
    let std = (diff.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n).sqrt();
    assert!((mean - 0.1).abs() < 0.002, "mean {mean}");
    assert!((std - 0.2).abs() < 0.002, "std {std}");
    assert!(noisy.iter().any(|&v| v < 0.0) && noisy.iter().any(|&v| v > 1.0));
}

#[test]
fn masking_and_salt_pepper_corrupt_the_asked_fraction() {
    let device = Device::flex();
    let data = prepared(200, Resize::Keep);
    let loader = BatchLoader::new(data.clone(), 200).noise(Noise::Masking { fraction: 0.3 });
    let b = loader.iter(5, &device).next().unwrap();
    let (noisy, clean) = (values(b.input), values(b.clean));
    let lit: Vec<usize> = (0..clean.len()).filter(|&i| clean[i] > 0.0).collect();
    let dropped = lit.iter().filter(|&&i| noisy[i] == 0.0).count() as f64 / lit.len() as f64;
    assert!((dropped - 0.3).abs() < 0.02, "dropped {dropped}");
    assert!((0..clean.len()).all(|i| noisy[i] == 0.0 || noisy[i] == clean[i]));

    let loader = BatchLoader::new(data, 200).noise(Noise::SaltPepper { fraction: 0.2 });
    let b = loader.iter(5, &device).next().unwrap();
    let (noisy, clean) = (values(b.input), values(b.clean));
    let changed = (0..clean.len()).filter(|&i| noisy[i] != clean[i]).count();
    let salt = (0..clean.len())
        .filter(|&i| noisy[i] == 1.0 && clean[i] != 1.0)
        .count();
    // pixels already 0 (or 1) hit by pepper (or salt) look unchanged: about 80% of the
    // MNIST pixels are 0, so the visible change is roughly 0.2 * (0.5 + 0.5 * 0.2)
    let frac = changed as f64 / clean.len() as f64;
    assert!(
        (frac - 0.2 * (0.5 + 0.5 * 0.19)).abs() < 0.02,
        "changed {frac}"
    );
    assert!(salt > 0);
}

#[test]
fn invalid_noise_and_batch_size_are_errors() {
    assert!(
        Noise::Gaussian {
            mean: 0.1,
            std: -1.0
        }
        .validate()
        .is_err()
    );
    assert!(Noise::Masking { fraction: 1.5 }.validate().is_err());
    assert!(Noise::SaltPepper { fraction: 0.5 }.validate().is_ok());
    assert!(BatchLoader::try_new(prepared(3, Resize::Keep), 0).is_err());
}
