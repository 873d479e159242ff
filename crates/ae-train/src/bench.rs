//! Timing training steps, one epoch and one evaluation pass per stage of a recipe (`ae bench`).

use std::time::Instant;

use ae_data::{BatchLoader, DataLocator};
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Distribution, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::measure::TestSet;
use crate::model::{ModelKind, Net};
use crate::optim::build_optimizer;
use crate::readback::read_scalars;
use crate::recipe::Recipe;
use crate::run::{CHECK_EVERY, TAG_INIT, TAG_TEST_NOISE, load_data};
use crate::run_folder::backend_name;

/// How to benchmark.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Where the dataset is found.
    pub data: DataLocator,
    /// The device (steps run on its autodiff version).
    pub device: Device,
    /// Timed steps per stage (the median, min and max are reported).
    pub steps: usize,
    /// Untimed steps before them.
    pub warmup: usize,
    /// Cap on the training images of the timed epoch (default: the recipe's limit, else all).
    pub limit: Option<usize>,
}

impl BenchOptions {
    /// 20 timed steps after 3 warm-up steps, one full epoch.
    pub fn new(device: Device) -> Self {
        Self {
            data: DataLocator::default(),
            device,
            steps: 20,
            warmup: 3,
            limit: None,
        }
    }
}

/// One stage's timings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchRow {
    /// The recipe's name.
    pub recipe: String,
    /// The stage's name.
    pub stage: String,
    /// `flex`, `ndarray`, `wgpu`...
    pub backend: String,
    /// Batch size of the steps.
    pub batch: usize,
    /// Median, fastest and slowest step (forward, loss, backward, optimiser) on a fixed batch.
    pub step_median_s: f64,
    pub step_min_s: f64,
    pub step_max_s: f64,
    /// One epoch over the training images, batching, noise and the loss read-back included.
    pub epoch_s: f64,
    /// Training images per second over that epoch.
    pub samples_per_s: f64,
    /// One evaluation pass over the test set as each epoch of a run makes it (the stage's
    /// metrics, `eval_batch_size` images a batch, on the device without autodiff): the median
    /// of [`EVAL_PASSES`] passes after one untimed pass.
    #[serde(default)]
    pub eval_s: f64,
    /// Test images of that pass.
    #[serde(default)]
    pub test_samples: usize,
    /// Loading and preparing the dataset (once per recipe).
    pub data_load_s: f64,
    /// Floating-point operations of one training step (3 × the forward pass's multiply-adds
    /// × 2, see [`crate::Arch::forward_flops_per_sample`]).
    pub step_flops: u64,
    /// `step_flops` over the median step time, in GFLOP/s.
    pub step_gflops: f64,
    /// What this machine reaches on one large matrix product (1024³, f32) on the same device,
    /// in GFLOP/s: the practical arithmetic limit the step is compared with.
    pub matmul_gflops: f64,
    /// What computes f32 matrix products on flex: the system BLAS found at run time, or why
    /// none is used and flex's `gemm` does them (`ae_blas::status`); the backend's name on
    /// other devices.
    pub matmul_library: String,
    /// Peak resident memory of the process during this stage, in bytes (Linux; `None`
    /// elsewhere).
    pub peak_rss_bytes: Option<u64>,
}

/// Timed evaluation passes per stage (the median is reported).
pub const EVAL_PASSES: usize = 5;

/// GFLOP/s of the fastest of six 1024×1024×1024 f32 matrix products on `device`.
fn matmul_gflops(device: &Device) -> Result<f64, TrainError> {
    const N: usize = 1024;
    let a = Tensor::<2>::random([N, N], Distribution::Default, device);
    let b = Tensor::<2>::random([N, N], Distribution::Default, device);
    let mut best = f64::INFINITY;
    for _ in 0..6 {
        let started = Instant::now();
        let c = a.clone().matmul(b.clone());
        device
            .sync()
            .map_err(|e| TrainError::Backend(format!("matmul: {e:?}")))?;
        drop(c);
        best = best.min(started.elapsed().as_secs_f64());
    }
    Ok(2.0 * (N * N * N) as f64 / best / 1e9)
}

/// Resets the kernel's peak-resident-memory mark of this process (Linux).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory since the last reset, in bytes (Linux).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Times every stage of `recipe`: `options.steps` steps on a fixed batch after
/// `options.warmup` warm-up steps, then one epoch. Models start from their seeded
/// initialisation (pretraining is not run).
pub fn bench(recipe: &Recipe, options: &BenchOptions) -> Result<Vec<BenchRow>, TrainError> {
    if options.steps == 0 {
        return Err(TrainError::InvalidOption(
            "bench needs at least 1 timed step".into(),
        ));
    }
    let mut recipe = recipe.clone();
    if options.limit.is_some() {
        recipe.limit = options.limit;
    }
    let plan = recipe.plan()?;
    let loading = Instant::now();
    let data = load_data(&recipe, &options.data)?;
    let data_load_s = loading.elapsed().as_secs_f64();
    let matmul_gflops = matmul_gflops(&options.device.clone().without_autodiff())?;
    let matmul_library = if backend_name(&options.device) == "flex" {
        format!("flex: BLAS {}", ae_blas::status())
    } else {
        backend_name(&options.device).to_string()
    };
    let ad = options.device.clone().without_autodiff().autodiff();
    let sync = |what: &str| {
        ad.sync()
            .map_err(|e| TrainError::Backend(format!("{what}: {e:?}")))
    };
    let mut rows = Vec::with_capacity(plan.len());
    for (s, stage_plan) in plan.iter().enumerate() {
        reset_peak_rss();
        let spec = &recipe.stages[s];
        let seed = ae_data::derive_seed(recipe.seed, &[TAG_INIT, s as u64]);
        let mut net = Net::build(&stage_plan.arch, &ad, seed);
        if spec.freeze_encoder {
            net = net.freeze_encoder();
        }
        let mut optim = build_optimizer(&spec.optimizer);
        let batch_size = recipe.stage_batch_size(s);
        let loader = BatchLoader::new(data.train.clone(), batch_size)
            .shuffle(true)
            .noise(spec.noise);
        let lr = spec.optimizer.lr();
        let fixed = loader
            .iter(seed, &ad)
            .next()
            .ok_or_else(|| TrainError::InvalidOption("no training batch".into()))?;
        let mut times = Vec::with_capacity(options.steps);
        for i in 0..options.warmup + options.steps {
            let started = Instant::now();
            let losses = net.losses(&fixed, spec)?;
            let grads = GradientsParams::from_grads(losses.loss.backward(), &net);
            net = optim.step(lr, net, grads);
            sync("step")?;
            if i >= options.warmup {
                times.push(started.elapsed().as_secs_f64());
            }
        }
        times.sort_by(f64::total_cmp);
        let median = if times.len() % 2 == 1 {
            times[times.len() / 2]
        } else {
            0.5 * (times[times.len() / 2 - 1] + times[times.len() / 2])
        };

        // The run's loop: the losses read back every CHECK_EVERY steps and at the end.
        let started = Instant::now();
        let mut window = Vec::with_capacity(CHECK_EVERY);
        for batch in loader.iter(seed.wrapping_add(1), &ad) {
            let losses = net.losses(&batch, spec)?;
            window.push(losses.data_loss.clone().inner());
            let grads = GradientsParams::from_grads(losses.loss.backward(), &net);
            net = optim.step(lr, net, grads);
            if window.len() >= CHECK_EVERY {
                read_scalars(std::mem::take(&mut window))?;
            }
        }
        read_scalars(window)?;
        sync("epoch")?;
        let epoch_s = started.elapsed().as_secs_f64();

        let plain = ad.clone().without_autodiff();
        let valid = net.valid();
        let test = TestSet {
            data: &data.test,
            batch_size: recipe.eval_batch_size,
            noise: spec.noise,
            noise_seed: ae_data::derive_seed(recipe.seed, &[TAG_TEST_NOISE, s as u64]),
            device: &plain,
        };
        let mut evals = Vec::with_capacity(EVAL_PASSES);
        for i in 0..=EVAL_PASSES {
            let started = Instant::now();
            valid.evaluate(spec, &test)?;
            if i > 0 {
                evals.push(started.elapsed().as_secs_f64());
            }
        }
        evals.sort_by(f64::total_cmp);
        let eval_s = evals[evals.len() / 2];
        let step_flops = 3 * stage_plan.arch.forward_flops_per_sample() * batch_size as u64;
        rows.push(BenchRow {
            recipe: recipe.name.clone(),
            stage: stage_plan.name.clone(),
            backend: backend_name(&options.device),
            batch: batch_size,
            step_median_s: median,
            step_min_s: times[0],
            step_max_s: times[times.len() - 1],
            epoch_s,
            samples_per_s: data.train.len() as f64 / epoch_s.max(f64::MIN_POSITIVE),
            eval_s,
            test_samples: data.test.len(),
            data_load_s,
            step_flops,
            step_gflops: step_flops as f64 / median / 1e9,
            matmul_gflops,
            matmul_library: matmul_library.clone(),
            peak_rss_bytes: peak_rss_bytes(),
        });
    }
    Ok(rows)
}
