//! Phases 1 and 2: every user created at once; time to Ready and API calls per user.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kube::ResourceExt;
use kube::api::{ListParams, PostParams};
use tokio::time::Instant;

use super::{Bench, ProcessEnd, ScenarioError};
use crate::measure::counts::{ApiCounts, CallsByKind};
use crate::measure::cpu;
use crate::measure::metrics::Reconciles;
use crate::ready::ReadyWatch;
use crate::users::{self, Kind};

/// Resync interval of the creation phase's operator: long enough that no resync happens, so
/// the counts are the cost of creation alone.
const NO_RESYNC: Duration = Duration::from_secs(3600);
/// How many create requests the benchmark has in flight: "all at once", as `kubectl apply` of
/// a large directory would be, without one connection per user.
const CREATE_PARALLELISM: usize = 32;
/// Time after the last Ready for trailing requests (events) to land before counting.
pub const SETTLE: Duration = Duration::from_millis(500);

/// What creating the users cost.
#[derive(Debug)]
pub struct Creation {
    /// From the first create request to the last user Ready.
    pub elapsed: Duration,
    /// Time from each user's create request to its first Ready, with its kind.
    pub time_to_ready: Vec<(Kind, Duration)>,
    /// API calls during the phase.
    pub counts: ApiCounts,
    /// The ZITADEL calls of `counts` by the kind of user they were for.
    pub by_kind: CallsByKind,
    /// CPU time this process (both emulators, the watch and the creating client) used from
    /// the first create request to the last Ready.
    pub emulators_cpu: Duration,
    /// CPU time the host gave to other guests during the creation (`steal` of `/proc/stat`).
    pub stolen_cpu: Duration,
    /// Reconciles during the phase.
    pub reconciles: Reconciles,
    /// The operator's memory after the phase and its exit.
    pub end: ProcessEnd,
}

/// Starts an operator, creates every user, waits until all are Ready, then stops it.
pub async fn run(bench: &Bench) -> Result<Creation, ScenarioError> {
    let mut operator = bench.start_operator(NO_RESYNC, "creation.log").await?;
    eprintln!(
        "creation: operator pid {} is watching; creating {} users",
        operator.pid(),
        bench.user_count()
    );
    let mut watch = ReadyWatch::start(bench.users());
    let before = operator.reconciles().await?;
    ApiCounts::reset(&bench.env.zitadel, &bench.env.kube);

    let cpu_before = cpu::of_this_process()?;
    let stolen_before = cpu::stolen()?;
    let started = Instant::now();
    let created_at = create_all(bench).await?;
    let ready_at = watch
        .wait_all(
            bench.user_count(),
            &mut operator,
            bench.params.args.timeout(),
        )
        .await?;
    let last_ready = ready_at.values().max().copied().unwrap_or(started);
    let emulators_cpu = cpu::of_this_process()?.saturating_sub(cpu_before);
    let stolen_cpu = cpu::stolen()?.saturating_sub(stolen_before);
    eprintln!(
        "creation: all Ready after {:.2} s",
        (last_ready - started).as_secs_f64()
    );

    tokio::time::sleep(SETTLE).await;
    let counts = ApiCounts::snapshot(&bench.env.zitadel, &bench.env.kube);
    let reconciles = operator.reconciles().await?.since(&before);
    let end = ProcessEnd::measure_and_stop(operator).await?;
    let by_kind = CallsByKind::of(&counts, &user_kinds(bench).await?);
    let mix = bench.params.args.mix();
    let time_to_ready = created_at
        .into_iter()
        .filter_map(|(index, at)| {
            let ready = ready_at.get(&users::name(index))?;
            Some((mix.kind(index), ready.saturating_duration_since(at)))
        })
        .collect();
    Ok(Creation {
        elapsed: last_ready - started,
        time_to_ready,
        counts,
        by_kind,
        emulators_cpu,
        stolen_cpu,
        reconciles,
        end,
    })
}

/// The kind of every benchmark user, by the ZITADEL user id in its status.
async fn user_kinds(bench: &Bench) -> Result<BTreeMap<String, Kind>, ScenarioError> {
    let mix = bench.params.args.mix();
    let kinds: HashMap<String, Kind> = (0..bench.params.args.users)
        .map(|index| (users::name(index), mix.kind(index)))
        .collect();
    let listed = bench.users().list(&ListParams::default()).await?;
    Ok(listed
        .items
        .iter()
        .filter_map(|user| {
            let kind = kinds.get(&user.name_any())?;
            let id = user.status.as_ref()?.user_id.clone()?;
            Some((id, *kind))
        })
        .collect())
}

/// Creates every user of the mix, returning when each create request was sent.
async fn create_all(bench: &Bench) -> Result<Vec<(u32, Instant)>, ScenarioError> {
    let api = bench.users();
    let org_id = devenv::EXAMPLES_ORG_ID;
    let mix = bench.params.args.mix();
    let created = futures::stream::iter(0..bench.params.args.users)
        .map(|index| {
            let api = api.clone();
            async move {
                let user = mix.user(index, org_id);
                let sent = Instant::now();
                api.create(&PostParams::default(), &user).await?;
                Ok::<_, kube::Error>((index, sent))
            }
        })
        .buffer_unordered(CREATE_PARALLELISM)
        .try_collect()
        .await?;
    Ok(created)
}
