//! The detailed sections of the report.

use std::time::Duration;

use super::table::Table;
use super::{percent, ratio, seconds, times};
use crate::measure::counts::{ApiCounts, RpcCounts, is_read_rpc};
use crate::measure::cpu::cpu_seconds;
use crate::measure::latency::{lower_bound, millis, percentile};
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
         - Command: `cargo run --release -p bench -- --users {}{credentials_flag} --concurrency {} --zitadel-max-in-flight {} --zitadel-qps {} --resync-ms {} --resyncs {} --zitadel-latency-ms {} --restart-resync-s {} --restart-window-s {}`\n\
         - Machine: {} CPUs (nproc); operator binary `{}` (a separate process)\n\
         - Emulators: Kubernetes API and ZITADEL, in the benchmark process, on 127.0.0.1; ZITADEL \
         delays every answer by {} ms\n\
         - Users: {kinds}{build}\n",
        args.users,
        args.concurrency,
        args.zitadel_max_in_flight,
        args.zitadel_qps,
        args.resync_ms,
        args.resyncs,
        args.zitadel_latency_ms,
        args.restart_resync_s,
        args.restart_window_s,
        params.cpus,
        params.binary.display(),
        args.zitadel_latency_ms,
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
         All {users} Users created at once were Ready after {} ({:.1} users/s).{}\n\
         Time to Ready per user, from its create request to the first watch event showing \
         `Ready=True` for its generation:\n\n{}",
        seconds(creation.elapsed),
        f64::from(users) / creation.elapsed.as_secs_f64().max(f64::EPSILON),
        lower_bound_sentence(results)
            .map(|sentence| format!(" {sentence}"))
            .unwrap_or_default(),
        table.render()
    )
}

/// With a ZITADEL latency: the least time the measured calls allow, N·k·L/c, and how far the
/// measured time is above it; `None` without latency.
pub fn lower_bound_sentence(results: &Results) -> Option<String> {
    let args = &results.params.args;
    let (calls, bound) = creation_bound(results)?;
    let creation = &results.creation;
    let in_flight = args.zitadel_calls_in_flight();
    Some(format!(
        "With every ZITADEL answer delayed by L = {} ms, the {calls} ZITADEL calls (k = {} per \
         user), at most c = {in_flight} in flight (the fewer of {} reconciles and the cap of {}), allow \
         no less than N·k·L/c = {} × {} × {} ms / {in_flight} = {}; the measured time is {} that \
         lower bound.",
        args.zitadel_latency_ms,
        ratio(calls, u64::from(args.users)),
        args.concurrency,
        args.zitadel_max_in_flight,
        args.users,
        ratio(calls, u64::from(args.users)),
        args.zitadel_latency_ms,
        seconds(bound),
        times(creation.elapsed, bound),
    ))
}

/// The creation's ZITADEL calls and their lower bound N·k·L/c, with c the calls that can be
/// in flight; `None` without latency.
pub fn creation_bound(results: &Results) -> Option<(u64, Duration)> {
    let args = &results.params.args;
    let latency = args.zitadel_latency();
    if latency.is_zero() {
        return None;
    }
    let calls = results.creation.counts.zitadel.values().sum::<usize>() as u64;
    Some((
        calls,
        lower_bound(calls, latency, args.zitadel_calls_in_flight()),
    ))
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
         (a repeated CreateUser gets \"user id taken\" and the operator recovers the user).\n\n{}\n{}\n{}{credentials}",
        describe_reconciles(&creation.reconciles),
        ratio(creation.reconciles.total(), users),
        creates.saturating_sub(users),
        zitadel_table(&creation.counts, &[("per user", users)]),
        kind_table(results),
        kube_table(&creation.counts, &[("per user", users)]),
    )
}

/// ZITADEL calls per user for each kind of user, from the user each call names.
fn kind_table(results: &Results) -> String {
    let creation = &results.creation;
    let by_kind = &creation.by_kind;
    let mut table = Table::new(&[
        "users",
        "count",
        "ZITADEL calls",
        "per user",
        "reads / writes per user",
        "per user by RPC",
    ]);
    let mut row = |label: &str, users: usize, calls: &RpcCounts| {
        let users = users as u64;
        let total = calls.values().sum::<usize>() as u64;
        let reads = calls
            .iter()
            .filter(|(rpc, _)| is_read_rpc(rpc))
            .map(|(_, count)| *count as u64)
            .sum::<u64>();
        let by_rpc = calls
            .iter()
            .map(|(rpc, count)| format!("{rpc} {}", ratio(*count as u64, users)))
            .collect::<Vec<_>>()
            .join(", ");
        table.row(vec![
            label.to_owned(),
            users.to_string(),
            total.to_string(),
            ratio(total, users),
            format!("{} / {}", ratio(reads, users), ratio(total - reads, users)),
            by_rpc,
        ]);
    };
    row(
        "all (target: at most 1.2 per user)",
        results.params.args.users as usize,
        &creation.counts.zitadel,
    );
    for (kind, (users, calls)) in &by_kind.kinds {
        row(kind.label(), *users, calls);
    }
    let unattributed = by_kind.unattributed.values().sum::<usize>();
    let unattributed_note = if unattributed == 0 {
        "none".to_owned()
    } else {
        by_kind
            .unattributed
            .iter()
            .map(|(rpc, count)| format!("{count} {rpc}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "ZITADEL calls by the kind of user they are for (the user id in the call; calls naming \
         no benchmark user, e.g. ListUsers: {unattributed_note}):\n\n{}",
        table.render()
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
        "## 6. Checks\n\n\
         What the operator must have done whatever the timing; a failed check makes the run exit \
         non-zero after this report (\"checked\" counts users, or API calls for the phases).\n\n{}",
        table.render()
    )
}

/// Phase 3: the restart storm.
pub fn restart_storm(results: &Results) -> String {
    let args = &results.params.args;
    let users = u64::from(args.users);
    let storm = &results.storm;
    let new = &storm.new_user;
    let ready_users = &storm.ready_users;
    let mut table = Table::new(&[
        "calls in the window",
        "ZITADEL calls",
        "% of users",
        "ZITADEL writes",
        "Kubernetes requests",
        "Kubernetes writes",
    ]);
    let mut row = |label: String, counts: &ApiCounts, share: String| {
        table.row(vec![
            label,
            counts.zitadel.values().sum::<usize>().to_string(),
            share,
            counts.zitadel_writes().to_string(),
            counts.kube_total().to_string(),
            counts.kube_writes().to_string(),
        ]);
    };
    let ready_calls = ready_users.zitadel.values().sum::<usize>() as u64;
    row(
        format!("the {users} Ready users"),
        ready_users,
        format!("{} (target: at most 5 %)", percent(ready_calls, users)),
    );
    row(
        format!("the new User `{}`", new.name),
        &new.counts,
        "-".to_owned(),
    );
    format!(
        "## 3. Restart storm\n\n\
         Another operator process, with a resync interval of {} so that no resync falls into the \
         window, took over the {users} Ready users: `/readyz` answered 200 {} after its start. \
         Right after it watched Users and Secrets ({} after its start), one new User was created \
         (`{}`, {}): **Ready after {}** from its create request (target: at most 2 s with a 20 ms \
         ZITADEL latency; this run: {} ms).\n\n\
         Window: {} from the process start, {} (the new User's included); the Kubernetes \
         requests include the process's initial lists and watches. The new User's calls \
         are told apart by its ZITADEL user id and, on Kubernetes, by the objects a request names \
         (the User, its Secret, its Events); creates name no object in the request log and count \
         as its own, and a check (section 6) confirms every Secret and Event created in the \
         window is the new User's.\n\n{}\n\
         The Ready users' calls in the window:\n\n{}\n{}",
        whole_seconds(storm.resync),
        storm
            .end
            .ready_after
            .map_or_else(|| "never (within the phase)".to_owned(), seconds),
        seconds(new.created_after_start),
        new.name,
        new.kind.label(),
        seconds(new.time_to_ready),
        args.zitadel_latency_ms,
        seconds(storm.window),
        describe_reconciles(&storm.reconciles),
        table.render(),
        zitadel_table(ready_users, &[("per Ready user", users)]),
        kube_table(ready_users, &[("per Ready user", users)]),
    )
}

/// Phase 4: the restart and the steady state.
pub fn steady(results: &Results) -> String {
    let args = &results.params.args;
    let users = u64::from(args.users);
    let (restart, steady) = (&results.restart, &results.steady);
    let user_resyncs = users * u64::from(args.resyncs);
    let reconciles = steady.reconciles.total();
    format!(
        "## 4. Steady state\n\n\
         Restart: another operator process (resync {} ms) started and reconciled {} times in {} \
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

/// Phase 5: start-up time, resident memory and CPU of every operator process.
pub fn memory(results: &Results) -> String {
    let mut table = Table::new(&[
        "operator process",
        "measured",
        "start-up to /readyz 200",
        "VmRSS",
        "VmHWM (peak)",
        "CPU since start",
        "/readyz",
        "exit after SIGTERM",
    ]);
    let mut row = |name: String, when: &str, end: &ProcessEnd| {
        table.row(vec![
            name,
            when.to_owned(),
            end.ready_after
                .map_or_else(|| "not ready".to_owned(), seconds),
            mib(end.memory.current_kib),
            mib(end.memory.peak_kib),
            cpu_seconds(end.cpu),
            if end.ready_probe { "200" } else { "not ready" }.to_owned(),
            end.exit.to_string(),
        ]);
    };
    row(
        "creation (resync 1h)".to_owned(),
        "after all Ready",
        &results.creation.end,
    );
    row(
        format!(
            "restart storm (resync {})",
            whole_seconds(results.storm.resync)
        ),
        "after the window",
        &results.storm.end,
    );
    row(
        format!(
            "restart + steady (resync {} ms)",
            results.params.args.resync_ms
        ),
        "after the steady window",
        &results.steady.end,
    );
    format!(
        "## 5. Memory and CPU\n\n\
         Start-up to `/readyz` 200: from spawning the process to the first 200 of `/readyz`, \
         polled every 10 ms (the operator is ready once its caches are filled).\n\n{}\n\
         CPU time (user + system) of the benchmark process itself, i.e. both emulators, the Ready \
         watch and the creating client, from the first create request to the last Ready: {}. \
         CPU time the host gave to other guests meanwhile (`steal` in `/proc/stat`, all CPUs): \
         {}; where it is not near zero the machine was shared and the creation's times are \
         slower for it.\n",
        table.render(),
        cpu_seconds(results.creation.emulators_cpu),
        cpu_seconds(results.creation.stolen_cpu)
    )
}

/// A duration given in whole seconds (a flag's value), e.g. `600 s`.
fn whole_seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs())
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
