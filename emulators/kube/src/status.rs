//! `kind: Status` error bodies, shaped exactly like the real API server's so that clients
//! (kube's `Error::Api`, kubectl) decode them.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One field-level cause of an `Invalid` error (`details.causes[]`); shared with the
/// validation code, which produces most of them.
pub use manifest_validation::Cause;

/// The contents of a failure `kind: Status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// HTTP status code.
    pub code: u16,
    /// `StatusReason`, e.g. `NotFound`.
    pub reason: String,
    /// Human readable message.
    pub message: String,
    /// `details.name`.
    pub name: Option<String>,
    /// `details.group`.
    pub group: Option<String>,
    /// `details.kind` (a resource plural for most errors, a Kind for `Invalid`).
    pub kind: Option<String>,
    /// `details.causes`.
    pub causes: Vec<Cause>,
}

/// An API error answered as a `kind: Status` body. Boxed: errors travel through every
/// `Result` of the request path and should not make the happy path's values large.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} {}: {}", .0.code, .0.reason, .0.message)]
pub struct ApiError(Box<Failure>);

impl std::ops::Deref for ApiError {
    type Target = Failure;

    fn deref(&self) -> &Failure {
        &self.0
    }
}

/// `resource.group`, or just `resource` for the core group, as the server prints it.
pub fn qualified(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

impl ApiError {
    /// An error with the given code, reason and message and no details.
    pub fn plain(code: u16, reason: &str, message: impl Into<String>) -> Self {
        Self(Box::new(Failure {
            code,
            reason: reason.to_string(),
            message: message.into(),
            name: None,
            group: None,
            kind: None,
            causes: Vec::new(),
        }))
    }

    fn about(mut self, group: &str, resource: &str, name: &str) -> Self {
        self.0.name = Some(name.to_string());
        self.0.group = (!group.is_empty()).then(|| group.to_string());
        self.0.kind = Some(resource.to_string());
        self
    }

    /// 404 `<resource> "<name>" not found`.
    pub fn not_found(group: &str, resource: &str, name: &str) -> Self {
        let message = format!("{} \"{name}\" not found", qualified(group, resource));
        Self::plain(404, "NotFound", message).about(group, resource, name)
    }

    /// 404 for a URL that does not name a served resource.
    pub fn no_route(path: &str) -> Self {
        Self::plain(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        )
    }

    /// 409 `AlreadyExists`.
    pub fn already_exists(group: &str, resource: &str, name: &str) -> Self {
        let message = format!("{} \"{name}\" already exists", qualified(group, resource));
        Self::plain(409, "AlreadyExists", message).about(group, resource, name)
    }

    /// 409 `Conflict` with the server's "Operation cannot be fulfilled" prefix.
    pub fn conflict(group: &str, resource: &str, name: &str, why: &str) -> Self {
        let message = format!(
            "Operation cannot be fulfilled on {} \"{name}\": {why}",
            qualified(group, resource)
        );
        Self::plain(409, "Conflict", message).about(group, resource, name)
    }

    /// 409 for a stale `metadata.resourceVersion`.
    pub fn stale(group: &str, resource: &str, name: &str) -> Self {
        Self::conflict(
            group,
            resource,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 422 `Invalid`: `<Kind>.<group> "<name>" is invalid: <causes>`.
    pub fn invalid(group: &str, kind: &str, name: &str, causes: Vec<Cause>) -> Self {
        let rendered: Vec<String> = causes.iter().map(Cause::render).collect();
        let summary = match rendered.as_slice() {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        let message = format!(
            "{} \"{name}\" is invalid: {summary}",
            qualified(group, kind)
        );
        let mut error = Self::plain(422, "Invalid", message).about(group, kind, name);
        error.0.causes = causes;
        error
    }

    /// 400 `BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::plain(400, "BadRequest", message)
    }

    /// 405 `MethodNotAllowed`.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::plain(405, "MethodNotAllowed", message)
    }

    /// 410 `Expired`, as sent for a resourceVersion older than the watch history.
    pub fn gone(message: impl Into<String>) -> Self {
        Self::plain(410, "Expired", message)
    }

    /// 415 `UnsupportedMediaType`.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::plain(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {content_type:?})"
            ),
        )
    }

    /// 422 for a JSON patch that could not be applied (the real server's wording).
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::plain(422, "Invalid", message)
    }

    /// An injected failure: the reason the real server uses for `code`.
    pub fn injected(code: u16, group: &str, resource: &str, name: &str) -> Self {
        let reason = match code {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            409 => "Conflict",
            410 => "Expired",
            422 => "Invalid",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "InternalError",
        };
        let what = qualified(group, resource);
        let message = if name.is_empty() {
            format!("injected failure ({code}) on {what}")
        } else {
            format!("injected failure ({code}) on {what} \"{name}\"")
        };
        Self::plain(code, reason, message).about(group, resource, name)
    }

    /// The `kind: Status` JSON body.
    pub fn to_status(&self) -> Value {
        let mut details = serde_json::Map::new();
        if let Some(name) = &self.name {
            details.insert("name".into(), json!(name));
        }
        if let Some(group) = &self.group {
            details.insert("group".into(), json!(group));
        }
        if let Some(kind) = &self.kind {
            details.insert("kind".into(), json!(kind));
        }
        if !self.causes.is_empty() {
            let causes: Vec<Value> = self
                .causes
                .iter()
                .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
                .collect();
            details.insert("causes".into(), Value::Array(causes));
        }
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !details.is_empty() {
            status["details"] = Value::Object(details);
        }
        status
    }
}

/// A `status: Success` body, as returned by DELETE for built-in kinds.
pub fn success(group: &str, resource: &str, name: &str, uid: &str) -> Value {
    let mut details = json!({"name": name, "kind": resource, "uid": uid});
    if !group.is_empty() {
        details["group"] = json!(group);
    }
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (code, axum::Json(self.to_status())).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_names_the_group_qualified_resource() {
        let status = ApiError::not_found("example.com", "users", "alice").to_status();
        assert_eq!(status["message"], "users.example.com \"alice\" not found");
        assert_eq!(status["details"]["group"], "example.com");
        assert_eq!(status["code"], 404);
    }

    #[test]
    fn a_single_invalid_cause_is_not_bracketed_but_several_are() {
        let one = ApiError::invalid(
            "g",
            "User",
            "a",
            vec![Cause::new("FieldValueRequired", "Required value", "spec.x")],
        );
        assert_eq!(
            one.message,
            "User.g \"a\" is invalid: spec.x: Required value"
        );
        let two = ApiError::invalid(
            "",
            "Secret",
            "a",
            vec![
                Cause::new("FieldValueRequired", "Required value", "a"),
                Cause::new("FieldValueRequired", "Required value", "b"),
            ],
        );
        assert_eq!(
            two.message,
            "Secret \"a\" is invalid: [a: Required value, b: Required value]"
        );
    }
}
