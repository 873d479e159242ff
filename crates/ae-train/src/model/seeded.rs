//! Seeded construction: a model's initial weights drawn from one seed, whatever else runs.

use std::sync::Mutex;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};

/// Burn's CPU backends draw initial weights from one process-wide generator. Seeding it and
/// drawing a whole model's weights happen under this lock, so models built on other threads at
/// the same time cannot take numbers from the sequence.
static INIT_LOCK: Mutex<()> = Mutex::new(());

/// Draws every lazily initialised parameter now.
struct Materialize;

impl ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

/// Runs `build` with the weight generator seeded by `seed` and materialises the result.
pub fn seeded<M: Module>(device: &Device, seed: u64, build: impl FnOnce() -> M) -> M {
    let _guard = INIT_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    device.seed(seed);
    let model = build();
    model.visit(&mut Materialize);
    model
}
