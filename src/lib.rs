//! Kubernetes operator that manages ZITADEL users from a `User` custom resource.

pub mod conditions;
pub mod controller;
pub mod crd;
pub mod events;
pub mod fingerprint;
// Test builders: for this crate's unit tests, and for the other test code through the feature.
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod names;
pub mod operator;
pub mod password;
pub mod secrets;
pub mod validate;

// The ZITADEL client is its own crate; these keep `crate::zitadel` and `crate::sensitive` paths.
pub use zitadel_client as zitadel;
pub use zitadel_client::sensitive;

// runtime modules
pub mod config;
pub mod http;
pub mod leader;
pub mod metrics;
pub mod shutdown;
pub mod telemetry;
pub mod tenancy;
