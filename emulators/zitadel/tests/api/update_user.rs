use serde_json::json;

use crate::common::{BCRYPT_HASH, Fixture, b64};

fn path(id: &str) -> String {
    format!("/v2/users/{id}")
}

#[tokio::test]
async fn the_username_can_change_and_the_old_one_is_free_again() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    fx.patch(&path(&id), json!({"username": "alice.doe"}))
        .await
        .ok();
    assert_eq!(fx.user(&id).await["username"], "alice.doe");
    let other = fx.human("Alice").await;
    assert_ne!(other, id);
}

#[tokio::test]
async fn changing_to_a_taken_username_is_already_exists() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    fx.machine("bot").await;
    fx.patch(&path(&id), json!({"username": "BOT"}))
        .await
        .assert_error(409, 6, "V3-DKcYh");
}

#[tokio::test]
async fn a_profile_update_changes_only_the_given_fields() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let body = json!({"human": {"profile": {"nickName": "Ali", "gender": "GENDER_FEMALE"}}});
    let reply = fx.patch(&path(&id), body).await;
    assert!(reply.ok()["changeDate"].is_string());
    let profile = &fx.user(&id).await["human"]["profile"];
    assert_eq!(profile["givenName"], "Alice");
    assert_eq!(profile["nickName"], "Ali");
    assert_eq!(profile["gender"], "GENDER_FEMALE");
}

#[tokio::test]
async fn an_empty_given_name_is_invalid() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    fx.patch(&path(&id), json!({"human": {"profile": {"givenName": ""}}}))
        .await
        .assert_invalid("GivenName");
}

#[tokio::test]
async fn changing_the_email_resets_its_verification() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let reply = fx
        .patch(
            &path(&id),
            json!({"human": {"email": {"email": "new@example.com"}}}),
        )
        .await;
    assert!(reply.ok().get("emailCode").is_none());
    let email = &fx.user(&id).await["human"]["email"];
    assert_eq!(email["email"], "new@example.com");
    assert!(email.get("isVerified").is_none());
}

#[tokio::test]
async fn changing_the_email_with_is_verified_keeps_it_verified() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    fx.patch(
        &path(&id),
        json!({"human": {"email": {"email": "new@example.com", "isVerified": true}}}),
    )
    .await
    .ok();
    assert_eq!(fx.user(&id).await["human"]["email"]["isVerified"], true);
}

#[tokio::test]
async fn changing_the_email_with_return_code_returns_the_code() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let reply = fx
        .patch(
            &path(&id),
            json!({"human": {"email": {"email": "new@example.com", "returnCode": {}}}}),
        )
        .await;
    assert_eq!(reply.ok()["emailCode"].as_str().unwrap().len(), 6);
}

#[tokio::test]
async fn an_empty_phone_without_verification_removes_the_phone() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let reply = fx
        .patch(
            &path(&id),
            json!({"human": {"phone": {"phone": "+41791234567", "returnCode": {}}}}),
        )
        .await;
    assert_eq!(reply.ok()["phoneCode"].as_str().unwrap().len(), 6);
    assert_eq!(
        fx.user(&id).await["human"]["phone"]["phone"],
        "+41791234567"
    );
    fx.patch(&path(&id), json!({"human": {"phone": {"phone": ""}}}))
        .await
        .ok();
    assert_eq!(fx.user(&id).await["human"]["phone"], json!({}));
}

#[tokio::test]
async fn removing_the_phone_with_a_verification_is_invalid() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let body = json!({"human": {"phone": {"phone": "", "isVerified": true}}});
    fx.patch(&path(&id), body)
        .await
        .assert_error(400, 3, "USERv2-4f3d6");
}

#[tokio::test]
async fn setting_a_password_records_change_required() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let body = json!({"human": {"password": {"hashedPassword": {"hash": BCRYPT_HASH, "changeRequired": true}}}});
    fx.patch(&path(&id), body).await.ok();
    assert_eq!(fx.user(&id).await["human"]["passwordChangeRequired"], true);
}

#[tokio::test]
async fn machine_fields_update() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let body = json!({"machine": {"name": "Bot", "description": "deploys", "accessTokenType": "ACCESS_TOKEN_TYPE_JWT"}});
    fx.patch(&path(&id), body).await.ok();
    assert_eq!(
        fx.user(&id).await["machine"],
        json!({"name": "Bot", "description": "deploys", "accessTokenType": "ACCESS_TOKEN_TYPE_JWT"})
    );
}

#[tokio::test]
async fn root_metadata_merges_and_an_empty_value_deletes() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let set =
        json!({"metadata": [{"key": "a", "value": b64(b"1")}, {"key": "b", "value": b64(b"2")}]});
    fx.patch(&path(&id), set).await.ok();
    fx.patch(&path(&id), json!({"metadata": [{"key": "a", "value": ""}]}))
        .await
        .ok();
    let metadata = fx.emulator.user_metadata(&id);
    assert_eq!(metadata.keys().collect::<Vec<_>>(), vec!["b"]);
}

#[tokio::test]
async fn a_no_op_update_succeeds_without_a_change() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let before = fx.user(&id).await;
    let reply = fx
        .patch(
            &path(&id),
            json!({"username": "alice", "human": {"profile": {"givenName": "Alice"}}}),
        )
        .await;
    assert_eq!(reply.ok()["changeDate"], before["details"]["changeDate"]);
    assert_eq!(fx.user(&id).await, before);
}

#[tokio::test]
async fn human_fields_on_a_machine_are_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    fx.patch(&path(&id), json!({"human": {"profile": {"nickName": "x"}}}))
        .await
        .assert_error(400, 9, "COMMAND-uTsNQ");
}

#[tokio::test]
async fn machine_fields_on_a_human_are_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    fx.patch(&path(&id), json!({"machine": {"name": "x"}}))
        .await
        .assert_error(400, 9, "COMMAND-sd8Rg");
}

#[tokio::test]
async fn updating_a_missing_user_is_not_found() {
    let fx = Fixture::start().await;
    fx.patch(&path("nobody"), json!({"username": "x"}))
        .await
        .assert_error(404, 5, "QUERY-Dfbg2");
}

#[tokio::test]
async fn verifying_the_email_of_an_initial_user_activates_it() {
    let fx = Fixture::start().await;
    let body = crate::common::with(
        crate::common::human_request(&fx.org),
        "/human/email",
        json!({"email": "a@example.com"}),
    );
    let id = fx.create_ok(body).await;
    fx.patch(
        &path(&id),
        json!({"human": {"email": {"email": "a@example.com", "isVerified": true}}}),
    )
    .await
    .ok();
    assert_eq!(fx.user(&id).await["state"], "USER_STATE_ACTIVE");
}
