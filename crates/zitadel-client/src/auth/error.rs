//! Errors of obtaining a bearer token (PAT or JWT profile, contract §10).

use std::path::PathBuf;
use std::time::Duration;

use crate::error::DecodeFailure;

/// Credentials could not be obtained. Never carries a token, key or assertion.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The PAT file cannot be read.
    #[error("cannot read the token file {path:?}")]
    TokenFileUnreadable {
        /// The configured path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The PAT file holds only whitespace.
    #[error("the token file {path:?} is empty")]
    TokenFileEmpty {
        /// The configured path.
        path: PathBuf,
    },
    /// The in-memory token ([`Credentials::Pat`](super::Credentials::Pat)) holds only
    /// whitespace.
    #[error("the token value is empty")]
    TokenEmpty,
    /// The key file cannot be read.
    #[error("cannot read the key file {path:?}")]
    KeyFileUnreadable {
        /// The configured path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The key file is not a ZITADEL key file (contract §10.2).
    #[error("the key file {path:?} is not a ZITADEL key file: {failure}")]
    KeyFileInvalid {
        /// The configured path.
        path: PathBuf,
        /// What was wrong, without the content.
        failure: DecodeFailure,
    },
    /// The key file's `key` is not a usable RSA private key, or signing failed.
    #[error("cannot sign the JWT assertion with the key in {path:?}")]
    Signing {
        /// The configured path.
        path: PathBuf,
        /// The signing error (no key material in it).
        #[source]
        source: jsonwebtoken::errors::Error,
    },
    /// The in-memory key ([`Credentials::Key`](super::Credentials::Key)) is not a ZITADEL key
    /// file (contract §10.2).
    #[error("the key value is not a ZITADEL key file: {failure}")]
    KeyInvalid {
        /// What was wrong, without the content.
        failure: DecodeFailure,
    },
    /// The in-memory key's `key` is not a usable RSA private key, or signing failed.
    #[error("cannot sign the JWT assertion with the key value")]
    KeySigning(#[source] jsonwebtoken::errors::Error),
    /// The token endpoint refused the assertion with a 4xx.
    #[error("the token endpoint refused the assertion: HTTP {status}{}", oauth_error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default())]
    TokenRejected {
        /// HTTP status.
        status: u16,
        /// The OAuth `error` code, e.g. `invalid_grant`.
        oauth_error: Option<String>,
    },
    /// A 5xx after a fresh assertion. ZITADEL answers *rejected* assertions this way (contract
    /// §10.2), so this is reported as a likely configuration problem, not only an outage.
    #[error(
        "the token endpoint answered HTTP {status} to a fresh assertion; ZITADEL answers rejected \
         assertions this way: check the key file, the issuer (JWT audience) and the instance host"
    )]
    TokenEndpointServerError {
        /// HTTP status.
        status: u16,
    },
    /// The token endpoint answered 429: ZITADEL throttles the operator (its rate limit, a
    /// request quota, or a blocked instance). Nothing to fix in the credential.
    #[error("the token endpoint rate-limited the request (HTTP 429){}", retry_after.map(|d| format!(", retry after {d:?}")).unwrap_or_default())]
    TokenEndpointRateLimited {
        /// `Retry-After`, when present.
        retry_after: Option<Duration>,
    },
    /// The token endpoint could not be reached.
    #[error("the token endpoint is unreachable")]
    TokenEndpointTransport(#[source] reqwest::Error),
    /// The token endpoint did not answer in time.
    #[error("the token endpoint did not answer within {0:?}")]
    TokenEndpointTimeout(Duration),
    /// A 2xx token response of the wrong shape.
    #[error("undecodable token response: {0}")]
    TokenResponseInvalid(DecodeFailure),
}

impl AuthError {
    /// The token endpoint was unreachable or slow: an outage, nothing to fix in the config.
    pub fn is_outage(&self) -> bool {
        matches!(
            self,
            Self::TokenEndpointTransport(_) | Self::TokenEndpointTimeout(_)
        )
    }

    /// The token endpoint answered 429.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::TokenEndpointRateLimited { .. })
    }

    /// The `Retry-After` of a 429 from the token endpoint.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::TokenEndpointRateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// Worth retrying: outages, 429s, and 5xx from the token endpoint (which may be an outage
    /// even though it more often means a rejected assertion).
    pub fn is_transient(&self) -> bool {
        self.is_outage()
            || self.is_rate_limited()
            || matches!(self, Self::TokenEndpointServerError { .. })
    }

    /// The token endpoint did not answer in time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::TokenEndpointTimeout(_))
    }

    /// A configuration problem is the likely cause (bad file, token, key, issuer or instance
    /// host).
    pub fn is_config_suspect(&self) -> bool {
        !self.is_outage() && !self.is_rate_limited()
    }
}
