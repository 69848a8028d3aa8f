//! The compact summary table at the end of the report.

use super::table::Table;
use super::{ratio, seconds};
use crate::measure::counts::ApiCounts;
use crate::measure::cpu::cpu_seconds;
use crate::measure::latency::{millis, percentile};
use crate::measure::memory::mib;
use crate::scenario::{LISTING_RPCS, Results};
use crate::users::Kind;

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

    let credential_users = args.mix().count(args.users, Kind::Credentials) as u64;
    let per_credential_user = |rpcs: &[&str]| {
        let calls: usize = rpcs
            .iter()
            .filter_map(|rpc| creation.counts.zitadel.get(*rpc))
            .sum();
        ratio(calls as u64, credential_users)
    };
    let listings = |counts: &ApiCounts| {
        LISTING_RPCS
            .iter()
            .filter_map(|rpc| counts.zitadel.get(*rpc))
            .sum::<usize>()
    };
    let mut rows: Vec<(&str, String)> = vec![
        (
            "parameters",
            format!(
                "{} users{}, concurrency {}, resync {} ms × {}",
                args.users,
                match args.machine_credentials {
                    0 => String::new(),
                    percent => format!(" ({percent}% machine users with credentials)"),
                },
                args.concurrency,
                args.resync_ms,
                args.resyncs
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
            "creation: CPU of the operator / of the emulators",
            format!(
                "{} / {}",
                cpu_seconds(creation.end.cpu),
                cpu_seconds(creation.emulators_cpu)
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
    if credential_users > 0 {
        rows.extend([
            (
                "creation: AddPersonalAccessToken / AddKey / AddSecret per machine user with credentials",
                format!(
                    "{} / {} / {}",
                    per_credential_user(&["AddPersonalAccessToken"]),
                    per_credential_user(&["AddKey"]),
                    per_credential_user(&["AddSecret"])
                ),
            ),
            (
                "creation: ListKeys + ListPersonalAccessTokens per machine user with credentials",
                per_credential_user(&LISTING_RPCS),
            ),
            (
                "steady: ListKeys + ListPersonalAccessTokens",
                listings(&steady.counts).to_string(),
            ),
        ]);
    }
    let passed = results.checks.iter().filter(|c| c.passed()).count();
    rows.push((
        "checks passed",
        format!("{passed} of {}", results.checks.len()),
    ));
    let mut table = Table::new(&["metric", "value"]);
    for (metric, value) in rows {
        table.row(vec![metric.to_owned(), value]);
    }
    format!("## Summary\n\n{}", table.render())
}
