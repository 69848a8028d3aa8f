//! Metrics of calls to the ZITADEL API and of the per-instance rate limiter they wait for, fed
//! by the client through [`CallObserver`].

use std::time::Duration;

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

use super::DURATION_BUCKETS;
use crate::zitadel::{CallObserver, Rpc};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    connection: String,
    rpc: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RpcLabels {
    connection: String,
    rpc: &'static str,
}

/// The limiter is shared per ZITADEL instance, but its waits and pauses are labelled by the
/// connection whose request waited or was throttled: the instance's URL is no label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectionLabels {
    connection: String,
}

/// A `fn` pointer (not a closure type) so the family type can be named in the struct.
type HistogramConstructor = fn() -> Histogram;

fn new_duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

/// `zitadel_requests_total{connection,rpc,outcome}`,
/// `zitadel_request_duration_seconds{connection,rpc}`,
/// `zitadel_limiter_wait_seconds{connection}` and `zitadel_limiter_pauses_total{connection}`.
pub struct ZitadelCallMetrics {
    requests: Family<CallLabels, Counter>,
    duration: Family<RpcLabels, Histogram, HistogramConstructor>,
    limiter_wait: Family<ConnectionLabels, Histogram, HistogramConstructor>,
    limiter_pauses: Family<ConnectionLabels, Counter>,
}

impl ZitadelCallMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            requests: Family::default(),
            duration: Family::new_with_constructor(new_duration_histogram),
            limiter_wait: Family::new_with_constructor(new_duration_histogram),
            limiter_pauses: Family::default(),
        };
        registry.register(
            "zitadel_requests",
            "Calls to the ZITADEL API by RPC and outcome",
            metrics.requests.clone(),
        );
        registry.register(
            "zitadel_request_duration_seconds",
            "Duration of calls to the ZITADEL API by RPC, without the time they waited for the rate limiter",
            metrics.duration.clone(),
        );
        registry.register(
            "zitadel_limiter_wait_seconds",
            "Time each request to ZITADEL waited for the rate limiter of its ZITADEL instance (zero when a token was free)",
            metrics.limiter_wait.clone(),
        );
        registry.register(
            "zitadel_limiter_pauses",
            "Throttled answers (HTTP 429) that paused every request to their ZITADEL instance",
            metrics.limiter_pauses.clone(),
        );
        metrics
    }

    /// The observer for the client of `connection` (`Kind/[namespace/]name`: never a URL or a
    /// credential, and as many values as there are connections).
    pub fn for_connection(&self, connection: String) -> ConnectionCallMetrics {
        ConnectionCallMetrics {
            requests: self.requests.clone(),
            duration: self.duration.clone(),
            limiter_wait: self.limiter_wait.clone(),
            limiter_pauses: self.limiter_pauses.clone(),
            connection,
        }
    }
}

/// The ZITADEL call metrics of one connection's client.
#[derive(Clone)]
pub struct ConnectionCallMetrics {
    requests: Family<CallLabels, Counter>,
    duration: Family<RpcLabels, Histogram, HistogramConstructor>,
    limiter_wait: Family<ConnectionLabels, Histogram, HistogramConstructor>,
    limiter_pauses: Family<ConnectionLabels, Counter>,
    connection: String,
}

impl ConnectionCallMetrics {
    fn connection_labels(&self) -> ConnectionLabels {
        ConnectionLabels {
            connection: self.connection.clone(),
        }
    }
}

impl CallObserver for ConnectionCallMetrics {
    fn observe(&self, rpc: Rpc, outcome: &'static str, elapsed: Duration) {
        let rpc = rpc.as_str();
        let connection = self.connection.clone();
        self.requests
            .get_or_create(&CallLabels {
                connection: connection.clone(),
                rpc,
                outcome,
            })
            .inc();
        self.duration
            .get_or_create(&RpcLabels { connection, rpc })
            .observe(elapsed.as_secs_f64());
    }

    fn limiter_waited(&self, _rpc: Rpc, waited: Duration) {
        self.limiter_wait
            .get_or_create(&self.connection_labels())
            .observe(waited.as_secs_f64());
    }

    fn limiter_paused(&self, _rpc: Rpc, _pause: Duration) {
        self.limiter_pauses
            .get_or_create(&self.connection_labels())
            .inc();
    }
}

impl std::fmt::Debug for ConnectionCallMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionCallMetrics")
            .field("connection", &self.connection)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ZitadelCallMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZitadelCallMetrics").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Metrics, test_support::*};
    use super::*;

    #[test]
    fn calls_are_counted_by_rpc_and_outcome() {
        let metrics = Metrics::new();
        let observer = metrics
            .zitadel_observer()
            .for_connection("ClusterZitadelConnection/default".to_owned());
        observer.observe(Rpc::Token, "ok", Duration::from_millis(3));
        observer.observe(Rpc::Token, "ok", Duration::from_millis(4));
        observer.observe(Rpc::Token, "unavailable", Duration::from_millis(5));
        let other = metrics
            .zitadel_observer()
            .for_connection("ZitadelConnection/team-a/zitadel".to_owned());
        other.observe(Rpc::Token, "ok", Duration::from_millis(3));

        assert_eq!(
            sorted_samples(&metrics, "zitadel_user_operator_zitadel_requests_total"),
            [
                r#"zitadel_user_operator_zitadel_requests_total{connection="ClusterZitadelConnection/default",rpc="Token",outcome="ok"} 2"#,
                r#"zitadel_user_operator_zitadel_requests_total{connection="ClusterZitadelConnection/default",rpc="Token",outcome="unavailable"} 1"#,
                r#"zitadel_user_operator_zitadel_requests_total{connection="ZitadelConnection/team-a/zitadel",rpc="Token",outcome="ok"} 1"#,
            ]
        );
    }

    #[test]
    fn call_durations_are_observed_per_rpc() {
        let metrics = Metrics::new();
        let observer = metrics.zitadel_observer().for_connection("c".to_owned());
        observer.observe(Rpc::Token, "ok", Duration::from_millis(20));
        observer.observe(Rpc::Token, "internal", Duration::from_secs(2));

        let encoded = encoded(&metrics);
        let name = "zitadel_user_operator_zitadel_request_duration_seconds";
        assert_sample(
            &encoded,
            &format!(r#"{name}_count{{connection="c",rpc="Token"}} 2"#),
        );
        assert_sample(
            &encoded,
            &format!(r#"{name}_sum{{connection="c",rpc="Token"}} 2.02"#),
        );
        assert_sample(
            &encoded,
            &format!(r#"{name}_bucket{{le="0.025",connection="c",rpc="Token"}} 1"#),
        );
        assert_sample(
            &encoded,
            &format!(r#"{name}_bucket{{le="2.5",connection="c",rpc="Token"}} 2"#),
        );
    }

    #[test]
    fn limiter_waits_and_pauses_are_labelled_by_connection_only() {
        let metrics = Metrics::new();
        let observer = metrics
            .zitadel_observer()
            .for_connection("ZitadelConnection/team-a/zitadel".to_owned());
        observer.limiter_waited(Rpc::CreateUser, Duration::ZERO);
        observer.limiter_waited(Rpc::GetUserById, Duration::from_millis(1500));
        observer.limiter_paused(Rpc::CreateUser, Duration::from_secs(2));

        let encoded = encoded(&metrics);
        let wait = "zitadel_user_operator_zitadel_limiter_wait_seconds";
        let labels = r#"connection="ZitadelConnection/team-a/zitadel""#;
        assert_sample(&encoded, &format!("{wait}_count{{{labels}}} 2"));
        assert_sample(&encoded, &format!("{wait}_sum{{{labels}}} 1.5"));
        assert_sample(
            &encoded,
            &format!(r#"{wait}_bucket{{le="0.001",{labels}}} 1"#),
        );
        assert_eq!(
            sorted_samples(
                &metrics,
                "zitadel_user_operator_zitadel_limiter_pauses_total"
            ),
            [format!(
                "zitadel_user_operator_zitadel_limiter_pauses_total{{{labels}}} 1"
            )]
        );
    }
}
