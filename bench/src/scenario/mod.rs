//! The benchmark run: emulators in this process, the operator binary as a child process, and
//! its phases (creation; a restart storm with a long resync interval and one new User; a
//! restart and the steady state with a short resync interval), each measured from the
//! emulators' counters, the operator's `/metrics` and `/proc`.

mod creation;
mod steady;
mod storm;
mod verify;

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use devenv::{DevEnv, Options};
use kube::Api;
use tempfile::TempDir;
use thiserror::Error;
use zitadel_user_operator::crd::User;

pub use creation::Creation;
pub use steady::{Restart, Steady};
pub use storm::RestartStorm;
pub use verify::{Check, LISTING_RPCS};

use crate::args::Args;
use crate::measure::counts::operator_watches;
use crate::measure::memory::Memory;
use crate::process::{Launch, OperatorProcess, ProcessError};
use crate::ready::ReadyError;
use crate::users::{Kind, NAMESPACE};

/// How far the ZITADEL emulator's ListUsers lags behind writes, as in a real instance.
/// ListUsers is not on the operator's normal path, so this does not affect the numbers.
const LIST_DELAY: Duration = Duration::from_secs(1);

/// The operator's credential check interval: a machine user's keys and tokens are listed once
/// per interval, its first check after a start at a random point within it. Ten years, so no
/// check falls into a measured window by chance and the windows show whether anything else
/// lists credentials (nothing should). The check itself costs one ListKeys and one
/// ListPersonalAccessTokens per machine user with keys or tokens per interval (1h by default).
const CREDENTIAL_CHECK: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Why a run failed (timing never fails a run; only a run that cannot complete does).
#[derive(Debug, Error)]
pub enum ScenarioError {
    /// The temporary directory could not be created.
    #[error("cannot create a temporary directory")]
    TempDir(#[source] std::io::Error),
    /// The emulators could not start.
    #[error("cannot start the emulators")]
    Environment(#[from] devenv::Error),
    /// The emulator URL is not a URI (cannot happen for a bound loopback address).
    #[error("invalid Kubernetes emulator URL")]
    Url(#[from] http::uri::InvalidUri),
    /// The benchmark's own Kubernetes requests failed.
    #[error("Kubernetes API")]
    Kube(#[from] kube::Error),
    /// The operator process failed.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// The users did not become Ready.
    #[error(transparent)]
    Ready(#[from] ReadyError),
    /// The benchmark's own CPU time could not be read.
    #[error(transparent)]
    Cpu(#[from] crate::measure::cpu::CpuError),
}

/// What was run, for the report.
#[derive(Clone, Debug)]
pub struct Params {
    /// The flags.
    pub args: Args,
    /// The operator binary.
    pub binary: PathBuf,
    /// CPUs available to this process (`nproc`).
    pub cpus: usize,
}

/// Everything measured.
#[derive(Debug)]
pub struct Results {
    /// What was run.
    pub params: Params,
    /// Phase 1 and 2: creating every user.
    pub creation: Creation,
    /// Phase 3: an operator process with a long resync interval taking over the Ready users
    /// while one new User is created.
    pub storm: RestartStorm,
    /// Between phases: another operator process taking over the Ready users.
    pub restart: Restart,
    /// Phase 4: resyncs of Ready users.
    pub steady: Steady,
    /// What the operator must have done, checked after the phases.
    pub checks: Vec<Check>,
}

impl Results {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(Check::passed)
    }
}

/// The memory of one operator process, its readiness probe and how it ended.
#[derive(Clone, Copy, Debug)]
pub struct ProcessEnd {
    /// From spawning it until `/readyz` first answered 200; `None` if it never did in its phase.
    pub ready_after: Option<Duration>,
    /// Resident memory at the end of its phase.
    pub memory: Memory,
    /// CPU time it used from its start to the end of its phase.
    pub cpu: Duration,
    /// Whether `/readyz` answered 200 at the end of its phase.
    pub ready_probe: bool,
    /// Its exit status after SIGTERM.
    pub exit: ExitStatus,
}

impl ProcessEnd {
    /// Measures `operator` at the end of its phase, then stops it with SIGTERM.
    async fn measure_and_stop(mut operator: OperatorProcess) -> Result<Self, ScenarioError> {
        operator.check_alive()?;
        let memory = operator.memory()?;
        let cpu = operator.cpu()?;
        let ready_probe = operator.readiness_probe().await;
        let ready_after = operator.ready_after();
        let exit = operator.stop().await?;
        Ok(Self {
            ready_after,
            memory,
            cpu,
            ready_probe,
            exit,
        })
    }
}

/// The emulators, the files pointing at them and a client of the Kubernetes emulator.
pub struct Bench {
    env: DevEnv,
    client: kube::Client,
    dir: TempDir,
    params: Params,
}

impl Bench {
    /// Starts the emulators and installs the CRD.
    pub async fn start(params: Params) -> Result<Self, ScenarioError> {
        let dir = TempDir::new().map_err(ScenarioError::TempDir)?;
        let options = Options {
            kube_port: 0,
            zitadel_port: 0,
            dir: dir.path().to_owned(),
            list_delay: LIST_DELAY,
        };
        let env = DevEnv::start(&options).await?;
        // devenv starts ZITADEL with the default (zero) latency; set before the operator's first
        // call.
        env.zitadel.set_latency(params.args.zitadel_latency());
        let client = kube::Client::try_from(kube::Config::new(env.kube.url().parse()?))?;
        Ok(Self {
            env,
            client,
            dir,
            params,
        })
    }

    /// Runs every phase.
    pub async fn run(self) -> Result<Results, ScenarioError> {
        let credential_users = self.credential_users();
        let creation = creation::run(&self).await?;
        let mut checks = vec![verify::creation_calls(
            &creation.counts,
            self.user_count(),
            credential_users,
        )];
        if credential_users > 0 {
            checks.push(verify::credentials(&self, "after creation").await?);
        }
        let storm = storm::run(&self).await?;
        checks.push(verify::no_changes(
            "restart storm, the Ready users",
            &storm.ready_users,
        ));
        checks.push(storm.objects.clone());
        let (restart, steady) = steady::run(&self).await?;
        checks.push(verify::no_changes("restart", &restart.counts));
        checks.push(verify::no_changes("steady state", &steady.counts));
        if credential_users > 0 {
            checks.push(verify::credentials(&self, "after the steady state").await?);
        }
        Ok(Results {
            params: self.params,
            creation,
            storm,
            restart,
            steady,
            checks,
        })
    }

    fn users(&self) -> Api<User> {
        Api::namespaced(self.client.clone(), NAMESPACE)
    }

    fn user_count(&self) -> usize {
        self.params.args.users as usize
    }

    fn credential_users(&self) -> usize {
        let args = &self.params.args;
        args.mix().count(args.users, Kind::Credentials)
    }

    /// Starts the operator and waits until it watches Users and Secrets, i.e. its caches are
    /// filled (read from the API server's request log, not from `/readyz`, see
    /// [`OperatorProcess::start`]).
    async fn start_operator(
        &self,
        resync: Duration,
        log_name: &str,
    ) -> Result<OperatorProcess, ScenarioError> {
        let mut operator = OperatorProcess::start(&self.launch(resync, log_name)).await?;
        let kube = &self.env.kube;
        operator
            .wait_until("watch Users and Secrets", async |_| {
                Ok(operator_watches(kube, &["users", "secrets"]))
            })
            .await?;
        Ok(operator)
    }

    /// How to start the operator with resync interval `resync`, logging to `log_name`.
    fn launch(&self, resync: Duration, log_name: &str) -> Launch {
        Launch {
            binary: self.params.binary.clone(),
            kubeconfig: self.env.kubeconfig.clone(),
            namespace: devenv::OPERATOR_NAMESPACE.to_owned(),
            concurrency: self.params.args.concurrency,
            zitadel_qps: self.params.args.zitadel_qps,
            zitadel_max_in_flight: self.params.args.zitadel_max_in_flight,
            resync,
            credential_check: CREDENTIAL_CHECK,
            log: self.dir.path().join(log_name),
            timeout: self.params.args.timeout(),
        }
    }
}
