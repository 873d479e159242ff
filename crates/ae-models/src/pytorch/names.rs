//! The notebooks' names for every layer of every model: which Burn module path holds what the
//! PyTorch `state_dict` calls `encoder.0`, `conv_decoder.3` or `classifier.0`.
//!
//! | model | PyTorch keys (each with `.weight` and `.bias`) |
//! | --- | --- |
//! | [`LeNet5`] | `conv1`, `conv2`, `fc1`, `fc2`, `fc3` |
//! | [`StackedAutoencoder`] 784-400-784 | `encoder.0`, `decoder.0` |
//! | [`StackedAutoencoder`] grown to 784-400-256-400-784 | `encoder.0`, `encoder.2`, `decoder.0`, `decoder.2` (each layer is followed by its activation in the `nn.Sequential`, hence the even indices; the decoder starts at the innermost layer) |
//! | [`ConvAutoencoder`] | `conv_encoder.{0,2,4}`, `fc_encoder.0`, `fc_decoder.0`, `conv_decoder.{0,3,6,9}` |
//! | [`EncoderClassifier`], dense encoder | `0.0`, `0.2`, … (the encoder `nn.Sequential` as child `0`), `classifier.0` (the head) |
//! | [`EncoderClassifier`], conv encoder | `conv_encoder.{0,2,4}`, `fc_encoder.0`, `classifier.0` |
//! | [`Vae`] | `fc1`, `fc21`, `fc22`, `fc3`, `fc4` (pytorch/examples' `vae/main.py` class `VAE`) |
//! | [`ConvVae`] | the [`ConvAutoencoder`]'s encoder names `conv_encoder.{0,2,4}`, `fc_encoder.0`, the heads `fc_mu`, `fc_log_var`, and its decoder names `fc_decoder.0`, `conv_decoder.{0,3,6,9}` |
//!
//! The dense names are those of the notebooks' `nn.Sequential` models; the dense classifier is
//! `nn.Sequential(autoencoder.encoder, nn.Sequential(nn.Linear(code, 10), nn.LogSoftmax(1)))`
//! with the head added under the name `classifier`. The notebooks define no class for the conv
//! autoencoder's classifier; ours keeps the autoencoder's own names for the encoder parts and
//! calls the head `classifier.0`, as the dense classifier does.

use burn::module::Module;

use crate::{
    ConvAutoencoder, ConvVae, Encoder, EncoderClassifier, LeNet5, StackedAutoencoder, Vae,
};

/// A model whose layers have names in the notebooks' PyTorch classes.
pub trait PytorchNames: Module {
    /// For every layer with parameters: its Burn module path (enum variants left out, e.g.
    /// `encoder.layers.0.linear`) and its PyTorch module name (e.g. `encoder.0`). The
    /// parameters inside (`weight`, `bias`) keep their names.
    fn pytorch_names(&self) -> Vec<(String, String)>;
}

fn pair(burn: impl Into<String>, pytorch: impl Into<String>) -> (String, String) {
    (burn.into(), pytorch.into())
}

/// `nn.Sequential` of `Linear`, activation, `Linear`, activation, …: layer `i` is child `2i`.
fn dense_stack(burn: &str, pytorch: &str, layers: usize) -> Vec<(String, String)> {
    (0..layers)
        .map(|i| {
            pair(
                format!("{burn}.layers.{i}.linear"),
                format!("{pytorch}.{}", 2 * i),
            )
        })
        .collect()
}

/// The conv encoder: convolutions with a LeakyReLU after each (children 0, 2, 4), then the FC
/// bottleneck `nn.Sequential(Linear, LeakyReLU)`.
fn conv_encoder(burn: &str) -> Vec<(String, String)> {
    vec![
        pair(format!("{burn}.conv1"), "conv_encoder.0"),
        pair(format!("{burn}.conv2"), "conv_encoder.2"),
        pair(format!("{burn}.conv3"), "conv_encoder.4"),
        pair(format!("{burn}.fc"), "fc_encoder.0"),
    ]
}

impl PytorchNames for LeNet5 {
    fn pytorch_names(&self) -> Vec<(String, String)> {
        ["conv1", "conv2", "fc1", "fc2", "fc3"]
            .into_iter()
            .map(|name| pair(name, name))
            .collect()
    }
}

impl PytorchNames for Vae {
    fn pytorch_names(&self) -> Vec<(String, String)> {
        ["fc1", "fc21", "fc22", "fc3", "fc4"]
            .into_iter()
            .map(|name| pair(name, name))
            .collect()
    }
}

impl PytorchNames for StackedAutoencoder {
    fn pytorch_names(&self) -> Vec<(String, String)> {
        let mut names = dense_stack("encoder", "encoder", self.encoder.layers.len());
        names.extend(dense_stack("decoder", "decoder", self.decoder.layers.len()));
        names
    }
}

/// The conv decoder: its FC `nn.Sequential(Linear, LeakyReLU)`, then conv, LeakyReLU, Upsample
/// three times (children 0, 3, 6), last conv 9.
fn conv_decoder(burn: &str) -> Vec<(String, String)> {
    vec![
        pair(format!("{burn}.fc"), "fc_decoder.0"),
        pair(format!("{burn}.conv1"), "conv_decoder.0"),
        pair(format!("{burn}.conv2"), "conv_decoder.3"),
        pair(format!("{burn}.conv3"), "conv_decoder.6"),
        pair(format!("{burn}.conv4"), "conv_decoder.9"),
    ]
}

impl PytorchNames for ConvAutoencoder {
    fn pytorch_names(&self) -> Vec<(String, String)> {
        let mut names = conv_encoder("encoder");
        names.extend(conv_decoder("decoder"));
        names
    }
}

impl PytorchNames for ConvVae {
    fn pytorch_names(&self) -> Vec<(String, String)> {
        let mut names = conv_encoder("encoder");
        names.extend([pair("fc_mu", "fc_mu"), pair("fc_log_var", "fc_log_var")]);
        names.extend(conv_decoder("decoder"));
        names
    }
}

impl PytorchNames for EncoderClassifier {
    fn pytorch_names(&self) -> Vec<(String, String)> {
        let mut names = match &self.encoder {
            Encoder::Dense(stack) => dense_stack("encoder", "0", stack.layers.len()),
            Encoder::Conv(_) => conv_encoder("encoder"),
        };
        names.push(pair("head", "classifier.0"));
        names
    }
}
