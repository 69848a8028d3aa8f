use std::time::Duration;

use serde_json::json;
use zitadel_emulator::EmulatorConfig;

use crate::common::{BCRYPT_HASH, Fixture, config, human_request, machine_request, with};

#[tokio::test]
async fn get_returns_the_user_in_the_documented_shape() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let reply = fx.get(&format!("/v2/users/{id}")).await;
    let body = reply.ok();
    assert_eq!(body["details"]["resourceOwner"], fx.org);
    let user = &body["user"];
    assert_eq!(user["userId"], id);
    assert_eq!(user["details"]["resourceOwner"], fx.org);
    assert_eq!(user["loginNames"], json!(["alice"]));
    assert_eq!(user["preferredLoginName"], "alice");
    assert_eq!(user["human"]["profile"]["givenName"], "Alice");
    assert_eq!(user["human"]["profile"]["displayName"], "Alice Doe");
    assert_eq!(
        user["human"]["email"],
        json!({"email": "alice@example.com", "isVerified": true})
    );
}

#[tokio::test]
async fn a_human_with_a_verified_email_starts_active() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    assert_eq!(fx.user(&id).await["state"], "USER_STATE_ACTIVE");
}

#[tokio::test]
async fn a_human_with_a_password_starts_active() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/email",
        json!({"email": "a@example.com", "returnCode": {}}),
    );
    let id = fx
        .create_ok(with(
            body,
            "/human/hashedPassword",
            json!({"hash": BCRYPT_HASH}),
        ))
        .await;
    assert_eq!(fx.user(&id).await["state"], "USER_STATE_ACTIVE");
}

/// v2 CreateUser never writes an initial code, so even a human without password and without a
/// verified email is active (ZITADEL's `AddUserHuman(…, allowInitMail=false)`).
#[tokio::test]
async fn a_human_without_verified_email_or_password_starts_active() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/email",
        json!({"email": "a@example.com", "returnCode": {}}),
    );
    let id = fx.create_ok(body).await;
    let user = fx.user(&id).await;
    assert_eq!(user["state"], "USER_STATE_ACTIVE");
    assert!(user["human"]["email"].get("isVerified").is_none());
}

#[tokio::test]
async fn a_machine_starts_active() {
    let fx = Fixture::start().await;
    let id = fx.create_ok(machine_request(&fx.org)).await;
    let user = fx.user(&id).await;
    assert_eq!(user["state"], "USER_STATE_ACTIVE");
    assert_eq!(user["machine"]["name"], "CI bot");
}

#[tokio::test]
async fn password_change_required_is_reflected() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/password",
        json!({"password": "Sup3r-Secret", "changeRequired": true}),
    );
    let id = fx.create_ok(body).await;
    let human = &fx.user(&id).await["human"];
    assert_eq!(human["passwordChangeRequired"], true);
    assert!(human["passwordChanged"].is_string());
}

#[tokio::test]
async fn a_missing_user_is_not_found() {
    let fx = Fixture::start().await;
    fx.get("/v2/users/nobody")
        .await
        .assert_error(404, 5, "QUERY-Dfbg2");
}

#[tokio::test]
async fn get_reads_its_own_writes_even_while_list_users_lags() {
    let fx = Fixture::with_config(EmulatorConfig {
        list_delay: Duration::from_secs(60),
        ..config()
    })
    .await;
    let id = fx.human("alice").await;
    assert_eq!(fx.user(&id).await["userId"], id);
    assert!(fx.list_ids(json!([])).await.is_empty());
}
