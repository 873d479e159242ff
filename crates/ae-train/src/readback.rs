//! Reading tensors back to the host: whole tensors, and many one-element tensors in one
//! transfer (the losses of a window of steps, the sums of an evaluation pass).

use burn::tensor::{Int, Tensor};

use crate::error::TrainError;

/// Reads a float tensor back to the host.
pub fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, TrainError> {
    t.try_into_data()
        .map_err(|e| TrainError::Backend(format!("{e:?}")))?
        .try_into_vec_as::<f32>()
        .map_err(|e| TrainError::Backend(format!("{e:?}")))
}

/// Reads an integer tensor back to the host.
pub fn read_i64<const D: usize>(t: Tensor<D, Int>) -> Result<Vec<i64>, TrainError> {
    t.try_into_data()
        .map_err(|e| TrainError::Backend(format!("{e:?}")))?
        .try_into_vec_as::<i64>()
        .map_err(|e| TrainError::Backend(format!("{e:?}")))
}

/// Reads 1-element tensors back in one transfer.
pub fn read_scalars(values: Vec<Tensor<1>>) -> Result<Vec<f32>, TrainError> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    read_f32(Tensor::cat(values, 0))
}

/// Reads 1-element integer tensors back in one transfer.
pub fn read_int_scalars(values: Vec<Tensor<1, Int>>) -> Result<Vec<i64>, TrainError> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    read_i64(Tensor::cat(values, 0))
}
