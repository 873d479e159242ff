//! Dense (stacked) autoencoder with greedy layer-wise growth.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::vocabulary::flatten_images;
use crate::{Activation, DenseLayer, DenseLayerConfig, Reconstruction, Reconstructs};

/// Configuration of a [`StackedAutoencoder`].
///
/// The encoder is `input_size -> hidden[0] -> ... -> hidden[n-1]`, every layer followed by
/// `activation`; the decoder mirrors it, `hidden[n-1] -> ... -> hidden[0] -> input_size`, with
/// `activation` after its inner layers and `output_activation` after the last one.
///
/// The notebooks' models: `hidden = [400]` is the dense autoencoder 784-400-784 (tanh, sigmoid
/// output), `hidden = [400, 256]` the stacked 784-400-256-400-784 (see [`Self::mnist_dense`] and
/// [`Self::mnist_stacked`]).
#[derive(Config, Debug)]
pub struct StackedAutoencoderConfig {
    /// Values per input image (784 for 1x28x28).
    pub input_size: usize,
    /// Code sizes from the outermost hidden layer inwards, at least one.
    pub hidden: Vec<usize>,
    /// Activation of every encoder layer and of the decoder's inner layers.
    pub activation: Activation,
    /// Activation of the decoder's last layer (the reconstruction).
    pub output_activation: Activation,
}

/// A stack of dense layers: the encoder (input to innermost code) and the decoder (code to
/// reconstruction) of a [`StackedAutoencoder`], or a classifier's pretrained encoder.
#[derive(Module, Debug)]
pub struct DenseStack {
    /// The layers, applied in order.
    pub layers: Vec<DenseLayer>,
}

impl DenseStack {
    /// input: `[batch, d_input of the first layer]` -> output: `[batch, d_output of the last layer]`
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        self.layers.iter().fold(input, |x, layer| layer.forward(x))
    }

    /// Input features of the first layer.
    pub fn d_input(&self) -> usize {
        self.layers.first().map_or(0, DenseLayer::d_input)
    }

    /// Output features of the last layer.
    pub fn d_output(&self) -> usize {
        self.layers.last().map_or(0, DenseLayer::d_output)
    }
}

/// Dense autoencoder of any depth: encoder layers `input_size -> hidden[0] -> ... -> hidden[n-1]`
/// and a mirrored decoder.
///
/// Built with [`StackedAutoencoderConfig::init`] (the whole stack at once, end-to-end training)
/// or grown one inner pair at a time with [`StackedAutoencoder::grow`] (greedy layer-wise
/// training).
#[derive(Module, Debug)]
pub struct StackedAutoencoder {
    /// Layers from the input to the innermost code.
    pub encoder: DenseStack,
    /// Layers from the innermost code to the reconstruction.
    pub decoder: DenseStack,
}

impl StackedAutoencoderConfig {
    /// The notebooks' dense autoencoder 784-400-784: tanh code, sigmoid reconstruction.
    pub fn mnist_dense() -> Self {
        Self::new(784, vec![400], Activation::Tanh, Activation::Sigmoid)
    }

    /// The notebooks' stacked autoencoder 784-400-256-400-784 built whole (end-to-end variant).
    pub fn mnist_stacked() -> Self {
        Self::new(784, vec![400, 256], Activation::Tanh, Activation::Sigmoid)
    }

    /// Builds the autoencoder with freshly initialised weights on `device`.
    ///
    /// # Panics
    /// When `hidden` is empty or a size is zero (a configuration error the caller should have
    /// caught; the message names the field).
    pub fn init(&self, device: &Device) -> StackedAutoencoder {
        assert!(
            !self.hidden.is_empty(),
            "StackedAutoencoderConfig.hidden must list at least one code size"
        );
        assert!(
            self.input_size > 0 && self.hidden.iter().all(|&size| size > 0),
            "StackedAutoencoderConfig sizes must be positive, got input_size {} and hidden {:?}",
            self.input_size,
            self.hidden
        );
        let mut sizes = vec![self.input_size];
        sizes.extend(&self.hidden);
        let encoder = sizes
            .windows(2)
            .map(|pair| DenseLayerConfig::new(pair[0], pair[1], self.activation).init(device))
            .collect();
        let depth = self.hidden.len();
        let decoder = sizes
            .windows(2)
            .rev()
            .enumerate()
            .map(|(index, pair)| {
                let activation = if index + 1 == depth {
                    self.output_activation
                } else {
                    self.activation
                };
                DenseLayerConfig::new(pair[1], pair[0], activation).init(device)
            })
            .collect();
        StackedAutoencoder {
            encoder: DenseStack { layers: encoder },
            decoder: DenseStack { layers: decoder },
        }
    }
}

impl StackedAutoencoder {
    /// input: `[batch, input_size]` -> code: `[batch, innermost hidden size]`
    pub fn encode(&self, input: Tensor<2>) -> Tensor<2> {
        self.encoder.forward(input)
    }

    /// code: `[batch, innermost hidden size]` -> reconstruction: `[batch, input_size]`
    pub fn decode(&self, code: Tensor<2>) -> Tensor<2> {
        self.decoder.forward(code)
    }

    /// Code sizes from the outermost hidden layer inwards, e.g. `[400, 256]`.
    pub fn hidden_sizes(&self) -> Vec<usize> {
        self.encoder
            .layers
            .iter()
            .map(DenseLayer::d_output)
            .collect()
    }

    /// Values per input image, e.g. 784.
    pub fn input_size(&self) -> usize {
        self.encoder.d_input()
    }

    /// The configuration that rebuilds this architecture: sizes, the activation of the first
    /// encoder layer and that of the last decoder layer. It describes the model exactly when
    /// every grown pair used the configuration's activation (as in all the notebooks); check
    /// [`Self::layer_activations`] otherwise.
    pub fn config(&self) -> StackedAutoencoderConfig {
        let activation = self
            .encoder
            .layers
            .first()
            .map_or(Activation::Identity, |layer| layer.activation);
        let output_activation = self
            .decoder
            .layers
            .last()
            .map_or(Activation::Identity, |layer| layer.activation);
        StackedAutoencoderConfig::new(
            self.input_size(),
            self.hidden_sizes(),
            activation,
            output_activation,
        )
    }

    /// Activations of the encoder layers (outermost first) and of the decoder layers (innermost first).
    pub fn layer_activations(&self) -> (Vec<Activation>, Vec<Activation>) {
        let of = |stack: &DenseStack| stack.layers.iter().map(|layer| layer.activation).collect();
        (of(&self.encoder), of(&self.decoder))
    }

    /// Inserts a new inner pair between the current innermost code and the decoder:
    /// an encoder layer `innermost -> hidden` and a decoder layer `hidden -> innermost`, both
    /// followed by `activation` and freshly initialised on `device`.
    ///
    /// The existing layers are moved, not copied: their weights stay bit-identical. From a
    /// trained 784-400-784, `grow(256, Activation::Tanh, &device)` gives 784-400-256-400-784;
    /// growing again works the same way.
    ///
    /// # Panics
    /// When `hidden` is zero.
    pub fn grow(
        self,
        hidden: usize,
        activation: Activation,
        device: &Device,
    ) -> StackedAutoencoder {
        assert!(
            hidden > 0,
            "StackedAutoencoder::grow needs a positive hidden size"
        );
        let innermost = self.encoder.d_output();
        let mut encoder = self.encoder.layers;
        let mut decoder = self.decoder.layers;
        encoder.push(DenseLayerConfig::new(innermost, hidden, activation).init(device));
        decoder.insert(
            0,
            DenseLayerConfig::new(hidden, innermost, activation).init(device),
        );
        StackedAutoencoder {
            encoder: DenseStack { layers: encoder },
            decoder: DenseStack { layers: decoder },
        }
    }
}

impl Reconstructs for StackedAutoencoder {
    /// images: `[batch, c, h, w]` with `c*h*w == input_size` -> output `[batch, c, h, w]`,
    /// code `[batch, innermost hidden size]`.
    fn reconstruct(&self, images: Tensor<4>) -> Reconstruction {
        let shape = images.dims();
        let flat = flatten_images(images, self.input_size(), "StackedAutoencoder");
        let code = self.encode(flat);
        let output = self.decode(code.clone()).reshape(shape);
        Reconstruction { output, code }
    }
}
