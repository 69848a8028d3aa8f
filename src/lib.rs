//! Kubernetes operator that manages ZITADEL users from a `User` custom resource.

pub mod conditions;
pub mod controller;
pub mod crd;
pub mod names;
pub mod operator;
pub mod password;
pub mod secrets;
pub mod sensitive;
pub mod zitadel;

// runtime modules
pub mod config;
pub mod http;
pub mod leader;
pub mod metrics;
pub mod shutdown;
pub mod telemetry;
