//! `tensorboard/compat/proto/event.proto`: one record of an event file.

use super::summary_proto::Summary;

/// `message Event`: a timestamped, stepped item of an event file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Event {
    /// Seconds since the epoch.
    #[prost(double, tag = "1")]
    pub wall_time: f64,
    #[prost(int64, tag = "2")]
    pub step: i64,
    #[prost(oneof = "event::What", tags = "3, 4, 5")]
    pub what: Option<event::What>,
}

pub mod event {
    /// `oneof what` (of which `log_message` = 6, `session_log` = 7, `tagged_run_metadata` = 8
    /// and `meta_graph_def` = 9 are not written).
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum What {
        /// `"brain.Event:2"` in the first record of every file.
        #[prost(string, tag = "3")]
        FileVersion(String),
        #[prost(bytes, tag = "4")]
        GraphDef(Vec<u8>),
        #[prost(message, tag = "5")]
        Summary(super::Summary),
    }
}
