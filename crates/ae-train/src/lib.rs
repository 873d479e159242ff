//! ae-train
