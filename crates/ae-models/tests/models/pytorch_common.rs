//! Helpers for the PyTorch weight tests: the committed fixtures and small safetensors files
//! written on the fly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ae_models::{
    Activation, ConvAutoencoder, ConvAutoencoderConfig, EncoderClassifier, EncoderClassifierConfig,
    EncoderConfig, LeNet5, LeNet5Config,
};
use burn::tensor::{DType, Device, TensorData};
use safetensors::tensor::TensorView;

/// `crates/ae-models/tests/fixtures/pytorch`: files PyTorch wrote for the notebooks' models.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytorch")
}

pub fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

/// The tensors of a safetensors file as f32 values with shapes, by name.
pub fn read_f32_tensors(path: &Path) -> BTreeMap<String, (Vec<usize>, Vec<f32>)> {
    let bytes = std::fs::read(path).expect("read safetensors file");
    let tensors = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    tensors
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            assert_eq!(view.dtype(), safetensors::Dtype::F32, "{name} is not f32");
            let values = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            (name, (view.shape().to_vec(), values))
        })
        .collect()
}

/// The `input` and `output` of a fixture's `<name>.io.safetensors`: input as TensorData.
pub fn io(name: &str) -> (TensorData, Vec<f32>) {
    let mut tensors = read_f32_tensors(&fixture(&format!("{name}.io.safetensors")));
    let (shape, input) = tensors.remove("input").expect("input");
    let (_, output) = tensors.remove("output").expect("output");
    (TensorData::new(input, shape), output)
}

/// Writes `tensors` (name, dtype, shape, little-endian bytes) as a safetensors file.
pub fn write_safetensors(
    path: &Path,
    tensors: &[(String, safetensors::Dtype, Vec<usize>, Vec<u8>)],
) {
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            (
                name.clone(),
                TensorView::new(*dtype, shape.clone(), bytes).expect("valid view"),
            )
        })
        .collect();
    let bytes = safetensors::serialize(views, None).expect("serialize");
    std::fs::write(path, bytes).expect("write");
}

/// A fixture's tensors converted to `dtype` (F16, BF16, F64...), ready for [`write_safetensors`].
pub fn converted(
    name: &str,
    dtype: DType,
    st_dtype: safetensors::Dtype,
) -> Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)> {
    read_f32_tensors(&fixture(&format!("{name}.safetensors")))
        .into_iter()
        .map(|(key, (shape, values))| {
            let data = TensorData::new(values, shape.clone()).convert_dtype(dtype);
            (key, st_dtype, shape, data.as_bytes().to_vec())
        })
        .collect()
}

/// The fixture's tensors unchanged (f32).
pub fn as_written(name: &str) -> Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)> {
    converted(name, DType::F32, safetensors::Dtype::F32)
}

/// Max |a - b|.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

// The fixtures' architectures.

pub fn lenet(device: &Device) -> LeNet5 {
    LeNet5Config::new().init(device)
}

pub use crate::common::{dense_autoencoder, grown_autoencoder};

pub fn dense_classifier(device: &Device) -> EncoderClassifier {
    EncoderClassifierConfig::new(EncoderConfig::Dense {
        input_size: 784,
        hidden: vec![400, 256],
        activation: Activation::Tanh,
    })
    .init(device)
}

pub fn conv_autoencoder(channels: usize, code: usize, device: &Device) -> ConvAutoencoder {
    ConvAutoencoderConfig::new()
        .with_in_channels(channels)
        .with_code_size(code)
        .init(device)
}
