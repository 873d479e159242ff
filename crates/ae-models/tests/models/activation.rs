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
