//! Reconcile counters, durations and the in-flight gauge.

use std::time::Instant;

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

use super::DURATION_BUCKETS;

/// How a reconcile ended, as the `result` label of `reconciles_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReconcileResult {
    /// The user matches its spec.
    Success,
    /// Progress needs a human (invalid spec, missing Secret, conflict): retrying will not help.
    Blocked,
    /// Something failed; `kind` is a bounded label (`reconcile_errors_total{kind}`), such as a
    /// ZITADEL error class (`transient`, `rate_limited`) or `secret`, `status`, `finalizer`.
    Error {
        /// What failed.
        kind: &'static str,
    },
}

impl ReconcileResult {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Blocked => "blocked",
            Self::Error { .. } => "error",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    kind: &'static str,
}

/// The reconcile metric handles (clones share series).
#[derive(Clone)]
pub(super) struct ReconcileMetrics {
    total: Family<ResultLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    duration: Histogram,
    in_flight: Gauge,
}

impl ReconcileMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            total: Family::default(),
            errors: Family::default(),
            duration: Histogram::new(DURATION_BUCKETS),
            in_flight: Gauge::default(),
        };
        registry.register(
            "reconciles",
            "Finished reconciles of User objects by result",
            metrics.total.clone(),
        );
        registry.register(
            "reconcile_errors",
            "Failed reconciles of User objects by what failed",
            metrics.errors.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Duration of finished reconciles",
            metrics.duration.clone(),
        );
        registry.register(
            "reconciles_in_flight",
            "Reconciles currently running",
            metrics.in_flight.clone(),
        );
        metrics
    }

    pub(super) fn start(&self) -> ReconcileTimer {
        self.in_flight.inc();
        ReconcileTimer {
            metrics: self.clone(),
            started: Instant::now(),
        }
    }
}

/// A running reconcile: counted in `reconciles_in_flight` until finished or dropped.
///
/// Dropping without [`finish`](Self::finish) (the reconcile future was cancelled) only ends the
/// in-flight count; it records no result.
pub struct ReconcileTimer {
    metrics: ReconcileMetrics,
    started: Instant,
}

impl ReconcileTimer {
    /// Records the reconcile's result and duration.
    pub fn finish(self, result: ReconcileResult) {
        self.metrics
            .duration
            .observe(self.started.elapsed().as_secs_f64());
        self.metrics
            .total
            .get_or_create(&ResultLabels {
                result: result.as_str(),
            })
            .inc();
        if let ReconcileResult::Error { kind } = result {
            self.metrics
                .errors
                .get_or_create(&ErrorLabels { kind })
                .inc();
        }
    }
}

impl Drop for ReconcileTimer {
    fn drop(&mut self) {
        self.metrics.in_flight.dec();
    }
}

impl std::fmt::Debug for ReconcileTimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReconcileTimer")
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Metrics, test_support::*};
    use super::*;

    const IN_FLIGHT: &str = "zitadel_user_operator_reconciles_in_flight";

    #[test]
    fn a_running_reconcile_is_in_flight_until_finished() {
        let metrics = Metrics::new();
        let first = metrics.reconcile_started();
        let second = metrics.reconcile_started();
        assert_sample(&encoded(&metrics), &format!("{IN_FLIGHT} 2"));

        first.finish(ReconcileResult::Success);
        assert_sample(&encoded(&metrics), &format!("{IN_FLIGHT} 1"));
        second.finish(ReconcileResult::Error { kind: "transient" });
        assert_sample(&encoded(&metrics), &format!("{IN_FLIGHT} 0"));
    }

    #[test]
    fn finished_reconciles_are_counted_by_result() {
        let metrics = Metrics::new();
        for result in [
            ReconcileResult::Success,
            ReconcileResult::Success,
            ReconcileResult::Blocked,
            ReconcileResult::Error { kind: "transient" },
        ] {
            metrics.reconcile_started().finish(result);
        }
        assert_eq!(
            sorted_samples(&metrics, "zitadel_user_operator_reconciles_total"),
            [
                r#"zitadel_user_operator_reconciles_total{result="blocked"} 1"#,
                r#"zitadel_user_operator_reconciles_total{result="error"} 1"#,
                r#"zitadel_user_operator_reconciles_total{result="success"} 2"#,
            ]
        );
    }

    #[test]
    fn failed_reconciles_are_counted_by_what_failed() {
        let metrics = Metrics::new();
        for kind in ["transient", "secret", "transient"] {
            metrics
                .reconcile_started()
                .finish(ReconcileResult::Error { kind });
        }
        metrics.reconcile_started().finish(ReconcileResult::Blocked);
        assert_eq!(
            sorted_samples(&metrics, "zitadel_user_operator_reconcile_errors_total"),
            [
                r#"zitadel_user_operator_reconcile_errors_total{kind="secret"} 1"#,
                r#"zitadel_user_operator_reconcile_errors_total{kind="transient"} 2"#,
            ]
        );
    }

    #[test]
    fn finished_reconciles_are_observed_in_the_duration_histogram() {
        let metrics = Metrics::new();
        metrics.reconcile_started().finish(ReconcileResult::Success);
        let encoded = encoded(&metrics);
        assert_sample(
            &encoded,
            "zitadel_user_operator_reconcile_duration_seconds_count 1",
        );
        assert_sample(
            &encoded,
            r#"zitadel_user_operator_reconcile_duration_seconds_bucket{le="30.0"} 1"#,
        );
        assert_sample(
            &encoded,
            r#"zitadel_user_operator_reconcile_duration_seconds_bucket{le="+Inf"} 1"#,
        );
    }

    #[test]
    fn a_cancelled_reconcile_leaves_flight_without_a_result() {
        let metrics = Metrics::new();
        drop(metrics.reconcile_started());
        let encoded = encoded(&metrics);
        assert_sample(&encoded, &format!("{IN_FLIGHT} 0"));
        assert!(samples(&encoded, "zitadel_user_operator_reconciles_total").is_empty());
        assert_sample(
            &encoded,
            "zitadel_user_operator_reconcile_duration_seconds_count 0",
        );
    }
}
