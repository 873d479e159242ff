use ae_models::{
    MAX_GPU_MATMUL_ROWS, conv2d_in_batch_blocks, conv2d_in_batch_chunks, conv2d_output_size,
};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::Device;

use crate::common::{ndarray, seeded_tensor, values};

fn backends() -> [(&'static str, Device); 2] {
    [("flex", Device::flex()), ("ndarray", ndarray())]
}

/// The convolutions the models use: the conv autoencoder's 3×3 stride-2 encoder layers and
/// stride-1 decoder layers (padding 1), LeNet's unpadded 5×5 ones; with their input shapes
/// (batch 7, small maps).
fn layers(device: &Device) -> Vec<(&'static str, Conv2d, [usize; 4])> {
    let padded = |channels, stride| {
        Conv2dConfig::new(channels, [3, 3])
            .with_stride([stride, stride])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(device)
    };
    vec![
        ("3x3 stride 2 pad 1", padded([3, 8], 2), [7, 3, 12, 12]),
        ("3x3 stride 1 pad 1", padded([8, 5], 1), [7, 8, 6, 6]),
        (
            "5x5 valid",
            Conv2dConfig::new([1, 6], [5, 5]).init(device),
            [7, 1, 12, 12],
        ),
    ]
}

/// Largest difference relative to the largest expected magnitude (at least 1).
fn relative_difference(got: &[f32], want: &[f32]) -> f64 {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(1.0f64, |m, &w| m.max(f64::from(w.abs())));
    got.iter()
        .zip(want)
        .map(|(&g, &w)| f64::from((g - w).abs()) / scale)
        .fold(0.0, f64::max)
}

/// A convolution over chunks of the batch (what the models do on GPU backends, whose launches
/// have at most 65,535 workgroups per dimension) gives the single call's output, input
/// gradient and weight and bias gradients to 1e-6 relative, for chunks of 1, 2, 3 and 4 images
/// (dividing the batch of 7 or not) and for limits the whole batch fits.
#[test]
fn a_conv2d_in_batch_blocks_gives_the_single_calls_values_and_gradients() {
    for (backend, device) in backends() {
        let device = device.autodiff();
        for (layer, conv, shape) in layers(&device) {
            let [_, _, height, width] = shape;
            let [out_h, out_w] = conv2d_output_size(&conv, [height, width]);
            let per_image = out_h * out_w;
            let input_values = seeded_tensor(shape, 21, 0.0, 1.0, &device);
            let plain_out = conv.forward(input_values.clone());
            let [_, out_channels, got_h, got_w] = plain_out.dims();
            assert_eq!([got_h, got_w], [out_h, out_w], "{layer}: output size");
            let weight = seeded_tensor([7, out_channels, out_h, out_w], 22, -1.0, 1.0, &device);
            let run = |max_rows: Option<usize>| {
                let input = input_values.clone().require_grad();
                let out = match max_rows {
                    Some(rows) => conv2d_in_batch_blocks(&conv, input.clone(), rows),
                    None => conv.forward(input.clone()),
                };
                let grads = (out.clone() * weight.clone()).sum().backward();
                [
                    values(out),
                    values(input.grad(&grads).expect("input gradient")),
                    values(conv.weight.grad(&grads).expect("weight gradient")),
                    values(
                        conv.bias
                            .as_ref()
                            .unwrap()
                            .grad(&grads)
                            .expect("bias gradient"),
                    ),
                ]
            };
            let want = run(None);
            assert!(want[2].iter().any(|v| v.abs() > 0.5), "trivial gradient");
            let limits = [1, 2, 3, 4].map(|images| images * per_image);
            for max_rows in limits
                .into_iter()
                .chain([per_image - 1, 7 * per_image, 1 << 20])
            {
                let got = run(Some(max_rows));
                for (what, got, want) in [
                    "output",
                    "input gradient",
                    "weight gradient",
                    "bias gradient",
                ]
                .iter()
                .zip(&got)
                .zip(&want)
                .map(|((what, got), want)| (what, got, want))
                {
                    let difference = relative_difference(got, want);
                    assert!(
                        difference <= 1e-6,
                        "{layer} on {backend}, at most {max_rows} rows: {what} differs by {difference:e}"
                    );
                }
            }
        }
        // On a CPU backend the chunked convolution is the plain one, bit for bit, whatever the
        // batch (here 300, whose 32×32 outputs exceed the GPU limit: 300 · 1024 rows).
        let conv = Conv2dConfig::new([1, 2], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(&device);
        let batch = MAX_GPU_MATMUL_ROWS / (32 * 32) + 45;
        let input = seeded_tensor([batch, 1, 32, 32], 23, 0.0, 1.0, &device);
        assert_eq!(
            values(conv2d_in_batch_chunks(&conv, input.clone())),
            values(conv.forward(input)),
            "{backend}"
        );
    }
}

/// The output sizes the chunking counts rows by, for the models' layers at their real shapes.
#[test]
fn conv2d_output_size_follows_the_convolution_formula() {
    let device = Device::flex();
    let padded = |stride| {
        Conv2dConfig::new([1, 1], [3, 3])
            .with_stride([stride, stride])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(&device)
    };
    assert_eq!(conv2d_output_size(&padded(2), [32, 32]), [16, 16]);
    assert_eq!(conv2d_output_size(&padded(2), [8, 8]), [4, 4]);
    assert_eq!(conv2d_output_size(&padded(1), [32, 32]), [32, 32]);
    let lenet = Conv2dConfig::new([1, 6], [5, 5]).init(&device);
    assert_eq!(conv2d_output_size(&lenet, [32, 32]), [28, 28]);
    assert_eq!(conv2d_output_size(&lenet, [14, 14]), [10, 10]);
    let dilated = Conv2dConfig::new([1, 1], [3, 3])
        .with_dilation([2, 2])
        .with_stride([1, 3])
        .init(&device);
    assert_eq!(conv2d_output_size(&dilated, [9, 10]), [5, 2]);
}
