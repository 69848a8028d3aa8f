//! When a managed `User` is compared with ZITADEL again, and how closely.
//!
//! After a comparison nothing in ZITADEL is expected to change until the resync, so the
//! reconciles that the operator's own writes trigger meanwhile (its Secret, the finalizer) read
//! nothing: they find the same [`Inputs`] and wait for the due time. Any change to the inputs (a
//! spec edit, a reissue or rotate request, the Secret edited or deleted by someone else, the
//! connection changed) reads the user itself at once. When only time has passed, the resync
//! looks for drift in a listing of the organization ([`super::roster`]).
//!
//! The record lives in memory. After a start, a `User` already Ready for its generation gets
//! its first comparison at a random point within the resync interval, so a restart does not
//! re-read every user at once; new `User`s and changed specs are compared right away.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kube::Resource;

use crate::conditions::ready_condition;
use crate::crd::User;
use crate::secrets::SecretState;

/// What the outcome of a comparison depends on besides ZITADEL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// [`super::trigger_fingerprint`] of the `User`: generation, reissue and rotate
    /// annotations, finalizers, deletion.
    pub trigger: u64,
    /// The connection's uid and generation.
    pub connection: String,
    /// The `User`'s Secret: absent, foreign, or owned at a resourceVersion.
    pub secret: String,
}

impl Inputs {
    /// The inputs of `user` on `connection` with `secret`.
    pub fn of(user: &User, connection: String, secret: &SecretState) -> Self {
        Self {
            trigger: super::trigger_fingerprint(user.meta()),
            connection,
            secret: match secret {
                SecretState::Absent => "absent".to_owned(),
                SecretState::Foreign => "foreign".to_owned(),
                SecretState::Owned(owned) => format!("owned {}", owned.resource_version()),
            },
        }
    }
}

/// The last comparison's inputs, when it ended and when the next one is due.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Compared {
    inputs: Inputs,
    /// `None` for the first due time of a `User` this process has not compared yet.
    at: Option<Instant>,
    due: Instant,
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

/// Per `User` uid, the last comparison.
#[derive(Default)]
pub struct Freshness {
    compared: Mutex<HashMap<String, Compared>>,
}

impl Freshness {
    /// Whether the `User` with uid `uid`, now seen with `inputs`, is compared now. A `settled`
    /// `User` (Ready for its generation) this process has not compared yet waits until a random
    /// point within `resync`.
    pub fn next(&self, uid: &str, inputs: &Inputs, settled: bool, resync: Duration) -> Next {
        let now = Instant::now();
        let first_due = now + resync.mul_f64(rand::random::<f64>());
        let mut compared = self.lock();
        let (next, record) = decide(compared.get(uid), inputs, settled, now, first_due);
        if let Some(record) = record {
            compared.insert(uid.to_owned(), record);
        }
        next
    }

    /// Records a comparison of `uid` that ended with `inputs`; the next is due after `delay`.
    pub fn compared(&self, uid: &str, inputs: Inputs, delay: Duration) {
        let now = Instant::now();
        let record = Compared {
            inputs,
            at: Some(now),
            due: now + delay,
        };
        self.lock().insert(uid.to_owned(), record);
    }

    /// Forgets `uid`: its reconcile failed, or the `User` is gone.
    pub fn forget(&self, uid: &str) {
        self.lock().remove(uid);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Compared>> {
        self.compared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The decision, and the record to store: pure, for tests.
fn decide(
    last: Option<&Compared>,
    inputs: &Inputs,
    settled: bool,
    now: Instant,
    first_due: Instant,
) -> (Next, Option<Compared>) {
    match last {
        Some(last) if last.inputs == *inputs && now < last.due => (Next::WaitUntil(last.due), None),
        Some(last) if last.inputs == *inputs => (Next::Resync { since: last.at }, None),
        Some(_) => (Next::Compare, None),
        None if settled => (
            Next::WaitUntil(first_due),
            Some(Compared {
                inputs: inputs.clone(),
                at: None,
                due: first_due,
            }),
        ),
        None => (Next::Compare, None),
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
            connection: "uid/1".to_owned(),
            secret: secret.to_owned(),
        }
    }

    fn at(seconds: u64) -> Instant {
        // A fixed origin keeps the arithmetic readable.
        static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        *ORIGIN.get_or_init(Instant::now) + Duration::from_secs(seconds)
    }

    fn compared(secret: &str, ended: Option<u64>, due: u64) -> Compared {
        Compared {
            inputs: inputs(secret),
            at: ended.map(at),
            due: at(due),
        }
    }

    #[test]
    fn the_operators_own_write_before_the_resync_compares_nothing() {
        let last = compared("owned 5", Some(0), 600);
        let (next, record) = decide(Some(&last), &inputs("owned 5"), true, at(1), at(300));
        assert_eq!(next, Next::WaitUntil(at(600)));
        assert_eq!(record, None);
    }

    #[test]
    fn a_changed_input_compares_at_once() {
        let last = compared("owned 5", Some(0), 600);
        for changed in [
            inputs("owned 6"),
            inputs("absent"),
            Inputs {
                trigger: 8,
                ..inputs("owned 5")
            },
            Inputs {
                connection: "uid/2".to_owned(),
                ..inputs("owned 5")
            },
        ] {
            let (next, _) = decide(Some(&last), &changed, true, at(1), at(300));
            assert_eq!(next, Next::Compare, "{changed:?}");
        }
    }

    #[test]
    fn the_due_time_resyncs_from_a_listing_made_after_the_last_comparison() {
        let last = compared("absent", Some(0), 600);
        let (next, _) = decide(Some(&last), &inputs("absent"), true, at(600), at(900));
        assert_eq!(next, Next::Resync { since: Some(at(0)) });
    }

    #[test]
    fn the_first_due_time_after_a_start_resyncs_from_any_listing() {
        let first = compared("absent", None, 123);
        let (next, _) = decide(Some(&first), &inputs("absent"), true, at(123), at(300));
        assert_eq!(next, Next::Resync { since: None });
    }

    #[test]
    fn a_settled_user_first_seen_after_a_start_waits_until_its_random_first_due_time() {
        let (next, record) = decide(None, &inputs("absent"), true, at(0), at(123));
        assert_eq!(next, Next::WaitUntil(at(123)));
        assert_eq!(record, Some(compared("absent", None, 123)));
    }

    #[test]
    fn a_new_or_changed_user_first_seen_is_compared_at_once() {
        let (next, record) = decide(None, &inputs("absent"), false, at(0), at(123));
        assert_eq!(next, Next::Compare);
        assert_eq!(record, None);
    }
}
