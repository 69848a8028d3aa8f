//! ZITADEL's error bodies over the REST (grpc-gateway) surface, §9 of the API contract.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The gRPC status codes the emulator can answer with (and inject as faults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrpcCode {
    /// 3, HTTP 400.
    InvalidArgument,
    /// 9, HTTP 400 (grpc-gateway maps it to 400, not 412).
    FailedPrecondition,
    /// 5, HTTP 404.
    NotFound,
    /// 6, HTTP 409.
    AlreadyExists,
    /// 7, HTTP 403.
    PermissionDenied,
    /// 16, HTTP 401.
    Unauthenticated,
    /// 8, HTTP 429.
    ResourceExhausted,
    /// 14, HTTP 503.
    Unavailable,
    /// 13, HTTP 500.
    Internal,
    /// 4, HTTP 504.
    DeadlineExceeded,
    /// 12, HTTP 501.
    Unimplemented,
    /// 2, HTTP 500.
    Unknown,
}

impl GrpcCode {
    /// The numeric gRPC code, as written in the `code` field of an error body.
    pub fn number(self) -> u16 {
        match self {
            Self::Unknown => 2,
            Self::InvalidArgument => 3,
            Self::DeadlineExceeded => 4,
            Self::NotFound => 5,
            Self::AlreadyExists => 6,
            Self::PermissionDenied => 7,
            Self::ResourceExhausted => 8,
            Self::FailedPrecondition => 9,
            Self::Unimplemented => 12,
            Self::Internal => 13,
            Self::Unavailable => 14,
            Self::Unauthenticated => 16,
        }
    }

    /// The HTTP status grpc-gateway's `HTTPStatusFromCode` gives this code (§9.2).
    pub fn http_status(self) -> StatusCode {
        match self {
            Self::InvalidArgument | Self::FailedPrecondition => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::AlreadyExists => StatusCode::CONFLICT,
            Self::PermissionDenied => StatusCode::FORBIDDEN,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal | Self::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
            Self::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
            Self::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        }
    }
}

/// An error answered to a client: a gRPC code plus either a ZITADEL error (id + message key,
/// rendered with a `zitadel.v1.ErrorDetail`) or a request-validation message (no detail, as the
/// validation interceptor produces them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct ApiError {
    code: GrpcCode,
    kind: ErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ErrorKind {
    Zitadel { id: &'static str, key: &'static str },
    Validation(String),
    Routing(&'static str),
}

impl ApiError {
    /// A ZITADEL `zerrors` error: message `"<key> (<id>)"`, one `ErrorDetail {id, message: key}`.
    pub fn zitadel(code: GrpcCode, id: &'static str, key: &'static str) -> Self {
        Self {
            code,
            kind: ErrorKind::Zitadel { id, key },
        }
    }

    /// A request-validation failure (`invalid <Message>.<Field>: <reason>`), InvalidArgument
    /// without an `ErrorDetail`, like ZITADEL's proto-validation interceptor.
    pub fn validation(message: impl Into<String>) -> Self {
        Self {
            code: GrpcCode::InvalidArgument,
            kind: ErrorKind::Validation(message.into()),
        }
    }

    /// A routing miss answered by the gateway itself (plain message, no detail).
    pub(crate) fn routing(code: GrpcCode, message: &'static str) -> Self {
        Self {
            code,
            kind: ErrorKind::Routing(message),
        }
    }

    /// The gRPC code.
    #[cfg(test)]
    pub fn code(&self) -> GrpcCode {
        self.code
    }

    /// The ZITADEL error id, when this is a ZITADEL error.
    #[cfg(test)]
    pub fn id(&self) -> Option<&'static str> {
        match self.kind {
            ErrorKind::Zitadel { id, .. } => Some(id),
            _ => None,
        }
    }

    fn message(&self) -> String {
        match &self.kind {
            ErrorKind::Zitadel { id, key } => format!("{key} ({id})"),
            ErrorKind::Validation(message) => message.clone(),
            ErrorKind::Routing(message) => (*message).to_owned(),
        }
    }

    /// The §9.1 REST body.
    pub fn body(&self) -> serde_json::Value {
        match &self.kind {
            ErrorKind::Zitadel { id, key } => json!({
                "code": self.code.number(),
                "message": self.message(),
                "details": [{
                    "@type": "type.googleapis.com/zitadel.v1.ErrorDetail",
                    "id": id,
                    "message": key,
                }],
            }),
            // Empty `details` is a zero value, so protojson leaves it out.
            _ => json!({ "code": self.code.number(), "message": self.message() }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.code.http_status(), Json(self.body())).into_response()
    }
}

/// `Errors.User.NotFound`: also answered for deleted users.
pub fn user_not_found() -> ApiError {
    ApiError::zitadel(GrpcCode::NotFound, "QUERY-Dfbg2", "Errors.User.NotFound")
}

/// `Errors.Token.Invalid`: missing, unknown, expired or revoked credentials.
pub fn unauthenticated() -> ApiError {
    ApiError::zitadel(
        GrpcCode::Unauthenticated,
        "AUTH-7fs1e",
        "Errors.Token.Invalid",
    )
}

/// The caller may not act on the organization or user it addressed.
pub fn permission_denied() -> ApiError {
    ApiError::zitadel(
        GrpcCode::PermissionDenied,
        "AUTHZ-HKJD33",
        "Errors.PermissionDenied",
    )
}

/// The request's host does not name this instance (§10.3).
pub fn instance_not_found() -> ApiError {
    ApiError::zitadel(GrpcCode::NotFound, "QUERY-1kIjX", "Errors.IAM.NotFound")
}

/// Human-only operation on a machine user.
pub fn not_human() -> ApiError {
    ApiError::zitadel(
        GrpcCode::FailedPrecondition,
        "COMMAND-uTsNQ",
        "Errors.User.NotHuman",
    )
}

/// Machine-only operation (secrets, keys, PATs) on a human user.
pub fn not_machine() -> ApiError {
    ApiError::zitadel(
        GrpcCode::FailedPrecondition,
        "COMMAND-sd8Rg",
        "Errors.User.NotMachine",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zitadel_errors_carry_the_id_in_message_and_detail() {
        let body = ApiError::zitadel(
            GrpcCode::AlreadyExists,
            "V3-DKcYh",
            "Errors.User.AlreadyExists",
        )
        .body();
        assert_eq!(body["code"], 6);
        assert_eq!(body["message"], "Errors.User.AlreadyExists (V3-DKcYh)");
        assert_eq!(
            body["details"][0]["@type"],
            "type.googleapis.com/zitadel.v1.ErrorDetail"
        );
        assert_eq!(body["details"][0]["id"], "V3-DKcYh");
    }

    #[test]
    fn validation_errors_have_no_detail() {
        let body = ApiError::validation("invalid X.Y: value is required").body();
        assert_eq!(body["code"], 3);
        assert!(body.get("details").is_none());
    }

    #[test]
    fn failed_precondition_is_http_400_not_412() {
        assert_eq!(
            GrpcCode::FailedPrecondition.http_status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(GrpcCode::Unimplemented.number(), 12);
    }
}
