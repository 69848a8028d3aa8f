//! Typed client for the ZITADEL v2 user API.
