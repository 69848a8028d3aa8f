//! Per-object retry backoff with jitter, and jittered resyncs. kube-runtime's controller has no
//! backoff of its own for reconcile errors, so failures are counted here and reset by the next
//! success.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use kube::runtime::reflector::ObjectRef;
use rand::Rng;

use crate::crd::User;

/// First retry delay.
pub const BASE_DELAY: Duration = Duration::from_secs(1);
/// Longest delay between retries; ZITADEL outages usually clear well within it.
pub const MAX_DELAY: Duration = Duration::from_secs(300);

/// Failure counts per `User`.
#[derive(Default)]
pub struct Backoff {
    failures: Mutex<HashMap<ObjectRef<User>, u32>>,
}

impl Backoff {
    /// Records a failure of `object` and returns how long to wait before the next attempt:
    /// exponential with ±20 % jitter, never shorter than a server's `Retry-After`.
    pub fn next_delay(&self, object: &ObjectRef<User>, retry_after: Option<Duration>) -> Duration {
        let failures = {
            let mut map = self
                .failures
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let count = map.entry(object.clone()).or_insert(0);
            *count = count.saturating_add(1);
            *count
        };
        let jitter = rand::rng().random_range(0.8..1.2);
        delay_for(failures, jitter, retry_after)
    }

    /// Forgets the failures of `object` after a success.
    pub fn reset(&self, object: &ObjectRef<User>) {
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.remove(object);
    }
}

/// The delay after the `failures`-th consecutive failure, scaled by `jitter`, at least
/// `retry_after`.
pub fn delay_for(failures: u32, jitter: f64, retry_after: Option<Duration>) -> Duration {
    let exponent = failures.saturating_sub(1).min(16);
    let backoff = BASE_DELAY
        .saturating_mul(1 << exponent)
        .min(MAX_DELAY)
        .mul_f64(jitter);
    backoff.max(retry_after.unwrap_or_default())
}

/// `interval` spread by ±10 %: users reconciled together (after a restart, say) would otherwise
/// resync together forever, hitting ZITADEL in bursts.
pub fn jittered(interval: Duration) -> Duration {
    interval.mul_f64(rand::rng().random_range(0.9..1.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_per_failure_up_to_the_cap() {
        let delays: Vec<u64> = (1..=10)
            .map(|n| delay_for(n, 1.0, None).as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
        assert_eq!(delay_for(u32::MAX, 1.0, None), MAX_DELAY);
    }

    #[test]
    fn jitter_spreads_retries_of_many_objects() {
        assert_eq!(delay_for(3, 0.8, None), Duration::from_millis(3200));
        assert_eq!(delay_for(3, 1.2, None), Duration::from_millis(4800));
    }

    #[test]
    fn a_servers_retry_after_is_never_undercut() {
        let delay = delay_for(1, 1.0, Some(Duration::from_secs(30)));
        assert_eq!(delay, Duration::from_secs(30));
    }

    #[test]
    fn resyncs_are_spread_within_ten_percent() {
        let interval = Duration::from_secs(600);
        let spread: Vec<Duration> = (0..100).map(|_| jittered(interval)).collect();
        assert!(
            spread
                .iter()
                .all(|d| *d >= Duration::from_secs(540) && *d < Duration::from_secs(660))
        );
        assert!(spread.iter().any(|d| *d != spread[0]), "not all the same");
    }

    #[test]
    fn a_success_resets_the_count() {
        let backoff = Backoff::default();
        let alice = ObjectRef::new("alice").within("default");
        backoff.next_delay(&alice, None);
        let second = backoff.next_delay(&alice, None);
        assert!(
            second >= Duration::from_millis(1600),
            "second failure waits ~2s"
        );
        backoff.reset(&alice);
        assert!(backoff.next_delay(&alice, None) <= Duration::from_millis(1200));
    }
}
