//! Helpers shared by the tests.

use ae_models::{Activation, StackedAutoencoder, StackedAutoencoderConfig};
use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Device, Distribution, Tensor, TensorData};

/// The device the tests run on: flex by default, ndarray with `--features ndarray`.
pub fn device() -> Device {
    #[cfg(feature = "ndarray")]
    {
        ndarray()
    }
    #[cfg(not(feature = "ndarray"))]
    {
        Device::flex()
    }
}

/// Burn's ndarray device (deprecated in Burn 0.22 but still compiled in).
#[allow(deprecated)]
pub fn ndarray() -> Device {
    Device::ndarray()
}

/// A tensor's values as f32.
pub fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().try_to_vec::<f32>().expect("f32 tensor")
}

/// Uniform random values in `[low, high)` from a fixed seed (deterministic across runs).
pub fn seeded_values(len: usize, seed: u64, low: f32, high: f32) -> Vec<f32> {
    // SplitMix64: tiny, dependency-free and reproducible.
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let unit = (z >> 40) as f32 / (1u64 << 24) as f32;
            low + (high - low) * unit
        })
        .collect()
}

/// A tensor of seeded uniform values.
pub fn seeded_tensor<const D: usize>(
    shape: [usize; D],
    seed: u64,
    low: f32,
    high: f32,
    device: &Device,
) -> Tensor<D> {
    let len = shape.iter().product();
    Tensor::from_data(
        TensorData::new(seeded_values(len, seed, low, high), shape),
        device,
    )
}

/// The notebooks' dense autoencoder 784-400-784.
pub fn dense_autoencoder(device: &Device) -> StackedAutoencoder {
    StackedAutoencoderConfig::mnist_dense().init(device)
}

/// The notebooks' stacked autoencoder 784-400-256-400-784, grown from the dense one.
pub fn grown_autoencoder(device: &Device) -> StackedAutoencoder {
    dense_autoencoder(device).grow(256, Activation::Tanh, device)
}

/// Random images in [0, 1].
pub fn images(shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::random(shape, Distribution::Uniform(0.0, 1.0), device)
}

/// Sets every float parameter of a module to `value`.
pub fn set_all_params<M: Module>(module: M, value: f32) -> M {
    struct Constant(f32);
    impl ModuleMapper for Constant {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let value = self.0;
            param.map(|tensor| tensor.full_like(value))
        }
    }
    module.map(&mut Constant(value))
}

/// Every float parameter's data, in visiting order.
pub fn param_data<M: Module>(module: &M) -> Vec<TensorData> {
    struct Collect(Vec<TensorData>);
    impl burn::module::ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.val().into_data());
        }
    }
    let mut collect = Collect(Vec::new());
    module.visit(&mut collect);
    collect.0
}

/// Asserts two slices agree element-wise within `tolerance` (absolute), naming the first miss.
pub fn assert_close(actual: &[f32], expected: &[f64], tolerance: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    for (index, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a as f64 - e).abs() <= tolerance,
            "{what}[{index}]: got {a}, expected {e} (tolerance {tolerance})"
        );
    }
}
