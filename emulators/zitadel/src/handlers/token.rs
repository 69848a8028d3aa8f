//! The OAuth token endpoint (`POST /oauth/v2/token`): the JWT-profile grant (§10.2) and the
//! client-credentials grant of machine users with a client secret.
//!
//! Error answers follow ZITADEL's `internal/api/oidc` code and the zitadel/oidc library's error
//! writer: an `*oidc.Error` keeps its type (`invalid_client` is written with 401), a ZITADEL
//! error becomes `invalid_request` with its HTTP status (400 for InvalidArgument and
//! FailedPrecondition) and its message key as description, anything else a 500 `server_error`.

use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use crate::auth::principal_scope;
use crate::random;
use crate::state::State;
use crate::state::credentials::{TokenKind, TokenRecord};

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const CLIENT_CREDENTIALS: &str = "client_credentials";
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
}

/// Why a token request was refused, each with the answer ZITADEL gives.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// `grant_type` is neither jwt-bearer nor client_credentials.
    #[error("unsupported grant type")]
    UnsupportedGrant,
    /// jwt-bearer without an `assertion`.
    #[error("assertion missing")]
    MissingAssertion,
    /// The assertion did not verify: ZITADEL 4.x answers 500 `server_error`, not 400
    /// `invalid_grant` (op.VerifyJWTAssertion's errors are not ZITADEL errors).
    #[error(transparent)]
    Assertion(#[from] AssertionError),
    /// client_credentials without HTTP Basic credentials.
    #[error("client credentials missing")]
    MissingClientCredentials,
    /// No user has the client id as login name (`clientCredentialsAuth`: `oidc.ErrInvalidClient`).
    #[error("client not found")]
    UnknownClient,
    /// The user is no machine or has no secret (never added, or removed): `OIDC-pieP8`.
    #[error("Errors.User.Machine.Secret.NotExisting")]
    SecretNotExisting,
    /// Wrong secret, also the one AddSecret replaced: `OIDC-VoXo6` (InvalidArgument).
    #[error("Errors.User.Machine.Secret.Invalid")]
    SecretInvalid,
    /// The user is deactivated or locked: `Errors.User.NotActive` (FailedPrecondition,
    /// `OIDCS-kj3g2`), checked when the OIDC session for the token is created.
    #[error("Errors.User.NotActive")]
    UserNotActive,
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let description = self.to_string();
        let (status, error) = match &self {
            Self::UnsupportedGrant => (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
            Self::MissingAssertion => (StatusCode::BAD_REQUEST, "invalid_request"),
            Self::Assertion(_) => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
            // zitadel/oidc's RequestError writes invalid_client with 401 (and no WWW-Authenticate).
            Self::MissingClientCredentials | Self::UnknownClient => {
                (StatusCode::UNAUTHORIZED, "invalid_client")
            }
            Self::SecretNotExisting | Self::SecretInvalid | Self::UserNotActive => {
                (StatusCode::BAD_REQUEST, "invalid_request")
            }
        };
        oauth_error(status, error, &description)
    }
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

/// Exchanges a signed assertion (jwt-bearer) or a machine user's client secret
/// (client_credentials, HTTP Basic) for an access token.
pub async fn token(
    AxumState(shared): AxumState<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match issue(&shared, &headers, &body) {
        Ok(response) => response,
        Err(error) => {
            tracing::debug!(%error, "token request rejected");
            error.into_response()
        }
    }
}

fn issue(shared: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Response, TokenError> {
    let form: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let user_id = match field("grant_type") {
        Some(JWT_BEARER) => {
            let assertion = field("assertion")
                .filter(|assertion| !assertion.is_empty())
                .ok_or(TokenError::MissingAssertion)?;
            verify(shared, assertion)?
        }
        Some(CLIENT_CREDENTIALS) => {
            let (client_id, secret) =
                basic_credentials(headers).ok_or(TokenError::MissingClientCredentials)?;
            client_by_secret(&shared.lock(), &client_id, &secret)?
        }
        _ => return Err(TokenError::UnsupportedGrant),
    };
    let mut state = shared.lock();
    // Checked for both grants when the OIDC session is created (ZITADEL PR #8631, "correctly
    // check user state": deactivated service accounts could get new tokens before).
    principal_scope(&state, &user_id).ok_or(TokenError::UserNotActive)?;
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
    state
        .credentials
        .add_token(&access_token, TokenRecord { user_id, kind });
    Ok(Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
    }))
    .into_response())
}

/// `Authorization: Basic base64(client_id:client_secret)`, both parts form-urlencoded
/// (RFC 6749 §2.3.1, which zitadel/oidc decodes).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |part: &str| -> String {
        form_urlencoded::parse(format!("v={part}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret))).filter(|(id, _)| !id.is_empty())
}

/// `clientCredentialsAuth`: the client id is the machine user's login name (here: its username,
/// compared case-insensitively like ZITADEL's login-name lookup), the secret AddSecret returned.
fn client_by_secret(state: &State, client_id: &str, secret: &str) -> Result<String, TokenError> {
    let wanted = client_id.to_lowercase();
    let user = state
        .users
        .values()
        .find(|user| user.username.to_lowercase() == wanted)
        .ok_or(TokenError::UnknownClient)?;
    if user.machine().is_none() {
        return Err(TokenError::SecretNotExisting);
    }
    match state.credentials.secret_matches(&user.id, secret) {
        None => Err(TokenError::SecretNotExisting),
        Some(false) => Err(TokenError::SecretInvalid),
        Some(true) => Ok(user.id.clone()),
    }
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
    Ok(owner)
}
