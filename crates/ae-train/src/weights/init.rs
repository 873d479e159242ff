//! `ae train --init FILE`: the first stage starts from PyTorch weights.

use std::path::Path;

use ae_models::pytorch::WeightsFile;
use burn::tensor::Device;

use crate::error::TrainError;
use crate::model::{Arch, ModelKind, Net, seeded};

/// The initial weights a run started from, kept in its `checkpoints/` folder so that a run
/// interrupted before its first checkpoint resumes from them too.
pub(crate) const INIT_MODEL_FILE: &str = "init-model.bpk";

/// The first stage's freshly built model `net` (architecture `arch`) given the weights of
/// `init`. A first stage that classifies with an autoencoder's encoder also takes a whole
/// autoencoder's weights (the notebook's `encoder.*` / `decoder.*`): its encoder is kept and
/// the head stays as initialised from `seed`.
///
/// When `saved` exists (a resumed run that had not finished an epoch) the weights come from
/// there; otherwise the loaded model is written there.
pub(crate) fn initial_net(
    net: Net,
    arch: &Arch,
    init: Option<&Path>,
    saved: &Path,
    device: &Device,
    seed: u64,
) -> Result<Net, TrainError> {
    if saved.is_file() {
        return net.load(saved);
    }
    let Some(init) = init else {
        return Ok(net);
    };
    let file = WeightsFile::read(init)?;
    let loaded = match net.load_weights(&file) {
        Ok(net) => net,
        Err(whole) => match arch.kind().head_on() {
            Some((encoder, classes)) if encoder.reconstructs() => {
                let ae = Net::build(encoder, device, seed)
                    .load_weights(&file)
                    .map_err(|_| whole)?;
                seeded(device, seed, || ae.into_classifier(classes, device))
            }
            _ => return Err(whole.into()),
        },
    };
    loaded.save(saved)?;
    Ok(loaded)
}
