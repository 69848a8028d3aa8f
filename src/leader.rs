//! Leader election over a Kubernetes `Lease`, so several replicas can run but only one reconciles.
//!
//! The replica holding the Lease runs the work (the controller); the others wait. Losing the
//! Lease cancels the work at once by dropping its future, since two replicas writing the same
//! users would fight. On shutdown the leader stops its work and releases the Lease, so a standby
//! does not have to wait for it to expire.

use std::{future::Future, pin::pin, time::Duration};

use kube_lease_manager::{LeaseManager, LeaseManagerBuilder, LeaseManagerError};

use crate::metrics::Metrics;

/// How long a Lease stays valid after its last renewal, in seconds (Kubernetes' own controllers
/// use 15 s): the longest a crashed leader blocks a standby.
pub const LEASE_DURATION_SECONDS: u64 = 15;

/// How often the leader renews, in seconds. A third of the duration leaves room for two failed
/// renewals (API server hiccups) before the Lease expires under a healthy leader.
pub const RENEW_INTERVAL_SECONDS: u64 = 5;

/// Upper bound for releasing the Lease at shutdown: a dead API server must not block exit, and
/// an unreleased Lease merely expires.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);

/// First and last delays between attempts after a Lease API error.
const RETRY_DELAY_MIN: Duration = Duration::from_millis(250);
const RETRY_DELAY_MAX: Duration = Duration::from_secs(5);

/// Where the Lease lives, who this replica is, and how the Lease is timed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderElectionSettings {
    /// Name of the Lease object.
    pub lease_name: String,
    /// Namespace of the Lease object.
    pub lease_namespace: String,
    /// This replica's identity as the Lease holder; unique per replica.
    pub identity: String,
    /// Lease duration and renewal period.
    pub timing: LeaseTiming,
}

/// Lease duration and renewal period, in whole seconds as the Lease API counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTiming {
    duration_seconds: u64,
    renew_every_seconds: u64,
}

impl LeaseTiming {
    /// A Lease valid for `duration_seconds`, renewed every `renew_every_seconds`.
    ///
    /// The renewal period must be positive and shorter than the duration, or the Lease would
    /// expire under a healthy leader.
    ///
    /// # Errors
    /// [`LeaderError::InvalidTiming`] otherwise.
    pub fn new(duration_seconds: u64, renew_every_seconds: u64) -> Result<Self, LeaderError> {
        if renew_every_seconds == 0 || renew_every_seconds >= duration_seconds {
            return Err(LeaderError::InvalidTiming {
                duration_seconds,
                renew_every_seconds,
            });
        }
        Ok(Self {
            duration_seconds,
            renew_every_seconds,
        })
    }

    /// How long the Lease stays valid after a renewal.
    pub fn duration(&self) -> Duration {
        Duration::from_secs(self.duration_seconds)
    }

    /// How often the leader renews the Lease.
    pub fn renew_interval(&self) -> Duration {
        Duration::from_secs(self.renew_every_seconds)
    }

    /// `kube-lease-manager` renews `grace` seconds before expiry rather than at a period.
    fn grace_seconds(&self) -> u64 {
        self.duration_seconds - self.renew_every_seconds
    }
}

impl Default for LeaseTiming {
    fn default() -> Self {
        Self {
            duration_seconds: LEASE_DURATION_SECONDS,
            renew_every_seconds: RENEW_INTERVAL_SECONDS,
        }
    }
}

/// Why leader election cannot be configured.
#[derive(Debug, thiserror::Error)]
pub enum LeaderError {
    /// The renewal period is zero or not shorter than the Lease duration.
    #[error(
        "lease renewal every {renew_every_seconds}s must be positive and shorter than the lease duration of {duration_seconds}s"
    )]
    InvalidTiming {
        /// The requested Lease duration.
        duration_seconds: u64,
        /// The requested renewal period.
        renew_every_seconds: u64,
    },
}

/// Why [`run_as_leader`] returned.
#[derive(Debug, PartialEq, Eq)]
pub enum LeaderExit<T> {
    /// The shutdown future completed; the work was stopped and the Lease released.
    Shutdown,
    /// The work finished by itself while leading (its output); the Lease was released.
    WorkFinished(T),
}

/// Runs `work()` while this replica holds the Lease, until `shutdown` completes.
///
/// Each time leadership is gained a fresh `work()` future starts; when it is lost (or cannot be
/// confirmed because the Lease API fails) the future is dropped and this replica campaigns again.
/// Lease API errors are logged and retried with backoff; they never end the election.
pub async fn run_as_leader<F, Fut>(
    client: kube::Client,
    settings: &LeaderElectionSettings,
    metrics: &Metrics,
    shutdown: impl Future,
    work: F,
) -> LeaderExit<Fut::Output>
where
    F: Fn() -> Fut,
    Fut: Future,
{
    let mut shutdown = pin!(async move {
        shutdown.await;
    });
    let mut retry = RetryDelay::default();
    metrics.set_leader(false);
    loop {
        let built = tokio::select! {
            biased;
            () = &mut shutdown => return LeaderExit::Shutdown,
            built = build_manager(client.clone(), settings) => built,
        };
        let error = match built {
            Ok(manager) => {
                match campaign(
                    &manager,
                    settings,
                    metrics,
                    &mut shutdown,
                    &work,
                    &mut retry,
                )
                .await
                {
                    Ok(Ended { exit, was_leading }) => {
                        // A standby must not release: if its view of the Lease were stale it
                        // could clear the actual leader's hold.
                        if was_leading {
                            release(&manager, settings).await;
                        }
                        return exit;
                    }
                    Err(error) => error,
                }
            }
            Err(error) => error,
        };
        metrics.set_leader(false);
        let delay = retry.next_delay();
        tracing::warn!(
            error = &error as &dyn std::error::Error,
            lease = %settings.lease_name,
            retry_in_ms = delay.as_millis(),
            "leader election hit a Lease API error; any work is stopped until leadership is confirmed again"
        );
        tokio::select! {
            biased;
            () = &mut shutdown => return LeaderExit::Shutdown,
            () = tokio::time::sleep(delay) => {}
        }
    }
}

async fn build_manager(
    client: kube::Client,
    settings: &LeaderElectionSettings,
) -> Result<LeaseManager, LeaseManagerError> {
    LeaseManagerBuilder::new(client, &settings.lease_name)
        .with_namespace(&settings.lease_namespace)
        .with_identity(&settings.identity)
        // Stable across manager rebuilds, unique per replica (the default is random).
        .with_field_manager(format!("zitadel-user-operator-lease-{}", settings.identity))
        .with_duration(settings.timing.duration_seconds)
        .with_grace(settings.timing.grace_seconds())
        .build()
        .await
}

/// How [`campaign`] ended without an error.
struct Ended<T> {
    exit: LeaderExit<T>,
    /// Whether this replica held the Lease when it ended (and so should release it).
    was_leading: bool,
}

/// What ended a term of leadership.
enum TermEnd<T> {
    Shutdown,
    WorkFinished(T),
    LeaseChanged(Result<bool, LeaseManagerError>),
}

/// Campaigns and leads with one manager until shutdown, the work's end, or a Lease API error.
///
/// After an error the manager's idea of who leads may be stale, so the caller builds a new one.
async fn campaign<F, Fut>(
    manager: &LeaseManager,
    settings: &LeaderElectionSettings,
    metrics: &Metrics,
    shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    work: &F,
    retry: &mut RetryDelay,
) -> Result<Ended<Fut::Output>, LeaseManagerError>
where
    F: Fn() -> Fut,
    Fut: Future,
{
    let mut leading = false;
    loop {
        if !leading {
            let changed = tokio::select! {
                biased;
                () = shutdown.as_mut() => None,
                changed = manager.changed() => Some(changed),
            };
            let Some(changed) = changed else {
                return Ok(Ended {
                    exit: LeaderExit::Shutdown,
                    was_leading: false,
                });
            };
            leading = changed?;
            retry.reset();
            continue;
        }

        tracing::info!(
            lease = %settings.lease_name,
            identity = %settings.identity,
            "acquired leadership; starting work"
        );
        metrics.set_leader(true);
        let end = {
            let running = work();
            tokio::select! {
                biased;
                () = shutdown.as_mut() => TermEnd::Shutdown,
                changed = manager.changed() => TermEnd::LeaseChanged(changed),
                output = running => TermEnd::WorkFinished(output),
            }
            // The work future is dropped here, before anything else happens.
        };
        metrics.set_leader(false);
        match end {
            TermEnd::Shutdown => {
                return Ok(Ended {
                    exit: LeaderExit::Shutdown,
                    was_leading: true,
                });
            }
            TermEnd::WorkFinished(output) => {
                tracing::info!(lease = %settings.lease_name, "the work finished while leading");
                return Ok(Ended {
                    exit: LeaderExit::WorkFinished(output),
                    was_leading: true,
                });
            }
            TermEnd::LeaseChanged(changed) => {
                leading = changed?;
                retry.reset();
                tracing::warn!(lease = %settings.lease_name, "lost leadership; work stopped");
            }
        }
    }
}

/// Releases the Lease if held, bounded by [`RELEASE_TIMEOUT`]; failures are only logged.
async fn release(manager: &LeaseManager, settings: &LeaderElectionSettings) {
    match tokio::time::timeout(RELEASE_TIMEOUT, manager.release()).await {
        Ok(Ok(())) => tracing::info!(lease = %settings.lease_name, "released the lease"),
        Ok(Err(error)) => tracing::warn!(
            error = &error as &dyn std::error::Error,
            lease = %settings.lease_name,
            "could not release the lease; a standby takes over when it expires"
        ),
        Err(_) => tracing::warn!(
            lease = %settings.lease_name,
            "timed out releasing the lease; a standby takes over when it expires"
        ),
    }
}

/// Exponential backoff between failed Lease API attempts.
#[derive(Debug)]
struct RetryDelay {
    next: Duration,
}

impl Default for RetryDelay {
    fn default() -> Self {
        Self {
            next: RETRY_DELAY_MIN,
        }
    }
}

impl RetryDelay {
    fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(RETRY_DELAY_MAX);
        delay
    }

    fn reset(&mut self) {
        self.next = RETRY_DELAY_MIN;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_timing_is_a_15s_lease_renewed_every_5s() {
        let timing = LeaseTiming::default();
        assert_eq!(timing.duration(), Duration::from_secs(15));
        assert_eq!(timing.renew_interval(), Duration::from_secs(5));
        assert_eq!(timing.grace_seconds(), 10);
    }

    #[test]
    fn a_renewal_period_not_shorter_than_the_lease_is_rejected() {
        for (duration, renew) in [(5, 5), (5, 6), (5, 0)] {
            assert!(
                matches!(
                    LeaseTiming::new(duration, renew),
                    Err(LeaderError::InvalidTiming { .. })
                ),
                "{duration}/{renew} should be rejected"
            );
        }
        assert!(LeaseTiming::new(2, 1).is_ok());
    }

    #[test]
    fn retry_delays_double_up_to_the_cap_and_reset() {
        let mut retry = RetryDelay::default();
        let delays: Vec<_> = (0..7).map(|_| retry.next_delay()).collect();
        assert_eq!(delays[0], RETRY_DELAY_MIN);
        assert_eq!(delays[1], RETRY_DELAY_MIN * 2);
        assert_eq!(delays[6], RETRY_DELAY_MAX);
        retry.reset();
        assert_eq!(retry.next_delay(), RETRY_DELAY_MIN);
    }
}
