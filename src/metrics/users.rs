//! The `users{ready,state}` gauge: how many `User` objects are in each readiness and state.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex, PoisonError},
};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{family::Family, gauge::Gauge},
    registry::Registry,
};

use crate::fingerprint::fingerprint;

/// Identifies a `User` object (`namespace/name`); never becomes a label.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    /// Namespace of the object.
    pub namespace: String,
    /// Name of the object.
    pub name: String,
}

impl ObjectKey {
    /// The key of `namespace/name`.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UserLabels {
    ready: &'static str,
    state: &'static str,
}

impl UserLabels {
    fn new(ready: bool, state: &'static str) -> Self {
        Self {
            ready: if ready { "true" } else { "false" },
            state,
        }
    }
}

/// Per-object bookkeeping behind the gauge.
///
/// Each object is counted in exactly one series: the map remembers which, so an update moves the
/// object from its old series to its new one instead of counting it twice. It is keyed by a hash
/// of the object's key: an entry per `User` for the life of the process.
#[derive(Clone)]
pub(super) struct UserGauges {
    gauge: Family<UserLabels, Gauge>,
    recorded: Arc<Mutex<HashMap<u64, UserLabels>>>,
}

impl UserGauges {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let gauges = Self {
            gauge: Family::default(),
            recorded: Arc::default(),
        };
        registry.register(
            "users",
            "User objects by readiness and ZITADEL state",
            gauges.gauge.clone(),
        );
        gauges
    }

    pub(super) fn set(&self, key: ObjectKey, ready: bool, state: &'static str) {
        let labels = UserLabels::new(ready, state);
        // The lock spans the gauge updates so concurrent reconciles of one object cannot
        // interleave a decrement and an increment.
        let mut recorded = self.recorded.lock().unwrap_or_else(PoisonError::into_inner);
        match recorded.insert(fingerprint(&key), labels) {
            Some(previous) if previous == labels => {}
            Some(previous) => {
                self.gauge.get_or_create(&previous).dec();
                self.gauge.get_or_create(&labels).inc();
            }
            None => {
                self.gauge.get_or_create(&labels).inc();
            }
        }
    }

    pub(super) fn forget(&self, key: &ObjectKey) {
        let mut recorded = self.recorded.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(previous) = recorded.remove(&fingerprint(key)) {
            self.gauge.get_or_create(&previous).dec();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Metrics, test_support::*};
    use super::*;

    const USERS: &str = "zitadel_user_operator_users";

    #[test]
    fn users_are_counted_per_readiness_and_state() {
        let metrics = Metrics::new();
        metrics.set_user(ObjectKey::new("a", "alice"), true, "active");
        metrics.set_user(ObjectKey::new("b", "alice"), true, "active");
        metrics.set_user(ObjectKey::new("a", "bob"), false, "locked");
        assert_eq!(
            sorted_samples(&metrics, USERS),
            [
                r#"zitadel_user_operator_users{ready="false",state="locked"} 1"#,
                r#"zitadel_user_operator_users{ready="true",state="active"} 2"#,
            ]
        );
    }

    #[test]
    fn a_user_becoming_ready_moves_between_series_without_double_counting() {
        let metrics = Metrics::new();
        let alice = ObjectKey::new("team-a", "alice");
        metrics.set_user(alice.clone(), false, "active");
        metrics.set_user(alice.clone(), false, "active");
        metrics.set_user(alice, true, "active");
        assert_eq!(
            sorted_samples(&metrics, USERS),
            [
                r#"zitadel_user_operator_users{ready="false",state="active"} 0"#,
                r#"zitadel_user_operator_users{ready="true",state="active"} 1"#,
            ]
        );
    }

    #[test]
    fn a_forgotten_user_is_no_longer_counted() {
        let metrics = Metrics::new();
        let alice = ObjectKey::new("team-a", "alice");
        metrics.set_user(alice.clone(), true, "active");
        metrics.forget_user(&alice);
        metrics.forget_user(&alice);
        assert_eq!(
            sorted_samples(&metrics, USERS),
            [r#"zitadel_user_operator_users{ready="true",state="active"} 0"#]
        );
    }

    #[test]
    fn object_names_never_become_labels() {
        let metrics = Metrics::new();
        metrics.set_user(ObjectKey::new("secret-ns", "secret-name"), true, "active");
        let encoded = encoded(&metrics);
        assert!(!encoded.contains("secret-ns") && !encoded.contains("secret-name"));
    }

    #[test]
    fn object_keys_display_as_namespace_slash_name() {
        assert_eq!(
            ObjectKey::new("team-a", "alice").to_string(),
            "team-a/alice"
        );
    }
}
