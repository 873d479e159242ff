//! ae-data
