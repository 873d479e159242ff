//! Sparsity penalties on an autoencoder's hidden code, added to the reconstruction loss.

use burn::tensor::Tensor;

/// The notebook's L1 sparsity penalty as a loss term: `rho * Σ_b Σ_j |h_bj|`.
///
/// code: `[batch, units]` -> `[1]`.
///
/// The notebook applies sparsity through an autograd function `L1Penalty` that is the identity
/// in the forward pass and whose backward adds `rho * sign(h)` to every element's incoming
/// gradient, **unscaled by the batch size**. Adding this term to the loss gives exactly that
/// gradient, since `∂/∂h_bj (rho * Σ|h|) = rho * sign(h_bj)` (with `sign(0) = 0`, as in
/// PyTorch), so the matching scaling is the **sum** over batch and units. A mean over the batch
/// would divide the notebook's gradient by the batch size. The term's value only shifts the
/// reported loss; report the reconstruction loss separately to compare with the notebook.
pub fn l1_penalty(code: Tensor<2>, rho: f64) -> Tensor<1> {
    code.abs().sum().mul_scalar(rho)
}

/// Smallest and largest mean activation used inside the KL penalty, keeping its logarithms finite.
pub const KL_ACTIVATION_CLAMP: f64 = 1e-6;

/// The sparse-autoencoder KL-divergence penalty for sigmoid codes (values in (0, 1)):
/// `beta * Σ_j KL(target ‖ ρ̂_j)`, with `ρ̂_j` the mean activation of unit `j` over the batch and
/// `KL(ρ ‖ ρ̂) = ρ ln(ρ/ρ̂) + (1-ρ) ln((1-ρ)/(1-ρ̂))`.
///
/// code: `[batch, units]` -> `[1]`. Its gradient is
/// `∂/∂h_bj = beta/batch * (-(ρ/ρ̂_j) + (1-ρ)/(1-ρ̂_j))`. Mean activations are clamped to
/// `[KL_ACTIVATION_CLAMP, 1 - KL_ACTIVATION_CLAMP]` (no gradient beyond the clamp).
///
/// # Panics
/// When `target` is not strictly between 0 and 1.
pub fn kl_sparsity_penalty(code: Tensor<2>, target: f64, beta: f64) -> Tensor<1> {
    assert!(
        target > 0.0 && target < 1.0,
        "kl_sparsity_penalty: target sparsity must be strictly between 0 and 1, got {target}"
    );
    let [_, units] = code.dims();
    let mean = code
        .mean_dim(0)
        .reshape([units])
        .clamp(KL_ACTIVATION_CLAMP, 1.0 - KL_ACTIVATION_CLAMP);
    // ρ ln ρ + (1-ρ) ln(1-ρ) - ρ ln ρ̂ - (1-ρ) ln(1-ρ̂), summed over units.
    let constant = target * target.ln() + (1.0 - target) * (1.0 - target).ln();
    let cross = mean.clone().log().mul_scalar(target)
        + mean.neg().add_scalar(1.0).log().mul_scalar(1.0 - target);
    cross.neg().add_scalar(constant).sum().mul_scalar(beta)
}
