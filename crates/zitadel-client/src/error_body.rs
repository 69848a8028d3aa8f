//! Decoding of non-2xx REST bodies (grpc-gateway `google.rpc.Status`, contract §9.1).

use std::time::Duration;

use serde_json::Value;

use super::error::ApiError;
use super::grpc_code::GrpcCode;
use super::rpc::Rpc;

/// Builds the [`ApiError`] for a non-2xx answer. Lenient by design: a proxy's HTML page or a
/// body of another shape still yields the status (and `Retry-After`), just no code or id.
pub(crate) fn decode(
    rpc: Rpc,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> ApiError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |pointer: &str| {
        parsed
            .as_ref()
            .and_then(|value| value.pointer(pointer))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    ApiError {
        rpc,
        status,
        code: parsed
            .as_ref()
            .and_then(|value| value.get("code"))
            .and_then(Value::as_i64)
            .map(GrpcCode::from_number),
        error_id: field("/details/0/id"),
        message: field("/message"),
        retry_after,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::{Error, ErrorKind};

    fn zitadel_error(status: u16, code: i64, id: &str) -> Error {
        let body = json!({"code": code, "message": format!("Errors.Something ({id})"),
            "details": [{"@type": "type.googleapis.com/zitadel.v1.ErrorDetail",
                         "id": id, "message": "Errors.Something"}]});
        Error::Api(decode(
            Rpc::CreateUser,
            status,
            None,
            body.to_string().as_bytes(),
        ))
    }

    #[test]
    fn the_status_body_fields_are_kept() {
        let err = zitadel_error(409, 6, "V3-DKcYh");
        let api = err.api().unwrap();
        assert_eq!(api.status, 409);
        assert_eq!(api.code, Some(GrpcCode::AlreadyExists));
        assert_eq!(api.error_id.as_deref(), Some("V3-DKcYh"));
        assert_eq!(api.message.as_deref(), Some("Errors.Something (V3-DKcYh)"));
        assert_eq!(api.rpc, Rpc::CreateUser);
        assert_eq!(
            err.to_string(),
            "CreateUser: HTTP 409 ALREADY_EXISTS [V3-DKcYh]: Errors.Something (V3-DKcYh)"
        );
    }

    #[test]
    fn reusing_a_user_id_is_user_id_taken_for_each_of_the_three_ids() {
        for id in ["COMMAND-7yiox1isql", "COMMAND-k2unb", "COMMAND-k2una"] {
            let err = zitadel_error(400, 9, id);
            assert!(err.is_user_id_taken(), "{id}");
            assert!(err.is_failed_precondition());
            assert_eq!(err.kind(), ErrorKind::UserIdTaken);
            assert!(!err.is_transient());
        }
    }

    #[test]
    fn other_failed_preconditions_are_not_user_id_taken() {
        for id in ["COMMAND-QXPGs", "META-9mm2d"] {
            let err = zitadel_error(400, 9, id);
            assert!(!err.is_user_id_taken(), "{id}");
            assert!(err.is_failed_precondition());
            assert_eq!(err.kind(), ErrorKind::FailedPrecondition);
        }
    }

    #[test]
    fn a_user_id_error_id_with_another_code_is_not_user_id_taken() {
        assert!(!zitadel_error(409, 6, "COMMAND-k2unb").is_user_id_taken());
    }

    #[test]
    fn a_409_is_username_taken() {
        let err = zitadel_error(409, 6, "V3-DKcYh");
        assert!(err.is_username_taken());
        assert!(!err.is_user_id_taken());
        assert_eq!(err.kind().as_str(), "already_exists");
    }

    #[test]
    fn a_404_is_not_found() {
        let err = zitadel_error(404, 5, "QUERY-Dfbg2");
        assert!(err.is_not_found());
        assert_eq!(err.kind().as_str(), "not_found");
        assert!(!err.is_transient());
    }

    #[test]
    fn a_400_invalid_argument_is_classified() {
        let err = zitadel_error(400, 3, "USERv2-4f3d6");
        assert!(err.is_invalid_argument());
        assert!(!err.is_failed_precondition());
        assert_eq!(err.kind().as_str(), "invalid_argument");
    }

    #[test]
    fn a_403_is_permission_denied() {
        let err = zitadel_error(403, 7, "AUTHZ-HKJD33");
        assert!(err.is_permission_denied());
        assert_eq!(err.kind().as_str(), "permission_denied");
    }

    #[test]
    fn a_401_is_unauthenticated() {
        let err = zitadel_error(401, 16, "AUTH-7fs1e");
        assert!(err.is_unauthenticated());
        assert_eq!(err.kind().as_str(), "unauthenticated");
        assert!(!err.is_transient());
    }

    #[test]
    fn a_429_is_rate_limited_transient_and_keeps_retry_after() {
        let body = json!({"code": 8, "message": "quota exceeded"}).to_string();
        let err = Error::Api(decode(
            Rpc::ListUsers,
            429,
            Some(Duration::from_secs(3)),
            body.as_bytes(),
        ));
        assert!(err.is_rate_limited());
        assert!(err.is_transient());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
        assert_eq!(err.kind().as_str(), "rate_limited");
    }

    #[test]
    fn a_5xx_is_transient() {
        for (status, code) in [(500, 13), (503, 14), (504, 4)] {
            let err = zitadel_error(status, code, "X-1");
            assert!(err.is_transient(), "{status}");
            assert_eq!(err.kind().as_str(), "transient");
        }
    }

    #[test]
    fn a_non_json_502_from_a_proxy_is_transient_without_code() {
        let err = Error::Api(decode(
            Rpc::GetUserById,
            502,
            None,
            b"<html><body>Bad Gateway</body></html>",
        ));
        assert_eq!(err.grpc_code(), None);
        assert_eq!(err.error_id(), None);
        assert!(err.is_transient());
        assert!(!err.is_not_found());
        assert_eq!(err.kind(), ErrorKind::Transient);
        assert_eq!(err.to_string(), "GetUserByID: HTTP 502");
    }

    #[test]
    fn a_bare_404_from_a_proxy_is_not_not_found() {
        let err = Error::Api(decode(Rpc::GetUserById, 404, None, b"404 page not found"));
        assert!(!err.is_not_found());
        assert_eq!(err.kind(), ErrorKind::Api);
    }

    #[test]
    fn a_routing_miss_405_is_a_plain_api_error() {
        let err = Error::Api(decode(
            Rpc::UpdateUser,
            405,
            None,
            br#"{"code":12,"message":"Method Not Allowed"}"#,
        ));
        assert_eq!(err.grpc_code(), Some(GrpcCode::Unimplemented));
        assert_eq!(err.kind(), ErrorKind::Api);
        assert!(!err.is_transient());
    }
}
