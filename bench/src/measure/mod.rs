//! What the benchmark measures: API call counts, latency percentiles, the operator's own
//! metrics, its memory and CPU time.

pub mod counts;
pub mod cpu;
pub mod latency;
pub mod memory;
pub mod metrics;
