//! The CIFAR-10 notebook's convolutional autoencoder.

use ae_kernels::leaky_relu;
use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor};

use crate::{
    Activation, Reconstruction, Reconstructs, UpsampleImplementation, Upsampling,
    conv2d_in_batch_chunks, upsample_2x,
};

/// Image side the conv autoencoder expects (Fashion-MNIST is padded 28 -> 32).
pub const CONV_IMAGE_SIZE: usize = 32;
/// Channels of the innermost feature map.
const FEATURES: usize = 128;
/// Side of the innermost feature map (32 halved three times).
const FEATURE_SIDE: usize = 4;
/// Values in the innermost feature map, the FC bottleneck's input: 128 * 4 * 4.
const FLAT_FEATURES: usize = FEATURES * FEATURE_SIDE * FEATURE_SIDE;

/// Configuration of a [`ConvAutoencoder`] (and of its [`ConvEncoder`]).
///
/// Weights start from PyTorch's defaults for `nn.Conv2d` / `nn.Linear`
/// (`U(-1/sqrt(fan_in), 1/sqrt(fan_in))`, Burn's defaults).
#[derive(Config, Debug)]
pub struct ConvAutoencoderConfig {
    /// Image channels: 3 for CIFAR-10, 1 for Fashion-MNIST padded to 32x32.
    #[config(default = 3)]
    pub in_channels: usize,
    /// Size of the FC bottleneck code.
    #[config(default = 1024)]
    pub code_size: usize,
    /// Slope of every LeakyReLU.
    #[config(default = 0.1)]
    pub negative_slope: f64,
    /// What the decoder's three ×2 upsamplings compute (PyTorch's `nn.Upsample` modes); the
    /// notebook's is bilinear without `align_corners`.
    #[config(default = "Upsampling::Bilinear")]
    pub upsampling: Upsampling,
    /// How they are computed: `None` (the default) picks
    /// [`UpsampleImplementation::for_device`] for the input's device at every forward pass.
    pub upsample_implementation: Option<UpsampleImplementation>,
    /// Activation of the decoder's last convolution. The notebook's is ReLU, which can be dead
    /// from the first step (an output channel whose bias is negative at init outputs 0
    /// everywhere and never gets a gradient); `Sigmoid` (output in (0, 1), like the images) or
    /// `Identity` always pass a gradient.
    #[config(default = "Activation::Relu")]
    pub output_activation: Activation,
}

/// Convolutional encoder plus FC bottleneck:
/// conv `c->64`, `64->128`, `128->128` (kernel 3, stride 2, padding 1, LeakyReLU each;
/// 32 -> 16 -> 8 -> 4), flatten 2048, Linear `2048 -> code_size`, LeakyReLU.
#[derive(Module, Debug)]
pub struct ConvEncoder {
    /// `[b, c, 32, 32] -> [b, 64, 16, 16]`
    pub conv1: Conv2d,
    /// `[b, 64, 16, 16] -> [b, 128, 8, 8]`
    pub conv2: Conv2d,
    /// `[b, 128, 8, 8] -> [b, 128, 4, 4]`
    pub conv3: Conv2d,
    /// `[b, 2048] -> [b, code_size]`
    pub fc: Linear,
    /// Slope of the LeakyReLUs.
    pub negative_slope: f64,
}

/// Decoder: Linear `code_size -> 2048`, LeakyReLU, reshape `[128, 4, 4]`, conv `128->128`,
/// LeakyReLU, upsample ×2, conv `128->64`, LeakyReLU, upsample, conv `64->64`, LeakyReLU,
/// upsample, conv `64->c`, then the output activation (the notebook's ReLU by default; all
/// convs kernel 3, stride 1, padding 1).
#[derive(Module, Debug)]
pub struct ConvDecoder {
    /// `[b, code_size] -> [b, 2048]`
    pub fc: Linear,
    /// `[b, 128, 4, 4] -> [b, 128, 4, 4]`
    pub conv1: Conv2d,
    /// `[b, 128, 8, 8] -> [b, 64, 8, 8]`
    pub conv2: Conv2d,
    /// `[b, 64, 16, 16] -> [b, 64, 16, 16]`
    pub conv3: Conv2d,
    /// `[b, 64, 32, 32] -> [b, c, 32, 32]`
    pub conv4: Conv2d,
    /// Slope of the LeakyReLUs.
    pub negative_slope: f64,
    /// Upsampling mode (not saved: it holds no weights; set from the config or
    /// [`ConvAutoencoder::with_upsampling`]).
    #[module(skip)]
    pub upsampling: Upsampling,
    /// Upsampling implementation, `None` for the input device's (not saved; set from the
    /// config or [`ConvAutoencoder::with_upsample_implementation`]).
    #[module(skip)]
    pub upsample_implementation: Option<UpsampleImplementation>,
    /// Activation of `conv4`'s output (not saved: it holds no weights, so checkpoints of any
    /// output activation load alike; set from the config).
    #[module(skip)]
    pub output_activation: Activation,
}

/// The conv autoencoder: [`ConvEncoder`] then [`ConvDecoder`].
/// Input `[batch, in_channels, 32, 32]` in `[0, 1]`; output of the same shape, after the
/// configured output activation (ReLU, `>= 0`, by default).
#[derive(Module, Debug)]
pub struct ConvAutoencoder {
    /// Convolutions and the FC bottleneck.
    pub encoder: ConvEncoder,
    /// FC expansion, convolutions and upsampling.
    pub decoder: ConvDecoder,
}

fn conv(channels: [usize; 2], stride: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new(channels, [3, 3])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

impl ConvAutoencoderConfig {
    /// Builds the encoder alone with freshly initialised weights on `device`.
    pub fn init_encoder(&self, device: &Device) -> ConvEncoder {
        self.check();
        ConvEncoder {
            conv1: conv([self.in_channels, 64], 2, device),
            conv2: conv([64, 128], 2, device),
            conv3: conv([128, FEATURES], 2, device),
            fc: LinearConfig::new(FLAT_FEATURES, self.code_size).init(device),
            negative_slope: self.negative_slope,
        }
    }

    /// Builds the autoencoder with freshly initialised weights on `device`.
    ///
    /// # Panics
    /// When `in_channels` or `code_size` is zero.
    pub fn init(&self, device: &Device) -> ConvAutoencoder {
        let encoder = self.init_encoder(device);
        let decoder = self.init_decoder(device);
        ConvAutoencoder { encoder, decoder }
    }

    /// Builds the decoder alone (`code_size -> [in_channels, 32, 32]`) with freshly initialised
    /// weights on `device`, drawn in the order [`Self::init`] draws them after the encoder's.
    pub(crate) fn init_decoder(&self, device: &Device) -> ConvDecoder {
        self.check();
        ConvDecoder {
            fc: LinearConfig::new(self.code_size, FLAT_FEATURES).init(device),
            conv1: conv([FEATURES, 128], 1, device),
            conv2: conv([128, 64], 1, device),
            conv3: conv([64, 64], 1, device),
            conv4: conv([64, self.in_channels], 1, device),
            negative_slope: self.negative_slope,
            upsampling: self.upsampling,
            upsample_implementation: self.upsample_implementation,
            output_activation: self.output_activation,
        }
    }

    fn check(&self) {
        assert!(
            self.in_channels > 0 && self.code_size > 0,
            "ConvAutoencoderConfig: in_channels and code_size must be positive, got {} and {}",
            self.in_channels,
            self.code_size
        );
    }
}

impl ConvEncoder {
    /// images: `[batch, in_channels, 32, 32]` -> code: `[batch, code_size]`
    ///
    /// # Panics
    /// When the images are not `[_, in_channels, 32, 32]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let [batch, channels, height, width] = images.dims();
        assert!(
            channels == self.in_channels() && height == CONV_IMAGE_SIZE && width == CONV_IMAGE_SIZE,
            "ConvEncoder expects images [batch, {}, 32, 32], got [{batch}, {channels}, {height}, {width}]",
            self.in_channels()
        );
        let slope = self.negative_slope;
        let x = leaky_relu(conv2d_in_batch_chunks(&self.conv1, images), slope);
        let x = leaky_relu(conv2d_in_batch_chunks(&self.conv2, x), slope);
        let x = leaky_relu(conv2d_in_batch_chunks(&self.conv3, x), slope);
        crate::linear_then(
            &self.fc,
            x.reshape([batch, FLAT_FEATURES]),
            Activation::LeakyRelu {
                negative_slope: slope,
            },
        )
    }

    /// Image channels expected.
    pub fn in_channels(&self) -> usize {
        self.conv1.weight.lazy_shape().dims::<4>()[1]
    }

    /// Size of the code.
    pub fn code_size(&self) -> usize {
        self.fc.weight.lazy_shape().dims::<2>()[1]
    }
}

impl ConvDecoder {
    /// code: `[batch, code_size]` -> images: `[batch, out_channels, 32, 32]`
    pub fn forward(&self, code: Tensor<2>) -> Tensor<4> {
        let [batch, _] = code.dims();
        let slope = self.negative_slope;
        let x = crate::linear_then(
            &self.fc,
            code,
            Activation::LeakyRelu {
                negative_slope: slope,
            },
        )
        .reshape([batch, FEATURES, FEATURE_SIDE, FEATURE_SIDE]);
        let implementation = self
            .upsample_implementation
            .unwrap_or_else(|| UpsampleImplementation::for_device(&x.device(), self.upsampling));
        let upsample = |x| upsample_2x(x, self.upsampling, implementation);
        let x = leaky_relu(conv2d_in_batch_chunks(&self.conv1, x), slope);
        let x = upsample(x);
        let x = leaky_relu(conv2d_in_batch_chunks(&self.conv2, x), slope);
        let x = upsample(x);
        let x = leaky_relu(conv2d_in_batch_chunks(&self.conv3, x), slope);
        let x = upsample(x);
        self.output_activation
            .apply(conv2d_in_batch_chunks(&self.conv4, x))
    }
}

impl ConvAutoencoder {
    /// images: `[batch, in_channels, 32, 32]` -> code: `[batch, code_size]`
    pub fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        self.encoder.forward(images)
    }

    /// code: `[batch, code_size]` -> reconstruction: `[batch, in_channels, 32, 32]`
    pub fn decode(&self, code: Tensor<2>) -> Tensor<4> {
        self.decoder.forward(code)
    }

    /// The same model with another upsampling mode (weights untouched).
    pub fn with_upsampling(mut self, upsampling: Upsampling) -> Self {
        self.decoder.upsampling = upsampling;
        self
    }

    /// The same model with its upsampling computed by `implementation` on every device
    /// (weights untouched), e.g. to compare the two.
    pub fn with_upsample_implementation(mut self, implementation: UpsampleImplementation) -> Self {
        self.decoder.upsample_implementation = Some(implementation);
        self
    }

    /// The configuration that rebuilds this architecture (and upsampling).
    pub fn config(&self) -> ConvAutoencoderConfig {
        ConvAutoencoderConfig::new()
            .with_in_channels(self.encoder.in_channels())
            .with_code_size(self.encoder.code_size())
            .with_negative_slope(self.encoder.negative_slope)
            .with_upsampling(self.decoder.upsampling)
            .with_upsample_implementation(self.decoder.upsample_implementation)
            .with_output_activation(self.decoder.output_activation)
    }
}

impl Reconstructs for ConvAutoencoder {
    /// images: `[batch, in_channels, 32, 32]` -> output `[batch, in_channels, 32, 32]`,
    /// code `[batch, code_size]`.
    fn reconstruct(&self, images: Tensor<4>) -> Reconstruction {
        let code = self.encode(images);
        let output = self.decode(code.clone());
        Reconstruction { output, code }
    }
}
