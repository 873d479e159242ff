//! NumPy files as datasets: Keras-style `.npz` with a given split, `images` + `labels` split
//! here exactly as a folder is, `.npy`, uint8 and float images, labels of any integer dtype,
//! class names, every error by its message, and damaged files that never make the reader panic.

use std::io::Write;
use std::path::{Path, PathBuf};

use ae_data::picture::PictureOptions;
use ae_data::{
    CustomOptions, DataError, Split, load_arrays, load_image_folder, read_image, scan_arrays,
    to_dataset_pixels,
};
use image::{DynamicImage, Rgb, RgbImage};

/// A `.npy` of dtype `descr` (`'<f4'`, `'|u1'`...) and `shape` holding `data`.
fn npy(descr: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = if shape.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let pad = (64 - (10 + dict.len() + 1) % 64) % 64;
    dict.push_str(&" ".repeat(pad));
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend_from_slice(data);
    out
}

/// A `.npz` of `arrays` (name without `.npy`, bytes), deflated or stored.
fn npz(arrays: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    for (name, bytes) in arrays {
        zip.start_file(
            format!("{name}.npy"),
            zip::write::SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// `names` as a NumPy `<U{n}` array.
fn strings(names: &[&str]) -> Vec<u8> {
    let n = names.iter().map(|s| s.chars().count()).max().unwrap_or(1);
    let mut data = Vec::new();
    for name in names {
        let mut chars: Vec<u32> = name.chars().map(u32::from).collect();
        chars.resize(n, 0);
        for c in chars {
            data.extend_from_slice(&c.to_le_bytes());
        }
    }
    npy(&format!("<U{n}"), &[names.len()], &data)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn options(shape: [usize; 3]) -> CustomOptions {
    CustomOptions {
        test_fraction: 0.25,
        seed: 3,
        ..CustomOptions::new(shape)
    }
}

fn message(e: DataError) -> String {
    e.to_string()
}

fn bytes_of(n: usize, seed: usize) -> Vec<u8> {
    (0..n).map(|i| ((i * 7 + seed * 13) % 256) as u8).collect()
}

#[test]
fn a_keras_style_npz_keeps_its_split_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let (x_train, x_test) = (bytes_of(5 * 16, 1), bytes_of(3 * 16, 2));
    let y_train = [3u8, 0, 1, 3, 2];
    let y_test = [1u8, 1, 0];
    for deflate in [false, true] {
        let file = write(
            dir.path(),
            &format!("mnist-{deflate}.npz"),
            &npz(
                &[
                    ("x_train", npy("|u1", &[5, 4, 4], &x_train)),
                    ("y_train", npy("|u1", &[5], &y_train)),
                    ("x_test", npy("|u1", &[3, 4, 4], &x_test)),
                    ("y_test", npy("|u1", &[3], &y_test)),
                ],
                deflate,
            ),
        );
        let data = load_arrays(&file, &options([1, 4, 4])).unwrap();
        assert_eq!(data.split, Split::Given);
        assert_eq!(data.train.pixels(), &x_train[..]);
        assert_eq!(data.test.pixels(), &x_test[..]);
        assert_eq!(data.train.labels(), &y_train);
        assert_eq!(data.test.labels(), &y_test);
        assert_eq!(data.train.classes(), 4);
        assert!(data.class_names.is_empty());
        assert!(
            data.source.contains("x_train 5×4×4 uint8") && data.source.contains("4 classes"),
            "{}",
            data.source
        );
        let scan = scan_arrays(&file).unwrap();
        assert_eq!(scan.images_shape, vec![5, 4, 4]);
        assert_eq!(scan.dtype, "uint8");
        assert!(scan.split_given);
        assert_eq!((scan.train_count, scan.test_count, scan.classes), (5, 3, 4));
        assert_eq!(scan.keys, vec!["x_test", "x_train", "y_test", "y_train"]);
    }
}

#[test]
fn float_images_become_rounded_bytes_and_labels_may_be_any_integer() {
    let dir = tempfile::tempdir().unwrap();
    let values: Vec<f32> = (0..2 * 3 * 2 * 2).map(|i| i as f32 / 23.0).collect();
    let le: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let be64: Vec<u8> = values
        .iter()
        .flat_map(|&v| f64::from(v).to_be_bytes())
        .collect();
    let expected: Vec<u8> = values.iter().map(|v| (v * 255.0).round() as u8).collect();
    let labels_i64: Vec<u8> = [2i64, 0].iter().flat_map(|v| v.to_be_bytes()).collect();
    let labels_i16: Vec<u8> = [1i16, 1].iter().flat_map(|v| v.to_le_bytes()).collect();
    let file = write(
        dir.path(),
        "floats.npz",
        &npz(
            &[
                ("x_train", npy("<f4", &[2, 3, 2, 2], &le)),
                ("y_train", npy(">i8", &[2, 1], &labels_i64)),
                ("x_test", npy(">f8", &[2, 3, 2, 2], &be64)),
                ("y_test", npy("<i2", &[2], &labels_i16)),
                ("class_names", strings(&["cat", "dog", "émeu", "fish"])),
            ],
            true,
        ),
    );
    let data = load_arrays(&file, &options([3, 2, 2])).unwrap();
    assert_eq!(data.train.pixels(), &expected[..]);
    assert_eq!(data.test.pixels(), &expected[..]);
    assert_eq!(data.train.labels(), &[2, 0]);
    assert_eq!(data.test.labels(), &[1, 1]);
    assert_eq!(data.class_names, vec!["cat", "dog", "émeu", "fish"]);
    assert_eq!(data.train.classes(), 4);
    assert!(
        data.source.contains("float32") && data.source.contains("round(x·255)"),
        "{}",
        data.source
    );
    assert_eq!(scan_arrays(&file).unwrap().class_names.len(), 4);

    // Out of [0, 1], or not a number.
    for bad in [1.5f32, -0.01, f32::NAN] {
        let mut v = values.clone();
        v[5] = bad;
        let le: Vec<u8> = v.iter().flat_map(|v| v.to_le_bytes()).collect();
        let file = write(
            dir.path(),
            "bad.npz",
            &npz(&[("images", npy("<f4", &[2, 3, 2, 2], &le))], false),
        );
        let e = message(load_arrays(&file, &options([3, 2, 2])).unwrap_err());
        assert!(
            e.contains("bad.npz: images: value") && e.contains("at index 5 is outside [0, 1]"),
            "{e}"
        );
    }
}

#[test]
fn images_with_labels_are_split_as_a_folder_is() {
    let dir = tempfile::tempdir().unwrap();
    let n = 40;
    let pixels = bytes_of(n * 4, 5);
    let labels: Vec<u8> = (0..n).map(|i| (i % 4) as u8).collect();
    let labels_u32: Vec<u8> = labels
        .iter()
        .flat_map(|&l| u32::from(l).to_le_bytes())
        .collect();
    let file = write(
        dir.path(),
        "pool.npz",
        &npz(
            &[
                ("images", npy("|u1", &[n, 1, 2, 2], &pixels)),
                ("labels", npy("<u4", &[n], &labels_u32)),
            ],
            false,
        ),
    );
    let data = load_arrays(&file, &options([1, 2, 2])).unwrap();
    assert_eq!(
        data.split,
        Split::Seeded {
            test_fraction: 0.25,
            seed: 3
        }
    );
    assert_eq!(data.test.class_counts(), vec![3, 3, 3, 3]); // round(2.5) = 3 of 10
    assert_eq!(data.train.class_counts(), vec![7, 7, 7, 7]);
    assert_eq!(
        load_arrays(&file, &options([1, 2, 2])).unwrap().train,
        data.train
    );
    // Every image once, with its label.
    let mut seen: Vec<(Vec<u8>, u8)> = Vec::new();
    for set in [&data.train, &data.test] {
        for i in 0..set.len() {
            seen.push((set.image(i).to_vec(), set.labels()[i]));
        }
    }
    let mut all: Vec<(Vec<u8>, u8)> = (0..n)
        .map(|i| (pixels[i * 4..(i + 1) * 4].to_vec(), labels[i]))
        .collect();
    seen.sort();
    all.sort();
    assert_eq!(seen, all);
    let scan = scan_arrays(&file).unwrap();
    assert!(!scan.split_given);
    assert_eq!(
        (scan.train_count, scan.test_count, scan.classes),
        (40, 0, 4)
    );

    // A .npy is one array of unlabelled images.
    let file = write(dir.path(), "images.npy", &npy("|u1", &[n, 2, 2], &pixels));
    let data = load_arrays(&file, &options([1, 2, 2])).unwrap();
    assert_eq!(data.train.classes(), 0);
    assert_eq!((data.train.len(), data.test.len()), (30, 10));
    let scan = scan_arrays(&file).unwrap();
    assert_eq!((scan.train_count, scan.classes), (40, 0));
}

/// A folder of class folders and the `.npz` of the same pictures (decoded as a folder decodes
/// them, in the folder's file order) give the same image sets.
#[test]
fn an_npz_of_a_folders_pictures_gives_the_same_image_sets() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pets");
    let shape = [3, 5, 5];
    let classes = ["bird", "cat", "dog"];
    let (mut pixels, mut labels, mut n) = (Vec::new(), Vec::new(), 0);
    for (label, class) in classes.iter().enumerate() {
        for i in 0..(6 + label) {
            let path = root.join(class).join(format!("{i:02}.png"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let image = RgbImage::from_fn(7 + i as u32, 6, |x, y| {
                Rgb([
                    (x * 30) as u8,
                    (y * 40 + label as u32 * 9) as u8,
                    (i * 20) as u8,
                ])
            });
            DynamicImage::ImageRgb8(image).save(&path).unwrap();
            pixels.extend(to_dataset_pixels(
                &read_image(&path).unwrap(),
                shape,
                PictureOptions::default(),
            ));
            labels.push(label as u8);
            n += 1;
        }
    }
    let file = write(
        dir.path(),
        "pets.npz",
        &npz(
            &[
                ("images", npy("|u1", &[n, 3, 5, 5], &pixels)),
                ("labels", npy("|u1", &[n], &labels)),
                ("class_names", strings(&classes)),
            ],
            true,
        ),
    );
    for seed in [0, 9] {
        let mut o = options(shape);
        o.seed = seed;
        let folder = load_image_folder(&root, &o).unwrap();
        let arrays = load_arrays(&file, &o).unwrap();
        assert_eq!(arrays.train, folder.train);
        assert_eq!(arrays.test, folder.test);
        assert_eq!(arrays.class_names, folder.class_names);
        assert_eq!(arrays.split, folder.split);
    }
}

#[test]
fn array_errors_name_the_file_the_key_and_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = options([1, 4, 4]);
    let err = |name: &str, bytes: &[u8]| {
        let file = write(d, name, bytes);
        let e = message(load_arrays(&file, &o).unwrap_err());
        assert!(e.starts_with(&file.display().to_string()), "{e}");
        e
    };
    let images = |n: usize| npy("|u1", &[n, 4, 4], &vec![1; n * 16]);
    let labels = |l: &[u8]| npy("|u1", &[l.len()], l);

    // Shape.
    let e = err(
        "shape.npz",
        &npz(&[("images", npy("|u1", &[2, 5, 4], &[0; 40]))], false),
    );
    assert!(
        e.ends_with("images: shape 2×5×4, expected N×1×4×4 or N×4×4"),
        "{e}"
    );
    let e = message(
        load_arrays(
            &write(d, "last.npy", &npy("|u1", &[2, 4, 4, 3], &[0; 96])),
            &options([3, 4, 4]),
        )
        .unwrap_err(),
    );
    assert!(
        e.contains("shape 2×4×4×3, expected N×3×4×4 (these look channels-last"),
        "{e}"
    );
    // Dtype.
    let e = err("dtype.npy", &npy("<i4", &[1, 4, 4], &[0; 64]));
    assert!(e.contains("dtype int32, expected uint8, or float32"), "{e}");
    // Labels.
    let e = err(
        "count.npz",
        &npz(&[("images", images(3)), ("labels", labels(&[0, 1]))], false),
    );
    assert!(
        e.contains("images holds 3 images but its labels hold 2 labels"),
        "{e}"
    );
    let neg: Vec<u8> = [-1i32, 0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let e = err(
        "negative.npz",
        &npz(
            &[("images", images(2)), ("labels", npy("<i4", &[2], &neg))],
            false,
        ),
    );
    assert!(
        e.contains("labels: label -1 at index 0 is out of range"),
        "{e}"
    );
    let big: Vec<u8> = [3u16, 300].iter().flat_map(|v| v.to_le_bytes()).collect();
    let e = err(
        "many.npz",
        &npz(
            &[("images", images(2)), ("labels", npy("<u2", &[2], &big))],
            false,
        ),
    );
    assert!(
        e.contains("label 300 at index 1") && e.contains("at most 256 classes"),
        "{e}"
    );
    let e = err(
        "names.npz",
        &npz(
            &[
                ("images", images(2)),
                ("labels", labels(&[0, 2])),
                ("class_names", strings(&["a", "b"])),
            ],
            false,
        ),
    );
    assert!(
        e.contains("labels: label 2 at index 1 is out of range: class_names names 2 classes"),
        "{e}"
    );
    let e = err(
        "float-labels.npz",
        &npz(
            &[("images", images(1)), ("labels", npy("<f4", &[1], &[0; 4]))],
            false,
        ),
    );
    assert!(
        e.contains("labels: dtype float32, expected integer labels"),
        "{e}"
    );
    // Keys.
    let e = err("keys.npz", &npz(&[("pictures", images(1))], false));
    assert!(
        e.contains("holds none of x_train + x_test") && e.contains("its arrays: pictures"),
        "{e}"
    );
    let e = err(
        "half.npz",
        &npz(
            &[
                ("x_train", images(1)),
                ("y_train", labels(&[0])),
                ("x_test", images(1)),
            ],
            false,
        ),
    );
    assert!(e.contains("holds y_train but no y_test"), "{e}");
    let e = err("no-test.npz", &npz(&[("x_train", images(1))], false));
    assert!(e.contains("holds x_train but no x_test"), "{e}");
    // Sizes and format.
    let good = images(2);
    let e = err("cut.npy", &good[..good.len() - 1]);
    assert!(
        e.contains("holds 31 byte(s) of data, its header (shape 2×4×4, uint8) needs 32"),
        "{e}"
    );
    let mut long = good.clone();
    long.push(0);
    let e = err("long.npy", &long);
    assert!(e.contains("holds 33 byte(s) of data"), "{e}");
    let e = err("huge.npy", &npy("|u1", &[1 << 40, 4, 4], &[0; 16]));
    assert!(e.contains("needs 17592186044416"), "{e}");
    let e = err(
        "overflow.npy",
        &npy("|u1", &[1 << 40, 1 << 40, 1 << 40], &[]),
    );
    assert!(e.contains("overflows"), "{e}");
    let mut fortran = good.clone();
    let at = fortran.windows(5).position(|w| w == b"False").unwrap();
    fortran[at..at + 5].copy_from_slice(b"True ");
    let e = err("fortran.npy", &fortran);
    assert!(e.contains("Fortran order"), "{e}");
    let e = err("text.npy", b"hello, not numpy");
    assert!(e.contains("not a NumPy .npy file"), "{e}");
    let e = err("empty.npz", b"");
    assert!(e.contains("file is empty"), "{e}");
    let e = err("broken.npz", b"PK\x03\x04 and then nothing");
    assert!(e.contains("not a readable .npz (zip) archive"), "{e}");
    let e = message(load_arrays(&d.join("absent.npz"), &o).unwrap_err());
    assert!(e.contains("absent.npz: cannot read"), "{e}");
    // A split that leaves nothing to test.
    let e = err("one.npy", &images(1));
    assert!(e.contains("leaves no test image"), "{e}");
}

mod damaged {
    use super::*;
    use proptest::prelude::*;

    fn valid_npz(deflate: bool) -> Vec<u8> {
        let x: Vec<f32> = (0..3 * 16).map(|i| i as f32 / 48.0).collect();
        let x: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
        npz(
            &[
                ("x_train", npy("<f4", &[3, 4, 4], &x)),
                ("y_train", npy("|u1", &[3], &[0, 1, 2])),
                ("x_test", npy("|u1", &[2, 1, 4, 4], &[9; 32])),
                ("y_test", npy("<i8", &[2], &[0; 16])),
                ("class_names", strings(&["a", "b", "c"])),
            ],
            deflate,
        )
    }

    fn check(bytes: &[u8], name: &str) -> Result<(), TestCaseError> {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), name, bytes);
        let shown = file.display().to_string();
        if let Err(e) = load_arrays(&file, &options([1, 4, 4])) {
            let e = e.to_string();
            prop_assert!(e.starts_with(&shown), "{}", e);
        }
        if let Err(e) = scan_arrays(&file) {
            let e = e.to_string();
            prop_assert!(e.starts_with(&shown), "{}", e);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn damaged_npy_and_npz_bytes_are_named_errors_never_panics(
            kind in 0u8..3,
            cut in any::<prop::sample::Index>(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
            tail in proptest::collection::vec(any::<u8>(), 0..32),
        ) {
            let mut bytes = match kind {
                0 => npy("<f4", &[2, 4, 4], &[0; 128]),
                1 => valid_npz(false),
                _ => valid_npz(true),
            };
            for (at, value) in flips {
                let i = at.index(bytes.len());
                bytes[i] ^= value;
            }
            let keep = cut.index(bytes.len() + 1);
            bytes.truncate(keep);
            bytes.extend_from_slice(&tail);
            check(&bytes, if kind == 0 { "fuzz.npy" } else { "fuzz.npz" })?;
        }

        #[test]
        fn any_npy_header_is_an_error_or_a_dataset(
            descr in prop_oneof![Just("|u1".to_string()), Just("<f4".to_string()), Just(">f8".to_string()), Just("<U3".to_string()), Just("|O".to_string()), Just("[('a', '<i4')]".to_string()), "[<>|]?[a-zA-Z][0-9]{0,3}"],
            shape in proptest::collection::vec(prop_oneof![Just(0u64), Just(1), Just(4), any::<u64>()], 0..5),
            body in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({},), }}\n", dims.join(", "));
            let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
            bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
            bytes.extend_from_slice(dict.as_bytes());
            bytes.extend_from_slice(&body);
            check(&bytes, "header.npy")?;
            check(&npz(&[("images", bytes.clone()), ("labels", bytes)], false), "header.npz")?;
        }
    }
}
