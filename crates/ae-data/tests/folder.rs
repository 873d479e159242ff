//! Folders of pictures as datasets: the layouts, labels from the sorted class folders, pixels
//! exactly as `ae predict` prepares a picture, the seeded stratified split, the cache, every
//! error by its message, and damaged pictures that never make the reader panic.

use std::path::{Path, PathBuf};

use ae_data::picture::{PictureOptions, decode_image};
use ae_data::{
    CustomOptions, DataError, Split, load_image_folder, read_image, scan_image_folder,
    to_dataset_pixels,
};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

/// A `w × h` RGB picture whose colours depend on `seed`, written at `path` (PNG or JPEG by its
/// extension).
fn picture(path: &Path, w: u32, h: u32, seed: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let image = RgbImage::from_fn(w, h, |x, y| {
        Rgb([
            ((x * 37 + seed * 11) % 256) as u8,
            ((y * 53 + seed * 29) % 256) as u8,
            ((x * y + seed * 7) % 256) as u8,
        ])
    });
    let ext = path
        .extension()
        .unwrap()
        .to_string_lossy()
        .to_ascii_lowercase();
    let format = if ext == "png" {
        ImageFormat::Png
    } else {
        ImageFormat::Jpeg
    };
    DynamicImage::ImageRgb8(image)
        .save_with_format(path, format)
        .unwrap();
}

fn options(shape: [usize; 3]) -> CustomOptions {
    CustomOptions {
        test_fraction: 0.25,
        seed: 3,
        ..CustomOptions::new(shape)
    }
}

fn expected(file: &Path, shape: [usize; 3]) -> Vec<u8> {
    to_dataset_pixels(&read_image(file).unwrap(), shape, PictureOptions::default())
}

fn message(e: DataError) -> String {
    e.to_string()
}

/// Three classes, named so that byte order differs from case-insensitive order, with PNGs and
/// JPEGs of several sizes, a nested folder, a text file and hidden files.
fn classes_folder(root: &Path) -> Vec<(String, usize)> {
    let classes = [("zebra", 5), ("Moth", 4), ("ant", 8)];
    let mut seed = 0;
    for (class, n) in classes {
        for i in 0..n {
            seed += 1;
            let name = match i % 3 {
                0 => format!("{i:02}.png"),
                1 => format!("{i:02}.JPG"),
                _ => format!("deeper/{i:02}.jpeg"),
            };
            picture(&root.join(class).join(name), 6 + i as u32, 9, seed);
        }
    }
    std::fs::write(root.join("ant").join("notes.txt"), "not a picture").unwrap();
    std::fs::write(root.join("ant").join(".DS_Store"), "hidden").unwrap();
    std::fs::create_dir_all(root.join(".thumbnails")).unwrap();
    picture(&root.join(".thumbnails/x.png"), 3, 3, 99);
    // Sorted as torchvision (and Python) sort: by code point, capitals first.
    vec![("Moth".into(), 4), ("ant".into(), 8), ("zebra".into(), 5)]
}

fn class_of(file: &Path, root: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap();
    let mut parts = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    let first = parts.next().unwrap();
    if first == "train" || first == "test" {
        parts.next().unwrap()
    } else {
        first
    }
}

#[test]
fn class_folders_give_sorted_labels_and_the_pixels_of_ae_predict() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pets");
    let classes = classes_folder(&root);
    let names: Vec<String> = classes.iter().map(|c| c.0.clone()).collect();

    let scan = scan_image_folder(&root).unwrap();
    assert_eq!(scan.class_names, names);
    assert!(!scan.split_given);
    assert_eq!(scan.train_counts, vec![4, 8, 5]);
    assert!(scan.test_counts.is_empty());
    assert_eq!(scan.not_pictures, 1);
    assert_eq!(scan.pictures(), 17);
    // round(0.25 n) per class: 1, 2, 1.
    assert_eq!(
        scan.split_counts(0.25).unwrap(),
        (vec![3, 6, 4], vec![1, 2, 1])
    );

    for shape in [[3, 8, 8], [1, 5, 7]] {
        let data = load_image_folder(&root, &options(shape)).unwrap();
        assert_eq!(data.class_names, names);
        assert_eq!(
            data.split,
            Split::Seeded {
                test_fraction: 0.25,
                seed: 3
            }
        );
        assert!(!data.from_cache && data.cache_file.is_none());
        assert_eq!(data.train.classes(), 3);
        assert_eq!(data.train.image_shape(), shape);
        assert_eq!(data.train.class_counts(), vec![3, 6, 4]);
        assert_eq!(data.test.class_counts(), vec![1, 2, 1]);
        for (set, files) in [
            (&data.train, &data.train_files),
            (&data.test, &data.test_files),
        ] {
            assert_eq!(set.len(), files.len());
            for (i, file) in files.iter().enumerate() {
                assert_eq!(
                    set.image(i),
                    &expected(file, shape)[..],
                    "{}",
                    file.display()
                );
                let label = set.labels()[i] as usize;
                assert_eq!(names[label], class_of(file, &root));
            }
        }
        let mut all: Vec<&PathBuf> = data.train_files.iter().chain(&data.test_files).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 17, "every picture once");
        assert!(
            data.source.contains("3 classes (Moth, ant, zebra)")
                && data.source.contains("13 train / 4 test"),
            "{}",
            data.source
        );
    }
}

#[test]
fn the_seeded_split_is_reproducible_and_stratified() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("digits");
    for class in 0..3 {
        for i in 0..10 {
            picture(&root.join(format!("{class}/{i}.png")), 4, 4, class * 10 + i);
        }
    }
    let load = |seed: u64, test_fraction: f64| {
        let mut o = options([1, 4, 4]);
        o.seed = seed;
        o.test_fraction = test_fraction;
        load_image_folder(&root, &o).unwrap()
    };
    let a = load(5, 0.3);
    let b = load(5, 0.3);
    assert_eq!(a.train, b.train);
    assert_eq!(a.test, b.test);
    assert_eq!(a.train_files, b.train_files);
    let c = load(6, 0.3);
    assert_ne!(a.test_files, c.test_files);
    for data in [&a, &c] {
        assert_eq!(data.test.class_counts(), vec![3, 3, 3]);
        assert_eq!(data.train.class_counts(), vec![7, 7, 7]);
        // The first images of a split hold more than one class (not class by class).
        let first: std::collections::BTreeSet<u8> =
            data.train.labels()[..7].iter().copied().collect();
        assert!(first.len() > 1);
    }
    let d = load(5, 0.5);
    assert_eq!(d.test.class_counts(), vec![5, 5, 5]);
    for bad in [0.0, 1.0, -0.1, f64::NAN] {
        let mut o = options([1, 4, 4]);
        o.test_fraction = bad;
        let e = message(load_image_folder(&root, &o).unwrap_err());
        assert!(e.contains("strictly between 0 and 1"), "{e}");
    }
}

#[test]
fn a_given_split_keeps_train_and_test_apart() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("given");
    for (part, n) in [("train", 4), ("test", 2)] {
        for class in ["cat", "dog"] {
            for i in 0..n {
                picture(&root.join(format!("{part}/{class}/{i}.png")), 5, 3, i);
            }
        }
    }
    std::fs::write(root.join("README.md"), "about").unwrap();
    let scan = scan_image_folder(&root).unwrap();
    assert!(scan.split_given);
    assert_eq!(scan.train_counts, vec![4, 4]);
    assert_eq!(scan.test_counts, vec![2, 2]);
    assert_eq!(scan.ignored, vec![PathBuf::from("README.md")]);
    assert_eq!(scan.split_counts(0.9).unwrap(), (vec![4, 4], vec![2, 2]));

    let data = load_image_folder(&root, &options([3, 4, 4])).unwrap();
    assert_eq!(data.split, Split::Given);
    assert_eq!(data.class_names, vec!["cat", "dog"]);
    assert_eq!((data.train.len(), data.test.len()), (8, 4));
    assert!(
        data.train_files
            .iter()
            .all(|f| f.starts_with(root.join("train")))
    );
    assert!(
        data.test_files
            .iter()
            .all(|f| f.starts_with(root.join("test")))
    );
    for (i, f) in data.test_files.iter().enumerate() {
        assert_eq!(data.test.image(i), &expected(f, [3, 4, 4])[..]);
        assert_eq!(
            data.class_names[data.test.labels()[i] as usize],
            class_of(f, &root)
        );
    }
}

#[test]
fn pictures_without_class_folders_are_unlabelled() {
    let dir = tempfile::tempdir().unwrap();
    let flat = dir.path().join("flat");
    for i in 0..10 {
        picture(&flat.join(format!("{i}.png")), 4, 4, i);
    }
    let data = load_image_folder(&flat, &options([1, 4, 4])).unwrap();
    assert_eq!(data.train.classes(), 0);
    assert!(!data.train.is_labelled());
    assert!(data.class_names.is_empty());
    assert_eq!((data.train.len(), data.test.len()), (7, 3)); // round(2.5) = 3
    assert!(data.train.labels().iter().all(|&l| l == 0));
    assert!(data.source.contains("unlabelled"), "{}", data.source);

    let split = dir.path().join("split");
    for (part, n) in [("train", 3), ("test", 2)] {
        for i in 0..n {
            picture(&split.join(format!("{part}/{i}.jpg")), 4, 4, i);
        }
    }
    let data = load_image_folder(&split, &options([3, 4, 4])).unwrap();
    assert_eq!(data.split, Split::Given);
    assert_eq!((data.train.len(), data.test.len()), (3, 2));
    assert_eq!(data.test.classes(), 0);
}

#[test]
fn the_cache_is_hit_for_an_unchanged_folder_and_missed_after_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pets");
    classes_folder(&root);
    let cache = dir.path().join("cache/folders");
    let mut o = options([3, 6, 6]);
    o.cache_dir = Some(cache.clone());

    let first = load_image_folder(&root, &o).unwrap();
    assert!(!first.from_cache);
    let file = first.cache_file.clone().expect("cache written");
    assert!(file.starts_with(&cache) && file.exists());
    assert!(
        file.to_string_lossy().ends_with("-3x6x6.pixels"),
        "{}",
        file.display()
    );

    let second = load_image_folder(&root, &o).unwrap();
    assert!(second.from_cache);
    assert!(
        second.source.contains("from the cache"),
        "{}",
        second.source
    );
    assert_eq!(second.train, first.train);
    assert_eq!(second.test, first.test);
    assert_eq!(second.train_files, first.train_files);

    // Nothing is decoded on a hit: a picture damaged behind the cache's back (same size, same
    // modification time) still comes from the cache.
    let victim = root.join("ant/00.png");
    let meta = std::fs::metadata(&victim).unwrap();
    std::fs::write(&victim, vec![b'x'; meta.len() as usize]).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&victim)
        .unwrap()
        .set_modified(meta.modified().unwrap())
        .unwrap();
    let hit = load_image_folder(&root, &o).unwrap();
    assert!(hit.from_cache);
    assert_eq!(hit.train, first.train);

    // Another seed or test share splits the same cached pictures.
    let mut other = o.clone();
    other.seed = 11;
    let reseeded = load_image_folder(&root, &other).unwrap();
    assert!(reseeded.from_cache);
    assert_ne!(reseeded.train_files, first.train_files);

    // A changed picture is a miss: decoded again, then cached again.
    picture(&victim, 12, 12, 1234);
    let changed = load_image_folder(&root, &o).unwrap();
    assert!(!changed.from_cache);
    let at = changed
        .train_files
        .iter()
        .position(|f| f == &victim)
        .map(|i| changed.train.image(i))
        .or_else(|| {
            changed
                .test_files
                .iter()
                .position(|f| f == &victim)
                .map(|i| changed.test.image(i))
        })
        .unwrap();
    assert_eq!(at, &expected(&victim, [3, 6, 6])[..]);
    assert!(load_image_folder(&root, &o).unwrap().from_cache);

    // A new picture is a miss too.
    picture(&root.join("Moth/new.png"), 5, 5, 77);
    let grown = load_image_folder(&root, &o).unwrap();
    assert!(!grown.from_cache);
    assert_eq!(grown.train.len() + grown.test.len(), 18);

    // A damaged cache is ignored and rewritten, never trusted.
    let good = std::fs::read(&file).unwrap();
    let damaged: Vec<Vec<u8>> = vec![
        good[..good.len() / 2].to_vec(),
        {
            let mut b = good.clone();
            let at = b.len() - 10;
            b[at] ^= 0x55;
            b
        },
        {
            let mut b = good.clone();
            b[20] ^= 1;
            b
        },
        Vec::new(),
        b"AE-PICS\0 but nothing after".to_vec(),
    ];
    for bytes in damaged {
        std::fs::write(&file, &bytes).unwrap();
        let reread = load_image_folder(&root, &o).unwrap();
        assert!(!reread.from_cache);
        assert_eq!(reread.train, grown.train);
        assert_eq!(reread.test, grown.test);
        assert_eq!(std::fs::read(&file).unwrap(), good, "rewritten");
    }

    // Another shape has its own file.
    let mut small = o.clone();
    small.shape = [1, 3, 3];
    let grey = load_image_folder(&root, &small).unwrap();
    assert!(!grey.from_cache);
    assert_ne!(grey.cache_file, grown.cache_file);
    assert!(load_image_folder(&root, &o).unwrap().from_cache);
}

#[test]
fn unreadable_pictures_stop_the_load_or_are_skipped_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pets");
    for class in ["a", "b"] {
        for i in 0..4 {
            picture(&root.join(format!("{class}/{i}.png")), 4, 4, i);
        }
    }
    std::fs::write(root.join("b/1x.png"), b"not a png at all").unwrap();
    let good = std::fs::read(root.join("a/0.png")).unwrap();
    std::fs::write(root.join("b/3x.png"), &good[..good.len() / 2]).unwrap();
    std::fs::write(root.join("a/9.jpg"), b"\xff\xd8\xff\xe0 cut").unwrap();

    let cache = dir.path().join("cache");
    let mut o = options([1, 4, 4]);
    o.cache_dir = Some(cache);
    let e = message(load_image_folder(&root, &o).unwrap_err());
    assert!(
        e.contains("a/9.jpg") && e.contains("cannot decode Jpeg"),
        "first in file order: {e}"
    );

    o.skip_unreadable = true;
    for from_cache in [false, true] {
        let data = load_image_folder(&root, &o).unwrap();
        assert_eq!(data.from_cache, from_cache);
        let skipped: Vec<String> = data
            .skipped
            .iter()
            .map(|(p, _)| {
                p.strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(skipped, vec!["a/9.jpg", "b/1x.png", "b/3x.png"]);
        assert!(
            data.skipped[1].1.contains("not a PNG or JPEG"),
            "{:?}",
            data.skipped
        );
        assert!(
            data.skipped[2].1.contains("cannot decode Png"),
            "{:?}",
            data.skipped
        );
        assert_eq!(data.train.len() + data.test.len(), 8);
        assert!(
            data.source.contains("3 unreadable skipped"),
            "{}",
            data.source
        );
        for (i, f) in data.train_files.iter().enumerate() {
            assert_eq!(data.train.image(i), &expected(f, [1, 4, 4])[..]);
        }
    }
    // Without skipping, the cached failures stop the load as the decoding did.
    o.skip_unreadable = false;
    let e = message(load_image_folder(&root, &o).unwrap_err());
    assert!(e.contains("a/9.jpg"), "{e}");
}

#[test]
fn layout_errors_name_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = options([1, 4, 4]);
    let err = |p: &Path| message(load_image_folder(p, &o).unwrap_err());
    let scan_err = |p: &Path| message(scan_image_folder(p).unwrap_err());

    // An empty class folder.
    picture(&d.join("empty/cat/0.png"), 4, 4, 0);
    std::fs::create_dir_all(d.join("empty/dog")).unwrap();
    std::fs::write(d.join("empty/dog/readme.txt"), "x").unwrap();
    let e = err(&d.join("empty"));
    assert!(
        e.contains("empty/dog")
            && e.contains("class folder 'dog' holds no PNG or JPEG pictures (1 other file)"),
        "{e}"
    );
    assert_eq!(e, scan_err(&d.join("empty")));

    // No pictures at all.
    std::fs::create_dir_all(d.join("nothing")).unwrap();
    std::fs::write(d.join("nothing/a.txt"), "x").unwrap();
    std::fs::write(d.join("nothing/b.gif"), "x").unwrap();
    let e = err(&d.join("nothing"));
    assert!(
        e.contains("nothing") && e.contains("holds no PNG or JPEG pictures (2 other files)"),
        "{e}"
    );

    // More than 256 classes.
    for k in 0..257 {
        std::fs::create_dir_all(d.join(format!("many/c{k:03}"))).unwrap();
    }
    let e = err(&d.join("many"));
    assert!(
        e.contains("many") && e.contains("257 class folders, at most 256"),
        "{e}"
    );

    // train/ and test/ with different classes: one line naming both folders and the difference.
    for (part, class) in [
        ("train", "cat"),
        ("train", "dog"),
        ("test", "cat"),
        ("test", "bird"),
    ] {
        picture(&d.join(format!("differ/{part}/{class}/0.png")), 4, 4, 0);
    }
    let e = err(&d.join("differ"));
    let (train, test) = (d.join("differ/train"), d.join("differ/test"));
    assert!(
        e.contains(&format!(
            "{} and {} hold different class folders: only in {}: bird; only in {}: dog",
            train.display(),
            test.display(),
            test.display(),
            train.display()
        )),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1);

    // Only one of train/ and test/.
    picture(&d.join("half/train/cat/0.png"), 4, 4, 0);
    let e = err(&d.join("half"));
    assert!(e.contains("holds train/ but no test/"), "{e}");

    // train/ with class folders, test/ flat.
    picture(&d.join("mixed/train/cat/0.png"), 4, 4, 0);
    picture(&d.join("mixed/test/0.png"), 4, 4, 0);
    let e = err(&d.join("mixed"));
    assert!(
        e.contains("holds class folders but") && e.contains("mixed/test"),
        "{e}"
    );

    // A missing folder, a file, a bad shape.
    let e = err(&d.join("missing"));
    assert!(e.contains("missing") && e.contains("cannot read"), "{e}");
    std::fs::write(d.join("file.png"), "x").unwrap();
    let e = err(&d.join("file.png"));
    assert!(e.contains("is not a folder"), "{e}");
    let mut bad = o.clone();
    bad.shape = [2, 4, 4];
    let e = message(load_image_folder(&d.join("empty"), &bad).unwrap_err());
    assert!(e.contains("expected 1 or 3 channel(s)"), "{e}");

    // A split that leaves a class-less test set.
    picture(&d.join("tiny/only.png"), 4, 4, 0);
    let e = err(&d.join("tiny"));
    assert!(
        e.contains("tiny") && e.contains("leaves no test picture"),
        "{e}"
    );
}

#[test]
fn a_folder_of_pictures_larger_than_the_cores_decodes_in_file_order() {
    // Many small pictures (more than rayon's threads): the result does not depend on timing.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("many");
    for i in 0..120 {
        picture(&root.join(format!("{}/{i:03}.png", i % 4)), 3 + i % 5, 4, i);
    }
    let mut o = options([3, 4, 4]);
    o.progress = true;
    let a = load_image_folder(&root, &o).unwrap();
    let b = load_image_folder(&root, &o).unwrap();
    assert_eq!(a.train, b.train);
    assert_eq!(a.test.class_counts(), vec![8, 8, 8, 8]);
}

mod damaged {
    use super::*;
    use proptest::prelude::*;

    fn encoded(format: ImageFormat) -> Vec<u8> {
        let image = RgbImage::from_fn(13, 7, |x, y| Rgb([(x * 19) as u8, (y * 31) as u8, 128]));
        let mut bytes = Vec::new();
        DynamicImage::ImageRgb8(image)
            .write_to(&mut std::io::Cursor::new(&mut bytes), format)
            .unwrap();
        bytes
    }

    /// A PNG whose header claims `w × h` (CRC fixed up), with a tiny image body.
    fn claims(w: u32, h: u32) -> Vec<u8> {
        let mut b = encoded(ImageFormat::Png);
        b[16..20].copy_from_slice(&w.to_be_bytes());
        b[20..24].copy_from_slice(&h.to_be_bytes());
        let crc = crc32(&b[12..29]);
        b[29..33].copy_from_slice(&crc.to_be_bytes());
        b
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// Loads a folder holding `bytes` as `pic.<ext>` beside four good pictures: an error must
    /// name the damaged file; skipping it must always work.
    fn load_with(bytes: &[u8], ext: &str) -> Result<(), String> {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("f");
        for i in 0..4 {
            picture(&root.join(format!("c/good{i}.png")), 5, 5, i);
        }
        let bad = root.join(format!("c/pic.{ext}"));
        std::fs::write(&bad, bytes).unwrap();
        let mut o = options([3, 5, 5]);
        o.test_fraction = 0.4;
        match load_image_folder(&root, &o) {
            Ok(_) => {}
            Err(e) => {
                let e = e.to_string();
                if !e.contains(&format!("pic.{ext}")) {
                    return Err(e);
                }
            }
        }
        o.skip_unreadable = true;
        load_image_folder(&root, &o)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn cut_pngs_are_errors_and_huge_claims_are_refused() {
        let png = encoded(ImageFormat::Png);
        // Cut anywhere before the end of the image data (a missing IEND, the last 12 bytes, is
        // tolerated: the picture is whole).
        for cut in [0, 1, 8, 20, 33, 40, png.len() / 2, png.len() - 13] {
            let e = decode_image(Path::new("cut.png"), &png[..cut])
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("cut.png: "), "{e}");
        }
        for (w, h) in [(1 << 30, 1 << 30), (100_000, 1), (0, 5)] {
            let e = decode_image(Path::new("big.png"), &claims(w, h))
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("big.png: "), "{e}");
        }
        assert_eq!(load_with(&claims(1 << 30, 1 << 30), "png"), Ok(()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn damaged_pictures_are_named_errors_never_panics(
            jpeg in any::<bool>(),
            cut in 0usize..4096,
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
            tail in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let format = if jpeg { ImageFormat::Jpeg } else { ImageFormat::Png };
            let mut bytes = encoded(format);
            for (at, value) in flips {
                let i = at.index(bytes.len());
                bytes[i] ^= value;
            }
            bytes.truncate(cut.min(bytes.len()));
            bytes.extend_from_slice(&tail);
            let name = Path::new(if jpeg { "p.jpg" } else { "p.png" });
            if let Err(e) = decode_image(name, &bytes) {
                let e = e.to_string();
                prop_assert!(e.starts_with(&format!("{}: ", name.display())), "{}", e);
            }
            if !jpeg && cut < 40 {
                prop_assert!(decode_image(name, &bytes).is_err());
            }
        }

        #[test]
        fn damaged_pictures_in_a_folder_are_named_or_skipped(
            jpeg in any::<bool>(),
            cut in 0usize..2048,
            flip in any::<prop::sample::Index>(),
        ) {
            let format = if jpeg { ImageFormat::Jpeg } else { ImageFormat::Png };
            let mut bytes = encoded(format);
            let i = flip.index(bytes.len());
            bytes[i] ^= 0xA5;
            bytes.truncate(cut.min(bytes.len()));
            let result = load_with(&bytes, if jpeg { "jpg" } else { "png" });
            prop_assert!(result.is_ok(), "{:?}", result);
        }
    }
}
