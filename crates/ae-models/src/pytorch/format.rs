//! Telling PyTorch files from safetensors files by their first bytes, not their names.

use std::fmt;

/// The two formats PyTorch weights come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightsFormat {
    /// `torch.save(model.state_dict(), "x.pth")`: a zip archive of pickles (PyTorch 1.6 and
    /// later) or a bare pickle (older PyTorch).
    Pytorch,
    /// `safetensors.torch.save_file(state_dict, "x.safetensors")`: an 8-byte little-endian
    /// header length, a JSON header, then the raw tensors.
    Safetensors,
}

impl WeightsFormat {
    /// The format the content starting with `head` is in, or `None` for neither. `head` should
    /// be the first 16 bytes (or the whole file, if shorter).
    pub fn detect(head: &[u8]) -> Option<WeightsFormat> {
        const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
        // A pickle starts with the PROTO opcode 0x80 and a protocol number (2 to 5).
        let pickle = head.len() >= 2 && head[0] == 0x80 && (2..=5).contains(&head[1]);
        if head.starts_with(ZIP_MAGIC) || pickle {
            return Some(WeightsFormat::Pytorch);
        }
        // The JSON header of a safetensors file follows its 8-byte length.
        if head.len() > 8 && head[8] == b'{' {
            return Some(WeightsFormat::Safetensors);
        }
        None
    }

    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            WeightsFormat::Pytorch => "PyTorch",
            WeightsFormat::Safetensors => "safetensors",
        }
    }
}

impl fmt::Display for WeightsFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the first bytes of an unrecognised file look, for the error message.
pub(crate) fn describe_head(head: &[u8], len: u64) -> String {
    if len == 0 {
        return "the file is empty".into();
    }
    let shown: String = head
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    format!("{len} bytes, starting {shown}")
}
