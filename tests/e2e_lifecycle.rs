//! End-to-end: the rest of a user's life. Machine credentials a workload can use, rotated and
//! revoked exactly once even when answers are lost; invites, passkey links and codes issued again
//! on request; deactivation; a locked user left locked.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use support::consumer::Consumer;
use support::e2e::{Harness, Options};
use zitadel_emulator::{Fault, GrpcCode};
use zitadel_user_operator::crd::{
    CredentialKind, DesiredState, EmailVerification, InviteDelivery, InviteProgress, User,
    UserState,
};
use zitadel_user_operator::fixtures::UserBuilder;
use zitadel_user_operator::names::{REISSUE_ANNOTATION, ROTATE_ANNOTATION};

/// Options that resync every 300 ms, so a test sees several resyncs.
fn resyncing_often() -> Options {
    Options {
        resync_interval: Duration::from_millis(300),
        ..Options::default()
    }
}

/// Asserts that an event with `reason` was published on `name`.
async fn assert_event(harness: &Harness, name: &str, reason: &str) {
    let events = harness.events_of(name).await;
    assert!(
        events.iter().any(|e| e.reason.as_deref() == Some(reason)),
        "no {reason} event on {name}"
    );
}

/// Options with a generous ZITADEL deadline: an AddKey (RSA key generation) must not time out on
/// a loaded machine, which would lose one more answer than the test counts.
fn patient() -> Options {
    Options {
        zitadel_timeout: Duration::from_secs(15),
        ..Options::default()
    }
}

fn unavailable(times: usize) -> Fault {
    Fault::Fail {
        times,
        code: GrpcCode::Unavailable,
    }
}

fn user_id(user: &User) -> String {
    user.status
        .as_ref()
        .and_then(|s| s.user_id.clone())
        .expect("status.userId")
}

/// A machine user `bot` with a client secret, a key `default` and a token `ci`.
fn bot() -> UserBuilder {
    UserBuilder::machine("bot")
        .username("bot")
        .client_secret()
        .key("default", "8760h", None)
        .pat("ci", "2160h", Some("168h"))
}

async fn bot_secret(harness: &Harness) -> BTreeMap<String, String> {
    harness
        .secret_data("bot-zitadel")
        .await
        .expect("the bot's Secret exists")
}

/// ZITADEL holds exactly the credentials of `id` the Secret holds: one key and one token, and
/// each value in the Secret works.
async fn assert_exactly_the_stored_credentials_work(harness: &Harness, id: &str) {
    let zitadel = &harness.emulators().zitadel;
    let data = bot_secret(harness).await;
    let consumer = Consumer::new(harness.zitadel_url());
    assert_eq!(zitadel.user_pat_ids(id).len(), 1, "one token in ZITADEL");
    assert_eq!(zitadel.user_key_ids(id).len(), 1, "one key in ZITADEL");
    assert!(
        consumer.pat_works(&data["ci.token"], id).await,
        "stored token works"
    );
    assert!(
        consumer.key_file_works(&data["default.json"], id).await,
        "stored key file works"
    );
    assert!(
        consumer
            .client_secret_works(&data["clientId"], &data["clientSecret"], id)
            .await,
        "stored client secret works"
    );
}

#[tokio::test]
async fn every_stored_machine_credential_authenticates_a_workload_as_the_machine_user() {
    let harness = Harness::start().await;
    harness.create(bot().build()).await;
    let ready = harness.wait_ready("bot").await;
    let id = user_id(&ready);

    assert_exactly_the_stored_credentials_work(&harness, &id).await;
    let data = bot_secret(&harness).await;
    assert_eq!(data["clientId"], "bot", "the client id is the username");
    let key_file: serde_json::Value = serde_json::from_str(&data["default.json"]).unwrap();
    assert_eq!(key_file["type"], "serviceaccount");
    assert_eq!(key_file["userId"], id.as_str());

    let status = ready.status.unwrap();
    let recorded: Vec<_> = status
        .credentials
        .iter()
        .map(|c| {
            (
                c.kind,
                c.name.as_str(),
                c.id.is_some(),
                c.expires_at.is_some(),
            )
        })
        .collect();
    assert_eq!(
        recorded,
        [
            (CredentialKind::ClientSecret, "clientSecret", false, false),
            (CredentialKind::Key, "default", true, true),
            (CredentialKind::PersonalAccessToken, "ci", true, true),
        ]
    );
    let serialized = serde_json::to_string(&status).unwrap();
    for (key, value) in &data {
        // The client id is the username, which the status may name; everything else is secret.
        let secret = key != "clientId";
        assert!(
            !(secret && serialized.contains(value.as_str())),
            "{key} in the status"
        );
    }
}

#[tokio::test]
async fn a_token_near_expiry_is_rotated_and_its_predecessor_revoked_after_the_grace_period() {
    let harness = Harness::start().await;
    // Lifetime 60 s, rotated 52 s before expiry: due 8 s after issue; the old one lives 3 s more.
    let user = UserBuilder::machine("bot")
        .pat("ci", "60s", Some("52s"))
        .rotation_grace_period("3s")
        .build();
    harness.create(user).await;
    let id = user_id(&harness.wait_ready("bot").await);
    let first = bot_secret(&harness).await["ci.token"].clone();
    let zitadel = &harness.emulators().zitadel;
    let consumer = Consumer::new(harness.zitadel_url());

    let second = harness
        .eventually("the token to be rotated", || async {
            let token = bot_secret(&harness).await["ci.token"].clone();
            (token != first).then_some(token)
        })
        .await;
    assert_eq!(
        zitadel.user_pat_ids(&id).len(),
        2,
        "the predecessor is still valid"
    );
    assert!(
        consumer.pat_works(&first, &id).await,
        "during the grace period"
    );
    assert!(consumer.pat_works(&second, &id).await);

    harness
        .eventually("the predecessor to be revoked", || async {
            (zitadel.user_pat_ids(&id).len() == 1).then_some(())
        })
        .await;
    assert!(
        !consumer.pat_works(&first, &id).await,
        "revoked after the grace period"
    );
    assert!(consumer.pat_works(&second, &id).await);
    assert_event(&harness, "bot", "CredentialRotated").await;
    assert_event(&harness, "bot", "CredentialRevoked").await;
}

#[tokio::test]
async fn the_rotate_annotation_rotates_every_credential_once_per_value() {
    let harness = Harness::start().await;
    harness.create(bot().build()).await;
    let id = user_id(&harness.wait_ready("bot").await);
    let before = bot_secret(&harness).await;
    let zitadel = &harness.emulators().zitadel;
    let consumer = Consumer::new(harness.zitadel_url());

    harness
        .annotate("bot", ROTATE_ANNOTATION, "2026-12-01")
        .await;
    let rotated = harness
        .wait_for("bot", "rotatedFor 2026-12-01", |user| {
            user.status.as_ref().and_then(|s| s.rotated_for.as_deref()) == Some("2026-12-01")
        })
        .await;
    let after = bot_secret(&harness).await;
    for key in ["ci.token", "default.json", "clientSecret"] {
        assert_ne!(before[key], after[key], "{key} was rotated");
    }
    // Default grace period 1 h: the old key and token still work, the old client secret not
    // (ZITADEL keeps one secret per user).
    assert_eq!(zitadel.user_pat_ids(&id).len(), 2);
    assert_eq!(zitadel.user_key_ids(&id).len(), 2);
    assert!(consumer.pat_works(&before["ci.token"], &id).await);
    assert!(
        !consumer
            .client_secret_works("bot", &before["clientSecret"], &id)
            .await
    );
    let retiring = rotated
        .status
        .unwrap()
        .credentials
        .iter()
        .filter(|c| c.revoke_at.is_some())
        .count();
    assert_eq!(
        retiring, 2,
        "the predecessors are listed with their revocation time"
    );

    // Another reconcile with the same value (a spec edit starts one) rotates nothing again.
    zitadel.reset_call_counts();
    harness
        .edit("bot", |user| {
            user.spec
                .metadata
                .insert("team".to_owned(), "ci".to_owned());
        })
        .await;
    harness.wait_ready_at("bot", 2).await;
    for rpc in ["AddPersonalAccessToken", "AddKey", "AddSecret"] {
        assert_eq!(
            zitadel.calls(rpc),
            0,
            "{rpc}: the same value rotates nothing again"
        );
    }
}

/// Loses the answer to the first `rpc` call (ZITADEL executes it) and checks the user ends with
/// exactly the stored credentials valid.
async fn lose_the_first_answer_of(rpc: &str) {
    let mut harness = Harness::environment(patient()).await;
    harness
        .emulators()
        .zitadel
        .inject(rpc, Fault::DropAfterApply { times: 1 });
    harness.start_operator();
    harness.create(bot().build()).await;
    let id = user_id(&harness.wait_ready("bot").await);
    assert_eq!(
        harness.emulators().zitadel.calls(rpc),
        2,
        "{rpc} was called again"
    );
    assert_exactly_the_stored_credentials_work(&harness, &id).await;
}

#[tokio::test]
async fn a_lost_add_personal_access_token_answer_leaves_no_orphan_token() {
    lose_the_first_answer_of("AddPersonalAccessToken").await;
}

#[tokio::test]
async fn a_lost_add_key_answer_leaves_no_orphan_key() {
    lose_the_first_answer_of("AddKey").await;
}

#[tokio::test]
async fn a_lost_add_secret_answer_is_healed_by_adding_it_again() {
    lose_the_first_answer_of("AddSecret").await;
}

/// Fails the Secret write that stores the value `add` returned for the only credential of
/// `user`; checks the value was revoked with `remove` and the user ends with one that works.
async fn fail_the_value_write(user: UserBuilder, add: &str, remove: &str) -> (Harness, String) {
    let mut harness = Harness::environment(patient()).await;
    // The first write creates the Secret with the pending record; the second, with the value,
    // is a replace ("update"): it fails once.
    harness
        .emulators()
        .kube
        .fail_next("update", "secrets", None, 1, 500);
    harness.start_operator();
    harness.create(user.build()).await;
    let id = user_id(&harness.wait_ready("bot").await);
    let zitadel = &harness.emulators().zitadel;
    assert_eq!(zitadel.calls(add), 2, "{add} again after the failed write");
    assert_eq!(zitadel.calls(remove), 1, "the unstored value was revoked");
    (harness, id)
}

#[tokio::test]
async fn a_failed_secret_write_after_add_personal_access_token_revokes_the_unstored_token() {
    let bot = UserBuilder::machine("bot").pat("ci", "2160h", None);
    let (harness, id) =
        fail_the_value_write(bot, "AddPersonalAccessToken", "RemovePersonalAccessToken").await;
    assert_eq!(harness.emulators().zitadel.user_pat_ids(&id).len(), 1);
    let token = bot_secret(&harness).await["ci.token"].clone();
    let consumer = Consumer::new(harness.zitadel_url());
    assert!(consumer.pat_works(&token, &id).await);
}

#[tokio::test]
async fn a_failed_secret_write_after_add_key_revokes_the_unstored_key() {
    let bot = UserBuilder::machine("bot").key("default", "8760h", None);
    let (harness, id) = fail_the_value_write(bot, "AddKey", "RemoveKey").await;
    assert_eq!(harness.emulators().zitadel.user_key_ids(&id).len(), 1);
    let key_file = bot_secret(&harness).await["default.json"].clone();
    let consumer = Consumer::new(harness.zitadel_url());
    assert!(consumer.key_file_works(&key_file, &id).await);
}

#[tokio::test]
async fn a_failed_secret_write_after_add_secret_removes_the_unstored_secret() {
    let bot = UserBuilder::machine("bot").username("bot").client_secret();
    let (harness, id) = fail_the_value_write(bot, "AddSecret", "RemoveSecret").await;
    let data = bot_secret(&harness).await;
    let consumer = Consumer::new(harness.zitadel_url());
    assert!(
        consumer
            .client_secret_works(&data["clientId"], &data["clientSecret"], &id)
            .await
    );
}

#[tokio::test]
async fn a_crash_after_issuing_before_storing_is_healed_by_revoking_the_orphan() {
    let mut harness = Harness::environment(Options::default()).await;
    // Every Secret update fails until the crash: the values never reach the Secret, and the
    // revocation after the failed write fails too, as a crash would leave it.
    harness
        .emulators()
        .kube
        .fail_next("update", "secrets", None, usize::MAX, 500);
    harness
        .emulators()
        .zitadel
        .inject("RemovePersonalAccessToken", unavailable(1));
    harness.start_operator();
    harness
        .create(UserBuilder::machine("bot").pat("ci", "2160h", None).build())
        .await;
    harness.wait_reason("bot", "KubernetesUnavailable").await;
    harness.crash_operator().await;
    harness.emulators().kube.clear_faults();
    harness.emulators().zitadel.clear_faults();
    harness.start_operator();
    let id = user_id(&harness.wait_ready("bot").await);

    let zitadel = &harness.emulators().zitadel;
    assert_eq!(
        zitadel.user_pat_ids(&id).len(),
        1,
        "no orphan token is left"
    );
    let token = bot_secret(&harness).await["ci.token"].clone();
    assert!(
        Consumer::new(harness.zitadel_url())
            .pat_works(&token, &id)
            .await
    );
}

#[tokio::test]
async fn a_token_deleted_in_zitadel_is_recreated_with_an_event() {
    let options = Options {
        credential_check_interval: Duration::from_secs(1),
        ..resyncing_often()
    };
    let harness = Harness::start_with(options).await;
    harness
        .create(UserBuilder::machine("bot").pat("ci", "2160h", None).build())
        .await;
    let id = user_id(&harness.wait_ready("bot").await);
    let first = bot_secret(&harness).await["ci.token"].clone();
    let token_id = harness.emulators().zitadel.user_pat_ids(&id)[0].clone();
    harness
        .zitadel()
        .remove_personal_access_token(&id, &token_id)
        .await
        .unwrap();

    let second = harness
        .eventually("the token to be recreated", || async {
            let token = bot_secret(&harness).await["ci.token"].clone();
            (token != first).then_some(token)
        })
        .await;
    assert!(
        Consumer::new(harness.zitadel_url())
            .pat_works(&second, &id)
            .await
    );
    assert_event(&harness, "bot", "CredentialRecreated").await;
}

#[tokio::test]
async fn a_credential_removed_from_the_spec_is_revoked_and_leaves_the_secret() {
    let harness = Harness::start().await;
    harness.create(bot().build()).await;
    let id = user_id(&harness.wait_ready("bot").await);
    let token = bot_secret(&harness).await["ci.token"].clone();
    harness
        .edit("bot", |user| {
            let credentials = user
                .spec
                .machine
                .as_mut()
                .unwrap()
                .credentials
                .as_mut()
                .unwrap();
            credentials.personal_access_tokens.clear();
        })
        .await;
    harness.wait_ready_at("bot", 2).await;

    let data = bot_secret(&harness).await;
    assert!(!data.contains_key("ci.token"));
    assert!(data.contains_key("default.json"), "the key stays");
    assert!(harness.emulators().zitadel.user_pat_ids(&id).is_empty());
    assert!(
        !Consumer::new(harness.zitadel_url())
            .pat_works(&token, &id)
            .await
    );
}

#[tokio::test]
async fn an_invite_code_lands_in_the_secret_and_onboarding_ends_once_the_person_has_logged_in() {
    let harness = Harness::start_with(resyncing_often()).await;
    harness
        .create(
            UserBuilder::human("alice")
                .email("alice@acme.example", EmailVerification::ReturnCode)
                .invite(InviteDelivery::ReturnCode)
                .build(),
        )
        .await;
    let ready = harness.wait_ready("alice").await;
    let id = user_id(&ready);
    let zitadel = &harness.emulators().zitadel;
    let code = harness.secret_data("alice-zitadel").await.unwrap()["inviteCode"].clone();
    assert!(zitadel.invite_code_is_valid(&id, &code));
    let onboarding = ready.status.unwrap().onboarding.unwrap();
    assert_eq!(onboarding.invite, Some(InviteProgress::Issued));

    // Resyncs issue nothing new.
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(zitadel.invite_codes_issued(&id), 1);

    // The person accepts the invite and sets a password: the next resync sees it.
    assert!(zitadel.complete_invite(&id));
    wait_for_invite(&harness, "alice", InviteProgress::Completed).await;
    harness.annotate("alice", REISSUE_ANNOTATION, "1").await;
    let done = harness
        .wait_for("alice", "reissuedFor 1", |user| {
            user.status.as_ref().and_then(|s| s.reissued_for.as_deref()) == Some("1")
        })
        .await;
    assert_eq!(onboarding_invite(&done), Some(InviteProgress::Completed));
    zitadel.reset_call_counts();
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(zitadel.calls("CreateInviteCode"), 0, "never asked again");
}

fn onboarding_invite(user: &User) -> Option<InviteProgress> {
    user.status.as_ref()?.onboarding.as_ref()?.invite
}

async fn wait_for_invite(harness: &Harness, name: &str, progress: InviteProgress) -> User {
    harness
        .wait_for(name, &format!("invite {progress:?}"), |user| {
            onboarding_invite(user) == Some(progress)
        })
        .await
}

#[tokio::test]
async fn a_passkey_the_person_registered_ends_onboarding_when_zitadel_refuses_the_next_invite() {
    let harness = Harness::start().await;
    let user = UserBuilder::human("alice")
        .invite(InviteDelivery::ReturnCode)
        .passkey_registration(None);
    harness.create(user.build()).await;
    let id = user_id(&wait_for_invite(&harness, "alice", InviteProgress::Issued).await);
    let zitadel = &harness.emulators().zitadel;
    // A passkey does not show in GetUserByID: only ZITADEL's refusal of an invite reveals it.
    assert!(zitadel.register_passkey(&id));
    harness
        .annotate("alice", REISSUE_ANNOTATION, "after-passkey")
        .await;
    wait_for_invite(&harness, "alice", InviteProgress::Completed).await;
    assert_eq!(
        zitadel.invite_codes_issued(&id),
        1,
        "the refused invite issued nothing"
    );
    assert_event(&harness, "alice", "OnboardingCompleted").await;
}

#[tokio::test]
async fn reissue_issues_each_code_once_per_value_even_across_a_crash_in_the_middle() {
    let mut harness = Harness::start().await;
    harness
        .create(
            UserBuilder::human("alice")
                .email("alice@acme.example", EmailVerification::ReturnCode)
                .invite(InviteDelivery::ReturnCode)
                .passkey_registration(Some(
                    "https://login.example/passkey?u={{.UserID}}&c={{.CodeID}}&k={{.Code}}",
                ))
                .build(),
        )
        .await;
    let id = user_id(&harness.wait_ready("alice").await);
    let zitadel = &harness.emulators().zitadel;
    assert_eq!(zitadel.invite_codes_issued(&id), 1);
    assert_eq!(zitadel.passkey_links_issued(&id), 1);
    let first = harness.secret_data("alice-zitadel").await.unwrap();
    assert_eq!(
        first["passkeyLink"],
        format!(
            "https://login.example/passkey?u={id}&c={}&k={}",
            first["passkeyCodeId"], first["passkeyCode"]
        )
    );

    // The passkey link fails after the invite was issued for the new value, then the operator
    // crashes: the restarted operator must not issue the invite a second time.
    harness
        .emulators()
        .zitadel
        .inject("CreatePasskeyRegistrationLink", unavailable(usize::MAX));
    harness.annotate("alice", REISSUE_ANNOTATION, "r1").await;
    harness.wait_reason("alice", "ZitadelUnavailable").await;
    harness.crash_operator().await;
    harness.emulators().zitadel.clear_faults();
    harness.start_operator();
    let done = harness
        .wait_for("alice", "reissuedFor r1", |user| {
            user.status.as_ref().and_then(|s| s.reissued_for.as_deref()) == Some("r1")
        })
        .await;

    let zitadel = &harness.emulators().zitadel;
    assert_eq!(
        zitadel.invite_codes_issued(&id),
        2,
        "the invite once more, not twice"
    );
    assert_eq!(zitadel.passkey_links_issued(&id), 2);
    let data = harness.secret_data("alice-zitadel").await.unwrap();
    assert!(zitadel.invite_code_is_valid(&id, &data["inviteCode"]));
    assert!(zitadel.passkey_code_is_valid(&id, &data["passkeyCodeId"], &data["passkeyCode"]));
    assert!(zitadel.email_code_is_valid(&id, &data["emailCode"]));
    assert_ne!(
        first["emailCode"], data["emailCode"],
        "the unverified email got a new code"
    );
    assert_eq!(
        support::e2e::ready_reason(&done),
        Some(("True", "Reconciled"))
    );
}

#[tokio::test]
async fn spec_state_deactivates_and_reactivates_the_user_with_events() {
    let harness = Harness::start().await;
    harness
        .create(
            UserBuilder::human("alice")
                .state(DesiredState::Inactive)
                .build(),
        )
        .await;
    let ready = harness.wait_ready("alice").await;
    let id = user_id(&ready);
    assert_eq!(ready.status.unwrap().state, Some(UserState::Inactive));
    let zitadel_state =
        |harness: &Harness| harness.emulators().zitadel.user(&id).unwrap()["state"].clone();
    assert_eq!(zitadel_state(&harness), "USER_STATE_INACTIVE");

    harness
        .edit("alice", |user| user.spec.state = Some(DesiredState::Active))
        .await;
    let ready = harness.wait_ready_at("alice", 2).await;
    assert_eq!(ready.status.unwrap().state, Some(UserState::Active));
    assert_eq!(zitadel_state(&harness), "USER_STATE_ACTIVE");
    assert_event(&harness, "alice", "Deactivated").await;
    assert_event(&harness, "alice", "Reactivated").await;
}

#[tokio::test]
async fn a_user_locked_by_zitadel_stays_locked_and_ready() {
    let harness = Harness::start_with(resyncing_often()).await;
    harness
        .create(
            UserBuilder::human("alice")
                .state(DesiredState::Active)
                .build(),
        )
        .await;
    let id = user_id(&harness.wait_ready("alice").await);
    let zitadel = &harness.emulators().zitadel;
    assert!(zitadel.lock_user(&id));

    let locked = harness
        .wait_for("alice", "status.state Locked", |user| {
            user.status.as_ref().and_then(|s| s.state) == Some(UserState::Locked)
        })
        .await;
    assert_eq!(
        support::e2e::ready_reason(&locked),
        Some(("True", "Reconciled"))
    );
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(zitadel.user(&id).unwrap()["state"], "USER_STATE_LOCKED");
    for rpc in ["UnlockUser", "ReactivateUser", "DeactivateUser"] {
        assert_eq!(zitadel.calls(rpc), 0, "{rpc}");
    }
    assert_event(&harness, "alice", "Locked").await;
}
