use serde_json::json;

use crate::common::{BCRYPT_HASH, Fixture, PASSWORD, human_request, human_with_password, with};

fn is_code(value: &serde_json::Value) -> bool {
    value.as_str().is_some_and(|code| {
        code.len() == 6
            && code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

#[tokio::test]
async fn send_email_code_with_return_code_returns_the_code() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let reply = fx
        .post(
            &format!("/v2/users/{id}/email/send"),
            json!({"returnCode": {}}),
        )
        .await;
    assert!(is_code(&reply.ok()["verificationCode"]));
    assert_eq!(reply.body["details"]["resourceOwner"], fx.org);
}

#[tokio::test]
async fn send_email_code_with_send_code_returns_no_code() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let reply = fx
        .post(
            &format!("/v2/users/{id}/email/send"),
            json!({"sendCode": {}}),
        )
        .await;
    assert!(reply.ok().get("verificationCode").is_none());
}

#[tokio::test]
async fn resending_an_email_code_without_a_pending_code_is_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    fx.post(
        &format!("/v2/users/{id}/email/resend"),
        json!({"returnCode": {}}),
    )
    .await
    .assert_error(400, 9, "EMAIL-5w5ilin4yt");
}

#[tokio::test]
async fn resending_a_pending_email_code_returns_a_new_code() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/email",
        json!({"email": "a@example.com", "returnCode": {}}),
    );
    let id = fx.create_ok(body).await;
    let reply = fx
        .post(
            &format!("/v2/users/{id}/email/resend"),
            json!({"returnCode": {}}),
        )
        .await;
    assert!(is_code(&reply.ok()["verificationCode"]));
}

#[tokio::test]
async fn resending_a_phone_code_needs_a_pending_phone_code() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let path = format!("/v2/users/{id}/phone/resend");
    fx.post(&path, json!({"returnCode": {}}))
        .await
        .assert_error(400, 9, "PHONE-5xrra88eq8");
    fx.patch(
        &format!("/v2/users/{id}"),
        json!({"human": {"phone": {"phone": "+41791234567", "sendCode": {}}}}),
    )
    .await
    .ok();
    assert!(is_code(
        &fx.post(&path, json!({"returnCode": {}})).await.ok()["verificationCode"]
    ));
}

#[tokio::test]
async fn create_invite_code_with_return_code_returns_the_code() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let reply = fx
        .post(
            &format!("/v2/users/{id}/invite_code"),
            json!({"returnCode": {}}),
        )
        .await;
    assert!(is_code(&reply.ok()["inviteCode"]));
    let sent = fx
        .post(
            &format!("/v2/users/{id}/invite_code"),
            json!({"sendCode": {"applicationName": "App"}}),
        )
        .await;
    assert!(sent.ok().get("inviteCode").is_none());
}

#[tokio::test]
async fn a_passkey_link_with_return_code_returns_code_id_and_code() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let reply = fx
        .post(
            &format!("/v2/users/{id}/passkeys/registration_link"),
            json!({"returnCode": {}}),
        )
        .await;
    let code = &reply.ok()["code"];
    assert!(code["id"].is_string() && code["code"].is_string(), "{code}");
    assert!(reply.body.get("link").is_none());
}

#[tokio::test]
async fn a_passkey_link_sent_by_mail_returns_only_details() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let template = "https://x/register?u={{.UserID}}&o={{.OrgID}}&c={{.CodeID}}&k={{.Code}}";
    let reply = fx
        .post(
            &format!("/v2/users/{id}/passkeys/registration_link"),
            json!({"sendLink": {"urlTemplate": template}}),
        )
        .await;
    assert_eq!(
        reply.ok().as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["details"]
    );
}

#[tokio::test]
async fn an_invite_code_for_a_machine_user_is_a_failed_precondition_user_not_found() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    fx.invite_code(&id)
        .await
        .assert_error(400, 9, "COMMAND-Wgvn4");
}

#[tokio::test]
async fn a_passkey_link_for_a_machine_user_is_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    fx.post(
        &format!("/v2/users/{id}/passkeys/registration_link"),
        json!({"returnCode": {}}),
    )
    .await
    .assert_error(400, 9, "COMMAND-uTsNQ");
}

/// Asserts ZITADEL's refusal of CreateInviteCode for a user that can already authenticate.
#[track_caller]
fn assert_already_initialised(reply: &crate::common::Reply) {
    reply.assert_error(400, 9, "COMMAND-EF34g");
    assert_eq!(
        reply.body["message"],
        "Errors.User.AlreadyInitialised (COMMAND-EF34g)"
    );
}

#[tokio::test]
async fn an_invite_code_is_refused_for_a_human_created_with_a_password() {
    let fx = Fixture::start().await;
    let id = fx.create_ok(human_with_password(&fx.org)).await;
    assert_already_initialised(&fx.invite_code(&id).await);
}

#[tokio::test]
async fn an_invite_code_is_refused_for_a_human_created_with_a_hashed_password() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/hashedPassword",
        json!({"hash": BCRYPT_HASH}),
    );
    let id = fx.create_ok(body).await;
    assert_already_initialised(&fx.invite_code(&id).await);
}

#[tokio::test]
async fn an_invite_code_is_refused_for_a_human_created_with_an_idp_link() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/idpLinks",
        json!([{"idpId": "idp-1", "userId": "ext-1", "userName": "alice"}]),
    );
    let id = fx.create_ok(body).await;
    assert_already_initialised(&fx.invite_code(&id).await);
}

#[tokio::test]
async fn an_invite_code_is_refused_once_the_human_registered_a_passkey() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    fx.invite_code(&id).await.ok();
    assert!(fx.emulator.register_passkey(&id));
    assert_already_initialised(&fx.invite_code(&id).await);
}

#[tokio::test]
async fn an_invite_code_is_refused_once_the_invite_was_completed() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    fx.invite_code(&id).await.ok();
    assert!(fx.emulator.complete_invite(&id));
    assert_already_initialised(&fx.invite_code(&id).await);
}

#[tokio::test]
async fn an_invite_code_is_refused_once_a_password_was_set_by_update_user() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    fx.patch(
        &format!("/v2/users/{id}"),
        json!({"human": {"password": {"password": {"password": PASSWORD}}}}),
    )
    .await
    .ok();
    assert_already_initialised(&fx.invite_code(&id).await);
}

#[tokio::test]
async fn a_verified_email_does_not_stop_invite_codes() {
    let fx = Fixture::start().await;
    // The fixture human's email is verified at creation.
    let id = fx.human("alice").await;
    assert!(is_code(&fx.invite_code(&id).await.ok()["inviteCode"]));
}

#[tokio::test]
async fn a_totp_secret_does_not_stop_invite_codes() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/totpSecret",
        json!("JBSWY3DPEHPK3PXP"),
    );
    let id = fx.create_ok(body).await;
    fx.invite_code(&id).await.ok();
}

#[tokio::test]
async fn a_new_invite_code_replaces_the_previous_one() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let first = fx.invite_code(&id).await.ok()["inviteCode"].clone();
    let second = fx.invite_code(&id).await.ok()["inviteCode"].clone();
    let (first, second) = (first.as_str().unwrap(), second.as_str().unwrap());
    assert!(fx.emulator.invite_code_is_valid(&id, second));
    assert!(first == second || !fx.emulator.invite_code_is_valid(&id, first));
}

#[tokio::test]
async fn completing_the_invite_uses_up_the_invite_code() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let reply = fx.invite_code(&id).await;
    let code = reply.ok()["inviteCode"].as_str().unwrap();
    fx.emulator.complete_invite(&id);
    assert!(!fx.emulator.invite_code_is_valid(&id, code));
    let user = fx.user(&id).await;
    assert!(user["human"].get("passwordChanged").is_some(), "{user}");
}

#[tokio::test]
async fn verifying_a_new_email_voids_the_pending_invite_code() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let reply = fx.invite_code(&id).await;
    let code = reply.ok()["inviteCode"].as_str().unwrap();
    fx.patch(
        &format!("/v2/users/{id}"),
        json!({"human": {"email": {"email": "new@example.com", "isVerified": true}}}),
    )
    .await
    .ok();
    assert!(!fx.emulator.invite_code_is_valid(&id, code));
}

#[tokio::test]
async fn a_newer_passkey_link_leaves_older_codes_valid() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let (first_id, first) = fx.passkey_code(&id).await;
    let (second_id, second) = fx.passkey_code(&id).await;
    assert_ne!(first_id, second_id);
    assert!(fx.emulator.passkey_code_is_valid(&id, &first_id, &first));
    assert!(fx.emulator.passkey_code_is_valid(&id, &second_id, &second));
    assert!(!fx.emulator.passkey_code_is_valid(&id, &first_id, &second));
}

#[tokio::test]
async fn registering_a_passkey_uses_up_the_newest_link() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let (first_id, first) = fx.passkey_code(&id).await;
    let (second_id, second) = fx.passkey_code(&id).await;
    fx.emulator.register_passkey(&id);
    assert!(!fx.emulator.passkey_code_is_valid(&id, &second_id, &second));
    assert!(fx.emulator.passkey_code_is_valid(&id, &first_id, &first));
}

#[tokio::test]
async fn issued_counters_count_returned_and_sent_codes_but_not_refusals() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    fx.invite_code(&id).await.ok();
    fx.post(
        &format!("/v2/users/{id}/invite_code"),
        json!({"sendCode": {}}),
    )
    .await
    .ok();
    fx.passkey_code(&id).await;
    fx.post(
        &format!("/v2/users/{id}/passkeys/registration_link"),
        json!({"sendLink": {}}),
    )
    .await
    .ok();
    fx.emulator.complete_invite(&id);
    fx.invite_code(&id).await;
    assert_eq!(fx.emulator.invite_codes_issued(&id), 2);
    assert_eq!(fx.emulator.passkey_links_issued(&id), 2);
    assert_eq!(fx.emulator.invite_codes_issued("nobody"), 0);
}
