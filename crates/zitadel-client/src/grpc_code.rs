//! The gRPC status code carried in ZITADEL's REST error bodies (contract §9.1, §9.2).

use std::fmt;

/// A gRPC status code. ZITADEL's REST errors carry it as the numeric `code` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrpcCode {
    /// 0.
    Ok,
    /// 1.
    Cancelled,
    /// 2; also what out-of-range numbers decode to, as gRPC prescribes.
    Unknown,
    /// 3 → HTTP 400.
    InvalidArgument,
    /// 4 → HTTP 504.
    DeadlineExceeded,
    /// 5 → HTTP 404.
    NotFound,
    /// 6 → HTTP 409.
    AlreadyExists,
    /// 7 → HTTP 403.
    PermissionDenied,
    /// 8 → HTTP 429.
    ResourceExhausted,
    /// 9 → HTTP 400 (not 412, contract §9.2).
    FailedPrecondition,
    /// 10.
    Aborted,
    /// 11.
    OutOfRange,
    /// 12 → HTTP 501 (also a 405 routing miss).
    Unimplemented,
    /// 13 → HTTP 500.
    Internal,
    /// 14 → HTTP 503.
    Unavailable,
    /// 15.
    DataLoss,
    /// 16 → HTTP 401.
    Unauthenticated,
}

impl GrpcCode {
    /// Maps the numeric code; unknown numbers become [`GrpcCode::Unknown`].
    pub const fn from_number(code: i64) -> Self {
        match code {
            0 => Self::Ok,
            1 => Self::Cancelled,
            3 => Self::InvalidArgument,
            4 => Self::DeadlineExceeded,
            5 => Self::NotFound,
            6 => Self::AlreadyExists,
            7 => Self::PermissionDenied,
            8 => Self::ResourceExhausted,
            9 => Self::FailedPrecondition,
            10 => Self::Aborted,
            11 => Self::OutOfRange,
            12 => Self::Unimplemented,
            13 => Self::Internal,
            14 => Self::Unavailable,
            15 => Self::DataLoss,
            16 => Self::Unauthenticated,
            _ => Self::Unknown,
        }
    }

    /// The canonical upper-snake name, e.g. `"FAILED_PRECONDITION"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Cancelled => "CANCELLED",
            Self::Unknown => "UNKNOWN",
            Self::InvalidArgument => "INVALID_ARGUMENT",
            Self::DeadlineExceeded => "DEADLINE_EXCEEDED",
            Self::NotFound => "NOT_FOUND",
            Self::AlreadyExists => "ALREADY_EXISTS",
            Self::PermissionDenied => "PERMISSION_DENIED",
            Self::ResourceExhausted => "RESOURCE_EXHAUSTED",
            Self::FailedPrecondition => "FAILED_PRECONDITION",
            Self::Aborted => "ABORTED",
            Self::OutOfRange => "OUT_OF_RANGE",
            Self::Unimplemented => "UNIMPLEMENTED",
            Self::Internal => "INTERNAL",
            Self::Unavailable => "UNAVAILABLE",
            Self::DataLoss => "DATA_LOSS",
            Self::Unauthenticated => "UNAUTHENTICATED",
        }
    }
}

impl fmt::Display for GrpcCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::GrpcCode;

    #[test]
    fn numbers_map_to_codes_and_out_of_range_is_unknown() {
        assert_eq!(GrpcCode::from_number(9), GrpcCode::FailedPrecondition);
        assert_eq!(GrpcCode::from_number(16), GrpcCode::Unauthenticated);
        assert_eq!(GrpcCode::from_number(2), GrpcCode::Unknown);
        assert_eq!(GrpcCode::from_number(99), GrpcCode::Unknown);
        assert_eq!(GrpcCode::from_number(-1), GrpcCode::Unknown);
    }
}
