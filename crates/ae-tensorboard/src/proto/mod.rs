//! The protobuf messages TensorBoard reads, declared with prost's derive: only the fields this
//! crate writes or its tests read (prost skips the others when decoding). Field numbers are
//! those of tensorflow/tensorboard's `.proto` files, named at each message, and were checked
//! against the descriptors of TensorBoard 2.21's generated `*_pb2` modules.

mod event_proto;
mod plugin_data_proto;
mod struct_proto;
mod summary_proto;
mod tensor_proto;

pub use event_proto::{Event, event};
pub use plugin_data_proto::{
    HParamsPluginData, SessionEndInfo, SessionStartInfo, Status, h_params_plugin_data,
};
pub use struct_proto::{ListValue, Value, value};
pub use summary_proto::{DataClass, Summary, SummaryMetadata, summary, summary_metadata};
pub use tensor_proto::{DataType, TensorProto, TensorShapeProto, tensor_shape_proto};
