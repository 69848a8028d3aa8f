//! Phase 3: a new operator process with a short resync interval takes over the Ready users
//! (the restart), then resyncs them for a few intervals (the steady state).

use std::time::Duration;

use tokio::time::Instant;

use super::{Bench, ProcessEnd, ScenarioError};
use crate::measure::counts::ApiCounts;
use crate::measure::metrics::Reconciles;

/// What a starting operator spends on users that are already Ready.
#[derive(Debug)]
pub struct Restart {
    /// From spawning the process until it had reconciled as many times as there are users.
    pub elapsed: Duration,
    /// API calls meanwhile (including its initial lists and watches).
    pub counts: ApiCounts,
    /// Reconciles meanwhile.
    pub reconciles: Reconciles,
}

/// What resyncing Ready users costs.
#[derive(Debug)]
pub struct Steady {
    /// The measured window (about `resyncs` × the resync interval).
    pub window: Duration,
    /// API calls in the window.
    pub counts: ApiCounts,
    /// Reconciles in the window.
    pub reconciles: Reconciles,
    /// The operator's memory after the phase and its exit.
    pub end: ProcessEnd,
}

/// Runs the restart and the steady state with one operator process.
pub async fn run(bench: &Bench) -> Result<(Restart, Steady), ScenarioError> {
    let args = &bench.params.args;
    let users = bench.user_count() as u64;

    ApiCounts::reset(&bench.env.zitadel, &bench.env.kube);
    let started = Instant::now();
    let mut operator = bench.start_operator(args.resync(), "steady.log").await?;
    eprintln!(
        "restart: operator pid {} is watching; waiting for {users} reconciles",
        operator.pid()
    );
    operator
        .wait_until("reconcile every user after its start", async |operator| {
            Ok(operator.reconciles().await?.total() >= users)
        })
        .await?;
    let restart = Restart {
        elapsed: started.elapsed(),
        counts: ApiCounts::snapshot(&bench.env.zitadel, &bench.env.kube),
        reconciles: operator.reconciles().await?,
    };

    let window = args.resync() * args.resyncs;
    eprintln!(
        "steady: measuring {} resync intervals ({window:?})",
        args.resyncs
    );
    let before = operator.reconciles().await?;
    ApiCounts::reset(&bench.env.zitadel, &bench.env.kube);
    let window_start = Instant::now();
    tokio::time::sleep(window).await;
    let counts = ApiCounts::snapshot(&bench.env.zitadel, &bench.env.kube);
    let window = window_start.elapsed();
    let reconciles = operator.reconciles().await?.since(&before);
    let end = ProcessEnd::measure_and_stop(operator).await?;
    let steady = Steady {
        window,
        counts,
        reconciles,
        end,
    };
    Ok((restart, steady))
}
