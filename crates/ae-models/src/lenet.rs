//! LeNet-5 from the MNIST notebook.

use ae_kernels::relu_max_pool_2x2;
use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor};

use crate::{Activation, Classifies, conv2d_in_batch_chunks, linear_then};

/// Image side LeNet-5 expects (MNIST is padded or resized 28 -> 32).
pub const LENET_IMAGE_SIZE: usize = 32;

/// Configuration of [`LeNet5`].
#[derive(Config, Debug)]
pub struct LeNet5Config {
    /// Number of output classes.
    #[config(default = 10)]
    pub num_classes: usize,
}

/// LeNet-5: conv `1->6` (5x5), ReLU, max-pool 2, conv `6->16` (5x5), ReLU, max-pool 2,
/// Linear `400->120`, ReLU, `120->84`, ReLU, `84->num_classes`, log-softmax.
///
/// Input `[batch, 1, 32, 32]`; 61,706 parameters for 10 classes.
#[derive(Module, Debug)]
pub struct LeNet5 {
    /// `[b, 1, 32, 32] -> [b, 6, 28, 28]`
    pub conv1: Conv2d,
    /// `[b, 6, 14, 14] -> [b, 16, 10, 10]`
    pub conv2: Conv2d,
    /// 2x2 max-pool, stride 2 (the forward pass applies it together with the ReLU before it,
    /// [`ae_kernels::relu_max_pool_2x2`]).
    pub pool: MaxPool2d,
    /// `[b, 400] -> [b, 120]`
    pub fc1: Linear,
    /// `[b, 120] -> [b, 84]`
    pub fc2: Linear,
    /// `[b, 84] -> [b, num_classes]`
    pub fc3: Linear,
}

impl LeNet5Config {
    /// Builds LeNet-5 with freshly initialised weights (PyTorch's defaults) on `device`.
    ///
    /// # Panics
    /// When `num_classes` is zero.
    pub fn init(&self, device: &Device) -> LeNet5 {
        assert!(
            self.num_classes > 0,
            "LeNet5Config.num_classes must be positive"
        );
        LeNet5 {
            conv1: Conv2dConfig::new([1, 6], [5, 5]).init(device),
            conv2: Conv2dConfig::new([6, 16], [5, 5]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            fc1: LinearConfig::new(16 * 5 * 5, 120).init(device),
            fc2: LinearConfig::new(120, 84).init(device),
            fc3: LinearConfig::new(84, self.num_classes).init(device),
        }
    }
}

impl LeNet5 {
    /// images: `[batch, 1, 32, 32]` -> logits (before log-softmax): `[batch, num_classes]`
    ///
    /// # Panics
    /// When the images are not `[_, 1, 32, 32]`.
    pub fn logits(&self, images: Tensor<4>) -> Tensor<2> {
        linear_then(&self.fc3, self.features(images), Activation::Identity)
    }

    /// images: `[batch, 1, 32, 32]` -> the 84 ReLU features the last layer classifies:
    /// `[batch, 84]`
    ///
    /// # Panics
    /// When the images are not `[_, 1, 32, 32]`.
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        let [batch, channels, height, width] = images.dims();
        assert!(
            channels == 1 && height == LENET_IMAGE_SIZE && width == LENET_IMAGE_SIZE,
            "LeNet5 expects images [batch, 1, 32, 32], got [{batch}, {channels}, {height}, {width}]"
        );
        // ReLU then the 2×2 stride-2 pooling of `self.pool`, in one fused pass on flex.
        let x = relu_max_pool_2x2(conv2d_in_batch_chunks(&self.conv1, images));
        let x = relu_max_pool_2x2(conv2d_in_batch_chunks(&self.conv2, x));
        let x = linear_then(&self.fc1, x.reshape([batch, 16 * 5 * 5]), Activation::Relu);
        linear_then(&self.fc2, x, Activation::Relu)
    }

    /// Number of output classes.
    pub fn num_classes(&self) -> usize {
        self.fc3.weight.lazy_shape().dims::<2>()[1]
    }

    /// The configuration that rebuilds this architecture.
    pub fn config(&self) -> LeNet5Config {
        LeNet5Config::new().with_num_classes(self.num_classes())
    }
}

impl Classifies for LeNet5 {
    /// images: `[batch, 1, 32, 32]` -> log-probabilities `[batch, num_classes]`
    fn log_probs(&self, images: Tensor<4>) -> Tensor<2> {
        log_softmax(self.logits(images), 1)
    }
}
