//! End-to-end behaviour under failure, against the emulators only (they inject the faults and
//! count the calls): lost responses, crashes, failed writes, outages, rate limits, drift, and
//! the promise that a steady state writes nothing.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use support::e2e::{Harness, Options, operator_requests};
use zitadel_emulator::{Fault, GrpcCode};
use zitadel_user_operator::crd::{DesiredState, EmailVerification, InviteDelivery, User};
use zitadel_user_operator::fixtures::{UserBuilder, console_user};
use zitadel_user_operator::names::{REISSUE_ANNOTATION, ROTATE_ANNOTATION};

const NOT_IN_A_STEADY_STATE: &[&str] = &[
    "CreateUser",
    "UpdateUser",
    "DeleteUser",
    "SetUserMetadata",
    "DeleteUserMetadata",
    "SendEmailCode",
    "ResendEmailCode",
    "ResendPhoneCode",
    "CreateInviteCode",
    "CreatePasskeyRegistrationLink",
    "AddSecret",
    "AddKey",
    "AddPersonalAccessToken",
    "RemoveSecret",
    "RemoveKey",
    "RemovePersonalAccessToken",
    "DeactivateUser",
    "ReactivateUser",
    // Reads, but only where needed: never on a steady resync.
    "ListKeys",
    "ListPersonalAccessTokens",
];

fn user_id(user: &User) -> String {
    user.status
        .as_ref()
        .and_then(|s| s.user_id.clone())
        .expect("status.userId")
}

/// ZITADEL users whose email is `address`.
fn users_with_email(harness: &Harness, address: &str) -> usize {
    let users = harness.emulators().zitadel.users();
    users
        .iter()
        .filter(|u| u["human"]["email"]["email"] == address)
        .count()
}

/// The Secret's email code is the one ZITADEL currently accepts.
async fn assert_stored_email_code_is_valid(harness: &Harness, id: &str) {
    let data = harness
        .secret_data("alice-zitadel")
        .await
        .expect("the Secret exists");
    let valid = harness
        .emulators()
        .zitadel
        .email_code_is_valid(id, &data["emailCode"]);
    assert!(valid, "the stored code is the one ZITADEL accepts");
}

#[tokio::test]
async fn a_lost_create_response_and_a_restart_leave_one_user_and_a_valid_code() {
    let mut harness = Harness::environment(Options::default()).await;
    harness
        .emulators()
        .zitadel
        .inject("CreateUser", Fault::DropAfterApply { times: 1 });
    harness.start_operator();
    harness
        .create(UserBuilder::human("alice").email_code().build())
        .await;
    harness.wait_reason("alice", "ZitadelUnavailable").await;

    harness.crash_operator().await;
    harness.start_operator();
    let ready = harness.wait_ready("alice").await;

    assert_eq!(
        users_with_email(&harness, "alice@acme.example"),
        1,
        "no second user"
    );
    assert_eq!(
        harness.emulators().zitadel.calls("CreateUser"),
        2,
        "the retry hit 'user id taken'"
    );
    assert_stored_email_code_is_valid(&harness, &user_id(&ready)).await;
}

#[tokio::test]
async fn a_failed_secret_write_after_create_loses_no_code() {
    let mut harness = Harness::environment(Options::default()).await;
    harness
        .emulators()
        .kube
        .fail_next("create", "secrets", None, 1, 500);
    harness.start_operator();
    harness
        .create(UserBuilder::human("alice").email_code().build())
        .await;
    let ready = harness.wait_ready("alice").await;

    assert_eq!(harness.emulators().zitadel.calls("CreateUser"), 1);
    assert_eq!(
        harness.emulators().zitadel.calls("SendEmailCode"),
        1,
        "the lost code was re-issued"
    );
    assert_stored_email_code_is_valid(&harness, &user_id(&ready)).await;
}

#[tokio::test]
async fn a_crash_between_create_and_the_status_write_creates_no_second_user() {
    let mut harness = Harness::environment(Options::default()).await;
    // Every status write fails until the "crash": the user id never reaches the status.
    harness
        .emulators()
        .kube
        .fail_next("patch", "users", Some("status"), usize::MAX, 500);
    harness.start_operator();
    harness
        .create(UserBuilder::human("alice").email_code().build())
        .await;
    harness
        .eventually("CreateUser to be called", || async {
            (harness.emulators().zitadel.calls("CreateUser") >= 1).then_some(())
        })
        .await;
    harness.crash_operator().await;
    harness.emulators().kube.clear_faults();
    harness.start_operator();
    let ready = harness.wait_ready("alice").await;

    assert_eq!(users_with_email(&harness, "alice@acme.example"), 1);
    assert_stored_email_code_is_valid(&harness, &user_id(&ready)).await;
}

#[tokio::test]
async fn a_zitadel_outage_during_deletion_keeps_the_user_until_deletion_succeeds() {
    let harness = Harness::start().await;
    harness.create(UserBuilder::human("alice").build()).await;
    let id = user_id(&harness.wait_ready("alice").await);
    harness.emulators().zitadel.inject(
        "DeleteUser",
        Fault::Fail {
            times: 2,
            code: GrpcCode::Unavailable,
        },
    );
    harness.delete("alice").await;

    let blocked = harness.wait_reason("alice", "DeletionBlocked").await;
    assert!(blocked.metadata.deletion_timestamp.is_some());
    assert!(
        harness.emulators().zitadel.user(&id).is_some(),
        "not deleted yet"
    );
    harness.wait_gone("alice").await;
    assert!(
        harness.emulators().zitadel.user(&id).is_none(),
        "deleted once ZITADEL recovered"
    );
    assert_eq!(harness.emulators().zitadel.calls("DeleteUser"), 3);
}

#[tokio::test]
async fn a_failure_that_repeats_is_one_warning_event_counted_in_its_series() {
    let harness = Harness::start().await;
    harness.emulators().zitadel.inject(
        "CreateUser",
        Fault::Fail {
            times: 2,
            code: GrpcCode::Unavailable,
        },
    );
    harness.create(UserBuilder::human("alice").build()).await;
    harness.wait_ready("alice").await;

    let events = harness.events_of("alice").await;
    let reasons: Vec<_> = events.iter().map(|e| e.reason.as_deref()).collect();
    let warnings: Vec<_> = events
        .iter()
        .filter(|e| e.type_.as_deref() == Some("Warning"))
        .collect();
    assert_eq!(warnings.len(), 1, "one warning event: {reasons:?}");
    assert_eq!(warnings[0].reason.as_deref(), Some("ZitadelUnavailable"));
    assert_eq!(
        warnings[0].series.as_ref().map(|series| series.count),
        Some(2),
        "the second failure counts into the first one's series"
    );
    assert!(reasons.contains(&Some("Created")), "{reasons:?}");
}

#[tokio::test]
async fn a_rate_limited_create_waits_as_long_as_zitadel_asks() {
    let mut harness = Harness::environment(Options::default()).await;
    let retry_after = Duration::from_secs(2);
    harness.emulators().zitadel.inject(
        "CreateUser",
        Fault::RateLimited {
            times: 1,
            retry_after,
        },
    );
    harness.start_operator();
    let started = Instant::now();
    harness.create(UserBuilder::human("alice").build()).await;
    harness.wait_reason("alice", "RateLimited").await;
    harness.wait_ready("alice").await;
    assert!(
        started.elapsed() >= retry_after,
        "retried after {:?}",
        started.elapsed()
    );
    assert_eq!(harness.emulators().zitadel.calls("CreateUser"), 2);
}

#[tokio::test]
async fn a_steady_state_makes_no_writes_to_kubernetes_or_zitadel() {
    let options = Options {
        resync_interval: Duration::from_millis(200),
        ..Options::default()
    };
    let harness = Harness::start_with(options).await;
    harness
        .create(UserBuilder::human("alice").email_code().build())
        .await;
    harness
        .create(UserBuilder::machine("bot").metadata("team", "ci").build())
        .await;
    let machine = UserBuilder::machine("deployer")
        .client_secret()
        .key("default", "8760h", None)
        .pat("ci", "2160h", None)
        .annotation(ROTATE_ANNOTATION, "1");
    harness.create(machine.build()).await;
    let invited = UserBuilder::human("carol")
        .email("carol@acme.example", EmailVerification::ReturnCode)
        .invite(InviteDelivery::ReturnCode)
        .passkey_registration(None)
        .state(DesiredState::Active)
        .annotation(REISSUE_ANNOTATION, "1");
    harness.create(invited.build()).await;
    for name in ["alice", "bot", "deployer", "carol"] {
        harness.wait_ready(name).await;
    }
    // Let the last status write and its watch event settle, then observe several resyncs.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let emulators = harness.emulators();
    emulators.kube.clear_requests();
    emulators.zitadel.reset_call_counts();
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Resyncs list the organization and read the metadata of `bot` alone (it manages some).
    let listings = emulators.zitadel.calls("ListUsers");
    let metadata_reads = emulators.zitadel.calls("ListUserMetadata");
    assert!(
        listings >= 2 && metadata_reads >= 4,
        "resyncs happened ({listings} listings, {metadata_reads} metadata reads), so the test can see writes"
    );
    for rpc in NOT_IN_A_STEADY_STATE {
        assert_eq!(emulators.zitadel.calls(rpc), 0, "{rpc} in a steady state");
    }
    let kube_writes: Vec<_> = operator_requests(emulators)
        .into_iter()
        .filter(|(verb, _, _)| !matches!(verb.as_str(), "get" | "list" | "watch"))
        .collect();
    assert_eq!(kube_writes, [], "Kubernetes writes in a steady state");
}

#[tokio::test]
async fn drift_in_zitadel_is_repaired_at_the_next_resync() {
    let options = Options {
        resync_interval: Duration::from_millis(300),
        ..Options::default()
    };
    let harness = Harness::start_with(options).await;
    harness
        .create(
            UserBuilder::human("alice")
                .metadata("team", "payments")
                .build(),
        )
        .await;
    let id = user_id(&harness.wait_ready("alice").await);
    let zitadel = &harness.emulators().zitadel;
    zitadel.update_user(&id, |user| {
        if let zitadel_emulator::UserKind::Human(human) = &mut user.kind {
            human.profile.given_name = "Mallory".to_owned();
        }
    });
    zitadel.set_user_metadata(&id, "team", b"tampered");

    harness
        .eventually("the profile and metadata to be repaired", || async {
            let user = zitadel.user(&id)?;
            let repaired = user["human"]["profile"]["givenName"] == "Given"
                && zitadel.user_metadata(&id).get("team").map(Vec::as_slice)
                    == Some(b"payments".as_slice());
            repaired.then_some(())
        })
        .await;
}

#[tokio::test]
async fn a_user_deleted_in_zitadel_is_reported_and_not_recreated() {
    let options = Options {
        resync_interval: Duration::from_millis(200),
        ..Options::default()
    };
    let harness = Harness::start_with(options).await;
    harness.create(UserBuilder::human("alice").build()).await;
    let id = user_id(&harness.wait_ready("alice").await);
    assert!(harness.emulators().zitadel.delete_user(&id));

    let reported = harness.wait_reason("alice", "UserDeletedInZitadel").await;
    assert_eq!(user_id(&reported), id);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        harness.emulators().zitadel.calls("CreateUser"),
        1,
        "never recreated silently"
    );
}

#[tokio::test]
async fn a_spec_zitadel_rejects_is_not_retried_in_a_loop_and_heals_after_an_edit() {
    let harness = Harness::start().await;
    // The CRD cannot know ZITADEL's email syntax; ZITADEL rejects this one as InvalidArgument.
    harness
        .create(
            UserBuilder::human("alice")
                .email("not-an-email", EmailVerification::Verified)
                .build(),
        )
        .await;
    harness.wait_reason("alice", "InvalidSpec").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        harness.emulators().zitadel.calls("CreateUser"),
        1,
        "a rejected spec waits for the resync, not a backoff loop"
    );

    harness
        .edit("alice", |user| {
            user.spec.human.as_mut().expect("human").email.address = "alice@acme.example".to_owned()
        })
        .await;
    let ready = harness.wait_ready_at("alice", 2).await;
    assert!(ready.status.is_some());
}

#[tokio::test]
async fn a_user_for_an_organization_created_later_heals_at_the_next_resync_without_an_edit() {
    let options = Options {
        resync_interval: Duration::from_millis(300),
        ..Options::default()
    };
    let harness = Harness::start_with(options).await;
    // The administrator lists the organization on the connection before it exists in ZITADEL.
    harness.allow_organization("created-later").await;
    harness
        .create_in_organization(UserBuilder::human("alice").build(), "created-later")
        .await;
    harness.wait_reason("alice", "InvalidSpec").await;

    harness
        .emulators()
        .zitadel
        .create_organization_with_id("created-later", "later");
    let ready = harness.wait_ready("alice").await;
    assert_eq!(ready.metadata.generation, Some(1), "no edit was needed");
}

#[tokio::test]
async fn a_user_deleted_between_read_and_update_is_read_again_instead_of_stalling() {
    let harness = Harness::start().await;
    harness.create(UserBuilder::human("alice").build()).await;
    harness.wait_ready("alice").await;
    harness.emulators().zitadel.inject(
        "UpdateUser",
        Fault::Fail {
            times: 1,
            code: GrpcCode::NotFound,
        },
    );
    harness
        .edit("alice", |user| {
            user.spec.human.as_mut().expect("human").profile.given_name = "Alicia".to_owned()
        })
        .await;
    harness.wait_ready_at("alice", 2).await;
    assert_eq!(
        harness.emulators().zitadel.calls("UpdateUser"),
        2,
        "the NotFound was retried with backoff, not reported as an invalid spec"
    );
}

#[tokio::test]
async fn concurrency_is_one_bound_across_all_watched_namespaces() {
    let options = Options {
        concurrency: 1,
        extra_namespaces: vec!["e2e-second".to_owned(), "e2e-third".to_owned()],
        ..Options::default()
    };
    let harness = Harness::start_with(options.clone()).await;
    // The connection's own checks are not User reconciles: count only from after them.
    harness.quiesce_connection_checks().await;
    harness.emulators().zitadel.inject(
        "CreateUser",
        Fault::Latency {
            times: 3,
            delay: Duration::from_millis(300),
        },
    );
    let namespaces: Vec<String> = std::iter::once(harness.namespace.clone())
        .chain(options.extra_namespaces)
        .collect();
    for namespace in &namespaces {
        let mut user = UserBuilder::human(&format!("user-{namespace}")).build();
        user.spec.organization_id = harness.org_id.clone();
        harness.post(namespace, user).await;
    }
    for namespace in &namespaces {
        harness
            .wait_ready_in(namespace, &format!("user-{namespace}"))
            .await;
    }
    assert_eq!(
        harness.emulators().zitadel.peak_concurrent_calls(),
        1,
        "three namespaces, --concurrency 1: never two calls at once"
    );
}

#[tokio::test]
async fn adoption_is_refused_unless_the_administrator_allows_it() {
    let options = Options {
        allow_adoption: false,
        ..Options::default()
    };
    let mut harness = Harness::environment(options).await;
    let existing = console_user(&harness.org_id, "console-user");
    harness
        .zitadel()
        .create_user(&existing)
        .await
        .expect("a user made in the console");
    harness.start_operator();
    harness
        .create(
            UserBuilder::human("tenant")
                .user_id("console-user")
                .email("tenant@evil.example", EmailVerification::Verified)
                .adopt_existing()
                .build(),
        )
        .await;
    let refused = harness.wait_reason("tenant", "ConnectionRefused").await;
    let message = support::e2e::ready_message(&refused).expect("a Ready condition");
    assert!(message.contains("spec.allowAdoption"), "{message}");
    let console_user = harness
        .emulators()
        .zitadel
        .user("console-user")
        .expect("still there");
    assert_ne!(
        console_user["human"]["email"]["email"], "tenant@evil.example",
        "the account was not taken over"
    );
    assert_eq!(harness.emulators().zitadel.calls("UpdateUser"), 0);
    assert_eq!(harness.emulators().zitadel.calls("SetUserMetadata"), 0);

    // The administrator allows adoption on the connection: the same User adopts the account.
    harness.set_allow_adoption(true).await;
    let adopted = harness.wait_ready("tenant").await;
    assert_eq!(user_id(&adopted), "console-user");
}

#[tokio::test]
async fn a_stored_user_that_no_longer_deserialises_is_reported_and_does_not_break_the_watch() {
    let harness = Harness::start().await;
    harness.create(UserBuilder::human("old").build()).await;
    harness.wait_ready("old").await;
    // An older schema that accepted anything, and an object stored under it.
    harness.install_permissive_crd().await;
    let broken = serde_json::json!({"spec": {"organizationId": 42}});
    let raw: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        harness.kube.clone(),
        &harness.namespace,
        &kube::api::ApiResource::erase::<User>(&()),
    );
    raw.patch(
        "old",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(&broken),
    )
    .await
    .expect("the permissive schema stores it");

    harness.create(UserBuilder::human("new").build()).await;
    harness.wait_ready("new").await;
    harness
        .eventually("an InvalidObject event on the broken User", || async {
            harness
                .events_of("old")
                .await
                .iter()
                .any(|event| event.reason.as_deref() == Some("InvalidObject"))
                .then_some(())
        })
        .await;
}

#[tokio::test]
async fn adoption_by_username_waits_for_zitadels_search_index() {
    let options = Options {
        list_delay: Duration::from_secs(1),
        ..Options::default()
    };
    let mut harness = Harness::environment(options).await;
    let mut existing = console_user(&harness.org_id, "console-user");
    existing.username = Some("taken@acme.example".to_owned());
    let created = harness
        .zitadel()
        .create_user(&existing)
        .await
        .expect("a user made in the console");
    harness.start_operator();
    // The connection's own check is a ListUsers too: count only the User's searches.
    harness.quiesce_connection_checks().await;
    harness
        .create(
            UserBuilder::human("alice")
                .username("taken@acme.example")
                .adopt_existing()
                .build(),
        )
        .await;
    let adopted = harness.wait_ready("alice").await;
    assert_eq!(user_id(&adopted), created.id);
    assert!(
        harness.emulators().zitadel.calls("ListUsers") >= 2,
        "the first search missed the fresh user"
    );
}

#[tokio::test]
async fn each_user_is_created_with_exactly_one_create_call() {
    // A new Secret triggers a reconcile that may read the User before its status shows the id.
    let harness = Harness::start().await;
    let names: Vec<String> = (0..20).map(|i| format!("user-{i}")).collect();
    for name in &names {
        harness
            .create(UserBuilder::human(name).email_code().build())
            .await;
    }
    for name in &names {
        harness.wait_ready(name).await;
    }
    assert_eq!(harness.emulators().zitadel.calls("CreateUser"), names.len());
}

#[tokio::test]
async fn users_that_exist_before_the_operator_starts_are_all_reconciled_and_it_stops_gracefully() {
    // Every reconcile that starts before the connection caches are synced waits for them: all
    // of those waits must end, not only the last one's. A failed first list of the Namespaces
    // (watched only for the connections) holds the caches back until the watcher's retry.
    let mut harness = Harness::environment(Options::default()).await;
    harness
        .emulators()
        .kube
        .fail_next("list", "namespaces", None, 1, 500);
    let names: Vec<String> = (0..6).map(|i| format!("early-{i}")).collect();
    for name in &names {
        harness.create(UserBuilder::machine(name).build()).await;
    }
    harness.start_operator();
    for name in &names {
        harness.wait_ready(name).await;
    }
    harness.stop_operator().await;
}
