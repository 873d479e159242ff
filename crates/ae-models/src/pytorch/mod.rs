//! Weights in and out of PyTorch: load a notebook's `state_dict` (`.pth`/`.pt` from
//! `torch.save`, or `.safetensors`) into a model here, and save a model here as safetensors
//! that the notebook's own `nn.Module` loads with `strict=True`.
//!
//! Built on burn-store: [`PytorchStore`](burn::store::PytorchStore) and
//! [`SafetensorsStore`](burn::store::SafetensorsStore) read and write the files,
//! [`KeyRemapper`](burn::store::KeyRemapper) translates the names ([`PytorchNames`] lists
//! them per model), and the `PyTorchToBurnAdapter` / `BurnToPyTorchAdapter` transpose `Linear`
//! weights (`[out, in]` in PyTorch, `[in, out]` in Burn). Convolution weights have the same
//! `[out, in, kh, kw]` layout in both. The format of a file is told from its content, not its
//! extension; f16, bf16 and f64 tensors are converted to f32.
//!
//! ```
//! use ae_models::pytorch::{load_pytorch, save_pytorch};
//! use ae_models::LeNet5Config;
//! use burn::tensor::Device;
//!
//! let device = Device::flex();
//! let lenet = LeNet5Config::new().init(&device);
//! let file = std::env::temp_dir().join(format!("lenet-{}.safetensors", std::process::id()));
//!
//! // For PyTorch: keys conv1.weight [6, 1, 5, 5], ..., fc1.weight [120, 400], ...
//! save_pytorch(&lenet, &file, &[("note".into(), "an example".into())])?;
//!
//! // From PyTorch (a .pth or a .safetensors file): build the architecture, then load.
//! let loaded = load_pytorch(LeNet5Config::new().init(&device), &file)?;
//! assert_eq!(
//!     loaded.fc1.weight.val().into_data(),
//!     lenet.fc1.weight.val().into_data()
//! );
//! # std::fs::remove_file(&file).ok();
//! # Ok::<(), ae_models::pytorch::WeightsError>(())
//! ```
//!
//! In PyTorch, the file loads into the notebook's class:
//!
//! ```python
//! from safetensors.torch import load_file
//! model = LeNet()   # the notebook's class
//! model.load_state_dict(load_file("lenet.safetensors"), strict=True)
//! ```
//!
//! The key names of every model are listed in [`PytorchNames`]'s module documentation
//! (`names.rs`). To try several architectures on one file, read it once with
//! [`WeightsFile::read`] and call [`WeightsFile::load_into`] for each.

mod error;
mod format;
mod load;
mod names;
mod read;
mod save;

pub use error::WeightsError;
pub use format::WeightsFormat;
pub use load::{expected_shapes, load_pytorch};
pub use names::PytorchNames;
pub use read::WeightsFile;
pub use save::save_pytorch;
