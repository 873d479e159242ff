//! Cutting batches from a prepared split into tensors on a device.

use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::error::DataError;
use crate::images::Prepared;
use crate::noise::Noise;
use crate::seed::derive_seed;

/// One batch on a device.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The model's input: `clean` plus noise (the same as `clean` without noise).
    /// shape: [batch, channels, height, width]
    pub input: Tensor<4>,
    /// The clean images, the reconstruction target. shape: [batch, channels, height, width]
    pub clean: Tensor<4>,
    /// Class labels. shape: [batch]
    pub targets: Tensor<1, Int>,
    /// Number of images in the batch.
    pub len: usize,
    /// A seed of this batch alone, drawn from the epoch's: for what a model draws per batch
    /// (a variational autoencoder's ε), so that it too is a pure function of the run's seed.
    pub seed: u64,
}

/// Cuts a prepared split into batches; the whole split stays in memory once, each batch is one
/// copy into a buffer that becomes the tensor.
#[derive(Debug, Clone)]
pub struct BatchLoader {
    data: Arc<Prepared>,
    batch_size: usize,
    shuffle: bool,
    noise: Noise,
}

impl BatchLoader {
    /// A loader over `data` in batches of `batch_size` (the last one may be smaller).
    pub fn new(data: Arc<Prepared>, batch_size: usize) -> Self {
        Self {
            data,
            batch_size: batch_size.max(1),
            shuffle: false,
            noise: Noise::None,
        }
    }

    /// Like [`BatchLoader::new`] but a zero batch size is an error instead of 1.
    pub fn try_new(data: Arc<Prepared>, batch_size: usize) -> Result<Self, DataError> {
        if batch_size == 0 {
            return Err(DataError::InvalidArgument(
                "batch size 0: expected at least 1".into(),
            ));
        }
        Ok(Self::new(data, batch_size))
    }

    /// Shuffle the order each epoch.
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// Corrupt the input with `noise`.
    pub fn noise(mut self, noise: Noise) -> Self {
        self.noise = noise;
        self
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when there is no image.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Batches per epoch (the last partial batch included).
    pub fn num_batches(&self) -> usize {
        self.data.len().div_ceil(self.batch_size)
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The data this loader cuts.
    pub fn data(&self) -> &Arc<Prepared> {
        &self.data
    }

    /// The sample order of the epoch drawn from `seed`.
    pub fn order(&self, seed: u64) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.data.len()).collect();
        if self.shuffle {
            order.shuffle(&mut StdRng::seed_from_u64(derive_seed(seed, &[0])));
        }
        order
    }

    /// One epoch of batches. Order and noise are a pure function of `seed`.
    pub fn iter<'a>(&'a self, seed: u64, device: &'a Device) -> impl Iterator<Item = Batch> + 'a {
        let order = self.order(seed);
        let mut noise_rng = StdRng::seed_from_u64(derive_seed(seed, &[1]));
        let batch_size = self.batch_size;
        (0..self.num_batches()).map(move |b| {
            let idx = &order[b * batch_size..((b + 1) * batch_size).min(order.len())];
            let batch_seed = derive_seed(seed, &[2, b as u64]);
            make_batch(
                &self.data,
                idx,
                self.noise,
                &mut noise_rng,
                batch_seed,
                device,
            )
        })
    }
}

/// Gathers the images `idx` of `data` into a batch on `device`.
fn make_batch(
    data: &Prepared,
    idx: &[usize],
    noise: Noise,
    rng: &mut StdRng,
    seed: u64,
    device: &Device,
) -> Batch {
    let [c, h, w] = data.image_shape();
    let len = data.image_len();
    let mut clean = Vec::with_capacity(idx.len() * len);
    for &i in idx {
        clean.extend_from_slice(data.image(i));
    }
    let labels: Vec<i64> = idx.iter().map(|&i| data.labels()[i] as i64).collect();
    let shape = [idx.len(), c, h, w];
    let noisy = (noise != Noise::None).then(|| {
        let mut noisy = clean.clone();
        noise.apply(&mut noisy, rng);
        Tensor::<4>::from_data(TensorData::new(noisy, shape), device)
    });
    let clean_tensor = Tensor::<4>::from_data(TensorData::new(clean, shape), device);
    let input = noisy.unwrap_or_else(|| clean_tensor.clone());
    Batch {
        input,
        clean: clean_tensor,
        targets: Tensor::<1, Int>::from_data(TensorData::new(labels, [idx.len()]), device),
        len: idx.len(),
        seed,
    }
}

/// One image with its label, for Burn's `Dataset` / `DataLoader` machinery.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageItem {
    /// [channels × height × width] in [0, 1].
    pub pixels: Vec<f32>,
    pub label: u8,
}

impl burn::data::dataset::Dataset<ImageItem> for Prepared {
    fn get(&self, index: usize) -> Result<ImageItem, burn::data::dataset::DatasetError> {
        if index >= self.len() {
            return Err(burn::data::dataset::DatasetError::new(
                DataError::InvalidArgument(format!(
                    "index {index} out of range for a split of {} images",
                    self.len()
                )),
            ));
        }
        Ok(ImageItem {
            pixels: self.image(index).to_vec(),
            label: self.labels()[index],
        })
    }

    fn len(&self) -> usize {
        Prepared::len(self)
    }
}

/// Burn `Batcher` stacking [`ImageItem`]s of a given image shape into a [`Batch`] (no noise).
#[derive(Debug, Clone)]
pub struct ImageBatcher {
    /// [channels, height, width] of every item.
    pub image_shape: [usize; 3],
}

impl Batcher<ImageItem, Batch> for ImageBatcher {
    fn batch(&self, items: Vec<ImageItem>, device: &Device) -> Batch {
        let [c, h, w] = self.image_shape;
        let n = items.len();
        let mut pixels = Vec::with_capacity(n * c * h * w);
        let mut labels = Vec::with_capacity(n);
        for item in items {
            pixels.extend_from_slice(&item.pixels);
            labels.push(item.label as i64);
        }
        let clean = Tensor::<4>::from_data(TensorData::new(pixels, [n, c, h, w]), device);
        Batch {
            input: clean.clone(),
            clean,
            targets: Tensor::<1, Int>::from_data(TensorData::new(labels, [n]), device),
            len: n,
            seed: 0,
        }
    }
}
