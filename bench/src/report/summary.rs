//! The compact summary table at the end of the report.

use super::table::Table;
use super::{ratio, seconds};
use crate::measure::latency::{millis, percentile};
use crate::measure::memory::mib;
use crate::scenario::Results;

/// One table with the headline numbers.
pub fn summary(results: &Results) -> String {
    let args = &results.params.args;
    let users = u64::from(args.users);
    let (creation, steady) = (&results.creation, &results.steady);
    let user_resyncs = users * u64::from(args.resyncs);
    let samples: Vec<_> = creation.time_to_ready.iter().map(|(_, d)| *d).collect();
    let at = |p| percentile(&samples, p).map_or_else(|| "-".to_owned(), millis);
    let per_user = |count: usize| ratio(count as u64, users);
    let per_resync = |count: usize| ratio(count as u64, user_resyncs);

    let rows: [(&str, String); 14] = [
        (
            "parameters",
            format!(
                "{} users, concurrency {}, resync {} ms × {}",
                args.users, args.concurrency, args.resync_ms, args.resyncs
            ),
        ),
        ("machine", format!("{} CPUs", results.params.cpus)),
        ("all Ready after", seconds(creation.elapsed)),
        (
            "throughput",
            format!(
                "{:.1} users/s",
                users as f64 / creation.elapsed.as_secs_f64().max(f64::EPSILON)
            ),
        ),
        (
            "time to Ready p50 / p95",
            format!("{} / {}", at(50.0), at(95.0)),
        ),
        (
            "creation: reconciles per user",
            ratio(creation.reconciles.total(), users),
        ),
        (
            "creation: ZITADEL calls per user (writes)",
            format!(
                "{} ({})",
                per_user(creation.counts.zitadel.values().sum()),
                per_user(creation.counts.zitadel_writes())
            ),
        ),
        (
            "creation: Kubernetes requests per user (writes)",
            format!(
                "{} ({})",
                per_user(creation.counts.kube_total()),
                per_user(creation.counts.kube_writes())
            ),
        ),
        (
            "steady: reconciles per user per resync",
            ratio(steady.reconciles.total(), user_resyncs),
        ),
        (
            "steady: ZITADEL reads / writes per user per resync",
            format!(
                "{} / {}",
                per_resync(steady.counts.zitadel_reads()),
                per_resync(steady.counts.zitadel_writes())
            ),
        ),
        (
            "steady: Kubernetes requests / writes per user per resync",
            format!(
                "{} / {}",
                per_resync(steady.counts.kube_total()),
                per_resync(steady.counts.kube_writes())
            ),
        ),
        (
            "RSS after creation (peak)",
            format!(
                "{} ({})",
                mib(creation.end.memory.current_kib),
                mib(creation.end.memory.peak_kib)
            ),
        ),
        (
            "RSS after steady state (peak)",
            format!(
                "{} ({})",
                mib(steady.end.memory.current_kib),
                mib(steady.end.memory.peak_kib)
            ),
        ),
        (
            "exit after SIGTERM",
            format!("{} / {}", creation.end.exit, steady.end.exit),
        ),
    ];
    let mut table = Table::new(&["metric", "value"]);
    for (metric, value) in rows {
        table.row(vec![metric.to_owned(), value]);
    }
    format!("## Summary\n\n{}", table.render())
}
