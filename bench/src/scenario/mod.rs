//! The benchmark run: emulators in this process, the operator binary as a child process, and
//! three phases (creation, restart, steady state), each measured from the emulators' counters,
//! the operator's `/metrics` and `/proc`.

mod creation;
mod steady;

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

use crate::args::Args;
use crate::measure::counts::operator_watches;
use crate::measure::memory::Memory;
use crate::process::{Launch, OperatorProcess, ProcessError};
use crate::ready::ReadyError;
use crate::users::NAMESPACE;

/// How far the ZITADEL emulator's ListUsers lags behind writes, as in a real instance.
/// ListUsers is not on the operator's normal path, so this does not affect the numbers.
const LIST_DELAY: Duration = Duration::from_secs(1);

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
    /// Between phases: a second operator process taking over the Ready users.
    pub restart: Restart,
    /// Phase 3: resyncs of Ready users.
    pub steady: Steady,
}

/// The memory of one operator process, its readiness probe and how it ended.
#[derive(Clone, Copy, Debug)]
pub struct ProcessEnd {
    /// Resident memory at the end of its phase.
    pub memory: Memory,
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
        let ready_probe = operator.readiness_probe().await;
        let exit = operator.stop().await?;
        Ok(Self {
            memory,
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
        let creation = creation::run(&self).await?;
        let (restart, steady) = steady::run(&self).await?;
        Ok(Results {
            params: self.params,
            creation,
            restart,
            steady,
        })
    }

    fn users(&self) -> Api<User> {
        Api::namespaced(self.client.clone(), NAMESPACE)
    }

    fn user_count(&self) -> usize {
        self.params.args.users as usize
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
            resync,
            log: self.dir.path().join(log_name),
            timeout: self.params.args.timeout(),
        }
    }
}
