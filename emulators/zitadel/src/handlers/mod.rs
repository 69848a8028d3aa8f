//! HTTP handlers, one module per area of the user service, plus the shared request plumbing.

pub mod codes;
pub mod create;
pub mod credentials;
pub mod input;
pub mod list;
pub mod metadata;
pub mod pagination;
pub mod token;
pub mod update;
pub mod users;

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::errors::ApiError;
use crate::protojson::{self, message, timestamp, uint64};
use crate::state::users::EmulatedUser;
use crate::state::{Shared, State};

/// Router state.
pub type AppState = Arc<Shared>;

/// What every API handler returns.
pub type Reply = Result<Json<Value>, ApiError>;

/// A JSON response with zero values stripped.
pub fn reply(fields: impl IntoIterator<Item = (&'static str, Value)>) -> Reply {
    Ok(Json(message(
        fields
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect::<Map<_, _>>(),
    )))
}

/// `zitadel.object.v2.Details` of a user's last change.
pub fn object_details(user: &EmulatedUser) -> Value {
    message(Map::from_iter([
        ("sequence".to_owned(), uint64(user.sequence)),
        ("changeDate".to_owned(), timestamp(user.change_date)),
        (
            "resourceOwner".to_owned(),
            Value::String(user.organization_id.clone()),
        ),
    ]))
}

/// A copy of a user the caller may act on: NotFound first, then PermissionDenied.
pub fn user_for(state: &State, caller: &Caller, user_id: &str) -> Result<EmulatedUser, ApiError> {
    let user = state.user(user_id)?;
    caller.check_org(&user.organization_id)?;
    Ok(user.clone())
}

/// A request body in protojson: empty body = `{}`, snake_case names accepted, unknown fields
/// ignored; a malformed body is InvalidArgument like grpc-gateway's unmarshal errors.
pub struct ProtoJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ProtoJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::validation("proto: unable to read the request body"))?;
        parse_body(&body).map(ProtoJson)
    }
}

fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let raw: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(body).map_err(|error| syntax_error(&error))?
    };
    serde_json::from_value(protojson::normalize_keys(raw)).map_err(|error| syntax_error(&error))
}

/// serde messages may quote input values; a credential must never come back in an error, so
/// every quoted value is blanked.
fn syntax_error(error: &serde_json::Error) -> ApiError {
    let mut text = String::new();
    let mut quoted = false;
    for ch in error.to_string().chars() {
        match (ch, quoted) {
            ('"' | '`', false) => {
                quoted = true;
                text.push_str("\"…");
            }
            ('"' | '`', true) => {
                quoted = false;
                text.push('"');
            }
            (_, true) => {}
            (ch, false) => text.push(ch),
        }
    }
    ApiError::validation(format!("proto: syntax error: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        #[serde(default)]
        given_name: String,
        #[serde(default)]
        flag: bool,
    }

    #[test]
    fn an_empty_body_is_an_empty_message() {
        let probe: Probe = parse_body(b"").unwrap();
        assert_eq!((probe.given_name.as_str(), probe.flag), ("", false));
    }

    #[test]
    fn snake_case_and_unknown_fields_are_accepted() {
        let probe: Probe = parse_body(br#"{"given_name": "A", "unknown": 1}"#).unwrap();
        assert_eq!(probe.given_name, "A");
    }

    #[test]
    fn syntax_errors_never_echo_input_values() {
        let error = parse_body::<Probe>(br#"{"flag": "hunter2"}"#).unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert_eq!(error.code(), crate::errors::GrpcCode::InvalidArgument);
    }
}
