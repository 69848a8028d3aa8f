//! What every reconcile shares: API clients, the event publisher, backoff state and settings.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::backoff::Backoff;
use super::freshness::Freshness;
use super::roster::Rosters;
use crate::events::Publisher;
use crate::metrics::Metrics;
use crate::secrets::OwnWrites;
use crate::tenancy::connections::Connections;

/// Tunables of the controller.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How often a ready `User` is compared with ZITADEL again, to repair drift.
    pub resync_interval: Duration,
    /// How often a conflict that a person may resolve outside Kubernetes (a taken username, a
    /// foreign Secret, missing permissions) is retried.
    pub conflict_retry_interval: Duration,
    /// Interval between listings of a machine user's keys and tokens (deletions behind the
    /// operator's back).
    pub credential_check_interval: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            resync_interval: Duration::from_secs(600),
            conflict_retry_interval: Duration::from_secs(60),
            credential_check_interval: Duration::from_secs(3600),
        }
    }
}

/// User ids this process created or adopted whose `status.userId` may not have reached the
/// watch cache yet. A reconcile started meanwhile (by a spec edit, say) reads a `User`
/// without the id; without this record it would call CreateUser again. That would be safe (the
/// owner marker recovers the user) but wasteful, and it would repeat the `Created` event.
#[derive(Default)]
pub struct RecentlyCreated {
    ids: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl RecentlyCreated {
    /// Records that the resource with uid `uid` manages ZITADEL user `user_id`.
    pub fn remember(&self, uid: &str, user_id: &str) {
        self.lock().insert(uid.to_owned(), user_id.to_owned());
    }

    /// The user id recorded for `uid`, if any.
    pub fn get(&self, uid: &str) -> Option<String> {
        self.lock().get(uid).cloned()
    }

    /// Drops the record for `uid`: its status has caught up, or it is gone.
    pub fn forget(&self, uid: &str) {
        self.lock().remove(uid);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, String>> {
        self.ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// When each machine user's credentials are next listed. In memory: after a start, each user's
/// first check is at a random point within the interval, so a restart lists nothing at once.
#[derive(Default)]
pub struct CredentialChecks {
    next: std::sync::Mutex<std::collections::HashMap<String, Instant>>,
}

impl CredentialChecks {
    /// Whether the check of the `User` with uid `uid` is due.
    pub fn due(&self, uid: &str, interval: Duration) -> bool {
        let now = Instant::now();
        let mut next = self.lock();
        let at = *next
            .entry(uid.to_owned())
            .or_insert_with(|| now + interval.mul_f64(rand::random::<f64>()));
        at <= now
    }

    /// Records that the credentials of `uid` were just listed.
    pub fn checked(&self, uid: &str, interval: Duration) {
        self.lock()
            .insert(uid.to_owned(), Instant::now() + interval);
    }

    /// Forgets a deleted `User`.
    pub fn forget(&self, uid: &str) {
        self.lock().remove(uid);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Instant>> {
        self.next
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Shared state of the controller.
pub struct Context {
    /// Kubernetes API client.
    pub kube: kube::Client,
    /// The connections, and one ZITADEL client per connection.
    pub connections: Connections,
    /// Publishes Kubernetes events.
    pub events: Publisher,
    /// Per-object retry backoff.
    pub backoff: Backoff,
    /// Ids created since start whose status may still be in flight.
    pub recently_created: RecentlyCreated,
    /// When machine credentials are next listed.
    pub credential_checks: CredentialChecks,
    /// When each managed user is next compared with ZITADEL.
    pub freshness: Freshness,
    /// The latest listing of each organization's users, for resyncs.
    pub rosters: Rosters,
    /// The operator's Secret writes whose watch events have not come back yet.
    pub own_secret_writes: Arc<OwnWrites>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// One permit per reconcile that may run at once, shared by every watched namespace so
    /// `--concurrency` bounds the whole operator (and the load it puts on ZITADEL).
    pub reconcile_slots: tokio::sync::Semaphore,
    /// Tunables.
    pub settings: Settings,
}
