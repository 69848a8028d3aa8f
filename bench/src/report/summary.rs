//! The compact summary table at the end of the report.

use super::sections::creation_bound;
use super::table::Table;
use super::{percent, ratio, seconds, times};
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
    let (creation, storm, steady) = (&results.creation, &results.storm, &results.steady);
    let storm_calls = storm.ready_users.zitadel.values().sum::<usize>();
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
                "{} users{}, concurrency {}, ZITADEL calls in flight {}, resync {} ms × {}, \
                 ZITADEL latency {} ms, restart storm resync {} s, window {} s",
                args.users,
                match args.machine_credentials {
                    0 => String::new(),
                    percent => format!(" ({percent}% machine users with credentials)"),
                },
                args.concurrency,
                args.zitadel_calls_in_flight(),
                args.resync_ms,
                args.resyncs,
                args.zitadel_latency_ms,
                args.restart_resync_s,
                args.restart_window_s
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
            "creation: lower bound N·k·L/c (measured / bound)",
            creation_bound(results).map_or_else(
                || "- (no ZITADEL latency)".to_owned(),
                |(_, bound)| format!("{} ({})", seconds(bound), times(creation.elapsed, bound)),
            ),
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
            "creation: ZITADEL calls per user by kind (target: at most 1.2 on average)",
            creation
                .by_kind
                .kinds
                .iter()
                .map(|(kind, (count, calls))| {
                    let total = calls.values().sum::<usize>() as u64;
                    format!("{} {}", kind.short_label(), ratio(total, *count as u64))
                })
                .collect::<Vec<_>>()
                .join(", "),
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
            "restart storm: ZITADEL calls for the Ready users in the window (target: at most 5 % of users)",
            format!("{} ({})", storm_calls, percent(storm_calls as u64, users)),
        ),
        (
            "restart storm: Kubernetes requests / writes for the Ready users in the window",
            format!(
                "{} / {}",
                storm.ready_users.kube_total(),
                storm.ready_users.kube_writes()
            ),
        ),
        (
            "restart storm: new User Ready after (target: at most 2 s at L = 20 ms)",
            seconds(storm.new_user.time_to_ready),
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
            "creation: CPU of the operator / of the emulators / stolen by the host",
            format!(
                "{} / {} / {}",
                cpu_seconds(creation.end.cpu),
                cpu_seconds(creation.emulators_cpu),
                cpu_seconds(creation.stolen_cpu)
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
            "start-up to /readyz 200: creation / restart storm / steady",
            [creation.end, storm.end, steady.end]
                .iter()
                .map(|end| {
                    end.ready_after
                        .map_or_else(|| "not ready".to_owned(), seconds)
                })
                .collect::<Vec<_>>()
                .join(" / "),
        ),
        (
            "RSS after the restart storm (peak)",
            format!(
                "{} ({})",
                mib(storm.end.memory.current_kib),
                mib(storm.end.memory.peak_kib)
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
            format!(
                "{} / {} / {}",
                creation.end.exit, storm.end.exit, steady.end.exit
            ),
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
