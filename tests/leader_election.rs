//! Leader election against the Kubernetes emulator: one replica works, a standby takes over.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::BTreeMap,
    future::Future,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, Patch, PatchParams};
use kube_emulator::{KubeEmulator, KubeEmulatorConfig};
use tokio::{sync::oneshot, task::JoinHandle};
use zitadel_user_operator::{
    leader::{LeaderElectionSettings, LeaderExit, LeaseTiming, run_as_leader},
    metrics::Metrics,
};

const NAMESPACE: &str = "default";
const LEASE: &str = "operator-lease";
/// Short Lease timings so takeovers happen within seconds.
const LEASE_SECONDS: u64 = 2;
const RENEW_SECONDS: u64 = 1;
/// Slack for scheduling and the lease manager's random wait (up to 1 s) before a forced takeover.
const SLACK: Duration = Duration::from_millis(1500);
/// Upper bound for anything a test waits for.
const WAIT_LIMIT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(20);

/// Which electors' work is running, and how many ran at the same time at most.
#[derive(Clone, Default)]
struct WorkLog(Arc<Mutex<WorkLogState>>);

#[derive(Default)]
struct WorkLogState {
    running: BTreeMap<String, usize>,
    max_concurrent: usize,
    starts: BTreeMap<String, usize>,
}

impl WorkLog {
    fn state(&self) -> std::sync::MutexGuard<'_, WorkLogState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks `identity` as working until the returned guard is dropped.
    fn enter(&self, identity: &str) -> WorkGuard {
        let mut state = self.state();
        *state.running.entry(identity.to_owned()).or_default() += 1;
        *state.starts.entry(identity.to_owned()).or_default() += 1;
        let concurrent = state.running.values().sum();
        state.max_concurrent = state.max_concurrent.max(concurrent);
        WorkGuard {
            log: self.clone(),
            identity: identity.to_owned(),
        }
    }

    fn running(&self) -> Vec<String> {
        self.state().running.keys().cloned().collect()
    }

    fn max_concurrent(&self) -> usize {
        self.state().max_concurrent
    }

    fn starts(&self, identity: &str) -> usize {
        self.state().starts.get(identity).copied().unwrap_or(0)
    }
}

struct WorkGuard {
    log: WorkLog,
    identity: String,
}

impl Drop for WorkGuard {
    fn drop(&mut self) {
        let mut state = self.log.state();
        if let Some(count) = state.running.get_mut(&self.identity) {
            *count -= 1;
            if *count == 0 {
                state.running.remove(&self.identity);
            }
        }
    }
}

/// One replica running [`run_as_leader`] with work that runs until cancelled.
struct Elector {
    identity: String,
    metrics: Metrics,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<LeaderExit<()>>,
}

impl Elector {
    fn spawn(client: &kube::Client, identity: &str, log: &WorkLog) -> Self {
        let metrics = Metrics::new();
        let (stop, stopped) = oneshot::channel::<()>();
        let settings = settings(identity);
        let (client, task_metrics, log, id) = (
            client.clone(),
            metrics.clone(),
            log.clone(),
            identity.to_owned(),
        );
        let task = tokio::spawn(async move {
            run_as_leader(client, &settings, &task_metrics, stopped, || {
                let guard = log.enter(&id);
                async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                }
            })
            .await
        });
        Self {
            identity: identity.to_owned(),
            metrics,
            stop: Some(stop),
            task,
        }
    }

    fn is_leader_by_metrics(&self) -> bool {
        self.metrics
            .encode()
            .expect("metrics encode into a String")
            .lines()
            .any(|line| line == "zitadel_user_operator_leader 1")
    }

    /// Signals shutdown and waits for `run_as_leader` to return.
    async fn shut_down(mut self) -> LeaderExit<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        within(WAIT_LIMIT, &mut self.task).await.unwrap()
    }

    /// Kills the elector without a graceful shutdown: the Lease is not released.
    async fn crash(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

fn settings(identity: &str) -> LeaderElectionSettings {
    LeaderElectionSettings {
        lease_name: LEASE.to_owned(),
        lease_namespace: NAMESPACE.to_owned(),
        identity: identity.to_owned(),
        timing: LeaseTiming::new(LEASE_SECONDS, RENEW_SECONDS).unwrap(),
    }
}

async fn start_cluster() -> (KubeEmulator, kube::Client) {
    let emulator = KubeEmulator::start(KubeEmulatorConfig::default())
        .await
        .unwrap();
    let config = kube::Config::new(emulator.url().parse().unwrap());
    let client = kube::Client::try_from(config).unwrap();
    (emulator, client)
}

async fn within<F: Future>(limit: Duration, future: F) -> F::Output {
    tokio::time::timeout(limit, future)
        .await
        .unwrap_or_else(|_| panic!("no result within {limit:?}"))
}

/// Polls `condition` until it holds; panics with `what` after [`WAIT_LIMIT`].
async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < WAIT_LIMIT,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(POLL).await;
    }
    started.elapsed()
}

/// Waits until exactly one elector works and returns its identity.
async fn wait_for_single_leader(log: &WorkLog) -> String {
    wait_for("an elector leads", || log.running().len() == 1).await;
    log.running().remove(0)
}

/// Splits the pair into (leader, standby) by identity.
fn leader_first(a: Elector, b: Elector, leader: &str) -> (Elector, Elector) {
    if a.identity == leader { (a, b) } else { (b, a) }
}

#[tokio::test]
async fn of_two_electors_exactly_one_runs_the_work_and_keeps_it_across_renewals() {
    let (_cluster, client) = start_cluster().await;
    let log = WorkLog::default();
    let a = Elector::spawn(&client, "replica-a", &log);
    let b = Elector::spawn(&client, "replica-b", &log);

    let leader = wait_for_single_leader(&log).await;
    // Several renewal periods pass; the same replica must keep leading without interruption.
    tokio::time::sleep(Duration::from_secs(LEASE_SECONDS * 2)).await;

    assert_eq!(log.running(), [leader.as_str()]);
    assert_eq!(log.starts(&leader), 1, "the work was restarted");
    assert_eq!(log.max_concurrent(), 1);
    let (leader, standby) = leader_first(a, b, &leader);
    assert!(leader.is_leader_by_metrics());
    assert!(!standby.is_leader_by_metrics());

    assert_eq!(standby.shut_down().await, LeaderExit::Shutdown);
    assert_eq!(leader.shut_down().await, LeaderExit::Shutdown);
    assert!(log.running().is_empty());
}

#[tokio::test]
async fn a_leader_shutting_down_stops_its_work_and_the_standby_takes_over_within_the_lease() {
    let (_cluster, client) = start_cluster().await;
    let log = WorkLog::default();
    let a = Elector::spawn(&client, "replica-a", &log);
    let b = Elector::spawn(&client, "replica-b", &log);
    let first = wait_for_single_leader(&log).await;
    let (leader, standby) = leader_first(a, b, &first);

    assert_eq!(leader.shut_down().await, LeaderExit::Shutdown);
    assert!(
        !log.running().contains(&first),
        "the work outlived shutdown"
    );

    let takeover = wait_for("the standby leads", || {
        log.running() == [standby.identity.as_str()]
    })
    .await;
    assert!(
        takeover <= Duration::from_secs(LEASE_SECONDS) + SLACK,
        "takeover took {takeover:?}"
    );
    assert_eq!(log.max_concurrent(), 1);
    assert!(standby.is_leader_by_metrics());
    standby.shut_down().await;
}

#[tokio::test]
async fn a_crashed_leader_is_replaced_once_its_lease_expires() {
    let (_cluster, client) = start_cluster().await;
    let log = WorkLog::default();
    let a = Elector::spawn(&client, "replica-a", &log);
    let b = Elector::spawn(&client, "replica-b", &log);
    let first = wait_for_single_leader(&log).await;
    let (leader, standby) = leader_first(a, b, &first);

    leader.crash().await;
    let takeover = wait_for("the standby leads", || {
        log.running() == [standby.identity.as_str()]
    })
    .await;
    // Expiry, then a forced release with a random wait, then the lock.
    assert!(
        takeover <= Duration::from_secs(LEASE_SECONDS) * 2 + SLACK,
        "takeover took {takeover:?}"
    );
    standby.shut_down().await;
}

#[tokio::test]
async fn losing_the_lease_to_another_holder_cancels_the_work() {
    let (_cluster, client) = start_cluster().await;
    let log = WorkLog::default();
    let elector = Elector::spawn(&client, "replica-a", &log);
    wait_for_single_leader(&log).await;

    // Another holder takes the Lease behind the elector's back (a forced takeover).
    let leases: Api<Lease> = Api::namespaced(client.clone(), NAMESPACE);
    let now = k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(
        k8s_openapi::jiff::Timestamp::now(),
    );
    let takeover = serde_json::json!({
        "spec": { "holderIdentity": "intruder", "renewTime": now, "leaseDurationSeconds": 60 }
    });
    leases
        .patch(LEASE, &PatchParams::default(), &Patch::Merge(&takeover))
        .await
        .unwrap();

    let stopped = wait_for("the work stops", || log.running().is_empty()).await;
    assert!(
        stopped <= Duration::from_secs(RENEW_SECONDS) + SLACK,
        "the work ran on for {stopped:?}"
    );
    assert!(!elector.is_leader_by_metrics());
    assert_eq!(elector.shut_down().await, LeaderExit::Shutdown);
    let lease = leases.get(LEASE).await.unwrap();
    assert_eq!(
        lease.spec.and_then(|s| s.holder_identity).as_deref(),
        Some("intruder"),
        "shutting down must not release someone else's lease"
    );
}

#[tokio::test]
async fn a_failed_renewal_stops_the_work_until_leadership_is_confirmed_again() {
    let (cluster, client) = start_cluster().await;
    let log = WorkLog::default();
    let elector = Elector::spawn(&client, "replica-a", &log);
    wait_for_single_leader(&log).await;

    cluster.fail_next("patch", "leases", None, 1, 500);
    wait_for("the work restarts", || log.starts("replica-a") == 2).await;

    assert_eq!(log.running(), ["replica-a"]);
    assert_eq!(log.max_concurrent(), 1);
    elector.shut_down().await;
}

#[tokio::test]
async fn work_that_finishes_returns_its_output_and_releases_the_lease() {
    let (_cluster, client) = start_cluster().await;
    let metrics = Metrics::new();
    let exit = within(
        WAIT_LIMIT,
        run_as_leader(
            client.clone(),
            &settings("replica-a"),
            &metrics,
            std::future::pending::<()>(),
            || async { 42 },
        ),
    )
    .await;

    assert_eq!(exit, LeaderExit::WorkFinished(42));
    let lease = Api::<Lease>::namespaced(client, NAMESPACE)
        .get(LEASE)
        .await
        .unwrap();
    assert_eq!(lease.spec.and_then(|s| s.holder_identity), None);
}
