//! When a managed `User` is compared with ZITADEL again, and how closely.
//!
//! After a comparison nothing in ZITADEL is expected to change until the resync, so a reconcile
//! meanwhile that no input change started (a watch relist, a namespace change that admits the
//! `User` as before) reads nothing: it finds the same [`Inputs`] and waits for the due time. The operator's own
//! writes start no reconcile at all (see `trigger_fingerprint` and `OwnWrites`). Any change to
//! the inputs (a spec edit, a reissue or rotate request, the Secret edited or deleted by someone
//! else, the connection changed) reads the user itself at once. When only time has passed, the
//! resync looks for drift in a listing of the organization ([`super::roster`]).
//!
//! The record lives in memory. After a start, a `User` already Ready for its generation gets
//! its first comparison at a random point within the resync interval, and until then its
//! reconciles read nothing, not even its Secret or its connection's credential: a restart
//! neither re-reads every user at once nor queues new `User`s and changed specs behind them.
//! Someone else's edit of its Secret in that time is seen at the first comparison.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kube::Resource;

use crate::conditions::ready_condition;
use crate::crd::User;
use crate::fingerprint::fingerprint;
use crate::secrets::SecretState;

/// What the outcome of a comparison depends on besides ZITADEL, each as a hash: a record is
/// kept for every `User` for the life of the process, and only equality is ever asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inputs {
    /// [`super::trigger_fingerprint`] of the `User`: generation, reissue and rotate
    /// annotations, deletion.
    pub trigger: u64,
    /// Of the connection's revision (uid and generation).
    pub connection: u64,
    /// Of the `User`'s Secret: absent, foreign, or owned at a resourceVersion.
    pub secret: u64,
}

impl Inputs {
    /// The inputs of `user` on the connection of revision `connection` with `secret`.
    pub fn of(user: &User, connection: &str, secret: &SecretState) -> Self {
        let secret = match secret {
            SecretState::Absent => fingerprint(&"absent"),
            SecretState::Foreign => fingerprint(&"foreign"),
            SecretState::Owned(owned) => fingerprint(&("owned", owned.resource_version())),
        };
        Self {
            trigger: super::trigger_fingerprint(user.meta()),
            connection: fingerprint(&connection),
            secret,
        }
    }
}

/// What is remembered of a `User` between reconciles.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Record {
    /// Ready for its generation when this process first saw it: nothing was read, and the first
    /// comparison is due at a random point within the resync interval.
    FirstDue {
        /// The trigger fingerprint then.
        trigger: u64,
        /// The hash of the connection revision then.
        connection: u64,
        /// When the first comparison is due.
        due: Instant,
    },
    /// The last reconcile failed or did not reach Ready: compare at the next one, whatever the
    /// status still says.
    Failed,
    /// A comparison ended `at` with `inputs`; the next is due at `due`.
    Compared {
        /// What the comparison's outcome depended on.
        inputs: Inputs,
        /// When it ended.
        at: Instant,
        /// When the next one is due.
        due: Instant,
    },
}

/// Whether a reconcile compares with ZITADEL, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Something the outcome depends on changed (or nothing is recorded): read the user.
    Compare,
    /// Only time passed since the comparison that ended at `since` (`None`: before this process
    /// started): a listing of the organization started after it shows any drift.
    Resync {
        /// When the last comparison ended.
        since: Option<Instant>,
    },
    /// Nothing can have changed: look again at this instant.
    WaitUntil(Instant),
}

/// Per `User` (by a hash of its uid), the last comparison.
#[derive(Default)]
pub struct Freshness {
    records: Mutex<HashMap<u64, Entry>>,
}

/// A record, and whether its due comparison has been handed to the controller.
struct Entry {
    record: Record,
    queued: bool,
}

impl From<Record> for Entry {
    fn from(record: Record) -> Self {
        Self {
            record,
            queued: false,
        }
    }
}

impl Freshness {
    /// Before anything is read: the instant a `User` waits for, if it can. A `settled` `User`
    /// (Ready for its generation) this process has not compared yet waits until a random point
    /// within `resync`, as long as its trigger fingerprint and connection stay the same. So after
    /// a restart the Ready `User`s cost no request at all until their first due time, and new
    /// or changed ones are not queued behind them.
    pub fn first_due(
        &self,
        uid: &str,
        trigger: u64,
        connection: &str,
        settled: bool,
        resync: Duration,
    ) -> Option<Instant> {
        let now = Instant::now();
        let first_due = now + resync.mul_f64(rand::random::<f64>());
        let mut records = self.lock();
        let seen = FirstSeen {
            trigger,
            connection: fingerprint(&connection),
            settled,
        };
        let last = records.get(&fingerprint(&uid)).map(|entry| &entry.record);
        let (wait, record) = decide_first(last, &seen, now, first_due);
        if let Some(record) = record {
            records.insert(fingerprint(&uid), record.into());
        }
        wait
    }

    /// Whether the `User` with uid `uid`, now seen with `inputs`, is compared now.
    pub fn next(&self, uid: &str, inputs: &Inputs) -> Next {
        let records = self.lock();
        decide(
            records.get(&fingerprint(&uid)).map(|entry| &entry.record),
            inputs,
            Instant::now(),
        )
    }

    /// Of `users` (uid and anything), those whose next comparison is due at `now` and was not
    /// handed out yet: each due time is handed out once. Ready `User`s wait for no requeue of
    /// their own; the controller's resync wheel asks this instead (see `super::due_users`).
    pub fn take_due<'a, T>(
        &self,
        now: Instant,
        users: impl IntoIterator<Item = (&'a str, T)>,
    ) -> Vec<T> {
        let mut records = self.lock();
        users
            .into_iter()
            .filter(|(uid, _)| {
                records
                    .get_mut(&fingerprint(uid))
                    .is_some_and(|entry| take_if_due(entry, now))
            })
            .map(|(_, user)| user)
            .collect()
    }

    /// Records a comparison of `uid` that ended with `inputs`; the next is due after `delay`.
    pub fn compared(&self, uid: &str, inputs: Inputs, delay: Duration) {
        let now = Instant::now();
        let record = Record::Compared {
            inputs,
            at: now,
            due: now + delay,
        };
        self.lock().insert(fingerprint(&uid), record.into());
    }

    /// Records that the reconcile of `uid` failed or did not reach Ready.
    pub fn failed(&self, uid: &str) {
        self.lock().insert(fingerprint(&uid), Record::Failed.into());
    }

    /// Forgets `uid`: the `User` is gone.
    pub fn forget(&self, uid: &str) {
        self.lock().remove(&fingerprint(&uid));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Entry>> {
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Whether `entry`'s comparison is due at `now` and not handed out yet; marks it handed out.
/// A failed `User` is retried by its own requeue.
fn take_if_due(entry: &mut Entry, now: Instant) -> bool {
    let due = match &entry.record {
        Record::FirstDue { due, .. } | Record::Compared { due, .. } => *due,
        Record::Failed => return false,
    };
    let take = !entry.queued && due <= now;
    entry.queued |= take;
    take
}

/// A `User` as a reconcile finds it before reading anything.
struct FirstSeen {
    trigger: u64,
    /// The hash of its connection's revision.
    connection: u64,
    settled: bool,
}

/// Whether a `User` waits before anything is read, and the record to store: pure, for tests.
fn decide_first(
    last: Option<&Record>,
    seen: &FirstSeen,
    now: Instant,
    first_due: Instant,
) -> (Option<Instant>, Option<Record>) {
    match last {
        Some(Record::FirstDue {
            trigger,
            connection,
            due,
        }) if *trigger == seen.trigger && *connection == seen.connection && now < *due => {
            (Some(*due), None)
        }
        Some(_) => (None, None),
        None if seen.settled => (
            Some(first_due),
            Some(Record::FirstDue {
                trigger: seen.trigger,
                connection: seen.connection,
                due: first_due,
            }),
        ),
        None => (None, None),
    }
}

/// How a reconcile that has read the `User`'s Secret compares: pure, for tests.
fn decide(last: Option<&Record>, inputs: &Inputs, now: Instant) -> Next {
    match last {
        Some(Record::Compared {
            inputs: last,
            at,
            due,
        }) if last == inputs => {
            if now < *due {
                Next::WaitUntil(*due)
            } else {
                Next::Resync { since: Some(*at) }
            }
        }
        // `first_due` let it through: the first due time has passed.
        Some(Record::FirstDue {
            trigger,
            connection,
            ..
        }) if *trigger == inputs.trigger && *connection == inputs.connection => {
            Next::Resync { since: None }
        }
        _ => Next::Compare,
    }
}

/// Whether `user` is Ready for its current generation, by its own status.
pub fn settled(user: &User) -> bool {
    let generation = user.meta().generation;
    user.status.as_ref().is_some_and(|status| {
        status.user_id.is_some()
            && status.observed_generation == generation
            && ready_condition(&status.conditions)
                .is_some_and(|c| c.status == "True" && c.observed_generation == generation)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(secret: &str) -> Inputs {
        Inputs {
            trigger: 7,
            connection: fingerprint(&"uid/1"),
            secret: fingerprint(&secret),
        }
    }

    fn at(seconds: u64) -> Instant {
        // A fixed origin keeps the arithmetic readable.
        static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        *ORIGIN.get_or_init(Instant::now) + Duration::from_secs(seconds)
    }

    fn compared(secret: &str, ended: u64, due: u64) -> Record {
        Record::Compared {
            inputs: inputs(secret),
            at: at(ended),
            due: at(due),
        }
    }

    fn first_due(due: u64) -> Record {
        Record::FirstDue {
            trigger: 7,
            connection: fingerprint(&"uid/1"),
            due: at(due),
        }
    }

    fn seen(trigger: u64, settled: bool) -> FirstSeen {
        FirstSeen {
            trigger,
            connection: fingerprint(&"uid/1"),
            settled,
        }
    }

    #[test]
    fn the_operators_own_write_before_the_resync_compares_nothing() {
        let last = compared("owned 5", 0, 600);
        let next = decide(Some(&last), &inputs("owned 5"), at(1));
        assert_eq!(next, Next::WaitUntil(at(600)));
    }

    #[test]
    fn a_changed_input_compares_at_once() {
        let last = compared("owned 5", 0, 600);
        for changed in [
            inputs("owned 6"),
            inputs("absent"),
            Inputs {
                trigger: 8,
                ..inputs("owned 5")
            },
            Inputs {
                connection: fingerprint(&"uid/2"),
                ..inputs("owned 5")
            },
        ] {
            assert_eq!(
                decide(Some(&last), &changed, at(1)),
                Next::Compare,
                "{changed:?}"
            );
        }
        assert_eq!(decide(None, &inputs("absent"), at(1)), Next::Compare);
    }

    #[test]
    fn the_due_time_resyncs_from_a_listing_made_after_the_last_comparison() {
        let last = compared("absent", 0, 600);
        let next = decide(Some(&last), &inputs("absent"), at(600));
        assert_eq!(next, Next::Resync { since: Some(at(0)) });
    }

    #[test]
    fn a_settled_user_first_seen_after_a_start_waits_before_reading_anything() {
        let (wait, record) = decide_first(None, &seen(7, true), at(0), at(123));
        assert_eq!(wait, Some(at(123)));
        assert_eq!(record, Some(first_due(123)));

        let again = decide_first(record.as_ref(), &seen(7, true), at(5), at(400));
        assert_eq!(again, (Some(at(123)), None), "its Secret's event waits too");
    }

    #[test]
    fn the_first_due_time_after_a_start_resyncs_from_any_listing() {
        let record = first_due(123);
        let (wait, _) = decide_first(Some(&record), &seen(7, true), at(123), at(400));
        assert_eq!(wait, None);
        let next = decide(Some(&record), &inputs("owned 5"), at(123));
        assert_eq!(next, Next::Resync { since: None });
    }

    #[test]
    fn a_new_or_changed_user_first_seen_is_compared_at_once() {
        assert_eq!(
            decide_first(None, &seen(7, false), at(0), at(123)),
            (None, None)
        );
        let record = first_due(123);
        let (wait, _) = decide_first(Some(&record), &seen(8, false), at(1), at(400));
        assert_eq!(wait, None, "a spec change before the first due time");
        let changed = Inputs {
            trigger: 8,
            ..inputs("absent")
        };
        assert_eq!(decide(Some(&record), &changed, at(1)), Next::Compare);
    }

    #[test]
    fn a_compared_user_is_not_held_back_before_anything_is_read() {
        let last = compared("absent", 0, 600);
        assert_eq!(
            decide_first(Some(&last), &seen(7, true), at(1), at(300)),
            (None, None)
        );
    }

    #[test]
    fn a_due_comparison_is_handed_out_once_and_a_failed_user_never() {
        let mut compared = Entry::from(compared("absent", 0, 600));
        let mut first = Entry::from(first_due(123));
        let mut failed = Entry::from(Record::Failed);

        assert!(!take_if_due(&mut compared, at(599)), "not due yet");
        assert!(take_if_due(&mut compared, at(600)));
        assert!(!take_if_due(&mut compared, at(601)), "handed out already");
        assert!(take_if_due(&mut first, at(200)));
        assert!(!take_if_due(&mut failed, at(10_000)));
    }

    #[test]
    fn a_new_record_is_handed_out_again_when_due() {
        let freshness = Freshness::default();
        freshness.compared("alice", inputs("absent"), Duration::ZERO);
        let now = Instant::now();
        assert_eq!(freshness.take_due(now, [("alice", 1), ("bob", 2)]), [1]);
        assert!(freshness.take_due(now, [("alice", 1)]).is_empty());

        freshness.compared("alice", inputs("absent"), Duration::ZERO);
        assert_eq!(freshness.take_due(Instant::now(), [("alice", 1)]), [1]);
    }

    #[test]
    fn a_failed_user_is_compared_at_its_retry_even_if_its_status_still_says_ready() {
        let failed = Record::Failed;
        assert_eq!(
            decide_first(Some(&failed), &seen(7, true), at(1), at(300)),
            (None, None)
        );
        assert_eq!(
            decide(Some(&failed), &inputs("absent"), at(1)),
            Next::Compare
        );
    }
}
