//! Prometheus metrics of the operator, exposed in OpenMetrics text format.
//!
//! Every series is prefixed `zitadel_user_operator_`. Labels carry only bounded enumerations
//! (results, RPC names, outcomes, states): never a namespace, name, user id or credential,
//! which would both leak data and explode cardinality.

mod reconcile;
mod users;
mod zitadel;

use std::sync::Arc;

use prometheus_client::{metrics::gauge::Gauge, registry::Registry};

pub use reconcile::{ReconcileResult, ReconcileTimer};
pub use users::ObjectKey;
pub use zitadel::{ConnectionCallMetrics, ZitadelCallMetrics};

use reconcile::ReconcileMetrics;
use users::UserGauges;

use crate::names::METRIC_PREFIX as PREFIX;

/// Histogram buckets in seconds, 1 ms to 30 s: a cached no-op reconcile takes milliseconds,
/// while a slow ZITADEL answer is bounded by the request timeout (10 s by default).
const DURATION_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// All operator metrics and the registry that encodes them; cheap to clone (shared state).
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    reconcile: ReconcileMetrics,
    zitadel: Arc<ZitadelCallMetrics>,
    users: UserGauges,
    leader: Gauge,
}

impl Metrics {
    /// Creates the metrics, all at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix(PREFIX);
        let reconcile = ReconcileMetrics::register(&mut registry);
        let zitadel = Arc::new(ZitadelCallMetrics::register(&mut registry));
        let users = UserGauges::register(&mut registry);
        let leader = Gauge::default();
        registry.register(
            "leader",
            "Whether this replica holds the leader election lease (1) or not (0)",
            leader.clone(),
        );
        Self {
            registry: Arc::new(registry),
            reconcile,
            zitadel,
            users,
            leader,
        }
    }

    /// Counts a reconcile as in flight until the returned timer is finished or dropped.
    #[must_use = "the reconcile is counted as in flight until the timer is finished or dropped"]
    pub fn reconcile_started(&self) -> ReconcileTimer {
        self.reconcile.start()
    }

    /// The observer to hand to the ZITADEL client (`ZitadelClient::with_observer`).
    pub fn zitadel_observer(&self) -> Arc<ZitadelCallMetrics> {
        Arc::clone(&self.zitadel)
    }

    /// Records the readiness and ZITADEL state of one `User`, replacing what was recorded before.
    pub fn set_user(&self, key: ObjectKey, ready: bool, state: &'static str) {
        self.users.set(key, ready, state);
    }

    /// Stops counting a `User` (it was deleted).
    pub fn forget_user(&self, key: &ObjectKey) {
        self.users.forget(key);
    }

    /// Records whether this replica is the leader.
    pub fn set_leader(&self, leader: bool) {
        self.leader.set(i64::from(leader));
    }

    /// All metrics in OpenMetrics text format, ending with `# EOF`.
    ///
    /// Writing into a `String` cannot fail and the encoders of the metric types used here only
    /// pass on writer errors, so an error would mean a new metric type that can fail by itself.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    /// Everything `metrics` encodes, as `/metrics` would serve it.
    pub(crate) fn encoded(metrics: &super::Metrics) -> String {
        metrics.encode().expect("metrics encode into a String")
    }

    /// The sample lines (not comments) of `encoded` whose metric name is exactly `name`.
    pub(crate) fn samples<'a>(encoded: &'a str, name: &str) -> Vec<&'a str> {
        encoded
            .lines()
            .filter(|line| {
                line.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
            })
            .collect()
    }

    /// The sample lines of metric `name` currently encoded by `metrics`, sorted.
    pub(crate) fn sorted_samples(metrics: &super::Metrics, name: &str) -> Vec<String> {
        let mut lines: Vec<String> = samples(&encoded(metrics), name)
            .into_iter()
            .map(str::to_owned)
            .collect();
        lines.sort_unstable();
        lines
    }

    /// Asserts that `encoded` contains exactly the sample line `expected`.
    #[track_caller]
    pub(crate) fn assert_sample(encoded: &str, expected: &str) {
        assert!(
            encoded.lines().any(|line| line == expected),
            "missing sample `{expected}` in:\n{encoded}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{test_support::*, *};

    #[test]
    fn the_leader_gauge_follows_set_leader() {
        let metrics = Metrics::new();
        assert_sample(&encoded(&metrics), "zitadel_user_operator_leader 0");
        metrics.set_leader(true);
        assert_sample(&encoded(&metrics), "zitadel_user_operator_leader 1");
        metrics.set_leader(false);
        assert_sample(&encoded(&metrics), "zitadel_user_operator_leader 0");
    }

    #[test]
    fn the_encoding_is_openmetrics_text_with_help_and_type_lines() {
        let encoded = encoded(&Metrics::new());
        assert!(encoded.ends_with("# EOF\n"), "{encoded}");
        assert!(encoded.contains("# TYPE zitadel_user_operator_leader gauge"));
        assert!(encoded.contains("# HELP zitadel_user_operator_leader "));
    }

    #[test]
    fn clones_share_the_same_series() {
        let metrics = Metrics::new();
        metrics.clone().set_leader(true);
        assert_eq!(
            samples(&encoded(&metrics), "zitadel_user_operator_leader"),
            ["zitadel_user_operator_leader 1"]
        );
    }
}
