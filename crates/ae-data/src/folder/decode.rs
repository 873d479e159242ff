//! Decoding a folder's pictures on every core, each straight into its slot of the final
//! buffer, with a progress bar; a picture that cannot be read is an outcome, not a panic.

use std::io::IsTerminal;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use super::listing::Listing;
use crate::custom::CustomOptions;
use crate::error::DataError;
use crate::picture::{PictureOptions, read_image, to_dataset_pixels};

/// What became of one picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Decoded,
    /// Why it cannot be read (without the path).
    Failed(String),
    /// Not decoded: an earlier picture failed and the load stops there.
    NotTried,
}

/// Decodes every picture into its slot, in parallel. Without `skip_unreadable`, pictures after
/// the first failure (in file order) are not tried.
pub(super) fn decode_all(
    listing: &Listing,
    shape: [usize; 3],
    slots: &mut [Option<&mut [u8]>],
    options: &CustomOptions,
) -> Vec<Outcome> {
    let bar = progress_bar(listing.files.len(), options.progress, &listing.root);
    let first_failure = AtomicUsize::new(usize::MAX);
    let outcomes = slots
        .par_iter_mut()
        .enumerate()
        .map(|(index, slot)| {
            if !options.skip_unreadable && index > first_failure.load(Ordering::Relaxed) {
                return Outcome::NotTried;
            }
            let Some(slot) = slot.as_deref_mut() else {
                return Outcome::Decoded;
            };
            let file = listing.root.join(&listing.files[index].rel);
            let outcome = match decode_one(&file, shape) {
                Ok(pixels) => {
                    slot.copy_from_slice(&pixels);
                    Outcome::Decoded
                }
                Err(message) => {
                    first_failure.fetch_min(index, Ordering::Relaxed);
                    Outcome::Failed(message)
                }
            };
            bar.inc(1);
            outcome
        })
        .collect();
    bar.finish_and_clear();
    outcomes
}

/// One picture as `shape` bytes, or why it cannot be read. A decoder that panics on a damaged
/// file makes that file unreadable, not the load.
fn decode_one(file: &Path, shape: [usize; 3]) -> Result<Vec<u8>, String> {
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        let picture = read_image(file).map_err(|e| match e {
            DataError::Image { message, .. } => message,
            other => other.to_string(),
        })?;
        Ok(to_dataset_pixels(
            &picture,
            shape,
            PictureOptions::default(),
        ))
    }))
    .unwrap_or_else(|_| Err("the decoder failed on this file (damaged?)".into()))
}

fn progress_bar(total: usize, show: bool, root: &Path) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    if !std::io::stderr().is_terminal() {
        eprintln!("decoding {total} pictures of {}", root.display());
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(format!("decoding {}", root.display()));
    bar
}
