//! PNG bytes: the size and channels their header declares (what `Summary.Image` records), and
//! images drawn into a PNG (the projector's sprite sheet).

use std::path::Path;

use crate::error::TensorBoardError;

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Width, height and channels of a PNG image as its `IHDR` chunk declares them (channels: 1
/// grey, 2 grey + alpha, 3 RGB or palette, 4 RGBA); `None` when `bytes` is not a PNG.
pub fn png_info(bytes: &[u8]) -> Option<(u32, u32, u32)> {
    if bytes.len() < 26 || bytes[..8] != SIGNATURE || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let channels = match bytes[25] {
        0 => 1,
        2 | 3 => 3,
        4 => 2,
        6 => 4,
        _ => return None,
    };
    Some((be(16), be(20), channels))
}

/// Encodes 8-bit pixels (`channels` 1, 3 or 4 per pixel, rows top to bottom) as a PNG; `path`
/// names the file in errors.
pub fn encode_png(
    pixels: &[u8],
    width: u32,
    height: u32,
    channels: u32,
    path: &Path,
) -> Result<Vec<u8>, TensorBoardError> {
    let color = match channels {
        1 => png::ColorType::Grayscale,
        3 => png::ColorType::Rgb,
        4 => png::ColorType::Rgba,
        n => {
            return Err(TensorBoardError::invalid(
                path,
                format!("{n} channels: expected 1, 3 or 4"),
            ));
        }
    };
    let invalid = |e: png::EncodingError| TensorBoardError::invalid(path, format!("PNG: {e}"));
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(invalid)?;
        writer.write_image_data(pixels).map_err(invalid)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_gives_size_and_channels() {
        let grey = encode_png(&[0, 64, 128, 255, 1, 2], 3, 2, 1, Path::new("t")).unwrap();
        assert_eq!(png_info(&grey), Some((3, 2, 1)));
        let rgb = encode_png(&[9; 2 * 5 * 3], 2, 5, 3, Path::new("t")).unwrap();
        assert_eq!(png_info(&rgb), Some((2, 5, 3)));
        assert_eq!(png_info(b"GIF89a, not a PNG at all, no"), None);
        assert!(encode_png(&[0; 4], 2, 1, 2, Path::new("t")).is_err());
    }
}
