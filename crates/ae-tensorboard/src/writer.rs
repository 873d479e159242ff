//! [`EventWriter`]: one event file of a TensorBoard run folder, written as PyTorch's
//! `SummaryWriter` writes it: `events.out.tfevents.<secs>.<hostname>.<pid>.<n>` whose first
//! record is `file_version: "brain.Event:2"`, then one `Event` per call, buffered until
//! [`EventWriter::flush`] (or drop).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;

use crate::error::TensorBoardError;
use crate::hparams::{HParamValue, SessionStatus, session_end_summary, session_start_summary};
use crate::image::png_info;
use crate::proto::{Event, Summary, event};
use crate::record::write_record;
use crate::values;

/// The first record of every event file.
pub const FILE_VERSION: &str = "brain.Event:2";

/// Files created by this process so far: the last part of the name, so that two writers
/// opened in the same second never share a file.
static FILES_CREATED: AtomicU64 = AtomicU64::new(0);

/// Writes the events of one run into a new event file (see the module documentation).
#[derive(Debug)]
pub struct EventWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

/// Seconds since the Unix epoch, as events record time.
pub fn wall_time() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The machine's name as a file-name part (letters, digits, `-`, `_`, `.`).
fn hostname() -> String {
    let name = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let clean: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        "localhost".to_string()
    } else {
        clean
    }
}

impl EventWriter {
    /// Creates `dir` (and its parents) and a new event file in it. An existing event file is
    /// never appended to: a resumed run adds a file, which TensorBoard reads after the others.
    pub fn create(dir: impl AsRef<Path>) -> Result<Self, TensorBoardError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)
            .map_err(|e| TensorBoardError::io(dir, "cannot create folder", e))?;
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let n = FILES_CREATED.fetch_add(1, Ordering::Relaxed);
        let name = format!(
            "events.out.tfevents.{secs}.{}.{}.{n}",
            hostname(),
            std::process::id()
        );
        let path = dir.join(name);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| TensorBoardError::io(&path, "cannot create event file", e))?;
        let mut writer = Self {
            path,
            out: BufWriter::new(file),
        };
        writer.write_event(&Event {
            wall_time: wall_time(),
            step: 0,
            what: Some(event::What::FileVersion(FILE_VERSION.to_string())),
        })?;
        writer.flush()?;
        Ok(writer)
    }

    /// The event file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event (buffered).
    pub fn write_event(&mut self, event: &Event) -> Result<(), TensorBoardError> {
        write_record(&mut self.out, &event.encode_to_vec())
            .map_err(|e| TensorBoardError::io(&self.path, "cannot write event", e))
    }

    /// Appends `summary` at `step`, stamped now.
    pub fn add_summary(&mut self, summary: Summary, step: u64) -> Result<(), TensorBoardError> {
        self.write_event(&Event {
            wall_time: wall_time(),
            step: i64::try_from(step).unwrap_or(i64::MAX),
            what: Some(event::What::Summary(summary)),
        })
    }

    /// A scalar (kept as `f32`, TensorBoard's `simple_value`).
    pub fn add_scalar(&mut self, tag: &str, value: f64, step: u64) -> Result<(), TensorBoardError> {
        self.add_summary(values::scalar(tag, value as f32), step)
    }

    /// An encoded PNG of `width × height` with `channels` (1 grey, 2 grey + alpha, 3 RGB,
    /// 4 RGBA).
    pub fn add_image_png(
        &mut self,
        tag: &str,
        png: &[u8],
        width: u32,
        height: u32,
        channels: u32,
        step: u64,
    ) -> Result<(), TensorBoardError> {
        self.add_summary(values::image(tag, png, width, height, channels), step)
    }

    /// A PNG whose size and channels are read from its header; an error when `png` is not one.
    pub fn add_png(&mut self, tag: &str, png: &[u8], step: u64) -> Result<(), TensorBoardError> {
        let (width, height, channels) = png_info(png).ok_or_else(|| {
            TensorBoardError::invalid(&self.path, format!("image '{tag}' is not a PNG"))
        })?;
        self.add_image_png(tag, png, width, height, channels, step)
    }

    /// A text, which the Text dashboard renders as Markdown.
    pub fn add_text(&mut self, tag: &str, text: &str, step: u64) -> Result<(), TensorBoardError> {
        self.add_summary(values::text(tag, text), step)
    }

    /// The run's hyper-parameters for the HParams dashboard (a session start, now; see
    /// [`crate::hparams`]); its metrics are the run's scalars. `group_name` may be empty.
    pub fn add_hparams(
        &mut self,
        hparams: &BTreeMap<String, HParamValue>,
        group_name: &str,
    ) -> Result<(), TensorBoardError> {
        self.add_summary(session_start_summary(hparams, group_name, wall_time()), 0)
    }

    /// How the session whose hyper-parameters were given ended (the HParams dashboard's
    /// status column), now.
    pub fn add_session_end(
        &mut self,
        status: SessionStatus,
        step: u64,
    ) -> Result<(), TensorBoardError> {
        self.add_summary(session_end_summary(status, wall_time()), step)
    }

    /// Writes what is buffered to the file.
    pub fn flush(&mut self) -> Result<(), TensorBoardError> {
        self.out
            .flush()
            .map_err(|e| TensorBoardError::io(&self.path, "cannot write event", e))
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        // An error here has nowhere to go; callers that care call `flush` first.
        let _ = self.out.flush();
    }
}
