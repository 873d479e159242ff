//! Hyper-parameters as TensorBoard's hparams plugin reads them: a session's values in a
//! `_hparams_/session_start_info` summary and how it ended in `_hparams_/session_end_info`,
//! each a value whose plugin data is an `HParamsPluginData`. The plugin works out the
//! experiment (the hparams' domains, and the metrics: the sessions' scalars) from these alone.

use std::collections::BTreeMap;

use prost::Message;

use crate::proto::{
    DataClass, DataType, HParamsPluginData, SessionEndInfo, SessionStartInfo, Status, Summary,
    SummaryMetadata, TensorProto, TensorShapeProto, h_params_plugin_data, summary,
    summary_metadata, value,
};

/// The plugin's name in summary metadata.
pub const PLUGIN_NAME: &str = "hparams";
/// Tag of a session's hyper-parameters.
pub const SESSION_START_INFO_TAG: &str = "_hparams_/session_start_info";
/// Tag of a session's end.
pub const SESSION_END_INFO_TAG: &str = "_hparams_/session_end_info";

/// One hyper-parameter's value.
#[derive(Debug, Clone, PartialEq)]
pub enum HParamValue {
    Number(f64),
    Text(String),
    Bool(bool),
}

impl From<f64> for HParamValue {
    fn from(v: f64) -> Self {
        Self::Number(v)
    }
}
impl From<i64> for HParamValue {
    fn from(v: i64) -> Self {
        Self::Number(v as f64)
    }
}
impl From<bool> for HParamValue {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl From<&str> for HParamValue {
    fn from(v: &str) -> Self {
        Self::Text(v.to_string())
    }
}
impl From<String> for HParamValue {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl HParamValue {
    fn to_proto(&self) -> crate::proto::Value {
        let kind = match self {
            Self::Number(v) => value::Kind::NumberValue(*v),
            Self::Text(v) => value::Kind::StringValue(v.clone()),
            Self::Bool(v) => value::Kind::BoolValue(*v),
        };
        crate::proto::Value { kind: Some(kind) }
    }
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    Success,
    Failure,
    Running,
    Unknown,
}

impl SessionStatus {
    fn to_proto(self) -> Status {
        match self {
            Self::Success => Status::Success,
            Self::Failure => Status::Failure,
            Self::Running => Status::Running,
            Self::Unknown => Status::Unknown,
        }
    }
}

/// The summary of a session start: `hparams`, a group name (sessions of one group repeat the
/// same hyper-parameters; empty: the plugin makes one from the values) and the start time.
pub fn session_start_summary(
    hparams: &BTreeMap<String, HParamValue>,
    group_name: &str,
    start_time_secs: f64,
) -> Summary {
    let info = SessionStartInfo {
        hparams: hparams
            .iter()
            .map(|(k, v)| (k.clone(), v.to_proto()))
            .collect(),
        model_uri: String::new(),
        monitor_url: String::new(),
        group_name: group_name.to_string(),
        start_time_secs,
    };
    plugin_summary(
        SESSION_START_INFO_TAG,
        h_params_plugin_data::Data::SessionStartInfo(info),
    )
}

/// The summary of a session end.
pub fn session_end_summary(status: SessionStatus, end_time_secs: f64) -> Summary {
    let info = SessionEndInfo {
        status: status.to_proto() as i32,
        end_time_secs,
    };
    plugin_summary(
        SESSION_END_INFO_TAG,
        h_params_plugin_data::Data::SessionEndInfo(info),
    )
}

/// A value carrying `data` as hparams plugin data, with the plugin's placeholder tensor (an
/// empty float vector, `hparams.metadata.NULL_TENSOR`), as TensorBoard's own
/// `hparams.summary_v2` writes it.
fn plugin_summary(tag: &str, data: h_params_plugin_data::Data) -> Summary {
    let content = HParamsPluginData {
        version: 0,
        data: Some(data),
    }
    .encode_to_vec();
    let null_tensor = TensorProto {
        dtype: DataType::DtFloat as i32,
        tensor_shape: Some(TensorShapeProto::of(&[0])),
        ..TensorProto::default()
    };
    Summary {
        value: vec![summary::Value {
            tag: tag.to_string(),
            metadata: Some(SummaryMetadata {
                plugin_data: Some(summary_metadata::PluginData {
                    plugin_name: PLUGIN_NAME.to_string(),
                    content,
                }),
                data_class: DataClass::Tensor as i32,
                ..SummaryMetadata::default()
            }),
            value: Some(summary::value::Value::Tensor(null_tensor)),
            ..summary::Value::default()
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_start_decodes_back_to_its_values() {
        let mut hparams = BTreeMap::new();
        hparams.insert("lr".to_string(), HParamValue::from(0.5));
        hparams.insert("optimizer".to_string(), HParamValue::from("sgd"));
        hparams.insert("freeze".to_string(), HParamValue::from(true));
        let summary = session_start_summary(&hparams, "g", 12.0);
        let value = &summary.value[0];
        assert_eq!(value.tag, SESSION_START_INFO_TAG);
        let plugin = value
            .metadata
            .as_ref()
            .unwrap()
            .plugin_data
            .as_ref()
            .unwrap();
        assert_eq!(plugin.plugin_name, "hparams");
        let data = HParamsPluginData::decode(plugin.content.as_slice()).unwrap();
        let Some(h_params_plugin_data::Data::SessionStartInfo(info)) = data.data else {
            panic!("not a session start: {data:?}");
        };
        assert_eq!(
            (info.group_name.as_str(), info.start_time_secs),
            ("g", 12.0)
        );
        assert_eq!(info.hparams["lr"].kind, Some(value::Kind::NumberValue(0.5)));
        assert_eq!(
            info.hparams["optimizer"].kind,
            Some(value::Kind::StringValue("sgd".into()))
        );
        assert_eq!(
            info.hparams["freeze"].kind,
            Some(value::Kind::BoolValue(true))
        );
    }
}
