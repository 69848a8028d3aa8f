//! The client's error type and the classification helpers the reconciler relies on.
//!
//! Nothing in here ever holds a request body, token, password, code or key: API errors keep
//! only the decoded status fields of §9.1, and decode failures keep only the position.

use std::fmt;
use std::time::Duration;

use super::auth::AuthError;
use super::base_url::BaseUrlError;
use super::grpc_code::GrpcCode;
use super::rpc::Rpc;

/// ZITADEL error ids of "a user with this userId already exists" (contract §9.3, §14.2).
pub const USER_ID_TAKEN_ERROR_IDS: [&str; 3] = [
    "COMMAND-7yiox1isql", // human, recent servers
    "COMMAND-k2unb",      // human, older servers
    "COMMAND-k2una",      // machine
];

/// Any failure of a client call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with a non-2xx status.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// No HTTP response: connect refused, reset, TLS failure, or the connection closed before
    /// a response arrived. The URL inside carries ids only; query strings are stripped.
    #[error("{rpc}: transport error (no response)")]
    Transport {
        /// The call.
        rpc: Rpc,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The request deadline passed.
    #[error("{rpc}: no response within {timeout:?}")]
    Timeout {
        /// The call.
        rpc: Rpc,
        /// The configured deadline.
        timeout: Duration,
    },
    /// A 2xx response whose body does not have the expected shape.
    #[error("{rpc}: undecodable response (HTTP {status}): {failure}")]
    Decode {
        /// The call.
        rpc: Rpc,
        /// The HTTP status.
        status: u16,
        /// What was wrong, without the body.
        failure: DecodeFailure,
    },
    /// The request was refused before sending (an unusable id, an unserialisable value).
    #[error("{rpc}: invalid request: {reason}")]
    InvalidRequest {
        /// The call.
        rpc: Rpc,
        /// Why.
        reason: &'static str,
    },
    /// Obtaining credentials for the call failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The client configuration is unusable.
    #[error("invalid ZITADEL client configuration: {0}")]
    Config(#[from] ConfigError),
}

/// A non-2xx answer, decoded from the grpc-gateway body of contract §9.1 when possible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ApiError {
    /// The call.
    pub rpc: Rpc,
    /// HTTP status.
    pub status: u16,
    /// The gRPC code from the body; `None` when the body was not a ZITADEL error (e.g. an
    /// HTML 502 from a proxy).
    pub code: Option<GrpcCode>,
    /// ZITADEL's error id (`details[0].id`, e.g. `COMMAND-7yiox1isql`).
    pub error_id: Option<String>,
    /// The server's (possibly localised) message. Never match on it (§9.1).
    pub message: Option<String>,
    /// `Retry-After` (seconds or HTTP-date), when present.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HTTP {}", self.rpc, self.status)?;
        if let Some(code) = self.code {
            write!(f, " {code}")?;
        }
        if let Some(id) = &self.error_id {
            write!(f, " [{id}]")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(delay) = self.retry_after {
            write!(f, " (retry after {delay:?})")?;
        }
        Ok(())
    }
}

/// Why a body could not be decoded. Deliberately not the serde_json error itself: its message
/// can quote parts of the body, which may hold a one-time secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeFailure {
    /// The JSON did not parse or did not match the type.
    Json {
        /// `"syntax"`, `"data"`, `"eof"` or `"io"`.
        category: &'static str,
        /// 1-based line of the failure.
        line: usize,
        /// 1-based column of the failure.
        column: usize,
    },
    /// A field the client needs was absent.
    MissingField(&'static str),
}

impl DecodeFailure {
    /// Keeps only the category and position of a serde_json error.
    pub fn from_json(error: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let category = match error.classify() {
            Category::Io => "io",
            Category::Syntax => "syntax",
            Category::Data => "data",
            Category::Eof => "eof",
        };
        Self::Json {
            category,
            line: error.line(),
            column: error.column(),
        }
    }
}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json {
                category,
                line,
                column,
            } => write!(f, "JSON {category} error at line {line} column {column}"),
            Self::MissingField(field) => write!(f, "missing field `{field}`"),
        }
    }
}

/// Problems found while building the client.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `base_url` is not a usable ZITADEL base URL. The URL is not repeated: it could carry a
    /// password.
    #[error("the base URL is not usable")]
    BaseUrl(#[from] BaseUrlError),
    /// The instance host is not a valid header value.
    #[error("instance host {host:?} is not a valid header value")]
    InstanceHost {
        /// The configured value.
        host: String,
    },
    /// The HTTP client could not be built (TLS backend).
    #[error("cannot build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
}

/// Coarse class of an error, for metrics labels and reconciler decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The object does not exist (gRPC NotFound).
    NotFound,
    /// CreateUser with a `userId` that is already used (§9.3, a FailedPrecondition).
    UserIdTaken,
    /// A unique value (e.g. the username) is taken (gRPC AlreadyExists, 409).
    AlreadyExists,
    /// The request was invalid (gRPC InvalidArgument).
    InvalidArgument,
    /// The state does not allow the call (gRPC FailedPrecondition, HTTP 400).
    FailedPrecondition,
    /// The credential lacks a permission (403).
    PermissionDenied,
    /// The credential was rejected (401), also after the one refresh-and-retry.
    Unauthenticated,
    /// Throttled (429 / ResourceExhausted, also from the token endpoint); see
    /// [`Error::retry_after`].
    RateLimited,
    /// Worth retrying later: 5xx, timeouts, connection failures.
    Transient,
    /// Credentials could not be obtained (token/key file, token endpoint refusal).
    Auth,
    /// A 2xx body of the wrong shape.
    Decode,
    /// The client configuration is unusable.
    Config,
    /// The client refused to send the request.
    InvalidRequest,
    /// Any other API error (e.g. 405, an unexpected 4xx).
    Api,
}

impl ErrorKind {
    /// A short, stable metric label such as `"not_found"` (success is labelled `"ok"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::UserIdTaken => "user_id_taken",
            Self::AlreadyExists => "already_exists",
            Self::InvalidArgument => "invalid_argument",
            Self::FailedPrecondition => "failed_precondition",
            Self::PermissionDenied => "permission_denied",
            Self::Unauthenticated => "unauthenticated",
            Self::RateLimited => "rate_limited",
            Self::Transient => "transient",
            Self::Auth => "auth",
            Self::Decode => "decode",
            Self::Config => "config",
            Self::InvalidRequest => "invalid_request",
            Self::Api => "api",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The API error, when the server answered.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The decoded gRPC code, when the server answered with a ZITADEL error body.
    pub fn grpc_code(&self) -> Option<GrpcCode> {
        self.api().and_then(|api| api.code)
    }

    /// The ZITADEL error id (`details[0].id`).
    pub fn error_id(&self) -> Option<&str> {
        self.api().and_then(|api| api.error_id.as_deref())
    }

    /// The HTTP status, when the server answered.
    pub fn http_status(&self) -> Option<u16> {
        self.api().map(|api| api.status)
    }

    /// CreateUser with a `userId` that already exists: FailedPrecondition with one of
    /// [`USER_ID_TAKEN_ERROR_IDS`] (contract §9.3): read the user and adopt it if it matches.
    pub fn is_user_id_taken(&self) -> bool {
        self.grpc_code() == Some(GrpcCode::FailedPrecondition)
            && self
                .error_id()
                .is_some_and(|id| USER_ID_TAKEN_ERROR_IDS.contains(&id))
    }

    /// A username clash: AlreadyExists / 409 (`V3-DKcYh`, contract §9.3).
    pub fn is_username_taken(&self) -> bool {
        self.grpc_code() == Some(GrpcCode::AlreadyExists)
    }

    /// gRPC NotFound. A bare 404 without a ZITADEL body (a proxy, a missing route) does not
    /// count: treating it as "user gone" could make the reconciler recreate a user.
    pub fn is_not_found(&self) -> bool {
        self.grpc_code() == Some(GrpcCode::NotFound)
    }

    /// gRPC InvalidArgument.
    pub fn is_invalid_argument(&self) -> bool {
        self.grpc_code() == Some(GrpcCode::InvalidArgument)
    }

    /// gRPC FailedPrecondition (HTTP 400), including [`is_user_id_taken`](Self::is_user_id_taken).
    pub fn is_failed_precondition(&self) -> bool {
        self.grpc_code() == Some(GrpcCode::FailedPrecondition)
    }

    /// PermissionDenied or HTTP 403.
    pub fn is_permission_denied(&self) -> bool {
        self.grpc_code() == Some(GrpcCode::PermissionDenied) || self.http_status() == Some(403)
    }

    /// Unauthenticated or HTTP 401 (after the client's one refresh-and-retry).
    pub fn is_unauthenticated(&self) -> bool {
        self.grpc_code() == Some(GrpcCode::Unauthenticated) || self.http_status() == Some(401)
    }

    /// HTTP 429 or ResourceExhausted, from the API or the token endpoint.
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Self::Auth(auth) => auth.is_rate_limited(),
            _ => {
                self.grpc_code() == Some(GrpcCode::ResourceExhausted)
                    || self.http_status() == Some(429)
            }
        }
    }

    /// The server-requested delay (`Retry-After`), when present.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Auth(auth) => auth.retry_after(),
            _ => self.api().and_then(|api| api.retry_after),
        }
    }

    /// The deadline passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
            || matches!(self, Self::Auth(auth) if auth.is_timeout())
    }

    /// Worth retrying with backoff: 5xx, 429, timeouts and connection failures (including a
    /// connection closed without a response: the call may or may not have been applied).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. } | Self::Timeout { .. } => true,
            Self::Api(api) => {
                api.status >= 500
                    || api.status == 429
                    || matches!(
                        api.code,
                        Some(
                            GrpcCode::Unavailable
                                | GrpcCode::DeadlineExceeded
                                | GrpcCode::ResourceExhausted
                        )
                    )
            }
            Self::Auth(auth) => auth.is_transient(),
            Self::Decode { .. } | Self::InvalidRequest { .. } | Self::Config(_) => false,
        }
    }

    /// The coarse class (its [`ErrorKind::as_str`] is the metric label).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Api(_) => self.api_kind(),
            Self::Transport { .. } | Self::Timeout { .. } => ErrorKind::Transient,
            Self::Auth(auth) if auth.is_outage() => ErrorKind::Transient,
            Self::Auth(auth) if auth.is_rate_limited() => ErrorKind::RateLimited,
            Self::Auth(_) => ErrorKind::Auth,
            Self::Decode { .. } => ErrorKind::Decode,
            Self::Config(_) => ErrorKind::Config,
            Self::InvalidRequest { .. } => ErrorKind::InvalidRequest,
        }
    }

    fn api_kind(&self) -> ErrorKind {
        if self.is_user_id_taken() {
            ErrorKind::UserIdTaken
        } else if self.is_username_taken() {
            ErrorKind::AlreadyExists
        } else if self.is_not_found() {
            ErrorKind::NotFound
        } else if self.is_invalid_argument() {
            ErrorKind::InvalidArgument
        } else if self.is_failed_precondition() {
            ErrorKind::FailedPrecondition
        } else if self.is_permission_denied() {
            ErrorKind::PermissionDenied
        } else if self.is_unauthenticated() {
            ErrorKind::Unauthenticated
        } else if self.is_rate_limited() {
            ErrorKind::RateLimited
        } else if self.is_transient() {
            ErrorKind::Transient
        } else {
            ErrorKind::Api
        }
    }
}
