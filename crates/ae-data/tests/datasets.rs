//! Datasets by name: the bundled subset, Fashion-MNIST from Debian's package, digests,
//! downloading from a mirror (a local server here) and the offline message.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use ae_data::{
    DataError, DataLocator, DatasetName, Resize, bundled_assets_dir, load_dataset, resize_u8,
    sha256_hex,
};
use common::{gzip, write_idx_dataset};

fn bundled() -> DataLocator {
    DataLocator {
        data_dir: Some(bundled_assets_dir()),
        allow_download: false,
        ..Default::default()
    }
}

#[test]
fn bundled_subset_loads_as_its_readme_says() {
    let data = load_dataset(DatasetName::MnistMini, &bundled()).unwrap();
    assert_eq!(data.train.len(), 8000);
    assert_eq!(data.test.len(), 2000);
    assert_eq!(data.train.image_shape(), [1, 28, 28]);
    assert_eq!(
        data.train.class_counts(),
        [784, 882, 805, 828, 789, 679, 811, 882, 755, 785]
    );
    assert_eq!(
        data.test.class_counts(),
        [217, 245, 186, 204, 191, 184, 203, 188, 189, 193]
    );
    let mean = data.train.pixel_mean();
    assert!((mean - 0.1310).abs() < 5e-4, "pixel mean {mean}");
    // SHA-256 as listed in assets/mnist-mini/README.md, all verified
    let readme = std::fs::read_to_string(bundled_assets_dir().join("README.md")).unwrap();
    assert_eq!(data.source.files.len(), 4);
    for f in &data.source.files {
        assert!(f.verified, "{} not verified", f.name);
        assert!(
            readme.contains(&format!("{}  {}", f.sha256, f.name)),
            "{} {} not in README",
            f.sha256,
            f.name
        );
    }
}

#[test]
fn embedded_copy_equals_the_assets_folder() {
    // No data dir and an empty cache: mnist-mini is still found (assets dir or embedded copy).
    let cache = tempfile::tempdir().unwrap();
    let locator = DataLocator {
        cache_dir: Some(cache.path().to_path_buf()),
        allow_download: false,
        ..Default::default()
    };
    let a = load_dataset(DatasetName::MnistMini, &locator).unwrap();
    let b = load_dataset(DatasetName::MnistMini, &bundled()).unwrap();
    assert_eq!(a.train, b.train);
    assert_eq!(a.test, b.test);
}

#[test]
fn fashion_mnist_from_debian_package_loads() {
    let dir = PathBuf::from("/usr/share/datasets/fashion-mnist");
    if !dir.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install dataset-fashion-mnist (.ci/run does)"
        );
        eprintln!(
            "skipped: {} absent (apt-get install dataset-fashion-mnist)",
            dir.display()
        );
        return;
    }
    let locator = DataLocator {
        data_dir: Some(dir),
        allow_download: false,
        ..Default::default()
    };
    let data = load_dataset(DatasetName::FashionMnist, &locator).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (60000, 10000));
    assert_eq!(data.train.class_counts(), [6000; 10]);
    assert_eq!(data.test.class_counts(), [1000; 10]);
    assert!(data.source.files.iter().all(|f| f.verified));
}

#[test]
fn a_file_with_a_wrong_digest_is_reported_not_used() {
    let dir = tempfile::tempdir().unwrap();
    write_idx_dataset(dir.path(), 5, 3);
    let mut locator = DataLocator {
        data_dir: Some(dir.path().to_path_buf()),
        allow_download: false,
        ..Default::default()
    };
    let e = load_dataset(DatasetName::Mnist, &locator).unwrap_err();
    assert!(matches!(e, DataError::HashMismatch { .. }), "{e}");
    assert!(e.to_string().contains("train-images-idx3-ubyte.gz"), "{e}");
    assert!(
        e.to_string()
            .contains("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        "{e}"
    );
    locator.accept_unverified = true;
    let data = load_dataset(DatasetName::Mnist, &locator).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (5, 3));
    assert!(data.source.files.iter().all(|f| !f.verified));
}

/// Serves `files` over HTTP on loopback for `requests` requests, then stops.
fn serve(files: Vec<(String, Vec<u8>)>, requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            reader.read_line(&mut line).unwrap();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let found = files.iter().find(|(n, _)| path.ends_with(n.as_str()));
            let _ = match found {
                Some((_, body)) => write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .and_then(|_| stream.write_all(body)),
                None => write!(
                    stream,
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                ),
            };
        }
    });
    format!("http://{addr}/")
}

fn fixture_files() -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    write_idx_dataset(dir.path(), 4, 2);
    std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn download_checks_digests_before_use() {
    // The served files are not the official MNIST: the digest check must refuse them...
    let cache = tempfile::tempdir().unwrap();
    let mirror = serve(fixture_files(), 4);
    let mut locator = DataLocator {
        mirror: Some(mirror),
        cache_dir: Some(cache.path().to_path_buf()),
        ..Default::default()
    };
    let e = load_dataset(DatasetName::Mnist, &locator).unwrap_err();
    assert!(matches!(e, DataError::HashMismatch { .. }), "{e}");
    assert!(
        !cache
            .path()
            .join("mnist/train-images-idx3-ubyte.gz")
            .exists(),
        "a file that failed its digest check was kept"
    );
    // ...and accepting unverified files downloads them into the cache, then reads them.
    locator.mirror = Some(serve(fixture_files(), 4));
    locator.accept_unverified = true;
    let data = load_dataset(DatasetName::Mnist, &locator).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (4, 2));
    assert_eq!(data.source.dir, cache.path().join("mnist"));
    assert!(
        cache
            .path()
            .join("mnist/t10k-labels-idx1-ubyte.gz")
            .is_file()
    );
}

#[test]
fn offline_message_says_where_to_put_which_files() {
    let cache = tempfile::tempdir().unwrap();
    // a port nobody listens on: the download fails at once
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let locator = DataLocator {
        mirror: Some(format!("http://127.0.0.1:{port}/")),
        cache_dir: Some(cache.path().to_path_buf()),
        ..Default::default()
    };
    let e = load_dataset(DatasetName::FashionMnist, &locator);
    let Err(e) = e else {
        // A machine with Debian's package installed finds it in /usr/share/datasets.
        return;
    };
    let msg = e.to_string();
    assert!(matches!(e, DataError::NotFound { .. }), "{msg}");
    assert!(msg.contains("train-images-idx3-ubyte.gz"), "{msg}");
    assert!(
        msg.contains(&cache.path().join("fashion-mnist").display().to_string()),
        "{msg}"
    );
    assert!(
        msg.contains("apt-get install dataset-fashion-mnist"),
        "{msg}"
    );
    assert!(msg.contains("download failed"), "{msg}");
}

#[test]
fn unknown_dataset_names_are_errors() {
    assert_eq!(
        "fashion-mnist".parse::<DatasetName>().unwrap(),
        DatasetName::FashionMnist
    );
    let e = "imagenet".parse::<DatasetName>().unwrap_err();
    assert!(e.to_string().contains("unknown dataset 'imagenet'"), "{e}");
}

#[test]
fn bilinear_resize_matches_torchvision_bit_for_bit() {
    // The PyTorch reference hashed its Resize(32) test tensor (uint8, [2000, 32, 32]).
    let data = load_dataset(DatasetName::MnistMini, &bundled()).unwrap();
    let resized = resize_u8(&data.test, Resize::Bilinear32);
    assert_eq!(resized.len(), 2000 * 32 * 32);
    assert_eq!(
        sha256_hex(&resized),
        "1fbabc3a3e94394112e6b25aa2e14666149b265fbc02eeab31cc6cf5181b0433"
    );
}

#[test]
fn padding_puts_the_image_in_the_middle() {
    let data = load_dataset(DatasetName::MnistMini, &bundled()).unwrap();
    let one = data.test.take(1).unwrap();
    let padded = resize_u8(&one, Resize::Pad32);
    assert_eq!(padded.len(), 1024);
    for y in 0..32 {
        for x in 0..32 {
            let v = padded[y * 32 + x];
            if (2..30).contains(&y) && (2..30).contains(&x) {
                assert_eq!(v, one.image(0)[(y - 2) * 28 + (x - 2)]);
            } else {
                assert_eq!(v, 0);
            }
        }
    }
    let _ = gzip; // shared helper used by other tests
}
