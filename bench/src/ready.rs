//! When each `User` became Ready, as seen by a watch (not by polling, which would load the API
//! server in proportion to the number of users).

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, ResourceExt};
use thiserror::Error;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::process::{OperatorProcess, ProcessError};
use crate::users::is_ready;
use zitadel_user_operator::crd::User;

/// How often a wait checks that the operator is still running while no user turns Ready.
const ALIVE_CHECK: Duration = Duration::from_millis(250);

/// Why the users did not all become Ready.
#[derive(Debug, Error)]
pub enum ReadyError {
    /// The bound passed.
    #[error("only {ready} of {expected} users were Ready after {timeout:?}")]
    Timeout {
        /// Users Ready in time.
        ready: usize,
        /// Users expected.
        expected: usize,
        /// The bound.
        timeout: Duration,
    },
    /// The watch task ended (it only ends by panicking).
    #[error("the watch on Users ended")]
    WatchEnded,
    /// The operator failed meanwhile.
    #[error(transparent)]
    Operator(#[from] ProcessError),
}

/// A watch on `User`s reporting each one's first Ready.
pub struct ReadyWatch {
    first_ready: mpsc::UnboundedReceiver<(String, Instant)>,
    task: JoinHandle<()>,
}

impl ReadyWatch {
    /// Starts watching `users`.
    pub fn start(users: Api<User>) -> Self {
        let (sender, first_ready) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut seen = std::collections::HashSet::new();
            // The watcher re-lists and re-watches by itself, with backoff, after errors.
            let mut events = std::pin::pin!(
                watcher(users, watcher::Config::default())
                    .default_backoff()
                    .applied_objects()
            );
            while let Some(event) = events.next().await {
                let Ok(user) = event else { continue };
                if is_ready(&user) && seen.insert(user.name_any()) {
                    // The receiver only goes away when the benchmark is done with the watch.
                    if sender.send((user.name_any(), Instant::now())).is_err() {
                        return;
                    }
                }
            }
        });
        Self { first_ready, task }
    }

    /// Waits until `expected` users were Ready, returning when each first was. Fails when the
    /// operator exits or after `timeout`.
    pub async fn wait_all(
        &mut self,
        expected: usize,
        operator: &mut OperatorProcess,
        timeout: Duration,
    ) -> Result<HashMap<String, Instant>, ReadyError> {
        let deadline = Instant::now() + timeout;
        let mut ready = HashMap::with_capacity(expected);
        while ready.len() < expected {
            if Instant::now() >= deadline {
                return Err(ReadyError::Timeout {
                    ready: ready.len(),
                    expected,
                    timeout,
                });
            }
            match tokio::time::timeout(ALIVE_CHECK, self.first_ready.recv()).await {
                Ok(Some((name, at))) => {
                    ready.entry(name).or_insert(at);
                }
                Ok(None) => return Err(ReadyError::WatchEnded),
                Err(_quiet) => operator.check_alive()?,
            }
        }
        Ok(ready)
    }

    /// Waits until the user `name` was Ready, returning when it first was (other users' first
    /// Ready, e.g. of users Ready before the watch started, are skipped). Fails when the
    /// operator exits or after `timeout`.
    pub async fn wait_for(
        &mut self,
        name: &str,
        operator: &mut OperatorProcess,
        timeout: Duration,
    ) -> Result<Instant, ReadyError> {
        let deadline = Instant::now() + timeout;
        loop {
            if Instant::now() >= deadline {
                return Err(ReadyError::Timeout {
                    ready: 0,
                    expected: 1,
                    timeout,
                });
            }
            match tokio::time::timeout(ALIVE_CHECK, self.first_ready.recv()).await {
                Ok(Some((ready, at))) if ready == name => return Ok(at),
                Ok(Some(_other)) => {}
                Ok(None) => return Err(ReadyError::WatchEnded),
                Err(_quiet) => operator.check_alive()?,
            }
        }
    }
}

impl Drop for ReadyWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}
