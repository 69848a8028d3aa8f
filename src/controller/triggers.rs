//! Which watch events of a `User` start a reconcile.
//!
//! Only spec changes (generation), the reissue and rotate request annotations and deletion do:
//! the operator's own status and finalizer writes must not, or every reconcile would start the
//! next one. kube-runtime's `predicate_filter` does the same with a cache keyed by name,
//! namespace and uid strings (about 400 bytes per object, 4 MB of heap at 10,000 `User`s,
//! measured with heaptrack); [`Triggers`] keeps two integers per object and forgets deleted
//! ones, also those whose deletion a relist revealed.

use std::collections::HashMap;

use kube::Resource;
use kube::api::ObjectMeta;
use kube::runtime::watcher::Event;

use crate::fingerprint::fingerprint;
use crate::names::{REISSUE_ANNOTATION, ROTATE_ANNOTATION};

/// What in a `User`'s metadata starts a reconcile: generation, reissue and rotate requests and
/// deletion. Finalizers are left out: the operator adds its own in the reconcile that creates
/// the user, and a finalizer removed by hand is added back by the next resync.
pub fn trigger_fingerprint(meta: &ObjectMeta) -> u64 {
    let annotation = |name| {
        meta.annotations
            .as_ref()
            .and_then(|annotations| annotations.get(name))
    };
    fingerprint(&(
        meta.generation,
        annotation(REISSUE_ANNOTATION),
        annotation(ROTATE_ANNOTATION),
        meta.deletion_timestamp.is_some(),
    ))
}

/// The trigger fingerprint each watched object last had, by a hash of its uid.
#[derive(Default)]
pub struct Triggers {
    seen: HashMap<u64, u64>,
    /// While a relist runs: the objects it has shown so far. It replaces `seen` when the relist
    /// ends, which drops objects deleted while the watch was down.
    relisted: Option<HashMap<u64, u64>>,
}

impl Triggers {
    /// Whether `event` starts a reconcile: an object seen for the first time (a new one, or any
    /// after a start) or with a new trigger fingerprint. Everything else, deletions included, is
    /// only remembered.
    pub fn admit<K: Resource>(&mut self, event: &Event<K>) -> bool {
        match event {
            Event::Init => {
                self.relisted = Some(HashMap::with_capacity(self.seen.len()));
                false
            }
            Event::InitApply(object) => {
                let Some((uid, trigger)) = Self::key(object.meta()) else {
                    return true;
                };
                let changed = self.seen.get(&uid) != Some(&trigger);
                self.relisted
                    .get_or_insert_with(HashMap::new)
                    .insert(uid, trigger);
                changed
            }
            Event::InitDone => {
                if let Some(relisted) = self.relisted.take() {
                    self.seen = relisted;
                }
                false
            }
            Event::Apply(object) => {
                let Some((uid, trigger)) = Self::key(object.meta()) else {
                    return true;
                };
                self.seen.insert(uid, trigger) != Some(trigger)
            }
            Event::Delete(object) => {
                if let Some((uid, _)) = Self::key(object.meta()) {
                    self.seen.remove(&uid);
                }
                false
            }
        }
    }

    /// The uid's hash and the trigger fingerprint; `None` for an object without a uid (the API
    /// server always sets one), which is then always admitted.
    fn key(meta: &ObjectMeta) -> Option<(u64, u64)> {
        Some((fingerprint(meta.uid.as_ref()?), trigger_fingerprint(meta)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;

    fn object(uid: &str, generation: i64) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some("alice".into()),
                uid: Some(uid.into()),
                generation: Some(generation),
                ..ObjectMeta::default()
            },
            ..ConfigMap::default()
        }
    }

    fn with_finalizer(mut object: ConfigMap) -> ConfigMap {
        object.metadata.finalizers = Some(vec!["example.com/cleanup".into()]);
        object
    }

    fn with_annotation(mut object: ConfigMap, name: &str, value: &str) -> ConfigMap {
        object
            .metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(name.into(), value.into());
        object
    }

    #[test]
    fn a_new_object_starts_a_reconcile_and_its_own_status_or_finalizer_writes_do_not() {
        let mut triggers = Triggers::default();
        assert!(triggers.admit(&Event::Apply(object("u1", 1))));
        assert!(!triggers.admit(&Event::Apply(object("u1", 1))));
        assert!(!triggers.admit(&Event::Apply(with_finalizer(object("u1", 1)))));
    }

    #[test]
    fn a_spec_change_a_request_annotation_and_deletion_start_a_reconcile() {
        let mut triggers = Triggers::default();
        triggers.admit(&Event::Apply(object("u1", 1)));
        assert!(triggers.admit(&Event::Apply(object("u1", 2))));
        let reissue = with_annotation(object("u1", 2), REISSUE_ANNOTATION, "1");
        assert!(triggers.admit(&Event::Apply(reissue.clone())));
        let mut deleting = reissue;
        deleting.metadata.deletion_timestamp = Some(
            k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::UNIX_EPOCH),
        );
        assert!(triggers.admit(&Event::Apply(deleting)));
    }

    #[test]
    fn an_unrelated_annotation_starts_no_reconcile() {
        let mut triggers = Triggers::default();
        triggers.admit(&Event::Apply(object("u1", 1)));
        let labelled = with_annotation(object("u1", 1), "team", "a");
        assert!(!triggers.admit(&Event::Apply(labelled)));
    }

    #[test]
    fn an_object_recreated_under_the_same_name_starts_a_reconcile() {
        let mut triggers = Triggers::default();
        triggers.admit(&Event::Apply(object("u1", 1)));
        assert!(!triggers.admit(&Event::Delete(object("u1", 1))));
        assert!(triggers.admit(&Event::Apply(object("u2", 1))));
    }

    #[test]
    fn a_relist_admits_only_what_changed_while_the_watch_was_down_and_forgets_the_deleted() {
        let mut triggers = Triggers::default();
        triggers.admit(&Event::Apply(object("kept", 1)));
        triggers.admit(&Event::Apply(object("edited", 1)));
        triggers.admit(&Event::Apply(object("gone", 1)));

        assert!(!triggers.admit(&Event::<ConfigMap>::Init));
        assert!(!triggers.admit(&Event::InitApply(object("kept", 1))));
        assert!(triggers.admit(&Event::InitApply(object("edited", 2))));
        assert!(!triggers.admit(&Event::<ConfigMap>::InitDone));

        assert_eq!(triggers.seen.len(), 2);
        assert!(triggers.admit(&Event::Apply(object("gone", 1))));
    }
}
