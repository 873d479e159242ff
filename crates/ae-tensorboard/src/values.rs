//! One summary value of each kind TensorBoard's dashboards read: a scalar (`simple_value`,
//! the Scalars dashboard), a PNG image (`Summary.Image`, the Images dashboard) and a text
//! (a string tensor for the `text` plugin, which renders Markdown).

use prost::Message;

use crate::proto::{
    DataClass, DataType, Summary, SummaryMetadata, TensorProto, TensorShapeProto, summary,
    summary_metadata,
};

/// The text plugin's name in summary metadata.
pub const TEXT_PLUGIN: &str = "text";

/// A scalar (stored as `f32`, as TensorBoard's `simple_value` is).
pub fn scalar(tag: &str, value: f32) -> Summary {
    one(summary::Value {
        tag: tag.to_string(),
        value: Some(summary::value::Value::SimpleValue(value)),
        ..summary::Value::default()
    })
}

/// An encoded PNG of `width × height` with `channels` (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA).
pub fn image(tag: &str, png: &[u8], width: u32, height: u32, channels: u32) -> Summary {
    let image = summary::Image {
        height: height as i32,
        width: width as i32,
        colorspace: channels as i32,
        encoded_image_string: png.to_vec(),
    };
    one(summary::Value {
        tag: tag.to_string(),
        value: Some(summary::value::Value::Image(image)),
        ..summary::Value::default()
    })
}

/// A text (Markdown) as the text plugin reads it: a one-element string tensor with the
/// plugin's metadata (`TextPluginData { version: 0 }`, whose encoding is empty).
pub fn text(tag: &str, text: &str) -> Summary {
    #[derive(Clone, PartialEq, prost::Message)]
    struct TextPluginData {
        #[prost(int32, tag = "1")]
        version: i32,
    }
    let tensor = TensorProto {
        dtype: DataType::DtString as i32,
        tensor_shape: Some(TensorShapeProto::of(&[1])),
        string_val: vec![text.as_bytes().to_vec()],
        ..TensorProto::default()
    };
    one(summary::Value {
        tag: tag.to_string(),
        metadata: Some(SummaryMetadata {
            plugin_data: Some(summary_metadata::PluginData {
                plugin_name: TEXT_PLUGIN.to_string(),
                content: TextPluginData { version: 0 }.encode_to_vec(),
            }),
            data_class: DataClass::Tensor as i32,
            ..SummaryMetadata::default()
        }),
        value: Some(summary::value::Value::Tensor(tensor)),
        ..summary::Value::default()
    })
}

fn one(value: summary::Value) -> Summary {
    Summary { value: vec![value] }
}
