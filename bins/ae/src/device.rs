//! Choosing and opening the compute device (`--device`).

use anyhow::Result;
use burn::tensor::Device;
use clap::ValueEnum;

/// A Burn backend the binary can train on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// Burn's fast CPU backend.
    Flex,
    /// Burn's ndarray CPU backend.
    Ndarray,
    /// A GPU (or a software adapter) through wgpu.
    Wgpu,
}

impl Backend {
    /// The default device of this build: wgpu when built with `--features wgpu`, else ndarray
    /// with `--features ndarray`, else flex.
    pub fn default_for_build() -> Backend {
        if cfg!(feature = "wgpu") {
            Backend::Wgpu
        } else if cfg!(feature = "ndarray") {
            Backend::Ndarray
        } else {
            Backend::Flex
        }
    }

    /// `flex`, `ndarray` or `wgpu`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Ndarray => "ndarray",
            Backend::Wgpu => "wgpu",
        }
    }

    /// Opens the device; for wgpu, checks that an adapter exists by running a tiny computation.
    pub fn open(self) -> Result<Device> {
        match self {
            Backend::Flex => Ok(Device::flex()),
            Backend::Ndarray => open_ndarray(),
            Backend::Wgpu => open_wgpu(),
        }
    }
}

#[cfg(feature = "wgpu")]
fn open_wgpu() -> Result<Device> {
    use burn::tensor::{DeviceKind, Tensor};

    // Device::wgpu is lazy; the adapter is requested by the first operation, and Burn panics
    // ("AdapterUnavailable") when there is none. Catch that and say what to do instead.
    let probe = crate::failure::catch_quietly(|| {
        let device = Device::wgpu(DeviceKind::DefaultDevice);
        let sum = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &device)
            .sum()
            .into_scalar::<f32>();
        (device, sum)
    });
    match probe {
        Ok((device, sum)) if (sum - 6.0).abs() < 1e-4 => Ok(device),
        Ok((_, sum)) => anyhow::bail!(
            "the wgpu adapter computed 1+2+3 = {sum}; it is not usable. Use --device flex (the CPU backend)"
        ),
        Err(reason) => anyhow::bail!(
            "no usable wgpu adapter ({reason}). Use --device flex (the CPU backend), or install a GPU driver; \
             on a CPU-only Linux machine Mesa's software Vulkan gives one: apt-get install mesa-vulkan-drivers libvulkan1"
        ),
    }
}

#[cfg(not(feature = "wgpu"))]
fn open_wgpu() -> Result<Device> {
    anyhow::bail!(
        "this ae was built without wgpu support; rebuild it with `cargo build --release --features wgpu`, or use --device flex (the CPU backend)"
    )
}

#[cfg(feature = "ndarray")]
fn open_ndarray() -> Result<Device> {
    #[allow(deprecated)]
    // Burn marks ndarray deprecated; it is still a working CPU backend.
    let device = Device::ndarray();
    Ok(device)
}

#[cfg(not(feature = "ndarray"))]
fn open_ndarray() -> Result<Device> {
    anyhow::bail!(
        "this ae was built without the ndarray backend; rebuild it with `cargo build --release --features ndarray`, or use --device flex (the CPU backend)"
    )
}
