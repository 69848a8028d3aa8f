//! End-to-end behaviour of the operator: the real controller against a Kubernetes API and a
//! ZITADEL (the emulators by default; a real cluster and ZITADEL with the `E2E_*` variables, see
//! `tests/support/e2e.rs`). Each test states one behaviour a user relies on.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use kube::ResourceExt;
use support::e2e::{Harness, ready_reason};
use zitadel_user_operator::crd::{DeletionPolicy, UserState};
use zitadel_user_operator::fixtures::UserBuilder;
use zitadel_user_operator::names::OWNER_METADATA_KEY;
use zitadel_user_operator::zitadel::types::UserState as ZitadelState;

/// The owner marker ZITADEL holds for `user_id`: the uid of the managing resource.
async fn owner_marker(harness: &Harness, user_id: &str) -> Vec<u8> {
    let listed = harness
        .zitadel()
        .list_user_metadata(user_id, &Default::default())
        .await
        .expect("metadata lists");
    let marker = listed
        .metadata
        .into_iter()
        .find(|m| m.key == OWNER_METADATA_KEY);
    marker.expect("the user carries an owner marker").value
}

fn status_user_id(user: &zitadel_user_operator::crd::User) -> String {
    user.status
        .as_ref()
        .and_then(|s| s.user_id.clone())
        .expect("status.userId is set")
}

#[tokio::test]
async fn a_human_user_becomes_ready_with_its_email_code_in_an_owned_secret() {
    let harness = Harness::start().await;
    let alice = UserBuilder::human("alice").email_code().build();
    let created = harness.create(alice).await;

    let ready = harness.wait_ready("alice").await;
    let status = ready.status.clone().expect("status");
    assert_eq!(
        status.user_id.as_deref(),
        created.uid().as_deref(),
        "the user id is the resource uid"
    );
    assert_eq!(status.secret_name.as_deref(), Some("alice-zitadel"));
    assert_eq!(
        status.organization_id.as_deref(),
        Some(harness.org_id.as_str())
    );

    let secret = harness
        .secrets()
        .get("alice-zitadel")
        .await
        .expect("the Secret exists");
    let owner = &secret.owner_references()[0];
    assert_eq!(owner.uid, created.uid().expect("uid"));
    assert_eq!(owner.controller, Some(true));
    let data = harness
        .secret_data("alice-zitadel")
        .await
        .expect("Secret data");
    assert!(
        !data["emailCode"].is_empty(),
        "the one-time code was stored"
    );

    let zitadel_user = harness
        .zitadel()
        .get_user_by_id(&status_user_id(&ready))
        .await
        .expect("ZITADEL has the user");
    assert_eq!(zitadel_user.organization_id(), harness.org_id);
    assert_eq!(
        zitadel_user.human.expect("human").email.email,
        "alice@acme.example"
    );
}

#[tokio::test]
async fn status_and_events_never_contain_the_code() {
    let harness = Harness::start().await;
    harness
        .create(UserBuilder::human("alice").email_code().build())
        .await;
    let ready = harness.wait_ready("alice").await;
    let code = harness.secret_data("alice-zitadel").await.expect("Secret")["emailCode"].clone();
    let status = serde_json::to_string(&ready.status).expect("status serializes");
    assert!(!status.contains(&code));
    let events: kube::Api<k8s_openapi::api::events::v1::Event> =
        kube::Api::namespaced(harness.kube.clone(), &harness.namespace);
    for event in events
        .list(&Default::default())
        .await
        .expect("events list")
        .items
    {
        assert!(!event.note.unwrap_or_default().contains(&code));
    }
}

#[tokio::test]
async fn a_machine_user_becomes_ready_without_a_secret() {
    let harness = Harness::start().await;
    harness
        .create(UserBuilder::machine("ci-bot").username("ci-bot").build())
        .await;
    let ready = harness.wait_ready("ci-bot").await;
    let status = ready.status.expect("status");
    assert_eq!(status.secret_name, None);
    assert_eq!(status.state, Some(UserState::Active));
    let id = status.user_id.expect("user id");
    let machine = harness
        .zitadel()
        .get_user_by_id(&id)
        .await
        .expect("ZITADEL has it");
    assert_eq!(machine.username, "ci-bot");
    assert_eq!(machine.machine.expect("machine").name, "ci-bot machine");
}

#[tokio::test]
async fn a_generated_password_is_stored_and_the_user_can_be_created_with_it() {
    let harness = Harness::start().await;
    harness
        .create(UserBuilder::human("carol").generated_password().build())
        .await;
    harness.wait_ready("carol").await;
    let data = harness
        .secret_data("carol-zitadel")
        .await
        .expect("the Secret exists");
    assert!(data["password"].len() >= 24);
}

#[tokio::test]
async fn an_initial_password_is_read_from_the_users_own_secret() {
    let harness = Harness::start().await;
    harness
        .create_secret("bob-initial", &[("password", "Initial-Passw0rd!")])
        .await;
    harness
        .create(
            UserBuilder::human("bob")
                .password_from_secret("bob-initial", "password")
                .build(),
        )
        .await;
    let ready = harness.wait_ready("bob").await;
    assert_eq!(
        ready.status.expect("status").secret_name,
        None,
        "nothing to store for a given password"
    );
    let untouched = harness
        .secret_data("bob-initial")
        .await
        .expect("user's Secret kept");
    assert_eq!(untouched["password"], "Initial-Passw0rd!");
}

#[tokio::test]
async fn a_missing_password_secret_is_reported_and_nothing_is_created() {
    let harness = Harness::start().await;
    harness
        .create(
            UserBuilder::human("bob")
                .password_from_secret("nope", "password")
                .build(),
        )
        .await;
    let blocked = harness.wait_reason("bob", "SecretRefMissing").await;
    assert_eq!(blocked.status.expect("status").user_id, None);
}

#[tokio::test]
async fn metadata_is_written_and_keys_set_by_others_are_kept() {
    let harness = Harness::start().await;
    harness
        .create(
            UserBuilder::human("alice")
                .metadata("team", "payments")
                .metadata("old", "x")
                .build(),
        )
        .await;
    let ready = harness.wait_ready("alice").await;
    let id = status_user_id(&ready);
    let zitadel = harness.zitadel();
    zitadel
        .set_user_metadata(
            &id,
            &[zitadel_user_operator::zitadel::types::Metadata::new(
                "console", "kept",
            )],
        )
        .await
        .expect("metadata set outside the operator");

    harness
        .edit("alice", |user| {
            user.spec.metadata.remove("old");
            user.spec
                .metadata
                .insert("team".to_owned(), "platform".to_owned());
        })
        .await;
    harness
        .wait_for("alice", "metadata updated", |u| {
            ready_reason(u) == Some(("True", "Reconciled"))
                && u.status
                    .as_ref()
                    .is_some_and(|s| s.managed_metadata_keys == ["team"])
        })
        .await;

    let listed = zitadel
        .list_user_metadata(&id, &Default::default())
        .await
        .expect("metadata lists");
    let entries: std::collections::BTreeMap<String, Vec<u8>> = listed
        .metadata
        .into_iter()
        .map(|m| (m.key, m.value))
        .collect();
    assert_eq!(
        entries.get("team").map(Vec::as_slice),
        Some(b"platform".as_slice())
    );
    assert!(
        !entries.contains_key("old"),
        "a key removed from the spec is deleted"
    );
    assert_eq!(
        entries.get("console").map(Vec::as_slice),
        Some(b"kept".as_slice())
    );
    assert!(entries.contains_key(OWNER_METADATA_KEY));
}

#[tokio::test]
async fn a_spec_change_is_applied_to_zitadel() {
    let harness = Harness::start().await;
    harness.create(UserBuilder::human("alice").build()).await;
    let ready = harness.wait_ready("alice").await;
    harness
        .edit("alice", |user| {
            user.spec.username = Some("al".to_owned());
            user.spec.human.as_mut().expect("human").profile.given_name = "Alicia".to_owned();
        })
        .await;
    harness.wait_ready_at("alice", 2).await;
    let zitadel_user = harness
        .zitadel()
        .get_user_by_id(&status_user_id(&ready))
        .await
        .expect("user");
    assert_eq!(zitadel_user.username, "al");
    assert_eq!(
        zitadel_user.human.expect("human").profile.given_name,
        "Alicia"
    );
}

#[tokio::test]
async fn a_taken_username_is_reported_and_the_other_user_is_not_touched() {
    let harness = Harness::start().await;
    harness
        .create(
            UserBuilder::human("first")
                .username("shared@acme.example")
                .build(),
        )
        .await;
    let first = harness.wait_ready("first").await;
    harness
        .create(
            UserBuilder::human("second")
                .username("SHARED@acme.example")
                .build(),
        )
        .await;
    let blocked = harness.wait_reason("second", "UsernameTaken").await;
    let stalled = blocked
        .status
        .expect("status")
        .conditions
        .into_iter()
        .find(|c| c.type_ == "Stalled");
    assert_eq!(stalled.map(|c| c.status), Some("True".to_owned()));
    assert_eq!(
        owner_marker(&harness, &status_user_id(&first)).await,
        first.uid().expect("uid").into_bytes(),
        "still owned by the first resource"
    );
}

#[tokio::test]
async fn an_existing_user_is_adopted_only_on_request() {
    let harness = Harness::start().await;
    // Unique per run: on a real instance a user id outlives the test namespace.
    let shared_id = format!("shared-{}", harness.namespace);
    let original = harness
        .create(
            UserBuilder::human("original")
                .user_id(&shared_id)
                .deletion_policy(DeletionPolicy::Orphan)
                .build(),
        )
        .await;
    harness.wait_ready("original").await;
    harness.delete("original").await;
    harness.wait_gone("original").await;
    drop(original);

    harness
        .create(UserBuilder::human("newcomer").user_id(&shared_id).build())
        .await;
    harness.wait_reason("newcomer", "UserIdTaken").await;

    harness
        .edit("newcomer", |user| user.spec.adopt_existing = true)
        .await;
    let adopted = harness.wait_ready_at("newcomer", 2).await;
    assert_eq!(status_user_id(&adopted), shared_id);
    assert_eq!(
        owner_marker(&harness, &shared_id).await,
        adopted.uid().expect("uid").into_bytes(),
        "the marker now names the adopter"
    );
}

#[tokio::test]
async fn a_spec_zitadel_rejects_is_stalled_with_zitadels_reason() {
    let harness = Harness::start().await;
    // The connection lists it, so the spec reaches ZITADEL, which knows no such organization.
    harness.allow_organization("does-not-exist").await;
    harness
        .create_in_organization(UserBuilder::human("alice").build(), "does-not-exist")
        .await;
    let blocked = harness.wait_reason("alice", "InvalidSpec").await;
    let ready = blocked
        .status
        .expect("status")
        .conditions
        .into_iter()
        .find(|c| c.type_ == "Ready")
        .expect("Ready");
    assert!(
        ready.message.contains("ZITADEL rejected the spec"),
        "{}",
        ready.message
    );
}

#[tokio::test]
async fn a_secret_of_the_same_name_that_the_operator_does_not_own_is_never_overwritten() {
    let harness = Harness::start().await;
    harness
        .create_secret("alice-zitadel", &[("mine", "not yours")])
        .await;
    harness
        .create(UserBuilder::human("alice").email_code().build())
        .await;
    let blocked = harness.wait_reason("alice", "SecretConflict").await;
    assert_eq!(
        blocked.status.expect("status").user_id,
        None,
        "no user is created without a place for its code"
    );
    let data = harness
        .secret_data("alice-zitadel")
        .await
        .expect("still there");
    assert_eq!(data.keys().collect::<Vec<_>>(), ["mine"]);
}

#[tokio::test]
async fn deleting_the_resource_deletes_the_zitadel_user_and_its_secret() {
    let harness = Harness::start().await;
    harness
        .create(UserBuilder::human("alice").email_code().build())
        .await;
    let id = status_user_id(&harness.wait_ready("alice").await);
    harness.delete("alice").await;
    harness.wait_gone("alice").await;
    let lookup = harness.zitadel().get_user_by_id(&id).await;
    assert!(
        lookup.is_err_and(|e| e.is_not_found()),
        "the ZITADEL user is gone"
    );
    harness
        .eventually("the owned Secret to be garbage-collected", || async {
            harness
                .secret_data("alice-zitadel")
                .await
                .is_none()
                .then_some(())
        })
        .await;
}

#[tokio::test]
async fn an_orphaned_user_stays_in_zitadel() {
    let harness = Harness::start().await;
    harness
        .create(
            UserBuilder::machine("bot")
                .deletion_policy(DeletionPolicy::Orphan)
                .build(),
        )
        .await;
    let id = status_user_id(&harness.wait_ready("bot").await);
    harness.delete("bot").await;
    harness.wait_gone("bot").await;
    let kept = harness
        .zitadel()
        .get_user_by_id(&id)
        .await
        .expect("still in ZITADEL");
    assert_eq!(kept.state, ZitadelState::Active);
}

#[tokio::test]
async fn the_api_server_rejects_a_user_that_is_both_human_and_machine() {
    let harness = Harness::start().await;
    let mut user = UserBuilder::human("both").build();
    user.spec.machine = UserBuilder::machine("both").build().spec.machine;
    user.metadata.namespace = Some(harness.namespace.clone());
    let rejected = harness.users().create(&Default::default(), &user).await;
    match rejected {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 422);
            assert!(
                status
                    .message
                    .contains("exactly one of spec.human or spec.machine"),
                "{}",
                status.message
            );
        }
        other => panic!("expected a 422 from the API server, got {other:?}"),
    }
}

#[tokio::test]
async fn the_api_server_rejects_changing_the_organization() {
    let harness = Harness::start().await;
    harness.create(UserBuilder::human("alice").build()).await;
    // A merge patch carries no resourceVersion: the operator's own writes to alice meanwhile
    // (finalizer, status) cannot turn the answer into a 409 conflict.
    let change = serde_json::json!({"spec": {"organizationId": "another"}});
    let rejected = harness
        .users()
        .patch(
            "alice",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&change),
        )
        .await;
    assert!(
        matches!(&rejected, Err(kube::Error::Api(status)) if status.code == 422 && status.message.contains("immutable")),
        "{rejected:?}"
    );
}

#[tokio::test]
async fn the_operator_becomes_ready_and_exports_metrics_without_user_data() {
    let harness = Harness::start().await;
    harness.create(UserBuilder::human("alice").build()).await;
    harness.wait_ready("alice").await;
    let base = format!("http://{}", harness.metrics_addr);
    let get = |path: &'static str| {
        let url = format!("{base}{path}");
        async move { reqwest::get(url).await.ok() }
    };
    harness
        .eventually("/readyz to answer 200", || async {
            get("/readyz")
                .await
                .filter(|r| r.status() == 200)
                .map(|_| ())
        })
        .await;
    let healthz = get("/healthz").await.expect("/healthz answers");
    assert_eq!(healthz.status(), 200);
    let metrics = get("/metrics")
        .await
        .expect("/metrics answers")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(r#"zitadel_user_operator_users{ready="true",state="Active"} 1"#),
        "{metrics}"
    );
    // Labelled by the connection the harness set up (the default one, or a namespaced one
    // against a real cluster), never by URL.
    assert!(
        metrics.lines().any(|line| {
            line.starts_with(r#"zitadel_user_operator_zitadel_requests_total{connection=""#)
                && line.ends_with(r#"",rpc="CreateUser",outcome="ok"} 1"#)
        }),
        "{metrics}"
    );
    assert!(!metrics.contains("alice"), "no user names in metrics");
}
