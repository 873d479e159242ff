//! The IDX and CIFAR-10 readers: valid files read exactly, every malformed file gives its own
//! error naming the file, and no input makes them panic.

mod common;

use std::path::{Path, PathBuf};

use ae_data::idx::{encode_images, encode_labels, read_images, read_labels};
use ae_data::{DataError, DataLocator, DatasetName, load_dataset};
use common::{cifar_pixel, gzip, write_cifar_dataset, write_idx_dataset};

/// Asserts `error` matches `pattern`, showing the error otherwise.
macro_rules! assert_error {
    ($error:expr, $pattern:pat) => {
        assert!(matches!($error, $pattern), "{}", $error)
    };
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn images(n: usize) -> Vec<u8> {
    encode_images(n, 28, 28, &vec![7u8; n * 784])
}

#[test]
fn valid_idx_files_read_exactly_raw_and_gzipped() {
    let dir = tempfile::tempdir().unwrap();
    let pixels: Vec<u8> = (0..2 * 784).map(|i| (i % 256) as u8).collect();
    let raw = write(dir.path(), "a-images", &encode_images(2, 28, 28, &pixels));
    let gz = write(
        dir.path(),
        "b-images.gz",
        &gzip(&encode_images(2, 28, 28, &pixels)),
    );
    for p in [raw, gz] {
        let img = read_images(&p).unwrap();
        assert_eq!((img.count, img.rows, img.cols), (2, 28, 28));
        assert_eq!(img.pixels, pixels);
    }
    let l = write(dir.path(), "l.gz", &gzip(&encode_labels(&[3, 9, 0])));
    assert_eq!(read_labels(&l).unwrap(), vec![3, 9, 0]);
}

/// One malformed file per row: what is written, how it is read, and the error expected.
#[test]
fn malformed_files_each_give_their_named_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // wrong magic: a labels file read as images
    let p = write(d, "wrong-magic.gz", &gzip(&encode_labels(&[1, 2])));
    let e = read_images(&p).unwrap_err();
    assert_error!(
        e,
        DataError::BadMagic {
            found: 0x801,
            expected: 0x803,
            ..
        }
    );
    assert!(e.to_string().contains("wrong-magic.gz"), "{e}");

    // truncated body: header says 3 images, 2 and a half present
    let mut bytes = images(3);
    bytes.truncate(16 + 2 * 784 + 392);
    let p = write(d, "truncated-images", &bytes);
    let e = read_images(&p).unwrap_err();
    assert_error!(e, DataError::Truncated { .. });
    assert!(
        e.to_string()
            .contains("truncated-images: header says 3 images of 28x28, file holds 2 images and 392 stray byte(s)"),
        "{e}"
    );

    // truncated labels: the message the issue quotes
    let mut bytes = encode_labels(&vec![1u8; 60000]);
    bytes.pop();
    let p = write(d, "train-labels-idx1-ubyte.gz", &gzip(&bytes));
    let e = read_labels(&p).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("train-labels-idx1-ubyte.gz: header says 60000 labels, file holds 59999"),
        "{e}"
    );

    // extra bytes after the body
    let mut bytes = images(1);
    bytes.extend_from_slice(&[0, 0, 0]);
    let p = write(d, "extra", &bytes);
    let e = read_images(&p).unwrap_err();
    assert_error!(e, DataError::TrailingBytes { extra: 3, .. });

    // label out of range
    let p = write(d, "label10", &encode_labels(&[0, 9, 10]));
    let e = read_labels(&p).unwrap_err();
    assert_error!(
        e,
        DataError::LabelOutOfRange {
            index: 2,
            label: 10,
            ..
        }
    );

    // bad gzip: a gzip stream cut in the middle
    let mut gz = gzip(&images(5));
    gz.truncate(gz.len() / 2);
    let p = write(d, "cut.gz", &gz);
    let e = read_images(&p).unwrap_err();
    assert_error!(e, DataError::Gzip { .. });
    assert!(e.to_string().contains("cut.gz"), "{e}");

    // bad gzip: valid magic, garbage after it
    let p = write(
        d,
        "garbage.gz",
        &[0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert!(matches!(
        read_images(&p).unwrap_err(),
        DataError::Gzip { .. }
    ));

    // empty file
    let p = write(d, "empty", &[]);
    let e = read_labels(&p).unwrap_err();
    assert_error!(e, DataError::Empty { .. });
    assert!(e.to_string().contains("empty"), "{e}");

    // header cut short
    let p = write(d, "short", &encode_images(1, 28, 28, &[])[..10]);
    assert!(matches!(
        read_images(&p).unwrap_err(),
        DataError::ShortHeader {
            found: 10,
            expected: 16,
            ..
        }
    ));

    // zero-sized images
    let p = write(d, "zero", &encode_images(1, 0, 28, &[]));
    assert!(matches!(
        read_images(&p).unwrap_err(),
        DataError::BadHeader { .. }
    ));

    // a missing file names itself
    let e = read_images(&d.join("nope.gz")).unwrap_err();
    assert!(
        matches!(e, DataError::Io { .. }) && e.to_string().contains("nope.gz"),
        "{e}"
    );

    // CIFAR record length
    let p = write(d, "data_batch_1.bin", &vec![1u8; 3073 * 2 + 5]);
    let mut px = Vec::new();
    let mut lb = Vec::new();
    let e =
        ae_data::cifar::parse_batch(&p, &std::fs::read(&p).unwrap(), &mut px, &mut lb).unwrap_err();
    assert_error!(e, DataError::CifarRecordLength { len: 6151, .. });
    assert!(e.to_string().contains("multiple of 3073"), "{e}");

    // CIFAR label out of range
    let mut rec = vec![0u8; 3073];
    rec[0] = 12;
    let e = ae_data::cifar::parse_batch(&p, &rec, &mut px, &mut lb).unwrap_err();
    assert_error!(e, DataError::LabelOutOfRange { label: 12, .. });
}

#[test]
fn images_and_labels_disagreeing_in_count_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write_idx_dataset(dir.path(), 3, 2);
    // replace the train labels by 2 labels for 3 images
    std::fs::write(
        dir.path().join("train-labels-idx1-ubyte.gz"),
        gzip(&encode_labels(&[1, 2])),
    )
    .unwrap();
    let locator = DataLocator {
        data_dir: Some(dir.path().to_path_buf()),
        allow_download: false,
        accept_unverified: true,
        ..Default::default()
    };
    let e = load_dataset(DatasetName::Mnist, &locator).unwrap_err();
    assert_error!(
        e,
        DataError::CountMismatch {
            images: 3,
            labels: 2,
            ..
        }
    );
    assert!(
        e.to_string()
            .contains("train-images-idx3-ubyte.gz holds 3 images"),
        "{e}"
    );
}

#[test]
fn cifar_reader_reads_generated_batches_channel_major() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("cifar-10-batches-bin");
    write_cifar_dataset(&bin, 4);
    let locator = DataLocator {
        data_dir: Some(dir.path().to_path_buf()),
        allow_download: false,
        ..Default::default()
    };
    let data = load_dataset(DatasetName::Cifar10, &locator).unwrap();
    assert_eq!(data.train.len(), 20);
    assert_eq!(data.test.len(), 4);
    assert_eq!(data.train.image_shape(), [3, 32, 32]);
    assert_eq!(
        data.train.labels()[..12],
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    );
    // record 6 of the train set, green channel, row 2, column 3
    assert_eq!(
        data.train.image(6)[1024 + 2 * 32 + 3],
        cifar_pixel(6, 1, 2, 3)
    );
    // test record 0 is record 20 of the generator
    assert_eq!(
        data.test.image(0)[2 * 1024 + 31 * 32 + 31],
        cifar_pixel(20, 2, 31, 31)
    );
    assert!(data.source.files.iter().all(|f| !f.verified));
    assert_eq!(data.source.files.len(), 6);

    // a missing batch file is named
    std::fs::remove_file(bin.join("data_batch_4.bin")).unwrap();
    let e = load_dataset(DatasetName::Cifar10, &locator).unwrap_err();
    assert_error!(e, DataError::NotFound { .. });
    assert!(e.to_string().contains("missing data_batch_4.bin"), "{e}");
}

mod never_panic {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn idx_and_cifar_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let p = Path::new("fuzz");
            let _ = ae_data::idx::parse_images(p, &bytes);
            let _ = ae_data::idx::parse_labels(p, &bytes);
            let _ = ae_data::idx::decode_maybe_gz(p, bytes.clone());
            let (mut px, mut lb) = (Vec::new(), Vec::new());
            let _ = ae_data::cifar::parse_batch(p, &bytes, &mut px, &mut lb);
        }

        #[test]
        fn idx_headers_with_any_sizes_never_panic(
            magic in prop_oneof![Just(0x803u32), Just(0x801u32), any::<u32>()],
            dims in proptest::collection::vec(any::<u32>(), 0..4),
            body in proptest::collection::vec(any::<u8>(), 0..2048),
        ) {
            let mut bytes = magic.to_be_bytes().to_vec();
            for d in dims { bytes.extend_from_slice(&d.to_be_bytes()); }
            bytes.extend_from_slice(&body);
            let p = Path::new("fuzz");
            let _ = ae_data::idx::parse_images(p, &bytes);
            let _ = ae_data::idx::parse_labels(p, &bytes);
            let _ = ae_data::idx::parse_images(p, &gzip(&bytes)[..]);
        }
    }
}
