//! The API calls of [`ZitadelClient`](super::ZitadelClient), one file per area.

mod codes;
mod machine_credentials;
mod metadata;
mod users;
