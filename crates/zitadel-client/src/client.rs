//! The client handle and its configuration. The calls live in `api/`, the HTTP exchange in
//! `transport.rs`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;

use super::auth::{
    Credentials, JwtProfileConfig, JwtProfileSource, KeySource, PatSource, TokenSource,
};
use super::base_url::{join_path, parse_base_url};
use super::error::{ConfigError, Error};
use super::limiter::{Limiters, RateLimiter};
use super::rpc::{CallObserver, NoObserver};

/// Header that selects the ZITADEL instance when the URL host is not the instance's public
/// domain, e.g. an in-cluster Service address (contract §10.3).
pub const INSTANCE_HOST_HEADER: &str = "x-zitadel-instance-host";

/// Default deadline of one HTTP exchange.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Default TCP/TLS connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How to reach and authenticate to ZITADEL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Where requests go, e.g. `http://zitadel.zitadel.svc:8080` (a path prefix is kept); checked
    /// by [`parse_base_url`](crate::parse_base_url).
    pub base_url: String,
    /// The instance's public domain (`auth.example.com`), sent as `x-zitadel-instance-host`.
    pub instance_host: Option<String>,
    /// The JWT audience override; default `https://<instance_host>`, else `base_url`.
    pub issuer: Option<String>,
    /// A PAT or a service-account key, from a file or in memory.
    pub credentials: Credentials,
    /// Deadline of each HTTP exchange (token requests included).
    pub request_timeout: Duration,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
}

impl ClientConfig {
    /// A config with default timeouts, no instance host and no issuer override.
    pub fn new(base_url: impl Into<String>, credentials: Credentials) -> Self {
        Self {
            base_url: base_url.into(),
            instance_host: None,
            issuer: None,
            credentials,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// The JWT audience (contract §10.3): the override, else `https://<instance_host>`, else
    /// the base URL without trailing slash.
    pub fn effective_issuer(&self) -> String {
        match (&self.issuer, &self.instance_host) {
            (Some(issuer), _) => issuer.clone(),
            (None, Some(host)) => format!("https://{host}"),
            (None, None) => self.base_url.trim_end_matches('/').to_owned(),
        }
    }
}

/// A typed client for the ZITADEL v2 user API. Cheap to clone; clones share the connection
/// pool, the token cache and the rate limiter.
#[derive(Clone)]
pub struct ZitadelClient {
    pub(crate) inner: Arc<Inner>,
    pub(crate) observer: Arc<dyn CallObserver>,
    /// Every HTTP request waits for it; `None` sends at once.
    pub(crate) limiter: Option<RateLimiter>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: Url,
    pub(crate) instance_host: Option<HeaderValue>,
    pub(crate) request_timeout: Duration,
    pub(crate) auth: TokenSource,
}

impl fmt::Debug for ZitadelClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZitadelClient")
            .field("base_url", &self.inner.base_url.as_str())
            .field("instance_host", &self.inner.instance_host)
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

impl ZitadelClient {
    /// Validates the config and builds the client.
    ///
    /// Credential files are read on first use. In-memory credentials are checked here, since
    /// nothing can change them later: a blank [`Credentials::Pat`] is
    /// [`AuthError::TokenEmpty`](crate::AuthError::TokenEmpty), a [`Credentials::Key`] that
    /// is not a key file or holds no RSA key is
    /// [`AuthError::KeyInvalid`](crate::AuthError::KeyInvalid) or
    /// [`AuthError::KeySigning`](crate::AuthError::KeySigning), all as [`Error::Auth`].
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let base_url = parse_base_url(&config.base_url).map_err(ConfigError::BaseUrl)?;
        let instance_host = config
            .instance_host
            .as_deref()
            .map(|host| {
                HeaderValue::from_str(host).map_err(|_| ConfigError::InstanceHost {
                    host: host.to_owned(),
                })
            })
            .transpose()?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("zitadel-user-operator/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ConfigError::HttpClient)?;
        // Files and in-memory keys share one JWT-profile path; only the key source differs.
        let jwt_profile = |key: KeySource| -> Result<TokenSource, Error> {
            let jwt = JwtProfileConfig {
                key,
                issuer: config.effective_issuer(),
                token_url: join_path(&base_url, &["oauth", "v2", "token"])?,
                instance_host: instance_host.clone(),
                timeout: config.request_timeout,
            };
            Ok(TokenSource::JwtProfile(JwtProfileSource::new(
                jwt,
                http.clone(),
            )))
        };
        let auth = match &config.credentials {
            Credentials::PatFile(path) => TokenSource::Pat(PatSource::file(path.clone())),
            Credentials::Pat(token) => TokenSource::Pat(PatSource::value(token)?),
            Credentials::KeyFile(path) => jwt_profile(KeySource::File(path.clone()))?,
            Credentials::Key(json) => jwt_profile(KeySource::value(json)?)?,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url,
                instance_host,
                request_timeout: config.request_timeout,
                auth,
            }),
            observer: Arc::new(NoObserver),
            limiter: None,
        })
    }

    /// Reports every call (and token request) to `observer`, e.g. for metrics.
    pub fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = observer;
        self
    }

    /// Makes every HTTP request (API calls, their retry after a 401, token requests) wait for
    /// `limiter` first, and pauses it when ZITADEL throttles a request (HTTP 429 or
    /// ResourceExhausted): every client sharing the limiter then waits for the `Retry-After`
    /// (see [`RateLimiter::pause`]). The throttled call still fails with its error. Without a
    /// limiter a client sends at once.
    pub fn with_rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// [`with_rate_limiter`](Self::with_rate_limiter) with the limiter `limiters` holds for this
    /// client's ZITADEL instance (base URL and instance host), shared with every other client
    /// of that instance.
    pub fn with_limiters(self, limiters: &Limiters) -> Self {
        let limiter = limiters.for_client(&self);
        self.with_rate_limiter(limiter)
    }

    /// The limiter every request waits for, if any.
    pub fn rate_limiter(&self) -> Option<&RateLimiter> {
        self.limiter.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::base_url::BaseUrlError;

    fn config() -> ClientConfig {
        ClientConfig::new(
            "http://zitadel.zitadel.svc:8080/",
            Credentials::PatFile(PathBuf::from("/pat")),
        )
    }

    #[test]
    fn the_issuer_prefers_the_override_then_the_instance_host_then_the_base_url() {
        let mut config = config();
        assert_eq!(config.effective_issuer(), "http://zitadel.zitadel.svc:8080");
        config.instance_host = Some("auth.example.com".into());
        assert_eq!(config.effective_issuer(), "https://auth.example.com");
        config.issuer = Some("https://auth.example.com:8443".into());
        assert_eq!(config.effective_issuer(), "https://auth.example.com:8443");
    }

    #[test]
    fn a_base_url_the_validator_refuses_is_a_config_error_that_does_not_repeat_it() {
        let mut config = config();
        config.base_url = "http://h/?token=hunter2".into();
        let err = ZitadelClient::new(config).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Config(ConfigError::BaseUrl(BaseUrlError::QueryOrFragment))
            ),
            "{err:?}"
        );
        assert!(!format!("{err} {err:?}").contains("hunter2"));
    }

    #[test]
    fn an_instance_host_with_a_newline_is_a_config_error() {
        let mut config = config();
        config.instance_host = Some("a\nb".into());
        assert!(matches!(
            ZitadelClient::new(config),
            Err(Error::Config(ConfigError::InstanceHost { .. }))
        ));
    }

    #[test]
    fn debug_of_the_client_shows_the_url_only() {
        let client = ZitadelClient::new(config()).unwrap();
        assert!(format!("{client:?}").contains("zitadel.zitadel.svc"));
    }
}
