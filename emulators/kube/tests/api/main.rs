//! Compatibility tests: real kube clients (and kubectl) against the emulator.

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
