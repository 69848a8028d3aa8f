//! Kubernetes events (`events.k8s.io/v1`) on the objects the operator reconciles, with repeats
//! folded into a series, in bounded memory.
//!
//! kube-runtime's `Recorder` keeps every event it published for six minutes, as the full
//! `Event` object keyed by a full `ObjectReference`, and scans that table on every publish.
//! Creating 10,000 `User`s (one `Created` event each) made it the operator's largest allocation:
//! 35 MB of a 64 MB heap peak, measured with heaptrack. This publisher writes the same events
//! (same fields, same `<object>.<nanoseconds>` names, a repeat of the same reason on the same
//! object within [`SERIES_WINDOW`] patched into the first event's `series`) but remembers only
//! what a repeat needs (about 100 bytes per event) for at most [`MAX_REMEMBERED`] events, oldest
//! first out, like client-go's event correlator.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

use crate::fingerprint::fingerprint;

/// How long after an event a repeat joins its series instead of becoming an event of its own
/// (kube-runtime's and client-go's six minutes).
pub const SERIES_WINDOW: Duration = Duration::from_secs(6 * 60);

/// The most events remembered for series; the oldest is forgotten first (client-go's LRU size).
pub const MAX_REMEMBERED: usize = 4096;

/// Who publishes: `reportingController` and `reportingInstance`.
#[derive(Clone, Debug)]
pub struct Reporter {
    /// The controller's name.
    pub controller: String,
    /// This replica (the leader election identity), if known; the controller's name otherwise.
    pub instance: Option<String>,
}

/// One event to publish.
#[derive(Clone, Copy, Debug)]
pub struct Occurrence<'a> {
    /// `Warning` rather than `Normal`.
    pub warning: bool,
    /// PascalCase reason.
    pub reason: &'a str,
    /// What happened, for people.
    pub note: &'a str,
    /// What the operator was doing.
    pub action: &'a str,
}

/// Publishes events, folding repeats into series.
pub struct Publisher {
    client: Client,
    reporter: Reporter,
    recent: Mutex<Recent>,
}

impl Publisher {
    /// Publishes through `client` as `reporter`.
    pub fn new(client: Client, reporter: Reporter) -> Self {
        Self {
            client,
            reporter,
            recent: Mutex::default(),
        }
    }

    /// Publishes `occurrence` on the object `regarding`: a new event, or the next count of the
    /// series of the same reason on the same object within [`SERIES_WINDOW`]. A series whose
    /// event is gone (the API server expires events after an hour) starts again as a new event.
    ///
    /// # Errors
    /// The API server's answer when it refuses the event.
    pub async fn publish(
        &self,
        occurrence: &Occurrence<'_>,
        regarding: &ObjectReference,
    ) -> Result<(), kube::Error> {
        let namespace = regarding.namespace.as_deref().unwrap_or("default");
        let api: Api<Event> = Api::namespaced(self.client.clone(), namespace);
        let key = series_key(occurrence, regarding);
        let now = Timestamp::now();
        let repeat = self.lock().repeat(key, now);
        if let Some((name, count)) = repeat {
            let series = EventSeries {
                count,
                last_observed_time: MicroTime(now),
            };
            let patch = json!({ "series": series });
            match api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Err(kube::Error::Api(status)) if status.is_not_found() => {}
                answered => return answered.map(drop),
            }
        }
        let event = self.event(occurrence, regarding, now);
        let name = event.metadata.name.clone().unwrap_or_default();
        api.create(&PostParams::default(), &event).await?;
        self.lock().remember(key, name, now);
        Ok(())
    }

    fn event(
        &self,
        occurrence: &Occurrence<'_>,
        regarding: &ObjectReference,
        now: Timestamp,
    ) -> Event {
        let object = regarding
            .name
            .as_deref()
            .unwrap_or(&self.reporter.controller);
        let nanos = now.as_nanosecond();
        Event {
            metadata: ObjectMeta {
                name: Some(format!("{object}.{nanos:x}")),
                namespace: regarding.namespace.clone(),
                ..ObjectMeta::default()
            },
            action: Some(occurrence.action.to_owned()),
            reason: Some(occurrence.reason.to_owned()),
            note: Some(occurrence.note.to_owned()),
            type_: Some(
                if occurrence.warning {
                    "Warning"
                } else {
                    "Normal"
                }
                .to_owned(),
            ),
            event_time: Some(MicroTime(now)),
            regarding: Some(regarding.clone()),
            reporting_controller: Some(self.reporter.controller.clone()),
            reporting_instance: Some(
                self.reporter
                    .instance
                    .clone()
                    .unwrap_or_else(|| self.reporter.controller.clone()),
            ),
            ..Event::default()
        }
    }

    fn lock(&self) -> MutexGuard<'_, Recent> {
        self.recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What makes two events one series: the object (by uid, else by kind, namespace and name),
/// the type, the reason and the action, as in kube-runtime. Hashed: the remembered key is 8
/// bytes, and a collision between two of at most [`MAX_REMEMBERED`] keys (odds about 1 in 10^12)
/// would only count an event into another object's series.
fn series_key(occurrence: &Occurrence<'_>, regarding: &ObjectReference) -> u64 {
    let what = (occurrence.warning, occurrence.reason, occurrence.action);
    match &regarding.uid {
        Some(uid) => fingerprint(&(uid, what)),
        None => fingerprint(&(
            (&regarding.kind, &regarding.namespace, &regarding.name),
            what,
        )),
    }
}

/// The recently published events, by series key, oldest first.
#[derive(Default)]
struct Recent {
    by_key: HashMap<u64, Remembered>,
    /// Series keys with the time their event was created, in that order.
    order: VecDeque<(u64, Timestamp)>,
}

/// What a repeat of an event needs.
struct Remembered {
    /// The event's name.
    name: Box<str>,
    /// When the event was created.
    created: Timestamp,
    /// When it last happened.
    last: Timestamp,
    /// How often it happened.
    count: i32,
}

impl Recent {
    /// If `key` was published within the series window before `now`: its event's name and the
    /// series' new count, counted.
    fn repeat(&mut self, key: u64, now: Timestamp) -> Option<(String, i32)> {
        self.forget_before(now);
        let remembered = self
            .by_key
            .get_mut(&key)
            .filter(|r| within_window(r.last, now))?;
        remembered.count = remembered.count.saturating_add(1);
        remembered.last = now;
        Some((remembered.name.to_string(), remembered.count))
    }

    /// Remembers the event `name` created at `now` for the series `key`.
    fn remember(&mut self, key: u64, name: String, now: Timestamp) {
        self.forget_before(now);
        while self.by_key.len() >= MAX_REMEMBERED {
            let Some((oldest, created)) = self.order.pop_front() else {
                break;
            };
            self.forget(oldest, created);
        }
        let remembered = Remembered {
            name: name.into_boxed_str(),
            created: now,
            last: now,
            count: 1,
        };
        self.by_key.insert(key, remembered);
        self.order.push_back((key, now));
    }

    /// Forgets the series that have not repeated within the window before `now`, looking at
    /// the oldest events only: a longer series ends once its event is the oldest and has not
    /// repeated within the window.
    fn forget_before(&mut self, now: Timestamp) {
        while let Some(&(key, created)) = self.order.front() {
            let Some(remembered) = self.by_key.get(&key).filter(|r| r.created == created) else {
                // An entry replaced by a later event of the same series.
                self.order.pop_front();
                continue;
            };
            if within_window(remembered.last, now) {
                return;
            }
            self.order.pop_front();
            self.by_key.remove(&key);
        }
    }

    fn forget(&mut self, key: u64, created: Timestamp) {
        if self.by_key.get(&key).is_some_and(|r| r.created == created) {
            self.by_key.remove(&key);
        }
    }
}

/// Whether `now` is within the series window after `last`.
fn within_window(last: Timestamp, now: Timestamp) -> bool {
    now.duration_since(last).unsigned_abs() < SERIES_WINDOW
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + second).expect("valid timestamp")
    }

    const WINDOW: i64 = 6 * 60;

    #[test]
    fn a_repeat_within_the_window_counts_into_the_series() {
        let mut recent = Recent::default();
        assert_eq!(recent.repeat(1, at(0)), None);
        recent.remember(1, "alice.1".to_owned(), at(0));

        assert_eq!(recent.repeat(1, at(10)), Some(("alice.1".to_owned(), 2)));
        assert_eq!(recent.repeat(1, at(20)), Some(("alice.1".to_owned(), 3)));
        assert_eq!(recent.repeat(2, at(20)), None, "another series");
    }

    #[test]
    fn a_repeat_after_the_window_is_a_new_event() {
        let mut recent = Recent::default();
        recent.remember(1, "alice.1".to_owned(), at(0));

        assert_eq!(recent.repeat(1, at(WINDOW)), None);
        assert!(recent.by_key.is_empty() && recent.order.is_empty());
    }

    #[test]
    fn a_series_lasts_while_it_repeats_within_the_window() {
        let mut recent = Recent::default();
        recent.remember(1, "alice.1".to_owned(), at(0));
        recent.remember(2, "bob.1".to_owned(), at(1));

        assert!(recent.repeat(1, at(WINDOW - 1)).is_some());
        // Bob's event has not repeated for a window; alice's series goes on.
        assert_eq!(recent.repeat(2, at(WINDOW + 5)), None);
        assert_eq!(
            recent.repeat(1, at(WINDOW + 5)),
            Some(("alice.1".to_owned(), 3))
        );
    }

    #[test]
    fn the_oldest_event_is_forgotten_beyond_the_limit() {
        let mut recent = Recent::default();
        for key in 0..=MAX_REMEMBERED as u64 {
            recent.remember(key, format!("user-{key}.1"), at(0));
        }

        assert_eq!(recent.by_key.len(), MAX_REMEMBERED);
        assert_eq!(recent.repeat(0, at(1)), None, "the oldest is gone");
        assert!(recent.repeat(1, at(1)).is_some());
    }

    #[test]
    fn a_new_event_of_a_series_replaces_the_old_one() {
        let mut recent = Recent::default();
        recent.remember(1, "alice.1".to_owned(), at(0));
        recent.remember(1, "alice.2".to_owned(), at(5));

        assert_eq!(recent.repeat(1, at(6)), Some(("alice.2".to_owned(), 2)));
        assert_eq!(recent.by_key.len(), 1);
    }

    #[test]
    fn the_same_reason_on_another_object_or_of_another_type_is_another_series() {
        let alice = ObjectReference {
            uid: Some("uid-alice".to_owned()),
            ..ObjectReference::default()
        };
        let bob = ObjectReference {
            uid: Some("uid-bob".to_owned()),
            ..ObjectReference::default()
        };
        let failed = Occurrence {
            warning: true,
            reason: "ZitadelUnavailable",
            note: "down",
            action: "Reconcile",
        };
        let other_note = Occurrence {
            note: "still down",
            ..failed
        };
        let normal = Occurrence {
            warning: false,
            ..failed
        };

        assert_eq!(series_key(&failed, &alice), series_key(&other_note, &alice));
        assert_ne!(series_key(&failed, &alice), series_key(&failed, &bob));
        assert_ne!(series_key(&failed, &alice), series_key(&normal, &alice));
    }
}
