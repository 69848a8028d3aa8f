//! Metrics of calls to the ZITADEL API, fed by the client through [`CallObserver`].

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
    rpc: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RpcLabels {
    rpc: &'static str,
}

/// A `fn` pointer (not a closure type) so the family type can be named in the struct.
type HistogramConstructor = fn() -> Histogram;

fn new_duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

/// `zitadel_requests_total{rpc,outcome}` and `zitadel_request_duration_seconds{rpc}`.
pub struct ZitadelCallMetrics {
    requests: Family<CallLabels, Counter>,
    duration: Family<RpcLabels, Histogram, HistogramConstructor>,
}

impl ZitadelCallMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            requests: Family::default(),
            duration: Family::new_with_constructor(new_duration_histogram),
        };
        registry.register(
            "zitadel_requests",
            "Calls to the ZITADEL API by RPC and outcome",
            metrics.requests.clone(),
        );
        registry.register(
            "zitadel_request_duration_seconds",
            "Duration of calls to the ZITADEL API by RPC",
            metrics.duration.clone(),
        );
        metrics
    }
}

impl CallObserver for ZitadelCallMetrics {
    fn observe(&self, rpc: Rpc, outcome: &'static str, elapsed: Duration) {
        let rpc = rpc.as_str();
        self.requests
            .get_or_create(&CallLabels { rpc, outcome })
            .inc();
        self.duration
            .get_or_create(&RpcLabels { rpc })
            .observe(elapsed.as_secs_f64());
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
        let observer = metrics.zitadel_observer();
        observer.observe(Rpc::Token, "ok", Duration::from_millis(3));
        observer.observe(Rpc::Token, "ok", Duration::from_millis(4));
        observer.observe(Rpc::Token, "unavailable", Duration::from_millis(5));

        assert_eq!(
            sorted_samples(&metrics, "zitadel_user_operator_zitadel_requests_total"),
            [
                r#"zitadel_user_operator_zitadel_requests_total{rpc="Token",outcome="ok"} 2"#,
                r#"zitadel_user_operator_zitadel_requests_total{rpc="Token",outcome="unavailable"} 1"#,
            ]
        );
    }

    #[test]
    fn call_durations_are_observed_per_rpc() {
        let metrics = Metrics::new();
        let observer = metrics.zitadel_observer();
        observer.observe(Rpc::Token, "ok", Duration::from_millis(20));
        observer.observe(Rpc::Token, "internal", Duration::from_secs(2));

        let encoded = encoded(&metrics);
        let name = "zitadel_user_operator_zitadel_request_duration_seconds";
        assert_sample(&encoded, &format!(r#"{name}_count{{rpc="Token"}} 2"#));
        assert_sample(&encoded, &format!(r#"{name}_sum{{rpc="Token"}} 2.02"#));
        assert_sample(
            &encoded,
            &format!(r#"{name}_bucket{{le="0.025",rpc="Token"}} 1"#),
        );
        assert_sample(
            &encoded,
            &format!(r#"{name}_bucket{{le="2.5",rpc="Token"}} 2"#),
        );
    }
}
