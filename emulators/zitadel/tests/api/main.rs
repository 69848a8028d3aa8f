//! HTTP-level tests of the emulator, one behaviour per test, in one test binary.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod authentication;
mod client_credentials;
mod codes;
mod create_user;
mod credentials;
mod faults;
mod get_user;
mod inspection;
mod list_users;
mod metadata;
mod protojson;
mod state_changes;
mod update_user;
