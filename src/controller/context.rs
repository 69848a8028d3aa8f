//! What every reconcile shares: API clients, the event recorder, backoff state and settings.

use std::time::Duration;

use kube::runtime::events::Recorder;

use super::backoff::Backoff;
use crate::metrics::Metrics;
use crate::zitadel::ZitadelClient;

/// Tunables of the controller.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How often a ready `User` is compared with ZITADEL again, to repair drift.
    pub resync_interval: Duration,
    /// How often a conflict that a person may resolve outside Kubernetes (a taken username, a
    /// foreign Secret, missing permissions) is retried.
    pub conflict_retry_interval: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            resync_interval: Duration::from_secs(600),
            conflict_retry_interval: Duration::from_secs(60),
        }
    }
}

/// Shared state of the controller.
pub struct Context {
    /// Kubernetes API client.
    pub kube: kube::Client,
    /// ZITADEL API client.
    pub zitadel: ZitadelClient,
    /// Publishes Kubernetes events.
    pub recorder: Recorder,
    /// Per-object retry backoff.
    pub backoff: Backoff,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Tunables.
    pub settings: Settings,
}
