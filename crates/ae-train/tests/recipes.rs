//! Recipes: the notebook pipelines parse, plan the right models, and bad recipes give errors
//! naming the key.

use ae_data::{DatasetName, Noise, Resize};
use ae_models::Activation;
use ae_train::model::{ConvAutoencoderArch, LenetArch, StackedArch, StackedSpec};
use ae_train::{
    Arch, GrowSpec, ModelSpec, OptimizerSpec, Recipe, RecipeError, Sparsity, StageKind, Strategy,
    Transition, Upsample,
};

const STACKED: &str = r#"
name = "stacked-mnist"
dataset = "mnist"
batch_size = 100
strategy = "greedy"

[model]
kind = "stacked"
hidden = [400]
activation = "tanh"
output_activation = "sigmoid"

[[stages]]
name = "autoencoder-784-400-784"
kind = "reconstruction"
epochs = 10
optimizer = { kind = "sgd", lr = 0.98 }

[[stages]]
name = "autoencoder-784-400-256-400-784"
kind = "reconstruction"
epochs = 10
grow = { hidden = 256, activation = "tanh" }
optimizer = { kind = "sgd", lr = 0.98 }

[[stages]]
name = "classifier-256-10"
kind = "classification"
epochs = 10
head = { classes = 10, input = 256 }
optimizer = { kind = "sgd", lr = 0.1 }
"#;

const DENOISING: &str = r#"
name = "denoising-sparse-mnist"
dataset = "mnist"
batch_size = 100

[model]
kind = "stacked"
hidden = [400]

[[stages]]
kind = "reconstruction"
epochs = 20
noise = { kind = "gaussian", mean = 0.1, std = 0.2 }
sparsity = { kind = "l1", rho = 0.1 }
optimizer = { kind = "adam", lr = 1e-3 }

[[stages]]
kind = "classification"
epochs = 10
head = { input = 400 }
optimizer = { kind = "sgd", lr = 0.1 }
"#;

const LENET: &str = r#"
name = "lenet-mnist"
dataset = "mnist"
resize = "bilinear32"
batch_size = 100

[model]
kind = "lenet"

[[stages]]
kind = "classification"
epochs = 10
optimizer = { kind = "adam", lr = 1e-4 }
"#;

const CONV: &str = r#"
name = "conv-ae-cifar10"
dataset = "cifar10"
batch_size = 2000

[model]
kind = "conv-autoencoder"
code_size = 1024
negative_slope = 0.1

[[stages]]
kind = "reconstruction"
epochs = 5
optimizer = { kind = "adam", lr = 1e-3 }

[[stages]]
kind = "classification"
epochs = 5
head = { classes = 10, input = 1024 }
optimizer = { kind = "adam", lr = 1e-3 }
"#;

fn parse(text: &str) -> Result<Recipe, RecipeError> {
    Recipe::from_toml_str(text, "test.toml")
}

/// Growth by a tanh layer of `hidden` units, as the stacked notebook grows.
fn tanh_grow(hidden: usize) -> GrowSpec {
    GrowSpec {
        hidden,
        activation: Activation::Tanh,
    }
}

fn stacked_arch(hidden: Vec<usize>, grown: Vec<usize>) -> Arch {
    Arch::Stacked(StackedArch {
        input_size: 784,
        hidden,
        activation: Activation::Tanh,
        output_activation: Activation::Sigmoid,
        grown: grown.into_iter().map(tanh_grow).collect(),
    })
}

#[test]
fn the_stacked_notebook_plans_greedy_growth_then_a_classifier() {
    let recipe = parse(STACKED).unwrap();
    assert_eq!(recipe.dataset, DatasetName::Mnist.into());
    assert_eq!(recipe.strategy, Strategy::Greedy);
    assert_eq!(
        recipe.stages[0].optimizer,
        OptimizerSpec::Sgd {
            lr: 0.98,
            momentum: 0.0,
            weight_decay: 0.0
        }
    );
    let plan = recipe.plan().unwrap();
    assert_eq!(plan.len(), 3);
    assert_eq!(plan[0].arch, stacked_arch(vec![400], vec![]));
    assert_eq!(plan[0].transition, Transition::Build);
    assert_eq!(plan[0].arch.to_string(), "dense autoencoder 784-400-784");
    assert_eq!(plan[1].arch, stacked_arch(vec![400], vec![256]));
    assert_eq!(plan[1].transition, Transition::Grow(tanh_grow(256)));
    assert_eq!(
        plan[1].arch.to_string(),
        "dense autoencoder 784-400-256-400-784"
    );
    assert_eq!(
        plan[2].transition,
        Transition::ToClassifier { num_classes: 10 }
    );
    assert_eq!(plan[2].arch.to_string(), "dense classifier 784-400-256-10");
    assert_eq!(plan[2].arch.code_size(), 256);
}

#[test]
fn end_to_end_builds_the_full_stack_before_the_first_stage() {
    let text = STACKED.replace("strategy = \"greedy\"", "strategy = \"end-to-end\"");
    let recipe = parse(&text).unwrap();
    assert_eq!(recipe.strategy, Strategy::EndToEnd);
    let plan = recipe.plan().unwrap();
    let full = stacked_arch(vec![400], vec![256]);
    assert_eq!(plan[0].arch, full);
    assert_eq!(plan[0].transition, Transition::Build);
    assert_eq!(plan[1].arch, full);
    assert_eq!(plan[1].transition, Transition::Continue);
    assert_eq!(plan[2].arch.to_string(), "dense classifier 784-400-256-10");
}

#[test]
fn the_denoising_notebook_has_noise_sparsity_and_pytorch_adam() {
    let recipe = parse(DENOISING).unwrap();
    let stage = &recipe.stages[0];
    assert_eq!(
        stage.noise,
        Noise::Gaussian {
            mean: 0.1,
            std: 0.2
        }
    );
    assert_eq!(stage.sparsity, Some(Sparsity::L1 { rho: 0.1 }));
    assert_eq!(
        stage.optimizer,
        OptimizerSpec::Adam {
            lr: 1e-3,
            betas: [0.9, 0.999],
            eps: 1e-8,
            weight_decay: 0.0
        }
    );
    // Defaults: tanh / sigmoid, greedy, stage names from their position.
    assert_eq!(
        recipe.model,
        ModelSpec::Stacked(StackedSpec {
            hidden: vec![400],
            activation: Activation::Tanh,
            output_activation: Activation::Sigmoid
        })
    );
    assert_eq!(recipe.stages[1].display_name(1), "stage2-classification");
    let plan = recipe.plan().unwrap();
    assert_eq!(plan[1].arch.to_string(), "dense classifier 784-400-10");
}

#[test]
fn lenet_and_conv_recipes_plan_their_models() {
    let lenet = parse(LENET).unwrap();
    assert_eq!(lenet.resize, Resize::Bilinear32);
    assert_eq!(lenet.input_shape().unwrap(), [1, 32, 32]);
    assert_eq!(
        lenet.plan().unwrap()[0].arch,
        Arch::Lenet(LenetArch { num_classes: 10 })
    );

    let conv = parse(CONV).unwrap();
    let plan = conv.plan().unwrap();
    assert!(matches!(
        plan[0].arch,
        Arch::ConvAutoencoder(ConvAutoencoderArch {
            in_channels: 3,
            code_size: 1024,
            ..
        })
    ));
    assert!(matches!(plan[1].arch, Arch::Classifier(_)));
    assert_eq!(conv.stage_batch_size(1), 2000);
}

#[test]
fn the_resolved_recipe_round_trips_through_toml() {
    for text in [STACKED, DENOISING, LENET, CONV] {
        let recipe = parse(text).unwrap();
        let again = parse(&recipe.to_toml()).unwrap();
        assert_eq!(again, recipe);
    }
}

#[test]
fn overrides_change_epochs_seed_limit_and_dataset() {
    let mut recipe = parse(STACKED).unwrap();
    recipe.apply_overrides(&ae_train::Overrides {
        epochs: Some(1),
        seed: Some(7),
        limit: Some(500),
        test_limit: None,
        dataset: Some(DatasetName::FashionMnist.into()),
        test_fraction: None,
    });
    assert!(recipe.stages.iter().all(|s| s.epochs == 1));
    assert_eq!((recipe.seed, recipe.limit), (7, Some(500)));
    assert_eq!(recipe.dataset, DatasetName::FashionMnist.into());
    recipe.validate().unwrap();
}

#[test]
fn a_folder_on_a_recipe_for_mnist_takes_its_shape_and_a_name_drops_it() {
    let mut recipe = parse(STACKED).unwrap();
    let folder: ae_data::DatasetId = "./my-digits".parse().unwrap();
    recipe.apply_overrides(&ae_train::Overrides {
        dataset: Some(folder.clone()),
        test_fraction: Some(0.25),
        ..ae_train::Overrides::default()
    });
    assert_eq!(recipe.dataset, folder);
    assert_eq!(recipe.image_shape, Some([1, 28, 28]));
    assert_eq!(recipe.test_fraction(), 0.25);
    assert_eq!(recipe.input_shape().unwrap(), [1, 28, 28]);
    // Its class count is not known before the data is read: the plan still works.
    recipe.validate().unwrap();
    recipe.apply_overrides(&ae_train::Overrides {
        dataset: Some(DatasetName::MnistMini.into()),
        ..ae_train::Overrides::default()
    });
    assert_eq!(recipe.image_shape, None);
    recipe.validate().unwrap();
}

#[test]
fn a_user_dataset_needs_a_shape_and_labels_for_classification() {
    let text = STACKED.replace(
        "dataset = \"mnist\"",
        "dataset = \"pictures/\"\nimage_shape = [1, 28, 28]\nclasses = 0",
    );
    assert_ne!(text, STACKED, "the recipe names mnist");
    let e = parse(&text).unwrap_err().to_string();
    assert!(e.contains("needs labels"), "{e}");
    assert!(e.contains("pictures/"), "{e}");
    let no_shape = STACKED.replace("dataset = \"mnist\"", "dataset = \"pictures/\"");
    let e = parse(&no_shape).unwrap_err().to_string();
    assert!(e.contains("image_shape"), "{e}");
    let bad_share = STACKED.replace(
        "dataset = \"mnist\"",
        "dataset = \"pictures/\"\nimage_shape = [1, 28, 28]\ntest_fraction = 1.5",
    );
    let e = parse(&bad_share).unwrap_err().to_string();
    assert!(e.contains("test_fraction"), "{e}");
    let named_shape = STACKED.replace(
        "dataset = \"mnist\"",
        "dataset = \"mnist\"\nimage_shape = [1, 28, 28]",
    );
    let e = parse(&named_shape).unwrap_err().to_string();
    assert!(e.contains("image_shape"), "{e}");
}

fn message(e: RecipeError) -> String {
    e.to_string()
}

#[test]
fn unknown_keys_and_names_are_refused_naming_them() {
    let e =
        parse(&STACKED.replace("batch_size = 100", "batch_size = 100\nbatchsize = 3")).unwrap_err();
    assert!(matches!(e, RecipeError::Parse { .. }));
    assert!(message(e).contains("batchsize"));

    let e = parse(&STACKED.replace("lr = 0.1 }", "lr = 0.1, momentun = 0.9 }")).unwrap_err();
    assert!(message(e).contains("momentun"));

    let e = parse(&STACKED.replace("dataset = \"mnist\"", "dataset = \"mnits\"")).unwrap_err();
    let text = message(e);
    assert!(text.contains("mnits") && text.contains("dataset"), "{text}");

    let e = parse(&STACKED.replace("kind = \"stacked\"", "kind = \"stacked-ae\"")).unwrap_err();
    assert!(message(e).contains("stacked-ae"));
}

#[test]
fn the_conv_autoencoder_output_activation_is_one_recipe_key() {
    // Absent: the notebook's ReLU, so older recipes and run folders keep their meaning.
    let arch = |text: &str| parse(text).unwrap().plan().unwrap()[0].arch.clone();
    let output = |arch: Arch| match arch {
        Arch::ConvAutoencoder(ConvAutoencoderArch {
            output_activation, ..
        }) => output_activation,
        other => panic!("expected a conv autoencoder, got {other:?}"),
    };
    assert_eq!(output(arch(CONV)), Activation::Relu);
    for (value, expected) in [
        ("relu", Activation::Relu),
        ("sigmoid", Activation::Sigmoid),
        ("identity", Activation::Identity),
    ] {
        let text = CONV.replace(
            "negative_slope = 0.1",
            &format!("negative_slope = 0.1\noutput_activation = \"{value}\""),
        );
        assert_eq!(output(arch(&text)), expected, "{value}");
        // The run folder's recipe.toml keeps the choice.
        let recipe = parse(&text).unwrap();
        assert_eq!(parse(&recipe.to_toml()).unwrap(), recipe);
    }

    let text = CONV.replace(
        "negative_slope = 0.1",
        "negative_slope = 0.1\noutput_activation = \"softmax\"",
    );
    let e = parse(&text).unwrap_err();
    assert!(matches!(e, RecipeError::Parse { .. }));
    let text = message(e);
    assert!(
        text.contains("softmax") && text.contains("sigmoid"),
        "{text}"
    );
}

#[test]
fn the_conv_autoencoder_upsampling_mode_is_one_recipe_key() {
    let upsample = |text: &str| match parse(text).unwrap().plan().unwrap()[0].arch.clone() {
        Arch::ConvAutoencoder(ConvAutoencoderArch { upsample, .. }) => upsample,
        other => panic!("expected a conv autoencoder, got {other:?}"),
    };
    let with = |value: &str| {
        CONV.replace(
            "negative_slope = 0.1",
            &format!("negative_slope = 0.1\nupsample = \"{value}\""),
        )
    };
    // Absent: the notebook's bilinear upsampling.
    assert_eq!(upsample(CONV), Upsample::Bilinear);
    for (value, expected) in [
        ("bilinear", Upsample::Bilinear),
        ("bilinear-align-corners", Upsample::BilinearAlignCorners),
        ("nearest", Upsample::Nearest),
        // The old values chose an implementation of bilinear upsampling.
        ("auto", Upsample::Bilinear),
        ("burn", Upsample::Bilinear),
        ("portable", Upsample::Bilinear),
    ] {
        assert_eq!(upsample(&with(value)), expected, "{value}");
        // The run folder's recipe.toml keeps the choice, under its mode's name.
        let recipe = parse(&with(value)).unwrap();
        assert_eq!(parse(&recipe.to_toml()).unwrap(), recipe);
        let name = expected.mode().name();
        assert!(recipe.to_toml().contains(&format!("upsample = \"{name}\"")));
    }
    // A checkpoint's state.json of before the modes reads as bilinear too.
    let old = r#"{"kind":"conv-autoencoder","in_channels":1,"code_size":16,"negative_slope":0.1,"upsample":"portable"}"#;
    match serde_json::from_str::<Arch>(old).unwrap() {
        Arch::ConvAutoencoder(arch) => assert_eq!(arch.upsample, Upsample::Bilinear),
        other => panic!("{other:?}"),
    }

    let e = parse(&with("bicubic")).unwrap_err();
    assert!(matches!(e, RecipeError::Parse { .. }));
    let text = message(e);
    assert!(
        text.contains("`model.upsample` is `bicubic`, expected one of `bilinear`, `bilinear-align-corners`, `nearest`"),
        "{text}"
    );
    assert!(!text.contains("portable"), "{text}");
}

#[test]
fn zero_epochs_and_batch_sizes_name_the_key() {
    let text =
        STACKED
            .replacen("epochs = 10", "epochs = 0", 2)
            .replacen("epochs = 0", "epochs = 10", 1);
    match parse(&text).unwrap_err() {
        RecipeError::Zero { key } => assert_eq!(key, "stages[1].epochs"),
        other => panic!("unexpected {other}"),
    }
    match parse(&STACKED.replace("batch_size = 100", "batch_size = 0")).unwrap_err() {
        RecipeError::Zero { key } => assert_eq!(key, "batch_size"),
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn a_head_that_does_not_fit_the_encoder_is_refused() {
    let text = STACKED.replace("input = 256", "input = 400");
    match parse(&text).unwrap_err() {
        RecipeError::HeadMismatch {
            key,
            expected,
            found,
        } => {
            assert_eq!(key, "stages[2].head.input");
            assert_eq!((expected, found), (256, 400));
        }
        other => panic!("unexpected {other}"),
    }
    let text = STACKED.replace("classes = 10", "classes = 5");
    assert!(message(parse(&text).unwrap_err()).contains("stages[2].head.classes"));
}

#[test]
fn impossible_pipelines_are_refused_naming_the_key() {
    // LeNet needs 32×32 input.
    let e = parse(&LENET.replace("resize = \"bilinear32\"", "resize = \"keep\"")).unwrap_err();
    assert!(message(e).contains("`resize`"));
    // LeNet cannot reconstruct.
    let e = parse(&LENET.replace("kind = \"classification\"", "kind = \"reconstruction\""))
        .unwrap_err();
    assert!(message(e).contains("stages[0].kind"));
    // Growing a classifier.
    let e = parse(&STACKED.replace(
        "head = { classes = 10, input = 256 }",
        "grow = { hidden = 64 }",
    ))
    .unwrap_err();
    assert!(message(e).contains("stages[2].grow"));
    // A reconstruction stage after the decoder was dropped.
    let text = format!(
        "{STACKED}\n[[stages]]\nkind = \"reconstruction\"\nepochs = 1\noptimizer = {{ kind = \"sgd\", lr = 0.1 }}\n"
    );
    assert!(message(parse(&text).unwrap_err()).contains("stages[3].kind"));
    // A conv autoencoder on 28×28 images.
    let e = parse(&CONV.replace("dataset = \"cifar10\"", "dataset = \"mnist\"")).unwrap_err();
    assert!(message(e).contains("`resize`"));
    // Empty hidden list, negative lr, bad noise.
    assert!(
        message(parse(&STACKED.replace("hidden = [400]", "hidden = []")).unwrap_err())
            .contains("model.hidden")
    );
    assert!(
        message(parse(&STACKED.replace("lr = 0.98", "lr = -1.0")).unwrap_err())
            .contains("stages[0].optimizer.lr")
    );
    assert!(
        message(parse(&DENOISING.replace("std = 0.2", "std = -0.2")).unwrap_err())
            .contains("stages[0].noise")
    );
    // Sparsity on a classification stage.
    let e = parse(&DENOISING.replace(
        "head = { input = 400 }",
        "head = { input = 400 }\nsparsity = { kind = \"l1\", rho = 0.1 }",
    ))
    .unwrap_err();
    assert!(message(e).contains("stages[1].sparsity"));
    // No stage at all.
    let text = "name = \"x\"\ndataset = \"mnist\"\nresize = \"pad32\"\nbatch_size = 10\nstages = []\n[model]\nkind = \"lenet\"\n";
    assert!(message(parse(text).unwrap_err()).contains("`stages`"));
}

#[test]
fn stage_kinds_read_as_kebab_case() {
    let recipe = parse(CONV).unwrap();
    assert_eq!(recipe.stages[0].kind, StageKind::Reconstruction);
    assert_eq!(recipe.stages[1].kind, StageKind::Classification);
}

const VAE: &str = r#"
name = "vae"
dataset = "mnist-mini"
batch_size = 128

[model]
kind = "vae"
hidden = 400
latent = 20

[[stages]]
kind = "reconstruction"
epochs = 1
optimizer = { kind = "adam", lr = 1e-3 }
beta = 1.0
"#;

#[test]
fn bad_vae_recipes_name_the_key() {
    parse(VAE).unwrap();
    for (from, to, key) in [
        ("beta = 1.0", "beta = -0.5", "stages[0].beta"),
        ("latent = 20", "latent = 0", "model.latent"),
        ("hidden = 400", "hidden = 0", "model.hidden"),
        (
            "beta = 1.0",
            "beta = 1.0\nlikelihood = \"poisson\"",
            "likelihood",
        ),
        (
            "beta = 1.0",
            "sparsity = { kind = \"l1\", rho = 0.1 }",
            "stages[0].sparsity",
        ),
        (
            "kind = \"reconstruction\"",
            "kind = \"classification\"",
            "stages[0].kind",
        ),
    ] {
        let text = VAE.replacen(from, to, 1);
        assert_ne!(text, VAE, "{from}");
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains(key), "{key}: {e}");
    }
    // beta and likelihood belong to a VAE's stages.
    let e = parse(&STACKED.replacen("epochs = 10", "epochs = 10\nbeta = 2.0", 1))
        .unwrap_err()
        .to_string();
    assert!(e.contains("beta") && e.contains("variational"), "{e}");
}
