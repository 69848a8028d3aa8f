//! Instance selection (§10.3), bearer-token authentication (§10) and the permission model (§11):
//! a caller either acts instance-wide or only inside one organization.

use std::time::Instant;

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, HOST};
use jiff::Timestamp;

use crate::errors::{ApiError, permission_denied, unauthenticated};
use crate::protojson::enums::UserState;
use crate::state::State;
use crate::state::credentials::{Scope, TokenKind};

/// The authenticated identity behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// User id of the caller (an emulated machine user or an emulator service principal).
    pub user_id: String,
    /// What it may act on.
    pub scope: Scope,
}

impl Caller {
    /// Whether the caller may read or write users of `org_id`.
    pub fn sees_org(&self, org_id: &str) -> bool {
        match &self.scope {
            Scope::Instance => true,
            Scope::Organization(own) => own == org_id,
        }
    }

    /// PermissionDenied unless the caller may act on `org_id`.
    pub fn check_org(&self, org_id: &str) -> Result<(), ApiError> {
        if self.sees_org(org_id) {
            Ok(())
        } else {
            Err(permission_denied())
        }
    }
}

/// Whether the request addresses this instance: the first of `x-zitadel-instance-host`, then
/// `Host` must name `domain` (port ignored, case-insensitive). Without a domain, any host goes.
pub fn instance_matches(domain: Option<&str>, headers: &HeaderMap) -> bool {
    let Some(domain) = domain else { return true };
    let host = headers
        .get("x-zitadel-instance-host")
        .or_else(|| headers.get(HOST))
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    strip_port(host).eq_ignore_ascii_case(strip_port(domain))
}

fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Resolves the `Authorization: Bearer` token to a caller, or Unauthenticated `AUTH-7fs1e`.
pub fn authenticate(state: &State, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let token = bearer_token(headers).ok_or_else(unauthenticated)?;
    let record = state.credentials.token(token).ok_or_else(unauthenticated)?;
    let usable = match &record.kind {
        TokenKind::Pat { expiration_date } => {
            expiration_date.is_none_or(|at| at > Timestamp::now())
        }
        TokenKind::Access {
            expires_at,
            api_audience,
        } => *api_audience && *expires_at > Instant::now(),
    };
    if !usable {
        return Err(unauthenticated());
    }
    let scope = principal_scope(state, &record.user_id).ok_or_else(unauthenticated)?;
    Ok(Caller {
        user_id: record.user_id.clone(),
        scope,
    })
}

/// The scope of a principal that may currently authenticate: an emulator service principal, or an
/// active emulated user (scoped to its organization). Deleted, deactivated or locked users cannot.
pub fn principal_scope(state: &State, user_id: &str) -> Option<Scope> {
    if let Some(scope) = state.credentials.principals.get(user_id) {
        return Some(scope.clone());
    }
    let user = state.users.get(user_id)?;
    (user.state == UserState::Active).then(|| Scope::Organization(user.organization_id.clone()))
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_instance_header_wins_over_host() {
        let request = headers(&[
            ("x-zitadel-instance-host", "auth.example.com"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert!(instance_matches(Some("auth.example.com"), &request));
    }

    #[test]
    fn host_is_compared_without_port() {
        assert!(instance_matches(
            Some("auth.example.com"),
            &headers(&[("host", "AUTH.example.com:443")])
        ));
        assert!(!instance_matches(
            Some("auth.example.com"),
            &headers(&[("host", "other.example.com")])
        ));
    }

    #[test]
    fn without_a_domain_any_host_is_accepted() {
        assert!(instance_matches(None, &headers(&[("host", "whatever")])));
    }

    #[test]
    fn org_scoped_callers_only_see_their_org() {
        let caller = Caller {
            user_id: "u".into(),
            scope: Scope::Organization("o1".into()),
        };
        assert!(caller.check_org("o1").is_ok());
        assert_eq!(caller.check_org("o2"), Err(permission_denied()));
    }

    #[test]
    fn a_missing_or_unknown_token_is_unauthenticated() {
        let state = State::default();
        assert_eq!(
            authenticate(&state, &HeaderMap::new()),
            Err(unauthenticated())
        );
        assert_eq!(
            authenticate(&state, &headers(&[("authorization", "Bearer nope")])),
            Err(unauthenticated())
        );
    }
}
