//! serde types of the ZITADEL v2 user API in its proto3 JSON mapping (contract §1).
//!
//! Conventions: request types only `Serialize`, response types only `Deserialize` with
//! `#[serde(default)]` (zero values are omitted on the wire), oneofs are Rust enums that write
//! exactly one member key, and enums decode unknown values into a fallback variant.

pub mod codes;
pub mod common;
pub mod create;
pub mod human;
pub mod list_users;
pub mod machine_credentials;
pub mod metadata;
pub mod update;
pub mod user;
pub mod wire;

pub use codes::*;
pub use common::*;
pub use create::*;
pub use human::*;
pub use list_users::*;
pub use machine_credentials::*;
pub use metadata::{
    ListUserMetadataRequest, ListUserMetadataResponse, MetadataEntry, MetadataSearchFilter,
};
pub use update::*;
pub use user::*;
