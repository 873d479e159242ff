//! wgpu smoke test (ignored by default: the default build has no wgpu backend).
//!
//! Run it after a wgpu build:
//! ```sh
//! cargo build --release --features wgpu
//! cargo test --release -p ae-e2e --test wgpu -- --ignored
//! ```
//! Where wgpu finds an adapter (a GPU, or Mesa's software Vulkan: `apt-get install -y
//! mesa-vulkan-drivers libvulkan1`), LeNet trains a few steps on it; where none exists the
//! binary must say so in one line and point to the CPU backend.

use ae_e2e::{Scratch, assert_clean_failure, assert_complete_run, quick_train_args, run_folder};

#[test]
#[ignore = "needs `cargo build --release --features wgpu`; minutes of shader compilation on a software adapter"]
fn lenet_trains_a_few_steps_on_wgpu_or_says_there_is_no_adapter() {
    let scratch = Scratch::new();
    let out = scratch.ae(&quick_train_args(
        "lenet-mnist",
        "300",
        "200",
        &["--quiet", "--offline", "--device", "wgpu"],
    ));
    if out.status.success() {
        let run = run_folder(&String::from_utf8_lossy(&out.stdout), scratch.path());
        let metrics = assert_complete_run(&run, 1, 1);
        let manifest = ae_e2e::read_json(&run.join("manifest.json"));
        assert_eq!(manifest["backend"], "wgpu");
        let loss = metrics["epochs"][0]["train_loss"].as_f64().unwrap();
        assert!(loss.is_finite() && loss < 2.5, "train loss {loss}");
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("built without wgpu"),
            "this test needs a wgpu build: cargo build --release --features wgpu"
        );
        assert_clean_failure(&out, &["wgpu", "--device flex"]);
    }
}
