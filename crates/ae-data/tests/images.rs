//! The one image-set type `Images<T>`: its checks, messages and accessors, as `ImageSet` (u8)
//! and as `Prepared` (f32).

use ae_data::{DataError, ImageSet, Images, Prepared, Resize};

fn message(e: DataError) -> String {
    match e {
        DataError::InvalidArgument(m) => m,
        other => panic!("expected InvalidArgument, got {other}"),
    }
}

#[test]
fn image_set_checks_shape_pixel_count_and_labels() {
    let e = ImageSet::new(vec![], vec![], [1, 0, 2]).unwrap_err();
    assert_eq!(message(e), "image shape [1, 0, 2] has a zero dimension");

    let e = ImageSet::new(vec![0; 7], vec![1, 2], [1, 2, 2]).unwrap_err();
    assert_eq!(
        message(e),
        "7 pixel bytes do not make 2 images of shape [1, 2, 2] (8 bytes)"
    );

    let e = ImageSet::new(vec![0; 12], vec![1, 10, 2], [1, 2, 2]).unwrap_err();
    assert_eq!(
        message(e),
        "label 10 at index 1 is out of range, expected 0..=9"
    );

    let e = Prepared::from_parts(vec![0.0; 3], vec![1], [1, 2, 2]).unwrap_err();
    assert_eq!(
        message(e),
        "3 pixel floats do not make 1 images of shape [1, 2, 2] (4 floats)"
    );
}

#[test]
fn accessors_agree_for_bytes_and_floats() {
    let pixels: Vec<u8> = (0..24).map(|i| i * 10).collect();
    let set = ImageSet::new(pixels.clone(), vec![3, 3, 7], [2, 2, 2]).unwrap();
    assert_eq!(
        set,
        Images::from_parts(pixels, vec![3, 3, 7], [2, 2, 2]).unwrap()
    );
    assert_eq!((set.len(), set.is_empty(), set.image_len()), (3, false, 8));
    assert_eq!(set.image(1), &set.pixels()[8..16]);
    let mut counts = [0; 10];
    counts[3] = 2;
    counts[7] = 1;
    assert_eq!(set.class_counts(), counts);

    let prepared = Prepared::new(&set, Resize::Keep);
    assert_eq!(prepared.image_shape(), [2, 2, 2]);
    assert_eq!(prepared.labels(), set.labels());
    assert_eq!(prepared.class_counts(), counts);
    for i in 0..set.len() {
        let expected: Vec<f32> = set.image(i).iter().map(|&b| b as f32 / 255.0).collect();
        assert_eq!(prepared.image(i), expected.as_slice());
    }

    let first = prepared.take(2).unwrap();
    assert_eq!(first, Prepared::new(&set.take(2).unwrap(), Resize::Keep));
    assert_eq!(prepared.take(99).unwrap(), prepared);
    assert_eq!(
        message(set.take(0).unwrap_err()),
        "a sample limit of 0 leaves no image to train on; expected at least 1"
    );
}
