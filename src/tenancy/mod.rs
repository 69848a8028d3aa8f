//! Tenancy: which `User` may use which connection (ZITADEL instance, credential, organizations).

pub mod admission;
pub mod selector;
