//! HTTP-level tests of the emulator, one behaviour per test, in one test binary.

#[path = "../common/mod.rs"]
mod common;

mod authentication;
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
