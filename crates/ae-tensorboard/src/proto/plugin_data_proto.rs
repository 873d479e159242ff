//! `tensorboard/plugins/hparams/plugin_data.proto` (and `api.proto`'s `Status`): what the
//! hparams plugin reads from the `_hparams_/session_start_info` and `_hparams_/session_end_info`
//! values of a run.

use std::collections::BTreeMap;

use super::struct_proto::Value;

/// `enum Status` of `api.proto`: how a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum Status {
    Unknown = 0,
    Success = 1,
    Failure = 2,
    Running = 3,
}

/// `message HParamsPluginData`: the plugin data content of an hparams value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HParamsPluginData {
    /// 0, the plugin's `PLUGIN_DATA_VERSION`.
    #[prost(int32, tag = "1")]
    pub version: i32,
    #[prost(oneof = "h_params_plugin_data::Data", tags = "3, 4")]
    pub data: Option<h_params_plugin_data::Data>,
}

pub mod h_params_plugin_data {
    /// `oneof data` (`experiment` = 2 is not written: the plugin works the experiment out
    /// from the sessions and their scalars).
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Data {
        #[prost(message, tag = "3")]
        SessionStartInfo(super::SessionStartInfo),
        #[prost(message, tag = "4")]
        SessionEndInfo(super::SessionEndInfo),
    }
}

/// `message SessionStartInfo`: a session's hyper-parameters.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SessionStartInfo {
    #[prost(btree_map = "string, message", tag = "1")]
    pub hparams: BTreeMap<String, Value>,
    #[prost(string, tag = "2")]
    pub model_uri: String,
    #[prost(string, tag = "3")]
    pub monitor_url: String,
    /// Sessions of one group are repeats of the same hyper-parameters.
    #[prost(string, tag = "4")]
    pub group_name: String,
    #[prost(double, tag = "5")]
    pub start_time_secs: f64,
}

/// `message SessionEndInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SessionEndInfo {
    #[prost(enumeration = "Status", tag = "1")]
    pub status: i32,
    #[prost(double, tag = "2")]
    pub end_time_secs: f64,
}
