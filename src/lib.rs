//! Kubernetes operator that manages ZITADEL users from a `User` custom resource.

pub mod zitadel;
