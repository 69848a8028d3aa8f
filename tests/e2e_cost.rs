//! End-to-end: what the operator spends on ZITADEL. A created user is not read back, the
//! operator's own Secret write starts no reconcile, a restart does not re-read Ready users, and
//! a resync lists the organization instead of reading each user.
//!
//! Emulated mode only: the tests count the emulator's calls.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use kube::api::{Patch, PatchParams};
use support::e2e::{CREDENTIAL_SECRET, Harness, Options, operator_recorded_requests};
use zitadel_user_operator::fixtures::UserBuilder;

/// GETs of the Secret `name` the operator made.
fn secret_reads(harness: &Harness, name: &str) -> usize {
    operator_recorded_requests(harness.emulators())
        .iter()
        .filter(|r| r.verb == "get" && r.resource == "secrets" && r.name.as_deref() == Some(name))
        .count()
}

#[tokio::test]
async fn a_created_user_costs_one_zitadel_call_and_the_event_of_its_own_secret_write_no_reconcile()
{
    let harness = Harness::start().await;
    // The first user teaches the operator whether this ZITADEL keeps CreateUser's metadata.
    harness.create(UserBuilder::machine("first").build()).await;
    harness.wait_ready("first").await;
    harness.emulators().zitadel.reset_call_counts();

    let alice = UserBuilder::human("alice")
        .email_code()
        .metadata("team", "blue")
        .build();
    harness.create(alice).await;
    harness
        .create(UserBuilder::human("bob").email_code().build())
        .await;
    let alice = harness.wait_ready("alice").await;
    harness.wait_ready("bob").await;
    // Someone else changes bob's Secret after both Secrets were written. The Secret watch
    // delivers events in order, so once the operator has read bob's Secret for that change,
    // the event of its own write of alice's Secret has arrived too.
    let bob_reads = secret_reads(&harness, "bob-zitadel");
    let note = serde_json::json!({"metadata": {"annotations": {"example.com/note": "seen"}}});
    harness
        .secrets()
        .patch("bob-zitadel", &PatchParams::default(), &Patch::Merge(&note))
        .await
        .unwrap();
    harness
        .eventually("the operator to read bob's changed Secret", || async {
            (secret_reads(&harness, "bob-zitadel") > bob_reads).then_some(())
        })
        .await;

    assert_eq!(
        secret_reads(&harness, "alice-zitadel"),
        1,
        "alice's Secret is read once, before her creation: its own write starts no reconcile"
    );
    let alice_id = alice.status.unwrap().user_id.unwrap();
    let alice_calls = harness.emulators().zitadel.call_counts_by_user()[&alice_id].clone();
    assert_eq!(
        alice_calls,
        [("CreateUser".to_owned(), 1)].into(),
        "nothing read back for alice"
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
