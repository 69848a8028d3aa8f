//! Emulator configuration.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// How an emulator instance listens and behaves.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Listen address; the default `127.0.0.1:0` picks a free loopback port.
    pub bind: SocketAddr,
    /// How far ListUsers lags behind writes (ZITADEL's ListUsers reads an untriggered projection).
    pub list_delay: Duration,
    /// Added to every answer, token endpoint and errors included: the emulator waits this long
    /// after a request arrives before it handles it, standing in for the network and ZITADEL's
    /// own processing time. Zero by default; changeable at run time with
    /// [`crate::ZitadelEmulator::set_latency`].
    pub latency: Duration,
    /// Lifetime of access tokens issued by the JWT-profile token endpoint.
    pub access_token_lifetime: Duration,
    /// When set, requests must name this instance via `x-zitadel-instance-host` or `Host`,
    /// and the issuer becomes `https://<domain>`. `None` accepts any host.
    pub instance_domain: Option<String>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            list_delay: Duration::from_secs(1),
            latency: Duration::ZERO,
            // ZITADEL's default `OIDCSettings.AccessTokenLifetime`.
            access_token_lifetime: Duration::from_secs(12 * 60 * 60),
            instance_domain: None,
        }
    }
}
