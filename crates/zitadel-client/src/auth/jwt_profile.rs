//! Access tokens from the JWT profile grant (contract §10.2), cached and refreshed.
//!
//! One `tokio::sync::Mutex` guards the cached token and is held across a refresh, so callers
//! that arrive while a refresh is running wait for it instead of each requesting a token.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use reqwest::Url;
use reqwest::header::{HeaderValue, RETRY_AFTER};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::error::AuthError;
use super::key_file::KeySource;
use crate::error::DecodeFailure;
use crate::limiter::Gate;
use crate::retry_after;
use crate::rpc::Rpc;
use crate::sensitive::Sensitive;

const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// `…:zitadel:aud` puts the ZITADEL API into the token audience; without it API calls get 401.
const SCOPE: &str = "openid urn:zitadel:iam:org:project:id:zitadel:aud";
/// Lifetime assumed when the response omits `expires_in` (ZITADEL's default, contract §10.2).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// A token is refreshed when less than max(this, 10 % of its lifetime) remains.
const MIN_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// How much remaining lifetime triggers a refresh: max(60 s, 10 % of the lifetime).
pub(crate) fn refresh_margin(lifetime: Duration) -> Duration {
    MIN_REFRESH_MARGIN.max(lifetime / 10)
}

#[derive(Debug, Clone)]
struct CachedToken {
    token: Sensitive<String>,
    obtained: Instant,
    lifetime: Duration,
}

impl CachedToken {
    fn is_fresh(&self, now: Instant) -> bool {
        let age = now.saturating_duration_since(self.obtained);
        let remaining = self.lifetime.saturating_sub(age);
        remaining > refresh_margin(self.lifetime)
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Sensitive<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OAuthError {
    error: Option<String>,
}

/// Where and how to request tokens.
#[derive(Debug)]
pub(crate) struct JwtProfileConfig {
    /// The key that signs each assertion (a file is re-read every time).
    pub(crate) key: KeySource,
    /// The JWT audience: ZITADEL's public issuer URL.
    pub(crate) issuer: String,
    /// `<base_url>/oauth/v2/token`.
    pub(crate) token_url: Url,
    /// Sent as `x-zitadel-instance-host` when set.
    pub(crate) instance_host: Option<HeaderValue>,
    /// Deadline of one token request.
    pub(crate) timeout: Duration,
}

/// A cached JWT-profile access token.
#[derive(Debug)]
pub(crate) struct JwtProfileSource {
    config: JwtProfileConfig,
    http: reqwest::Client,
    cached: Mutex<Option<CachedToken>>,
}

impl JwtProfileSource {
    pub(crate) fn new(config: JwtProfileConfig, http: reqwest::Client) -> Self {
        Self {
            config,
            http,
            cached: Mutex::new(None),
        }
    }

    /// The cached token, or a new one when it is missing or close to expiry.
    pub(crate) async fn token(&self, gate: &Gate<'_>) -> Result<Sensitive<String>, AuthError> {
        let mut cached = self.cached.lock().await;
        if let Some(current) = cached.as_ref().filter(|c| c.is_fresh(Instant::now())) {
            return Ok(current.token.clone());
        }
        let fresh = self.fetch(gate).await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// After `rejected` got a 401: a token to retry with, or `None` if the endpoint handed out
    /// the same token again. If another caller already replaced the rejected token, that one
    /// is returned without a new request.
    pub(crate) async fn replace_rejected(
        &self,
        rejected: &Sensitive<String>,
        gate: &Gate<'_>,
    ) -> Result<Option<Sensitive<String>>, AuthError> {
        let mut cached = self.cached.lock().await;
        if let Some(current) = cached.as_ref().filter(|c| c.token != *rejected) {
            return Ok(Some(current.token.clone()));
        }
        *cached = None;
        let fresh = self.fetch(gate).await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok((token != *rejected).then_some(token))
    }

    async fn fetch(&self, gate: &Gate<'_>) -> Result<CachedToken, AuthError> {
        // The token endpoint is the same ZITADEL, under the same limits as the API.
        let _in_flight = gate.wait(Rpc::Token).await;
        // Signed after the wait, so a long wait cannot age the assertion.
        let assertion = self
            .config
            .key
            .sign_assertion(&self.config.issuer, Timestamp::now())
            .await?;
        let started = Instant::now();
        let result = self.request(&assertion).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) if e.is_outage() => "transient",
            Err(e) if e.is_rate_limited() => "rate_limited",
            Err(_) => "auth",
        };
        gate.observer
            .observe(Rpc::Token, outcome, started.elapsed());
        if let Err(AuthError::TokenEndpointRateLimited { retry_after }) = &result {
            gate.throttled(Rpc::Token, *retry_after);
        }
        result
    }

    async fn request(&self, assertion: &Sensitive<String>) -> Result<CachedToken, AuthError> {
        let form = [
            ("grant_type", GRANT_TYPE),
            ("scope", SCOPE),
            ("assertion", assertion.expose().as_str()),
        ];
        let mut request = self.http.post(self.config.token_url.clone()).form(&form);
        if let Some(host) = &self.config.instance_host {
            request = request.header(crate::client::INSTANCE_HOST_HEADER, host.clone());
        }
        let exchange = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| retry_after::parse(value, Timestamp::now()));
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, retry_after, body))
        };
        let (status, retry_after, body) = tokio::time::timeout(self.config.timeout, exchange)
            .await
            .map_err(|_| AuthError::TokenEndpointTimeout(self.config.timeout))?
            .map_err(|e| AuthError::TokenEndpointTransport(e.without_url()))?;
        let obtained = Instant::now();
        match status {
            200..=299 => {
                let parsed: TokenResponse = serde_json::from_slice(&body)
                    .map_err(|e| AuthError::TokenResponseInvalid(DecodeFailure::from_json(&e)))?;
                Ok(CachedToken {
                    token: parsed.access_token,
                    obtained,
                    lifetime: parsed
                        .expires_in
                        .filter(|secs| *secs > 0)
                        .map_or(DEFAULT_LIFETIME, Duration::from_secs),
                })
            }
            429 => Err(AuthError::TokenEndpointRateLimited { retry_after }),
            500.. => Err(AuthError::TokenEndpointServerError { status }),
            _ => Err(AuthError::TokenRejected {
                status,
                oauth_error: serde_json::from_slice::<OAuthError>(&body)
                    .unwrap_or_default()
                    .error,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_obtained(ago: Duration, lifetime: Duration) -> CachedToken {
        let now = Instant::now();
        CachedToken {
            token: Sensitive::from("t"),
            obtained: now.checked_sub(ago).unwrap_or(now),
            lifetime,
        }
    }

    #[test]
    fn the_refresh_margin_is_at_least_a_minute_and_otherwise_a_tenth() {
        assert_eq!(
            refresh_margin(Duration::from_secs(12 * 3600)),
            Duration::from_secs(4320)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(300)),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn a_token_is_fresh_until_the_margin_is_reached() {
        let hour = Duration::from_secs(3600);
        assert!(token_obtained(Duration::from_secs(3000), hour).is_fresh(Instant::now()));
        assert!(!token_obtained(Duration::from_secs(3300), hour).is_fresh(Instant::now()));
    }

    #[test]
    fn a_token_shorter_lived_than_the_minimum_margin_is_never_reused() {
        let short = token_obtained(Duration::ZERO, Duration::from_secs(30));
        assert!(!short.is_fresh(Instant::now()));
    }
}
