//! Kubernetes operator that manages ZITADEL users from a `User` custom resource.

pub mod crd;
pub mod sensitive;
pub mod zitadel;
