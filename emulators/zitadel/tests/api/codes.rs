use serde_json::json;

use crate::common::{Fixture, human_request, with};

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
async fn codes_for_machine_users_are_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    fx.post(
        &format!("/v2/users/{id}/invite_code"),
        json!({"returnCode": {}}),
    )
    .await
    .assert_error(400, 9, "COMMAND-uTsNQ");
}
