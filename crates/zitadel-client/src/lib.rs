//! Typed client for the ZITADEL v2 user API (REST paths of contract §13).
//!
//! [`ZitadelClient`] speaks the grpc-gateway JSON surface with a PAT or JWT-profile token,
//! a per-request deadline and no retries beyond one after a 401 (backoff belongs to the
//! reconciler). An optional [`RateLimiter`], shared per ZITADEL instance through [`Limiters`],
//! spaces its requests, caps how many await an answer at once, and pauses them all when ZITADEL
//! answers 429. Errors classify the contract's failure cases ([`Error::is_user_id_taken`],
//! [`Error::is_transient`], [`Error::kind`], …).

mod api;
pub mod auth;
mod base_url;
mod client;
pub mod error;
mod error_body;
pub mod grpc_code;
pub mod limiter;
mod retry_after;
pub mod rpc;
pub mod sensitive;
mod transport;
pub mod types;

pub use api::AccessCheck;
pub use auth::{AuthError, Credentials, KeyFile};
pub use base_url::{BaseUrlError, UrlParseError, canonical_base_url, parse_base_url};
pub use client::{
    ClientConfig, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, INSTANCE_HOST_HEADER,
    ZitadelClient,
};
pub use error::{ApiError, ConfigError, DecodeFailure, Error, ErrorKind, USER_ID_TAKEN_ERROR_IDS};
pub use grpc_code::GrpcCode;
pub use limiter::{InFlight, Limiters, RateLimit, RateLimitError, RateLimiter};
pub use rpc::{CallObserver, Rpc};
