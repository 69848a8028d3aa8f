//! Tenancy: which `User` may use which connection (ZITADEL instance, credential, organizations).

pub mod admission;
pub mod connections;
pub mod controller;
pub mod selector;
