//! File digests: SHA-256 for everything we report, MD5 where only that is published.

use md5::Md5;
use sha2::{Digest as _, Sha256};

use crate::catalog::Digest;

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Hex MD5 of `bytes`.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The outcome of checking a file against its known digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Check {
    /// One known digest matches.
    Verified,
    /// No digest is known for this file.
    Unknown,
    /// Digests are known and none matches: (algorithm, found, expected list).
    Mismatch(&'static str, String, String),
}

pub(crate) fn check(bytes: &[u8], sha256: &str, known: &[Digest]) -> Check {
    if known.is_empty() {
        return Check::Unknown;
    }
    let mut md5: Option<String> = None;
    for d in known {
        match d {
            Digest::Sha256(h) if *h == sha256 => return Check::Verified,
            Digest::Md5(h) => {
                let m = md5.get_or_insert_with(|| md5_hex(bytes));
                if m == h {
                    return Check::Verified;
                }
            }
            _ => {}
        }
    }
    let expected = known
        .iter()
        .map(|d| match d {
            Digest::Sha256(h) => format!("SHA-256 {h}"),
            Digest::Md5(h) => format!("MD5 {h}"),
        })
        .collect::<Vec<_>>()
        .join(" or ");
    Check::Mismatch("SHA-256", sha256.to_string(), expected)
}
