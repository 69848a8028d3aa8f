//! End-to-end: what the operator spends on ZITADEL. A created user is not read back, the
//! operator's own writes cost no ZITADEL call, a restart does not re-read Ready users, and a
//! resync lists the organization instead of reading each user.
//!
//! Emulated mode only: the tests count the emulator's calls.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use support::e2e::{CREDENTIAL_SECRET, Harness, Options, operator_recorded_requests};
use zitadel_user_operator::fixtures::UserBuilder;

/// ZITADEL reads the operator makes to compare a user.
const READS: [&str; 3] = ["GetUserByID", "ListUserMetadata", "ListUsers"];

fn reads(harness: &Harness) -> usize {
    READS
        .iter()
        .map(|rpc| harness.emulators().zitadel.calls(rpc))
        .sum()
}

/// Waits until the operator has read the Secret `name` after writing it: the reconcile the
/// Secret's watch event triggered has run.
async fn wait_for_read_after_write(harness: &Harness, name: &str) {
    harness
        .eventually(
            "a reconcile after the operator's own Secret write",
            || async {
                let requests = operator_recorded_requests(harness.emulators());
                // A create goes to the collection: its path names no object.
                let on_secret = |verbs: &[&str], r: &kube_emulator::RecordedRequest| {
                    verbs.contains(&r.verb.as_str())
                        && r.resource == "secrets"
                        && r.name.as_deref().is_none_or(|n| n == name)
                };
                let written = requests
                    .iter()
                    .rposition(|r| on_secret(&["create", "patch", "update"], r))?;
                requests[written..]
                    .iter()
                    .any(|r| on_secret(&["get"], r) && r.name.is_some())
                    .then_some(())
            },
        )
        .await;
}

#[tokio::test]
async fn a_created_user_and_the_reconcile_its_secret_triggers_read_nothing_from_zitadel() {
    let harness = Harness::start().await;
    // The first user teaches the operator whether this ZITADEL keeps CreateUser's metadata.
    harness.create(UserBuilder::machine("first").build()).await;
    harness.wait_ready("first").await;
    harness.emulators().zitadel.reset_call_counts();

    harness
        .create(
            UserBuilder::human("alice")
                .email_code()
                .metadata("team", "blue")
                .build(),
        )
        .await;
    harness.wait_ready("alice").await;
    wait_for_read_after_write(&harness, "alice-zitadel").await;

    let counts = harness.emulators().zitadel.call_counts();
    assert_eq!(counts.get("CreateUser"), Some(&1), "{counts:?}");
    assert_eq!(reads(&harness), 0, "nothing read back: {counts:?}");
    assert_eq!(
        counts.values().sum::<usize>(),
        1,
        "one call in all: {counts:?}"
    );
}

#[tokio::test]
async fn a_restart_compares_no_ready_user_at_once_but_a_changed_or_new_one_right_away() {
    let mut harness = Harness::start_with(Options::default()).await;
    for name in ["alice", "bob", "carol"] {
        harness.create(UserBuilder::human(name).build()).await;
    }
    for name in ["alice", "bob", "carol"] {
        harness.wait_ready(name).await;
    }
    harness.stop_operator().await;
    harness.emulators().zitadel.reset_call_counts();

    harness.start_operator();
    harness
        .edit("alice", |user| {
            user.spec.human.as_mut().unwrap().profile.given_name = "Alicia".to_owned();
        })
        .await;
    harness.create(UserBuilder::human("dave").build()).await;
    let alice = harness.wait_ready_at("alice", 2).await;
    harness.wait_ready("dave").await;

    let counts = harness.emulators().zitadel.call_counts();
    assert_eq!(
        counts.get("UpdateUser"),
        Some(&1),
        "alice's edit: {counts:?}"
    );
    assert_eq!(counts.get("CreateUser"), Some(&1), "dave: {counts:?}");
    let alice_id = alice.status.unwrap().user_id.unwrap();
    let given =
        &harness.emulators().zitadel.user(&alice_id).unwrap()["human"]["profile"]["givenName"];
    assert_eq!(given, "Alicia");
    // Alice's comparison reads her (GetUserByID + ListUserMetadata); Dave's create may read his
    // metadata once, to learn what this ZITADEL does with CreateUser's. Bob and Carol: nothing.
    assert_eq!(
        harness.emulators().zitadel.calls("GetUserByID"),
        1,
        "only alice is read: {counts:?}"
    );
    assert!(
        harness.emulators().zitadel.calls("ListUserMetadata") <= 2,
        "{counts:?}"
    );
}

#[tokio::test]
async fn a_resync_lists_the_organization_and_reads_metadata_only_where_the_user_manages_it() {
    let resync = Duration::from_millis(1500);
    let harness = Harness::start_with(Options {
        resync_interval: resync,
        ..Options::default()
    })
    .await;
    for name in ["alice", "bob", "carol"] {
        harness.create(UserBuilder::human(name).build()).await;
    }
    harness
        .create(UserBuilder::human("dana").metadata("team", "blue").build())
        .await;
    for name in ["alice", "bob", "carol", "dana"] {
        harness.wait_ready(name).await;
    }
    let zitadel = &harness.emulators().zitadel;
    zitadel.reset_call_counts();
    harness.emulators().kube.clear_requests();

    // Every user's resync falls due within 1.1 intervals (the jitter) of its last comparison.
    tokio::time::sleep(resync.mul_f64(1.6)).await;

    let credential_reads = operator_recorded_requests(harness.emulators())
        .iter()
        .filter(|r| r.verb == "get" && r.name.as_deref() == Some(CREDENTIAL_SECRET))
        .count();
    assert!(
        credential_reads <= 1,
        "four comparisons within seconds read the connection's credential at most once, \
         not {credential_reads} times"
    );

    let counts = zitadel.call_counts();
    assert_eq!(
        zitadel.calls("GetUserByID"),
        0,
        "no user read by id: {counts:?}"
    );
    let listings = zitadel.calls("ListUsers");
    assert!(
        (1..=2).contains(&listings),
        "one listing per interval: {counts:?}"
    );
    let metadata_reads = zitadel.calls("ListUserMetadata");
    assert!(
        (1..=2).contains(&metadata_reads),
        "only dana's metadata, once per resync: {counts:?}"
    );
    assert_eq!(
        counts.values().sum::<usize>(),
        listings + metadata_reads,
        "reads only: {counts:?}"
    );
}
