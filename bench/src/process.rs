//! The operator as a separate process: the release binary, configured through its environment
//! as a Deployment would configure it, against the emulators this benchmark serves.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use thiserror::Error;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::measure::cpu::{self, CpuError};
use crate::measure::memory::{Memory, MemoryError};
use crate::measure::metrics::Reconciles;

/// How often a wait polls the process, its log or its endpoints.
const POLL: Duration = Duration::from_millis(50);
/// How often `/readyz` is polled until it first answers 200: the resolution of the start-up
/// time.
const READY_POLL: Duration = Duration::from_millis(10);
/// Log lines shown when the operator fails.
const LOG_TAIL_LINES: usize = 20;

/// Why the operator process could not be run or measured.
#[derive(Debug, Error)]
pub enum ProcessError {
    /// The binary does not exist.
    #[error(
        "operator binary {} not found; build it with `cargo build --release --bin zitadel-user-operator` or pass --operator-binary",
        .0.display()
    )]
    Missing(PathBuf),
    /// The process or its log file could not be created.
    #[error("cannot start {}", .path.display())]
    Spawn {
        /// The binary or log file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The process ended by itself.
    #[error("the operator exited with {status}; last log lines:\n{log_tail}")]
    Exited {
        /// Its exit status.
        status: ExitStatus,
        /// The end of its log.
        log_tail: String,
    },
    /// Something did not happen in time.
    #[error("the operator did not {what} within {timeout:?}; last log lines:\n{log_tail}")]
    Timeout {
        /// What was awaited.
        what: &'static str,
        /// The bound.
        timeout: Duration,
        /// The end of its log.
        log_tail: String,
    },
    /// Waiting for or signalling the process failed.
    #[error("cannot {what} the operator process")]
    Control {
        /// What was attempted.
        what: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `kill -TERM` failed.
    #[error("`kill -TERM {pid}` exited with {status}")]
    Signal {
        /// The process id.
        pid: u32,
        /// `kill`'s exit status.
        status: ExitStatus,
    },
    /// The metrics endpoint could not be scraped.
    #[error("cannot scrape the operator's metrics endpoint")]
    Scrape(#[from] reqwest::Error),
    /// The memory could not be read.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// The CPU time could not be read.
    #[error(transparent)]
    Cpu(#[from] CpuError),
}

/// How to run the operator.
#[derive(Clone, Debug)]
pub struct Launch {
    /// The binary.
    pub binary: PathBuf,
    /// `KUBECONFIG`.
    pub kubeconfig: PathBuf,
    /// `POD_NAMESPACE`: where the default connection's credential Secret is.
    pub namespace: String,
    /// `RECONCILE_CONCURRENCY`.
    pub concurrency: u16,
    /// `ZITADEL_QPS` and `ZITADEL_BURST`.
    pub zitadel_qps: u32,
    /// `ZITADEL_MAX_IN_FLIGHT`.
    pub zitadel_max_in_flight: u16,
    /// `RESYNC_INTERVAL`.
    pub resync: Duration,
    /// `CREDENTIAL_CHECK_INTERVAL`: how often machine credentials are listed.
    pub credential_check: Duration,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
    /// Bound on starting, becoming ready and stopping.
    pub timeout: Duration,
}

/// A running operator process. Dropping it kills the process.
pub struct OperatorProcess {
    child: Child,
    pid: u32,
    log: PathBuf,
    metrics_url: String,
    http: reqwest::Client,
    timeout: Duration,
    /// Just before the process was spawned.
    spawned_at: Instant,
    /// When `/readyz` first answered 200, set by `ready_poll`.
    ready_at: Arc<OnceLock<Instant>>,
    /// Polls `/readyz` from the moment the HTTP server's address is known until it answers 200.
    ready_poll: Option<JoinHandle<()>>,
}

impl Drop for OperatorProcess {
    fn drop(&mut self) {
        if let Some(poll) = &self.ready_poll {
            poll.abort();
        }
    }
}

impl OperatorProcess {
    /// Starts the operator and waits until its HTTP server answers `/healthz`.
    ///
    /// Not `/readyz`: that needs the operator's watch caches synced, which callers check on the
    /// API server's side instead (see `scenario::Bench::start_operator`), so a broken readiness
    /// probe shows up in the report rather than stalling the run.
    pub async fn start(launch: &Launch) -> Result<Self, ProcessError> {
        if !launch.binary.is_file() {
            return Err(ProcessError::Missing(launch.binary.clone()));
        }
        let spawn_error = |path: &Path| {
            let path = path.to_owned();
            move |source| ProcessError::Spawn { path, source }
        };
        let log = std::fs::File::create(&launch.log).map_err(spawn_error(&launch.log))?;
        let log_err = log.try_clone().map_err(spawn_error(&launch.log))?;
        let spawned_at = Instant::now();
        let child = Command::new(&launch.binary)
            // A clean environment: no proxy variables (loopback only), no stray operator
            // settings from the caller's shell.
            .env_clear()
            .env("KUBECONFIG", &launch.kubeconfig)
            .env("POD_NAMESPACE", &launch.namespace)
            .env("RECONCILE_CONCURRENCY", launch.concurrency.to_string())
            .env("ZITADEL_QPS", launch.zitadel_qps.to_string())
            .env("ZITADEL_BURST", launch.zitadel_qps.to_string())
            .env(
                "ZITADEL_MAX_IN_FLIGHT",
                launch.zitadel_max_in_flight.to_string(),
            )
            .env(
                "RESYNC_INTERVAL",
                format!("{}ms", launch.resync.as_millis()),
            )
            .env(
                "CREDENTIAL_CHECK_INTERVAL",
                format!("{}s", launch.credential_check.as_secs()),
            )
            .env("METRICS_ADDR", "127.0.0.1:0")
            // JSON so the bound metrics address can be read back; info only for the startup
            // lines, so logging costs the operator nothing per user.
            .env("LOG_FORMAT", "json")
            .env("LOG_LEVEL", "warn,zitadel_user_operator::operator=info")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .kill_on_drop(true)
            .spawn()
            .map_err(spawn_error(&launch.binary))?;
        let pid = child.id().ok_or_else(|| ProcessError::Control {
            what: "find the id of",
            source: std::io::Error::other("the process has already been reaped"),
        })?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()?;
        let mut process = Self {
            child,
            pid,
            log: launch.log.clone(),
            metrics_url: String::new(),
            http,
            timeout: launch.timeout,
            spawned_at,
            ready_at: Arc::default(),
            ready_poll: None,
        };
        let address = process.metrics_address().await?;
        process.metrics_url = format!("http://{address}");
        process.ready_poll = Some(process.poll_readiness());
        process.wait_healthy().await?;
        Ok(process)
    }

    /// From spawning the process until `/readyz` first answered 200; `None` while it has not.
    pub fn ready_after(&self) -> Option<Duration> {
        self.ready_at
            .get()
            .map(|at| at.saturating_duration_since(self.spawned_at))
    }

    /// Starts polling `/readyz` every [`READY_POLL`] until it answers 200 and records when.
    fn poll_readiness(&self) -> JoinHandle<()> {
        let http = self.http.clone();
        let url = format!("{}/readyz", self.metrics_url);
        let ready_at = Arc::clone(&self.ready_at);
        tokio::spawn(async move {
            loop {
                let response = http.get(&url).send().await;
                if response.is_ok_and(|r| r.status().is_success()) {
                    let _ = ready_at.set(Instant::now());
                    return;
                }
                tokio::time::sleep(READY_POLL).await;
            }
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Fails if the process has exited.
    pub fn check_alive(&mut self) -> Result<(), ProcessError> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(ProcessError::Exited {
                status,
                log_tail: self.log_tail(),
            }),
            Err(source) => Err(ProcessError::Control {
                what: "poll",
                source,
            }),
        }
    }

    /// Current and peak resident memory.
    pub fn memory(&self) -> Result<Memory, ProcessError> {
        Ok(Memory::of_process(self.pid)?)
    }

    /// CPU time (user + system) it has used since it started.
    pub fn cpu(&self) -> Result<Duration, ProcessError> {
        Ok(cpu::of_process(self.pid)?)
    }

    /// The reconcile counters of its `/metrics`.
    pub async fn reconciles(&self) -> Result<Reconciles, ProcessError> {
        let url = format!("{}/metrics", self.metrics_url);
        let text = self
            .http
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        Ok(Reconciles::parse(&text))
    }

    /// Polls until `done` returns true, failing when the process exits or after the timeout.
    pub async fn wait_until(
        &mut self,
        what: &'static str,
        mut done: impl AsyncFnMut(&Self) -> Result<bool, ProcessError>,
    ) -> Result<(), ProcessError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            self.check_alive()?;
            if done(self).await? {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(ProcessError::Timeout {
                    what,
                    timeout: self.timeout,
                    log_tail: self.log_tail(),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Sends SIGTERM (as Kubernetes does to stop a Pod) and waits for the exit status. A process
    /// that ignores it is killed after the timeout, and that is an error.
    pub async fn stop(mut self) -> Result<ExitStatus, ProcessError> {
        // `kill` from procps/coreutils: std has no portable SIGTERM and libc is not a dependency.
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .map_err(|source| ProcessError::Control {
                what: "signal",
                source,
            })?;
        if !status.success() {
            return Err(ProcessError::Signal {
                pid: self.pid,
                status,
            });
        }
        match tokio::time::timeout(self.timeout, self.child.wait()).await {
            Ok(result) => result.map_err(|source| ProcessError::Control {
                what: "wait for",
                source,
            }),
            Err(_elapsed) => {
                let _ = self.child.start_kill();
                Err(ProcessError::Timeout {
                    what: "stop after SIGTERM (it was killed)",
                    timeout: self.timeout,
                    log_tail: self.log_tail(),
                })
            }
        }
    }

    /// Reads the metrics address the operator logs when it binds `127.0.0.1:0`.
    async fn metrics_address(&mut self) -> Result<SocketAddr, ProcessError> {
        let mut found = None;
        let log = self.log.clone();
        self.wait_until("log its metrics address", async |_| {
            found = std::fs::read_to_string(&log)
                .ok()
                .and_then(|text| logged_address(&text));
            Ok(found.is_some())
        })
        .await?;
        found.ok_or_else(|| ProcessError::Timeout {
            what: "log its metrics address",
            timeout: self.timeout,
            log_tail: self.log_tail(),
        })
    }

    /// Whether `/readyz` answers 200 now.
    pub async fn readiness_probe(&self) -> bool {
        self.probe("readyz").await
    }

    async fn wait_healthy(&mut self) -> Result<(), ProcessError> {
        self.wait_until("serve /healthz", async |process| {
            Ok(process.probe("healthz").await)
        })
        .await
    }

    /// Whether `/<path>` answers 2xx; connection errors (server not up yet) count as no.
    async fn probe(&self, path: &str) -> bool {
        let url = format!("{}/{path}", self.metrics_url);
        let response = self.http.get(url).send().await;
        response.is_ok_and(|r| r.status().is_success())
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
    }
}

/// The `address` field of the JSON log line in which the operator reports its HTTP server.
fn logged_address(log: &str) -> Option<SocketAddr> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find_map(|line| line.get("address")?.as_str()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metrics_address_is_read_from_the_json_log() {
        let log = "{\"level\":\"INFO\",\"message\":\"starting\"}\n\
            not json\n\
            {\"level\":\"INFO\",\"message\":\"serving /metrics, /healthz and /readyz\",\"address\":\"127.0.0.1:43123\"}\n";
        assert_eq!(
            logged_address(log),
            Some("127.0.0.1:43123".parse().expect("valid address"))
        );
        assert_eq!(logged_address("{\"message\":\"no address\"}"), None);
    }

    #[tokio::test]
    async fn a_missing_binary_names_the_build_command() {
        let launch = Launch {
            binary: PathBuf::from("/nonexistent/zitadel-user-operator"),
            kubeconfig: PathBuf::new(),
            namespace: String::new(),
            concurrency: 1,
            zitadel_qps: 1,
            zitadel_max_in_flight: 1,
            resync: Duration::from_secs(1),
            credential_check: Duration::from_secs(1),
            log: PathBuf::new(),
            timeout: Duration::from_secs(1),
        };
        let error = OperatorProcess::start(&launch)
            .await
            .err()
            .expect("no such binary");
        assert!(matches!(error, ProcessError::Missing(_)));
        assert!(error.to_string().contains("cargo build --release"));
    }
}
