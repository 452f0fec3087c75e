//! Generators of synthetic histories for property tests and benchmarks: seeded, so the same seed
//! gives the same history.

pub mod elle;
