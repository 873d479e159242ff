use ae_models::{Classifies, LeNet5, LeNet5Config};
use burn::module::{Module, Param};
use burn::tensor::{Tensor, TensorData};

use crate::common::{assert_close, device, images, seeded_tensor, set_all_params, values};
use crate::reference::{self, Map};

#[test]
fn lenet_shapes_at_batch_1_and_7() {
    let device = device();
    let lenet = LeNet5Config::new().init(&device);
    for batch in [1, 7] {
        let log_probs = lenet.log_probs(images([batch, 1, 32, 32], &device));
        assert_eq!(log_probs.dims(), [batch, 10]);
        // Rows are log-probabilities: exp sums to one.
        let sums = values(log_probs.exp().sum_dim(1));
        assert_close(&sums, &vec![1.0; batch], 1e-5, "probability sums");
    }
}

#[test]
fn lenet_parameter_count_matches_pytorch() {
    assert_eq!(LeNet5Config::new().init(&device()).num_params(), 61_706);
}

#[test]
fn lenet_forward_with_constant_weights() {
    let device = device();
    let mut lenet = set_all_params(LeNet5Config::new().init(&device), 0.01);
    // Distinct output biases 0.0, 0.1, ..., 0.9 make the log-probabilities differ.
    let bias: Vec<f32> = (0..10).map(|k| k as f32 * 0.1).collect();
    lenet.fc3.bias = Some(Param::from_data(TensorData::new(bias, [10]), &device));
    let log_probs = values(lenet.log_probs(Tensor::ones([2, 1, 32, 32], &device)));
    // Constant input 1, weights 0.01, biases 0.01 (valid convs, so no border effects):
    let c1 = 25.0 * 0.01 + 0.01; // conv1 then pool
    let c2 = 6.0 * 25.0 * c1 * 0.01 + 0.01; // conv2 then pool
    let f1 = 400.0 * c2 * 0.01 + 0.01;
    let f2 = 120.0 * f1 * 0.01 + 0.01;
    let logits: Vec<f64> = (0..10).map(|k| 84.0 * f2 * 0.01 + k as f64 * 0.1).collect();
    let expected = reference::log_softmax(&logits);
    let expected: Vec<f64> = expected.iter().chain(&expected).cloned().collect();
    assert_close(&log_probs, &expected, 1e-5, "log-probabilities");
}

fn reference_lenet(lenet: &LeNet5, image: Map) -> Vec<f64> {
    let mut x = reference::conv2d(&image, &lenet.conv1, 1, 0);
    reference::relu(&mut x.data);
    let x = reference::max_pool2(&x);
    let mut x = reference::conv2d(&x, &lenet.conv2, 1, 0);
    reference::relu(&mut x.data);
    let x = reference::max_pool2(&x);
    let mut h = reference::linear(&x.data, &lenet.fc1);
    reference::relu(&mut h);
    let mut h = reference::linear(&h, &lenet.fc2);
    reference::relu(&mut h);
    reference::log_softmax(&reference::linear(&h, &lenet.fc3))
}

#[test]
fn lenet_forward_matches_naive_reference_with_random_weights() {
    let device = device();
    let lenet = LeNet5Config::new().init(&device);
    let input = seeded_tensor([3, 1, 32, 32], 5, 0.0, 1.0, &device);
    let pixels: Vec<f64> = values(input.clone()).into_iter().map(f64::from).collect();
    let expected: Vec<f64> = pixels
        .chunks(32 * 32)
        .flat_map(|image| reference_lenet(&lenet, Map::new(1, 32, 32, image.to_vec())))
        .collect();
    assert_close(
        &values(lenet.log_probs(input)),
        &expected,
        1e-4,
        "log-probabilities",
    );
}

#[test]
#[should_panic(expected = "LeNet5 expects images [batch, 1, 32, 32]")]
fn lenet_rejects_28_pixel_images() {
    let device = device();
    LeNet5Config::new()
        .init(&device)
        .log_probs(Tensor::zeros([1, 1, 28, 28], &device));
}
