//! The API calls of [`ZitadelClient`](super::ZitadelClient), one file per area.

mod access;
mod codes;
mod machine_credentials;
mod metadata;
mod users;

pub use access::AccessCheck;
