//! Reading event files back (the tests' check on what was written, and a quick look at a run
//! without TensorBoard): every record's CRCs are checked and every event decoded.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use prost::Message;

use crate::error::TensorBoardError;
use crate::hparams::{PLUGIN_NAME as HPARAMS_PLUGIN, SESSION_END_INFO_TAG, SESSION_START_INFO_TAG};
use crate::proto::{
    Event, HParamsPluginData, SessionEndInfo, SessionStartInfo, event, h_params_plugin_data,
    summary,
};
use crate::record::RecordReader;

/// The event files of `dir` (names containing `tfevents`), in the order TensorBoard reads
/// them (by name: creation time first).
pub fn event_files(dir: &Path) -> Result<Vec<PathBuf>, TensorBoardError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| TensorBoardError::io(dir, "cannot list folder", e))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| TensorBoardError::io(dir, "cannot list folder", e))?;
        if entry.file_name().to_string_lossy().contains("tfevents") {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Every event of one file.
pub fn read_events(path: &Path) -> Result<Vec<Event>, TensorBoardError> {
    let file = File::open(path).map_err(|e| TensorBoardError::io(path, "cannot open", e))?;
    let mut reader = RecordReader::new(BufReader::new(file));
    let corrupt = |message: String| TensorBoardError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    let mut events = Vec::new();
    while let Some(data) = reader.next_record().map_err(|e| corrupt(e.to_string()))? {
        let event = Event::decode(data.as_slice())
            .map_err(|e| corrupt(format!("event {}: {e}", events.len())))?;
        events.push(event);
    }
    Ok(events)
}

/// An image as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedImage {
    pub step: i64,
    pub width: u32,
    pub height: u32,
    pub channels: u32,
    pub png: Vec<u8>,
}

/// What the event files of one folder hold, by kind and tag, in the order written.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    /// The files read, and how many start with `file_version: "brain.Event:2"`.
    pub files: Vec<PathBuf>,
    pub file_versions: usize,
    /// Tag -> (step, value).
    pub scalars: BTreeMap<String, Vec<(i64, f32)>>,
    pub images: BTreeMap<String, Vec<LoggedImage>>,
    /// Tag -> (step, text).
    pub texts: BTreeMap<String, Vec<(i64, String)>>,
    pub session_starts: Vec<SessionStartInfo>,
    pub session_ends: Vec<SessionEndInfo>,
}

impl EventLog {
    /// Reads every event file of `dir`.
    pub fn read_dir(dir: &Path) -> Result<EventLog, TensorBoardError> {
        let mut log = EventLog::default();
        for path in event_files(dir)? {
            let events = read_events(&path)?;
            if let Some(Event {
                what: Some(event::What::FileVersion(v)),
                ..
            }) = events.first()
                && v == crate::writer::FILE_VERSION
            {
                log.file_versions += 1;
            }
            for event in &events {
                log.add(event, &path)?;
            }
            log.files.push(path);
        }
        Ok(log)
    }

    /// The values of a scalar, in order (empty when the tag was never logged).
    pub fn scalar(&self, tag: &str) -> &[(i64, f32)] {
        self.scalars.get(tag).map(Vec::as_slice).unwrap_or_default()
    }

    fn add(&mut self, event: &Event, path: &Path) -> Result<(), TensorBoardError> {
        let Some(event::What::Summary(summary)) = &event.what else {
            return Ok(());
        };
        let step = event.step;
        for value in &summary.value {
            let plugin = value
                .metadata
                .as_ref()
                .and_then(|m| m.plugin_data.as_ref())
                .map(|p| (p.plugin_name.as_str(), p.content.as_slice()));
            match (&value.value, plugin) {
                (_, Some((HPARAMS_PLUGIN, content))) => {
                    let data = HParamsPluginData::decode(content).map_err(|e| {
                        TensorBoardError::Corrupt {
                            path: path.to_path_buf(),
                            message: format!("{}: {e}", value.tag),
                        }
                    })?;
                    match (value.tag.as_str(), data.data) {
                        (
                            SESSION_START_INFO_TAG,
                            Some(h_params_plugin_data::Data::SessionStartInfo(info)),
                        ) => self.session_starts.push(info),
                        (
                            SESSION_END_INFO_TAG,
                            Some(h_params_plugin_data::Data::SessionEndInfo(info)),
                        ) => self.session_ends.push(info),
                        _ => {}
                    }
                }
                (Some(summary::value::Value::SimpleValue(v)), _) => self
                    .scalars
                    .entry(value.tag.clone())
                    .or_default()
                    .push((step, *v)),
                (Some(summary::value::Value::Image(image)), _) => self
                    .images
                    .entry(value.tag.clone())
                    .or_default()
                    .push(LoggedImage {
                        step,
                        width: image.width as u32,
                        height: image.height as u32,
                        channels: image.colorspace as u32,
                        png: image.encoded_image_string.clone(),
                    }),
                (
                    Some(summary::value::Value::Tensor(tensor)),
                    Some((crate::values::TEXT_PLUGIN, _)),
                ) => {
                    let text = tensor
                        .string_val
                        .iter()
                        .map(|s| String::from_utf8_lossy(s).into_owned())
                        .collect::<Vec<_>>()
                        .join("\n");
                    self.texts
                        .entry(value.tag.clone())
                        .or_default()
                        .push((step, text));
                }
                _ => {}
            }
        }
        Ok(())
    }
}
