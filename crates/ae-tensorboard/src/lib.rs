//! # ae-tensorboard
//!
//! TensorBoard's file formats written from Rust, without TensorFlow or Python: event files
//! (TFRecord framing with masked CRC-32C, [`record`]; `Event` protobuf messages declared with
//! prost's derive, [`proto`]) holding scalars, PNG images, Markdown text and the hparams
//! plugin's session data, written by an [`EventWriter`] that reads like PyTorch's
//! `SummaryWriter`; the embedding projector's folder ([`write_projector`]); and a reader
//! ([`EventLog`]) that checks what was written. No Burn: `ae-report`'s `TensorBoard` observer
//! is what feeds it a training run.
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use ae_tensorboard::{EventWriter, HParamValue, SessionStatus};
//!
//! let mut writer = EventWriter::create("runs/demo/tensorboard")?;
//! let mut hparams = BTreeMap::new();
//! hparams.insert("lr".to_string(), HParamValue::from(0.1));
//! writer.add_hparams(&hparams, "")?;
//! for epoch in 1..=3 {
//!     writer.add_scalar("loss/train", 1.0 / epoch as f64, epoch)?;
//!     writer.flush()?;
//! }
//! writer.add_text("notes", "*three* epochs", 3)?;
//! writer.add_session_end(SessionStatus::Success, 3)?;
//! # Ok::<(), ae_tensorboard::TensorBoardError>(())
//! ```
//!
//! `tensorboard --logdir runs` then lists `demo/tensorboard` as a run. The crate's
//! `tests/tensorboard_reads.rs` has TensorBoard's own `EventAccumulator` and projector plugin
//! read what it writes (when Python has the `tensorboard` package).
#![forbid(unsafe_code)]

mod error;
pub mod hparams;
mod image;
pub mod projector;
pub mod proto;
mod reader;
pub mod record;
mod values;
mod writer;

pub use error::TensorBoardError;
pub use hparams::{HParamValue, SessionStatus};
pub use image::{encode_png, png_info};
pub use projector::{Embedding, Metadata, ProjectorFiles, Sprite, write_projector};
pub use reader::{EventLog, LoggedImage, event_files, read_events};
pub use writer::{EventWriter, FILE_VERSION, wall_time};

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::proto::{event, value};

    #[test]
    fn an_event_file_reads_back_with_everything_written() {
        let dir = tempfile::tempdir().unwrap();
        let png = encode_png(&[0, 255, 128, 64, 32, 16], 2, 1, 3, dir.path()).unwrap();
        let path = {
            let mut w = EventWriter::create(dir.path().join("tb")).unwrap();
            w.add_scalar("loss/train", 0.25, 1).unwrap();
            w.add_scalar("loss/train", 0.125, 2).unwrap();
            w.add_png("grid", &png, 2).unwrap();
            w.add_text("recipe", "name = \"x\"", 0).unwrap();
            let mut h = BTreeMap::new();
            h.insert("seed".to_string(), HParamValue::from(7i64));
            w.add_hparams(&h, "group").unwrap();
            w.add_session_end(SessionStatus::Success, 2).unwrap();
            // Not flushed: dropping the writer flushes.
            w.path().to_path_buf()
        };
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("events.out.tfevents."), "{name}");

        let events = read_events(&path).unwrap();
        assert_eq!(
            events[0].what,
            Some(event::What::FileVersion("brain.Event:2".into()))
        );
        assert_eq!(events.len(), 7);
        assert!(events.iter().all(|e| e.wall_time > 1.6e9));

        let log = EventLog::read_dir(&dir.path().join("tb")).unwrap();
        assert_eq!(log.file_versions, 1);
        assert_eq!(log.scalar("loss/train"), [(1, 0.25), (2, 0.125)]);
        let image = &log.images["grid"][0];
        assert_eq!(
            (image.step, image.width, image.height, image.channels),
            (2, 2, 1, 3)
        );
        assert_eq!(image.png, png);
        assert_eq!(log.texts["recipe"], [(0, "name = \"x\"".to_string())]);
        assert_eq!(log.session_starts.len(), 1);
        assert_eq!(
            log.session_starts[0].hparams["seed"].kind,
            Some(value::Kind::NumberValue(7.0))
        );
        assert_eq!(log.session_ends[0].status, proto::Status::Success as i32);
        assert!(w_rejects_non_png(dir.path()));
    }

    fn w_rejects_non_png(dir: &std::path::Path) -> bool {
        let mut w = EventWriter::create(dir.join("tb")).unwrap();
        w.add_png("x", b"not a png", 0).is_err()
    }

    #[test]
    fn writers_opened_together_get_their_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = EventWriter::create(dir.path()).unwrap();
        let b = EventWriter::create(dir.path()).unwrap();
        assert_ne!(a.path(), b.path());
        drop((a, b));
        assert_eq!(event_files(dir.path()).unwrap().len(), 2);
        let log = EventLog::read_dir(dir.path()).unwrap();
        assert_eq!(log.file_versions, 2);
    }
}
