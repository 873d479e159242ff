//! Initial weights follow PyTorch's defaults for `nn.Linear` / `nn.Conv2d`:
//! weights and biases uniform in `[-1/sqrt(fan_in), 1/sqrt(fan_in)]`.

use ae_models::{ConvAutoencoderConfig, LeNet5Config, StackedAutoencoderConfig};
use burn::tensor::Tensor;

use crate::common::{device, values};

/// Every value within the bound, and the largest close to it (the draw fills the interval).
fn assert_uniform_within<const D: usize>(tensor: Tensor<D>, fan_in: usize, what: &str) {
    let bound = 1.0 / (fan_in as f32).sqrt();
    let v = values(tensor);
    let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let mean = v.iter().sum::<f32>() / v.len() as f32;
    assert!(
        max <= bound,
        "{what}: |value| {max} exceeds 1/sqrt({fan_in}) = {bound}"
    );
    // With n draws the expected gap below the bound is about 2*bound/n.
    let slack = 2.0 * bound * 10.0 / v.len() as f32;
    assert!(
        max >= bound - slack.max(0.05 * bound),
        "{what}: max |value| {max} far below {bound}"
    );
    // The mean of n uniform draws has standard deviation bound / sqrt(3n); allow six of them.
    let mean_tolerance = 6.0 * bound / (3.0 * v.len() as f32).sqrt();
    assert!(
        mean.abs() < mean_tolerance,
        "{what}: mean {mean} not centred"
    );
}

#[test]
fn initial_weights_follow_pytorch_defaults() {
    let device = device();
    let ae = StackedAutoencoderConfig::mnist_dense().init(&device);
    let first = &ae.encoder.layers[0].linear;
    assert_uniform_within(first.weight.val(), 784, "encoder weight");
    assert_uniform_within(first.bias.as_ref().unwrap().val(), 784, "encoder bias");
    let last = &ae.decoder.layers[0].linear;
    assert_uniform_within(last.weight.val(), 400, "decoder weight");

    let conv = ConvAutoencoderConfig::new().init(&device);
    assert_uniform_within(conv.encoder.conv2.weight.val(), 64 * 9, "conv2 weight");
    assert_uniform_within(
        conv.encoder.conv2.bias.as_ref().unwrap().val(),
        64 * 9,
        "conv2 bias",
    );

    let lenet = LeNet5Config::new().init(&device);
    assert_uniform_within(lenet.conv1.weight.val(), 25, "lenet conv1 weight");
    assert_uniform_within(lenet.fc3.weight.val(), 84, "lenet fc3 weight");
}
