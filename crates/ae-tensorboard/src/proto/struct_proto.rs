//! `google/protobuf/struct.proto`'s `Value`: the type of an hparam's value.

/// `message Value`: null, number, string, bool or list (`struct_value` = 5 is not written).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Value {
    #[prost(oneof = "value::Kind", tags = "1, 2, 3, 4, 6")]
    pub kind: Option<value::Kind>,
}

/// `message ListValue`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListValue {
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<Value>,
}

pub mod value {
    /// `oneof kind`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Kind {
        /// `NullValue` (its only value is 0).
        #[prost(int32, tag = "1")]
        NullValue(i32),
        #[prost(double, tag = "2")]
        NumberValue(f64),
        #[prost(string, tag = "3")]
        StringValue(String),
        #[prost(bool, tag = "4")]
        BoolValue(bool),
        #[prost(message, tag = "6")]
        ListValue(super::ListValue),
    }
}
