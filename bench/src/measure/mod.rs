//! What the benchmark measures: API call counts, latency percentiles, the operator's own
//! metrics and its memory.

pub mod counts;
pub mod latency;
pub mod memory;
pub mod metrics;
