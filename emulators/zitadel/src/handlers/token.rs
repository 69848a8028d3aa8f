//! The OAuth token endpoint (`POST /oauth/v2/token`) for the JWT-profile grant (§10.2).

use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use crate::auth::principal_scope;
use crate::random;
use crate::state::credentials::{TokenKind, TokenRecord};

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The scope that puts the ZITADEL API into the token audience.
pub const API_AUDIENCE_SCOPE: &str = "urn:zitadel:iam:org:project:id:zitadel:aud";
/// Longest accepted assertion lifetime (`exp - iat`), plus clock leeway.
const MAX_ASSERTION_LIFETIME_SECS: i64 = 3600;
const LEEWAY_SECS: u64 = 5;

/// Why an assertion was rejected (ZITADEL answers all of these with a 500 `server_error`).
#[derive(Debug, thiserror::Error)]
pub enum AssertionError {
    /// No `kid` in the header.
    #[error("assertion has no key id")]
    MissingKeyId,
    /// The header or the token is not a JWT.
    #[error("assertion is malformed")]
    Malformed(#[source] jsonwebtoken::errors::Error),
    /// `kid` names no (current) key.
    #[error("assertion key is unknown, removed or expired")]
    UnknownKey,
    /// Signature, `aud` or `exp` check failed.
    #[error("assertion verification failed")]
    Invalid(#[source] jsonwebtoken::errors::Error),
    /// `iss`/`sub` differ from each other or from the key's owner.
    #[error("assertion issuer and subject must both be the key's user")]
    SubjectMismatch,
    /// `exp` more than an hour after `iat`, or `iat` missing.
    #[error("assertion lifetime exceeds one hour")]
    LifetimeTooLong,
    /// The key's user is gone, deactivated or locked.
    #[error("assertion subject may not authenticate")]
    SubjectInactive,
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    iat: Option<i64>,
    exp: i64,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// Exchanges a signed assertion for an access token.
pub async fn token(AxumState(shared): AxumState<AppState>, body: Bytes) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    if field("grant_type") != Some(JWT_BEARER) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only the jwt-bearer grant is supported",
        );
    }
    let Some(assertion) = field("assertion").filter(|assertion| !assertion.is_empty()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "assertion missing",
        );
    };
    let user_id = match verify(&shared, assertion) {
        Ok(user_id) => user_id,
        Err(error) => {
            tracing::debug!(%error, "token request rejected");
            // ZITADEL 4.x answers rejected assertions with 500 server_error, not 400 invalid_grant.
            return oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &error.to_string(),
            );
        }
    };
    let api_audience = field("scope")
        .unwrap_or_default()
        .split_whitespace()
        .any(|scope| scope == API_AUDIENCE_SCOPE);
    let lifetime = shared.config.access_token_lifetime;
    let access_token = random::secret(48);
    let kind = TokenKind::Access {
        expires_at: Instant::now() + lifetime,
        api_audience,
    };
    shared
        .lock()
        .credentials
        .add_token(&access_token, TokenRecord { user_id, kind });
    Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
    }))
    .into_response()
}

/// Checks an assertion and returns the user it authenticates.
fn verify(shared: &AppState, assertion: &str) -> Result<String, AssertionError> {
    let header = decode_header(assertion).map_err(AssertionError::Malformed)?;
    let key_id = header.kid.ok_or(AssertionError::MissingKeyId)?;
    let (owner, public_pem) = {
        let state = shared.lock();
        let key = state
            .credentials
            .keys
            .get(&key_id)
            .ok_or(AssertionError::UnknownKey)?;
        if key.expiration_date <= jiff::Timestamp::now() {
            return Err(AssertionError::UnknownKey);
        }
        (key.user_id.clone(), key.public_key_pem.clone())
    };
    let decoding_key =
        DecodingKey::from_rsa_pem(public_pem.as_bytes()).map_err(AssertionError::Invalid)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[shared.issuer.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    validation.leeway = LEEWAY_SECS;
    let claims = decode::<Claims>(assertion, &decoding_key, &validation)
        .map_err(AssertionError::Invalid)?
        .claims;
    if claims.iss != claims.sub || claims.sub != owner {
        return Err(AssertionError::SubjectMismatch);
    }
    let issued_at = claims.iat.ok_or(AssertionError::LifetimeTooLong)?;
    if claims.exp - issued_at > MAX_ASSERTION_LIFETIME_SECS + LEEWAY_SECS as i64 {
        return Err(AssertionError::LifetimeTooLong);
    }
    principal_scope(&shared.lock(), &owner).ok_or(AssertionError::SubjectInactive)?;
    Ok(owner)
}
