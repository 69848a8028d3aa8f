//! Compatibility tests: real kube clients (and kubectl) against the emulator.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod controller;
mod crud;
mod events;
mod faults;
mod finalizers;
mod kubectl;
mod leases;
mod patching;
mod status;
mod support;
mod validation;
mod watching;
