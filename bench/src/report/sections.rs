//! The detailed sections of the report.

use std::time::Duration;

use super::table::Table;
use super::{ratio, seconds};
use crate::measure::counts::ApiCounts;
use crate::measure::cpu::cpu_seconds;
use crate::measure::latency::{millis, percentile};
use crate::measure::memory::mib;
use crate::measure::metrics::Reconciles;
use crate::scenario::{LISTING_RPCS, Params, ProcessEnd, Results};
use crate::users::Kind;

/// Title, command line, machine and the user mix.
pub fn header(params: &Params) -> String {
    let args = &params.args;
    let mix = args.mix();
    let kinds = Kind::ALL
        .iter()
        .map(|kind| (mix.count(args.users, *kind), kind.label()))
        .filter(|(count, _)| *count > 0)
        .map(|(count, label)| format!("{count} × {label}"))
        .collect::<Vec<_>>()
        .join(", ");
    let credentials_flag = match args.machine_credentials {
        0 => String::new(),
        percent => format!(" --machine-credentials {percent}"),
    };
    let build = if cfg!(debug_assertions) {
        "\n\n**Warning:** the benchmark itself is a debug build; use `cargo run --release -p bench`."
    } else {
        ""
    };
    format!(
        "# zitadel-user-operator benchmark\n\n\
         - Command: `cargo run --release -p bench -- --users {}{credentials_flag} --concurrency {} --resync-ms {} --resyncs {}`\n\
         - Machine: {} CPUs (nproc); operator binary `{}` (a separate process)\n\
         - Emulators: Kubernetes API and ZITADEL, in the benchmark process, on 127.0.0.1\n\
         - Users: {kinds}{build}\n",
        args.users,
        args.concurrency,
        args.resync_ms,
        args.resyncs,
        params.cpus,
        params.binary.display(),
    )
}

/// Phase 1: how fast every user became Ready.
pub fn throughput(results: &Results) -> String {
    let creation = &results.creation;
    let users = results.params.args.users;
    let mut table = Table::new(&["users", "count", "p50", "p95", "max"]);
    let all: Vec<Duration> = creation.time_to_ready.iter().map(|(_, d)| *d).collect();
    table.row(latency_row("all", &all));
    for kind in Kind::ALL {
        let of_kind: Vec<Duration> = creation
            .time_to_ready
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, d)| *d)
            .collect();
        if !of_kind.is_empty() {
            table.row(latency_row(kind.label(), &of_kind));
        }
    }
    format!(
        "## 1. Creation throughput\n\n\
         All {users} Users created at once were Ready after {} ({:.1} users/s).\n\
         Time to Ready per user, from its create request to the first watch event showing \
         `Ready=True` for its generation:\n\n{}",
        seconds(creation.elapsed),
        f64::from(users) / creation.elapsed.as_secs_f64().max(f64::EPSILON),
        table.render()
    )
}

fn latency_row(label: &str, samples: &[Duration]) -> Vec<String> {
    let at = |p| percentile(samples, p).map_or_else(|| "-".to_owned(), millis);
    vec![
        label.to_owned(),
        samples.len().to_string(),
        at(50.0),
        at(95.0),
        at(100.0),
    ]
}

/// Phase 2: API calls per user while creating.
pub fn creation_calls(results: &Results) -> String {
    let creation = &results.creation;
    let users = u64::from(results.params.args.users);
    let creates = creation
        .counts
        .zitadel
        .get("CreateUser")
        .copied()
        .unwrap_or(0) as u64;
    let credential_users = results
        .params
        .args
        .mix()
        .count(results.params.args.users, Kind::Credentials) as u64;
    let credentials = if credential_users == 0 {
        String::new()
    } else {
        format!(
            "\nCredential RPCs per machine user with credentials ({credential_users} users, \
             each declaring one personal access token, one key and a client secret):\n\n{}",
            credential_table(&creation.counts, credential_users)
        )
    };
    format!(
        "## 2. API calls per user during creation\n\n\
         Reconciles: {} ({} per user). CreateUser calls beyond one per user: {} \
         (a repeated CreateUser gets \"user id taken\" and the operator recovers the user).\n\n{}\n{}{credentials}",
        describe_reconciles(&creation.reconciles),
        ratio(creation.reconciles.total(), users),
        creates.saturating_sub(users),
        zitadel_table(&creation.counts, &[("per user", users)]),
        kube_table(&creation.counts, &[("per user", users)]),
    )
}

/// The credential RPCs (adds, lists, removes) divided by the users that declare credentials;
/// the adds are always shown, so a missing one reads as 0.
fn credential_table(counts: &ApiCounts, credential_users: u64) -> String {
    let mut table = Table::new(&["ZITADEL RPC", "calls", "per machine user with credentials"]);
    let always = ["AddPersonalAccessToken", "AddKey", "AddSecret"]
        .into_iter()
        .chain(LISTING_RPCS);
    let removes = counts
        .zitadel
        .keys()
        .map(String::as_str)
        .filter(|rpc| rpc.starts_with("Remove"));
    let rpcs = always.chain(removes);
    for rpc in rpcs {
        let calls = counts.zitadel.get(rpc).copied().unwrap_or(0) as u64;
        table.row(vec![
            rpc.to_owned(),
            calls.to_string(),
            ratio(calls, credential_users),
        ]);
    }
    table.render()
}

/// The correctness checks, each passed or with what was wrong.
pub fn checks(results: &Results) -> String {
    let mut table = Table::new(&["check", "checked", "result"]);
    for check in &results.checks {
        let result = if check.passed() {
            "passed".to_owned()
        } else {
            format!("**FAILED**: {}", check.describe_problems())
        };
        table.row(vec![check.name.clone(), check.checked.to_string(), result]);
    }
    format!(
        "## 5. Checks\n\n\
         What the operator must have done whatever the timing; a failed check makes the run exit \
         non-zero after this report (\"checked\" counts users, or API calls for the phases).\n\n{}",
        table.render()
    )
}

/// Phase 3: the restart and the steady state.
pub fn steady(results: &Results) -> String {
    let args = &results.params.args;
    let users = u64::from(args.users);
    let (restart, steady) = (&results.restart, &results.steady);
    let user_resyncs = users * u64::from(args.resyncs);
    let reconciles = steady.reconciles.total();
    format!(
        "## 3. Steady state\n\n\
         Restart: a second operator process (resync {} ms) started and reconciled {} times in {} \
         (users already Ready): {} ZITADEL calls ({} writes) and {} Kubernetes requests ({} writes) \
         per user, including its initial lists and watches.\n\n\
         Then counters were reset and {} resync intervals were measured ({}): {} \
         ({} per user per interval; 1.00 means every user was resynced every interval).\n\n{}\n{}",
        args.resync_ms,
        restart.reconciles.total(),
        seconds(restart.elapsed),
        ratio(restart.counts.zitadel.values().sum::<usize>() as u64, users),
        ratio(restart.counts.zitadel_writes() as u64, users),
        ratio(restart.counts.kube_total() as u64, users),
        ratio(restart.counts.kube_writes() as u64, users),
        args.resyncs,
        seconds(steady.window),
        describe_reconciles(&steady.reconciles),
        ratio(reconciles, user_resyncs),
        zitadel_table(
            &steady.counts,
            &[
                ("per user per resync", user_resyncs),
                ("per reconcile", reconciles)
            ]
        ),
        kube_table(
            &steady.counts,
            &[
                ("per user per resync", user_resyncs),
                ("per reconcile", reconciles)
            ]
        ),
    )
}

/// Phase 4: resident memory of both operator processes.
pub fn memory(results: &Results) -> String {
    let mut table = Table::new(&[
        "operator process",
        "measured",
        "VmRSS",
        "VmHWM (peak)",
        "CPU since start",
        "/readyz",
        "exit after SIGTERM",
    ]);
    let mut row = |name: &str, when: &str, end: &ProcessEnd| {
        table.row(vec![
            name.to_owned(),
            when.to_owned(),
            mib(end.memory.current_kib),
            mib(end.memory.peak_kib),
            cpu_seconds(end.cpu),
            if end.ready_probe { "200" } else { "not ready" }.to_owned(),
            end.exit.to_string(),
        ]);
    };
    row(
        "creation (resync 1h)",
        "after all Ready",
        &results.creation.end,
    );
    row(
        "restart + steady",
        "after the steady window",
        &results.steady.end,
    );
    format!(
        "## 4. Memory and CPU\n\n{}\n\
         CPU time (user + system) of the benchmark process itself, i.e. both emulators, the Ready \
         watch and the creating client, from the first create request to the last Ready: {}.\n",
        table.render(),
        cpu_seconds(results.creation.emulators_cpu)
    )
}

fn describe_reconciles(reconciles: &Reconciles) -> String {
    let by_result = reconciles
        .0
        .iter()
        .filter(|(_, count)| **count > 0)
        .map(|(result, count)| format!("{result} {count}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{} reconciles ({by_result})", reconciles.total())
}

/// ZITADEL calls by RPC, with one column per `(title, divisor)`.
fn zitadel_table(counts: &ApiCounts, per: &[(&str, u64)]) -> String {
    let rows = counts
        .zitadel
        .iter()
        .map(|(rpc, count)| (rpc.clone(), *count));
    let totals = [
        ("**reads**", counts.zitadel_reads()),
        ("**writes**", counts.zitadel_writes()),
    ];
    count_table("ZITADEL RPC", "calls", rows, totals, per)
}

/// Kubernetes requests by verb and resource, with one column per `(title, divisor)`.
fn kube_table(counts: &ApiCounts, per: &[(&str, u64)]) -> String {
    let rows = counts
        .kube
        .iter()
        .map(|(request, count)| (format!("{} {}", request.verb, request.resource), *count));
    let totals = [
        ("**writes**", counts.kube_writes()),
        ("**total**", counts.kube_total()),
    ];
    count_table("Kubernetes request", "requests", rows, totals, per)
}

fn count_table(
    what: &str,
    unit: &str,
    rows: impl Iterator<Item = (String, usize)>,
    totals: [(&str, usize); 2],
    per: &[(&str, u64)],
) -> String {
    let mut header = vec![what, unit];
    header.extend(per.iter().map(|(title, _)| *title));
    let mut table = Table::new(&header);
    let mut add = |label: String, count: usize| {
        let mut cells = vec![label, count.to_string()];
        cells.extend(per.iter().map(|(_, by)| ratio(count as u64, *by)));
        table.row(cells);
    };
    for (label, count) in rows {
        add(label, count);
    }
    for (label, count) in totals {
        add(label.to_owned(), count);
    }
    table.render()
}
