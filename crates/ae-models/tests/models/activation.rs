use ae_models::Activation;
use burn::tensor::Tensor;

use crate::common::{assert_close, device, values};

#[test]
fn activations_apply_their_functions() {
    let device = device();
    let x = [-2.0f64, -0.5, 0.0, 1.5];
    let input = || Tensor::<1>::from_floats([-2.0, -0.5, 0.0, 1.5], &device);
    type Case = (Activation, fn(f64) -> f64);
    let cases: [Case; 5] = [
        (Activation::Tanh, f64::tanh),
        (Activation::Sigmoid, |v| 1.0 / (1.0 + (-v).exp())),
        (Activation::Relu, |v| v.max(0.0)),
        (
            Activation::LeakyRelu {
                negative_slope: 0.1,
            },
            |v| if v < 0.0 { 0.1 * v } else { v },
        ),
        (Activation::Identity, |v| v),
    ];
    for (activation, f) in cases {
        let expected: Vec<f64> = x.iter().map(|&v| f(v)).collect();
        assert_close(
            &values(activation.apply(input())),
            &expected,
            1e-6,
            &format!("{activation:?}"),
        );
    }
}

#[test]
fn activation_serde_shape_is_kebab_case() {
    assert_eq!(
        serde_json::to_string(&Activation::Tanh).unwrap(),
        "\"tanh\""
    );
    assert_eq!(
        serde_json::to_string(&Activation::LeakyRelu {
            negative_slope: 0.1
        })
        .unwrap(),
        r#"{"leaky-relu":{"negative_slope":0.1}}"#
    );
    #[derive(burn::serde::Deserialize)]
    #[serde(crate = "burn::serde")]
    struct Recipe {
        activation: Activation,
        output: Activation,
    }
    let recipe: Recipe = toml::from_str(
        "activation = { leaky-relu = { negative_slope = 0.2 } }\noutput = \"sigmoid\"",
    )
    .unwrap();
    assert_eq!(
        recipe.activation,
        Activation::LeakyRelu {
            negative_slope: 0.2
        }
    );
    assert_eq!(recipe.output, Activation::Sigmoid);
    assert!(serde_json::from_str::<Activation>("\"swish\"").is_err());
}

#[test]
fn output_differentiated_tanh_and_sigmoid_match_burns_values_and_gradients() {
    let ad = device().autodiff();
    let x: Vec<f32> = (0..64).map(|i| (i as f32 - 32.0) * 0.37).collect();
    let leaf = || Tensor::<1>::from_floats(x.as_slice(), &ad).require_grad();
    type Pair = (
        fn(Tensor<1>) -> Tensor<1>,
        fn(Tensor<1>) -> Tensor<1>,
        fn(f64) -> f64,
    );
    let pairs: [Pair; 2] = [
        (ae_models::tanh, burn::tensor::activation::tanh, |y| {
            1.0 - y * y
        }),
        (ae_models::sigmoid, burn::tensor::activation::sigmoid, |y| {
            y * (1.0 - y)
        }),
    ];
    for (ours, burns, derivative) in pairs {
        // A weighted sum, so each element's gradient is its weight times f'(x).
        let weights: Vec<f32> = (0..64).map(|i| 0.5 + (i % 7) as f32).collect();
        let w = Tensor::<1>::from_floats(weights.as_slice(), &ad);
        let (a, b) = (leaf(), leaf());
        let ya = ours(a.clone());
        let yb = burns(b.clone());
        let ga = (ya.clone() * w.clone()).sum().backward();
        let gb = (yb.clone() * w).sum().backward();
        let (ya, yb) = (values(ya), values(yb));
        assert_eq!(ya, yb, "values");
        let grad_a = values(a.grad(&ga).expect("gradient"));
        let grad_b = values(b.grad(&gb).expect("gradient"));
        let expected: Vec<f64> = ya
            .iter()
            .zip(&weights)
            .map(|(&y, &w)| w as f64 * derivative(y as f64))
            .collect();
        assert_close(&grad_a, &expected, 1e-6, "gradient against the formula");
        assert_close(
            &grad_a,
            &grad_b.iter().map(|&g| g as f64).collect::<Vec<_>>(),
            1e-6,
            "gradient against Burn's",
        );
    }
    // Untracked inputs take Burn's own function directly.
    let plain = Tensor::<1>::from_floats([0.5], &device());
    assert_close(
        &values(ae_models::tanh(plain)),
        &[0.5f64.tanh()],
        1e-6,
        "tanh",
    );
}
