//! TFRecord framing, the container of TensorBoard's event files: each record is
//!
//! ```text
//! u64 length (little-endian) | u32 masked CRC-32C of the length bytes | data | u32 masked CRC-32C of data
//! ```
//!
//! where the mask is TensorFlow's `((crc >> 15) | (crc << 17)) + 0xa282ead8`
//! (`tensorflow/core/lib/hash/crc32c.h`).

use std::io::{self, Read, Write};

/// The constant TensorFlow adds to a rotated CRC.
const MASK_DELTA: u32 = 0xa282_ead8;

/// TensorFlow's masked CRC-32C (Castagnoli) of `data`.
pub fn masked_crc32c(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// Writes one record holding `data`.
pub fn write_record(out: &mut impl Write, data: &[u8]) -> io::Result<()> {
    let len = (data.len() as u64).to_le_bytes();
    out.write_all(&len)?;
    out.write_all(&masked_crc32c(&len).to_le_bytes())?;
    out.write_all(data)?;
    out.write_all(&masked_crc32c(data).to_le_bytes())
}

/// The bytes of one record as [`write_record`] writes them.
pub fn encode_record(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 16);
    write_record(&mut out, data).expect("writing to a Vec cannot fail");
    out
}

/// Why a record could not be read.
#[derive(Debug)]
pub enum RecordError {
    Io(io::Error),
    /// The stream ends inside a record (a file still being written, or cut short).
    Truncated {
        offset: u64,
    },
    /// A checksum does not match.
    Checksum {
        offset: u64,
        what: &'static str,
    },
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "{e}"),
            Self::Truncated { offset } => write!(f, "record at byte {offset} is cut short"),
            Self::Checksum { offset, what } => {
                write!(
                    f,
                    "record at byte {offset}: the CRC of its {what} does not match"
                )
            }
        }
    }
}

/// Reads the records of a TFRecord stream one by one, checking both CRCs of each.
#[derive(Debug)]
pub struct RecordReader<R> {
    input: R,
    offset: u64,
}

impl<R: Read> RecordReader<R> {
    pub fn new(input: R) -> Self {
        Self { input, offset: 0 }
    }

    /// The next record's data; `None` at the clean end of the stream.
    pub fn next_record(&mut self) -> Result<Option<Vec<u8>>, RecordError> {
        let start = self.offset;
        let mut header = [0u8; 12];
        let got = read_full(&mut self.input, &mut header).map_err(RecordError::Io)?;
        if got == 0 {
            return Ok(None);
        }
        if got < header.len() {
            return Err(RecordError::Truncated { offset: start });
        }
        let (len_bytes, crc_bytes) = header.split_at(8);
        if masked_crc32c(len_bytes).to_le_bytes() != crc_bytes {
            return Err(RecordError::Checksum {
                offset: start,
                what: "length",
            });
        }
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        let mut data = Vec::new();
        let read = (&mut self.input)
            .take(len)
            .read_to_end(&mut data)
            .map_err(RecordError::Io)?;
        let mut crc = [0u8; 4];
        if (read as u64) < len || read_full(&mut self.input, &mut crc).map_err(RecordError::Io)? < 4
        {
            return Err(RecordError::Truncated { offset: start });
        }
        if masked_crc32c(&data).to_le_bytes() != crc {
            return Err(RecordError::Checksum {
                offset: start,
                what: "data",
            });
        }
        self.offset = start + 16 + len;
        Ok(Some(data))
    }
}

/// Reads until `buf` is full or the input ends; the number of bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_and_its_mask_match_hand_checked_values() {
        // The CRC-32C check value (RFC 3720, B.4 / the Rocksoft catalogue): "123456789".
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        // Masked by hand: (0xe3069283 >> 15) | (0xe3069283 << 17) = 0x0001c60d | 0x25060000
        // = 0x2507c60d, plus 0xa282ead8 (mod 2^32) = 0xc78ab0e5; TensorBoard's own
        // `tensorflow_stub.pywrap_tensorflow.masked_crc32c` gives the same.
        assert_eq!(masked_crc32c(b"123456789"), 0xc78a_b0e5);
        // The length field of an empty record (8 zero bytes): CRC 0x8c28b28a, masked
        // 0x07980329 (also checked with TensorBoard's function).
        assert_eq!(crc32c::crc32c(&[0; 8]), 0x8c28_b28a);
        assert_eq!(masked_crc32c(&0u64.to_le_bytes()), 0x0798_0329);
    }

    #[test]
    fn records_round_trip_and_bad_bytes_are_caught() {
        let mut stream = Vec::new();
        for data in [&b""[..], b"hello", &[7u8; 1000]] {
            write_record(&mut stream, data).unwrap();
        }
        assert_eq!(stream.len(), 3 * 16 + 5 + 1000);
        let mut reader = RecordReader::new(stream.as_slice());
        assert_eq!(reader.next_record().unwrap().unwrap(), b"");
        assert_eq!(reader.next_record().unwrap().unwrap(), b"hello");
        assert_eq!(reader.next_record().unwrap().unwrap(), vec![7u8; 1000]);
        assert!(reader.next_record().unwrap().is_none());

        // One flipped bit in the second record's data.
        let mut bad = stream.clone();
        bad[16 + 12 + 1] ^= 1;
        let mut reader = RecordReader::new(bad.as_slice());
        reader.next_record().unwrap();
        assert!(matches!(
            reader.next_record(),
            Err(RecordError::Checksum {
                offset: 16,
                what: "data"
            })
        ));
        // A stream cut inside its last record.
        let cut = &stream[..stream.len() - 2];
        let mut reader = RecordReader::new(cut);
        reader.next_record().unwrap();
        reader.next_record().unwrap();
        assert!(matches!(
            reader.next_record(),
            Err(RecordError::Truncated { offset: 37 })
        ));
    }
}
