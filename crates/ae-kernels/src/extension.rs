//! The backend extension: which backends have the fused dense layer and how autodiff
//! differentiates it.

use burn::backend::Flex;
use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, backend_extension};
use burn_flex::FlexTensor;

use crate::flex;
use crate::{AdamSettings, FusedActivation, SgdSettings};

/// Fused operations, implemented for flex and for autodiff over flex. The dispatch glue that
/// `#[backend_extension]` generates routes a call to the backend of its tensors; [`crate::dense`]
/// only calls it for tensors on flex.
#[backend_extension(Flex, Autodiff)]
pub trait DenseKernels: Backend {
    /// `activation(input · weight + bias)`.
    ///
    /// input: `[batch, d_input]`, weight: `[d_input, d_output]`, bias: `[d_output]` ->
    /// output: `[batch, d_output]`
    fn dense_forward(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        activation: FusedActivation,
    ) -> FloatTensor<Self>;
}

impl DenseKernels for Flex {
    fn dense_forward(
        input: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        activation: FusedActivation,
    ) -> FlexTensor {
        flex::dense_forward(input, weight, bias, activation)
    }
}

/// The backward step of the fused dense layer: from the output gradient `g` and the saved
/// output `y`, `dz = g * f'(y)` in one pass, then `dbias = Σ_rows dz`, `dweight = inputᵀ dz`,
/// `dinput = dz weightᵀ`, each only when that parent is tracked.
#[derive(Debug)]
struct DenseBackward {
    activation: FusedActivation,
}

impl Backward<Flex, 3> for DenseBackward {
    /// The input, the weight and the layer's output.
    type State = (FlexTensor, FlexTensor, FlexTensor);

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [node_input, node_weight, node_bias] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        let (input, weight, output) = ops.state;
        let dz = flex::activation_backward(output, grad, self.activation);

        if let Some(node) = node_bias {
            grads.register::<Flex>(node.id, flex::sum_rows(&dz));
        }
        if let Some(node) = node_weight {
            let input_t = Flex::float_swap_dims(input, 0, 1);
            grads.register::<Flex>(node.id, Flex::float_matmul(input_t, dz.clone()));
        }
        if let Some(node) = node_input {
            let weight_t = Flex::float_swap_dims(weight, 0, 1);
            grads.register::<Flex>(node.id, Flex::float_matmul(dz, weight_t));
        }
    }
}

impl<C: CheckpointStrategy> DenseKernels for Autodiff<Flex, C> {
    fn dense_forward(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        activation: FusedActivation,
    ) -> FloatTensor<Self> {
        let step = DenseBackward { activation };
        match step
            .prepare::<C>([input.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let input = input.primitive().clone();
                let weight = weight.primitive().clone();
                let output = flex::dense_forward(
                    input.clone(),
                    weight.clone(),
                    bias.primitive().clone(),
                    activation,
                );
                prep.finish((input, weight, output.clone()), output)
            }
            OpsKind::UnTracked(prep) => prep.finish(flex::dense_forward(
                input.into_primitive(),
                weight.into_primitive(),
                bias.into_primitive(),
                activation,
            )),
        }
    }
}

/// Optimiser updates, one pass per parameter tensor, for flex (parameters and their optimiser
/// state live outside autodiff, so there is no backward step). [`crate::sgd_step`] and friends
/// only call it for tensors on flex.
#[backend_extension(Flex)]
pub trait OptimizerKernels: Backend {
    /// Plain SGD: returns the parameter.
    fn sgd_step(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        lr: f32,
        weight_decay: f32,
    ) -> FloatTensor<Self>;

    /// SGD with momentum: returns `(parameter, velocity)`.
    fn sgd_momentum_step(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        velocity: FloatTensor<Self>,
        lr: f32,
        settings: SgdSettings,
    ) -> (FloatTensor<Self>, FloatTensor<Self>);

    /// Adam at step `time`: returns `(parameter, first moment, second moment)`.
    fn adam_step(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        moment_1: FloatTensor<Self>,
        moment_2: FloatTensor<Self>,
        time: u32,
        lr: f32,
        settings: AdamSettings,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

impl OptimizerKernels for Flex {
    fn sgd_step(param: FlexTensor, grad: FlexTensor, lr: f32, weight_decay: f32) -> FlexTensor {
        flex::sgd_step(param, grad, lr, weight_decay)
    }

    fn sgd_momentum_step(
        param: FlexTensor,
        grad: FlexTensor,
        velocity: FlexTensor,
        lr: f32,
        settings: SgdSettings,
    ) -> (FlexTensor, FlexTensor) {
        flex::sgd_momentum_step(param, grad, velocity, lr, &settings)
    }

    fn adam_step(
        param: FlexTensor,
        grad: FlexTensor,
        moment_1: FlexTensor,
        moment_2: FlexTensor,
        time: u32,
        lr: f32,
        settings: AdamSettings,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        flex::adam_step(
            param,
            grad,
            [moment_1, moment_2],
            time as usize,
            lr,
            &settings,
        )
    }
}

/// ReLU then 2×2 max-pooling, for flex and autodiff over flex.
#[backend_extension(Flex, Autodiff)]
pub trait PoolKernels: Backend {
    /// `max_pool_2x2(relu(input))`, stride 2.
    ///
    /// input: `[batch, channels, h, w]` -> `[batch, channels, h / 2, w / 2]`
    fn relu_max_pool_2x2(input: FloatTensor<Self>) -> FloatTensor<Self>;
}

impl PoolKernels for Flex {
    fn relu_max_pool_2x2(input: FlexTensor) -> FlexTensor {
        flex::relu_max_pool_2x2(input)
    }
}

/// The backward step of the fused ReLU + max-pool: the window's maximum found again in the
/// saved input.
#[derive(Debug)]
struct ReluMaxPoolBackward;

impl Backward<Flex, 1> for ReluMaxPoolBackward {
    /// The input and the output.
    type State = (FlexTensor, FlexTensor);

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [node_input] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        if let Some(node) = node_input {
            let (input, output) = ops.state;
            let dx = flex::relu_max_pool_2x2_backward(input, output, grad);
            grads.register::<Flex>(node.id, dx);
        }
    }
}

impl<C: CheckpointStrategy> PoolKernels for Autodiff<Flex, C> {
    fn relu_max_pool_2x2(input: FloatTensor<Self>) -> FloatTensor<Self> {
        let step = ReluMaxPoolBackward;
        match step.prepare::<C>([input.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let input = input.primitive().clone();
                let output = flex::relu_max_pool_2x2(input.clone());
                prep.finish((input, output.clone()), output)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(flex::relu_max_pool_2x2(input.into_primitive()))
            }
        }
    }
}

/// Burn's leaky ReLU in one pass each way, for flex and autodiff over flex.
#[backend_extension(Flex, Autodiff)]
pub trait LeakyReluKernels: Backend {
    /// `x * negative_slope` where `x < 0`, `x` elsewhere; `negative_slope > 0`.
    ///
    /// input: any shape -> the same shape
    fn leaky_relu(input: FloatTensor<Self>, negative_slope: f32) -> FloatTensor<Self>;
}

impl LeakyReluKernels for Flex {
    fn leaky_relu(input: FlexTensor, negative_slope: f32) -> FlexTensor {
        flex::leaky_relu(input, negative_slope)
    }
}

/// The backward step of the leaky ReLU, from the saved output.
#[derive(Debug)]
struct LeakyReluBackward {
    negative_slope: f32,
}

impl Backward<Flex, 1> for LeakyReluBackward {
    /// The output.
    type State = FlexTensor;

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [node_input] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        if let Some(node) = node_input {
            let dx = flex::leaky_relu_backward(ops.state, grad, self.negative_slope);
            grads.register::<Flex>(node.id, dx);
        }
    }
}

impl<C: CheckpointStrategy> LeakyReluKernels for Autodiff<Flex, C> {
    fn leaky_relu(input: FloatTensor<Self>, negative_slope: f32) -> FloatTensor<Self> {
        let step = LeakyReluBackward { negative_slope };
        match step.prepare::<C>([input.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let output = flex::leaky_relu(input.into_primitive(), negative_slope);
                prep.finish(output.clone(), output)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(flex::leaky_relu(input.into_primitive(), negative_slope))
            }
        }
    }
}

/// Bilinear ×2 upsampling in one pass each way, for flex and autodiff over flex.
#[backend_extension(Flex, Autodiff)]
pub trait UpsampleKernels: Backend {
    /// PyTorch's `nn.Upsample(scale_factor=2, mode="bilinear", align_corners=...)`.
    ///
    /// input: `[batch, channels, h, w]` -> `[batch, channels, 2h, 2w]`
    fn bilinear_upsample_2x(input: FloatTensor<Self>, align_corners: bool) -> FloatTensor<Self>;
}

impl UpsampleKernels for Flex {
    fn bilinear_upsample_2x(input: FlexTensor, align_corners: bool) -> FlexTensor {
        flex::bilinear_upsample_2x(input, align_corners)
    }
}

/// The backward step of the upsampling: a function of the output gradient alone.
#[derive(Debug)]
struct BilinearUpsampleBackward {
    align_corners: bool,
}

impl Backward<Flex, 1> for BilinearUpsampleBackward {
    type State = ();

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [node_input] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        if let Some(node) = node_input {
            let dx = flex::bilinear_upsample_2x_backward(grad, self.align_corners);
            grads.register::<Flex>(node.id, dx);
        }
    }
}

impl<C: CheckpointStrategy> UpsampleKernels for Autodiff<Flex, C> {
    fn bilinear_upsample_2x(input: FloatTensor<Self>, align_corners: bool) -> FloatTensor<Self> {
        let step = BilinearUpsampleBackward { align_corners };
        let prep = step.prepare::<C>([input.node()]).compute_bound();
        prep.stateless(flex::bilinear_upsample_2x(
            input.into_primitive(),
            align_corners,
        ))
    }
}
