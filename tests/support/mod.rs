//! Fixtures shared by the integration tests. Each test binary compiles this whole module but uses
//! only part of it, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod chart;
pub mod consumer;
pub mod e2e;
