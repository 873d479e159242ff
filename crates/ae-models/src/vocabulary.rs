//! The small vocabulary that lets a learner treat every model alike.

use burn::tensor::Tensor;

/// What an autoencoder returns for a batch of images.
#[derive(Clone, Debug)]
pub struct Reconstruction {
    /// The reconstructed images, same shape as the input: `[batch, channels, height, width]`.
    pub output: Tensor<4>,
    /// The hidden code (the innermost layer's activations): `[batch, code_size]`.
    pub code: Tensor<2>,
}

/// A model that encodes images and reconstructs them from the code.
pub trait Reconstructs {
    /// images: `[batch, channels, height, width]` with values in `[0, 1]`
    /// -> output `[batch, channels, height, width]` and code `[batch, code_size]`.
    fn reconstruct(&self, images: Tensor<4>) -> Reconstruction;
}

/// A model that assigns class log-probabilities to images.
pub trait Classifies {
    /// images: `[batch, channels, height, width]` with values in `[0, 1]`
    /// -> log-softmax over classes `[batch, num_classes]`.
    fn log_probs(&self, images: Tensor<4>) -> Tensor<2>;
}

/// Flattens images `[batch, c, h, w]` to `[batch, c*h*w]`, checking the size a dense model expects.
///
/// # Panics
/// When `c*h*w` differs from `input_size`, naming both.
pub(crate) fn flatten_images(images: Tensor<4>, input_size: usize, model: &str) -> Tensor<2> {
    let [batch, channels, height, width] = images.dims();
    let features = channels * height * width;
    assert_eq!(
        features, input_size,
        "{model} expects images with {input_size} values each (e.g. [batch, 1, 28, 28]), got [{batch}, {channels}, {height}, {width}] = {features} values"
    );
    images.reshape([batch, features])
}
