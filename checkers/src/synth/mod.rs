//! Generators of large histories with known verdicts, for benchmarks and property tests.

pub mod causal;
