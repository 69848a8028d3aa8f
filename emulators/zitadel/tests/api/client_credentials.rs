//! The client-credentials grant of machine users with a client secret (HTTP Basic).

use reqwest::Method;

use crate::common::{API_SCOPE, Assertion, Fixture, Reply};

/// Asserts an OAuth error body with this status and `error` code.
#[track_caller]
fn assert_oauth_error(reply: &Reply, status: u16, error: &str, description: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.body);
    assert_eq!(reply.body["error"], error, "{}", reply.body);
    assert_eq!(
        reply.body["error_description"], description,
        "{}",
        reply.body
    );
}

/// A machine user `bot` with a client secret: `(user id, secret)`.
async fn bot_with_secret(fx: &Fixture) -> (String, String) {
    let id = fx.machine("bot").await;
    let secret = fx.add_secret(&id).await;
    (id, secret)
}

#[tokio::test]
async fn a_client_secret_gets_an_access_token_that_authenticates_as_the_machine_user() {
    let fx = Fixture::start().await;
    let (id, secret) = bot_with_secret(&fx).await;
    let reply = fx
        .client_credentials_request("bot", &secret, API_SCOPE)
        .await;
    assert_eq!(reply.ok()["token_type"], "Bearer");
    let token = reply.body["access_token"].as_str().unwrap().to_owned();
    // The machine user acts inside its own organization, so it can read itself.
    fx.send(Method::GET, &format!("/v2/users/{id}"), Some(&token), None)
        .await
        .ok();
}

#[tokio::test]
async fn a_client_credentials_token_without_the_api_scope_is_refused_by_the_api() {
    let fx = Fixture::start().await;
    let (id, secret) = bot_with_secret(&fx).await;
    let reply = fx
        .client_credentials_request("bot", &secret, "openid")
        .await;
    let token = reply.ok()["access_token"].as_str().unwrap().to_owned();
    fx.send(Method::GET, &format!("/v2/users/{id}"), Some(&token), None)
        .await
        .assert_error(401, 16, "AUTH-7fs1e");
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_invalid_request() {
    let fx = Fixture::start().await;
    bot_with_secret(&fx).await;
    let reply = fx
        .client_credentials_request("bot", "guess", API_SCOPE)
        .await;
    assert_oauth_error(
        &reply,
        400,
        "invalid_request",
        "Errors.User.Machine.Secret.Invalid",
    );
}

#[tokio::test]
async fn a_replaced_client_secret_no_longer_gets_tokens() {
    let fx = Fixture::start().await;
    let (id, old) = bot_with_secret(&fx).await;
    let new = fx.add_secret(&id).await;
    let reply = fx.client_credentials_request("bot", &old, API_SCOPE).await;
    assert_oauth_error(
        &reply,
        400,
        "invalid_request",
        "Errors.User.Machine.Secret.Invalid",
    );
    fx.client_credentials_request("bot", &new, API_SCOPE)
        .await
        .ok();
}

#[tokio::test]
async fn a_removed_client_secret_is_reported_as_not_existing() {
    let fx = Fixture::start().await;
    let (id, secret) = bot_with_secret(&fx).await;
    fx.delete(&format!("/v2/users/{id}/secret")).await.ok();
    let reply = fx
        .client_credentials_request("bot", &secret, API_SCOPE)
        .await;
    assert_oauth_error(
        &reply,
        400,
        "invalid_request",
        "Errors.User.Machine.Secret.NotExisting",
    );
}

#[tokio::test]
async fn an_unknown_client_id_is_invalid_client_with_401() {
    let fx = Fixture::start().await;
    let reply = fx
        .client_credentials_request("nobody", "x", API_SCOPE)
        .await;
    assert_oauth_error(&reply, 401, "invalid_client", "client not found");
}

#[tokio::test]
async fn client_credentials_without_basic_auth_are_invalid_client() {
    let fx = Fixture::start().await;
    bot_with_secret(&fx).await;
    let response = fx
        .http
        .post(format!("{}/oauth/v2/token", fx.emulator.url()))
        .form(&[("grant_type", "client_credentials"), ("scope", API_SCOPE)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn a_deactivated_machine_user_gets_no_token_by_client_credentials() {
    let fx = Fixture::start().await;
    let (id, secret) = bot_with_secret(&fx).await;
    fx.act(&id, "deactivate").await.ok();
    let reply = fx
        .client_credentials_request("bot", &secret, API_SCOPE)
        .await;
    assert_oauth_error(&reply, 400, "invalid_request", "Errors.User.NotActive");
}

#[tokio::test]
async fn a_locked_machine_user_gets_no_token_by_client_credentials() {
    let fx = Fixture::start().await;
    let (id, secret) = bot_with_secret(&fx).await;
    fx.act(&id, "lock").await.ok();
    let reply = fx
        .client_credentials_request("bot", &secret, API_SCOPE)
        .await;
    assert_oauth_error(&reply, 400, "invalid_request", "Errors.User.NotActive");
}

#[tokio::test]
async fn a_deactivated_machine_user_gets_no_token_by_jwt_profile() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let key_file = fx.add_key(&id).await;
    fx.act(&id, "deactivate").await.ok();
    let assertion = Assertion::for_key(&key_file, &fx.emulator.issuer()).sign();
    let reply = fx.token_request(&assertion, API_SCOPE).await;
    assert_oauth_error(&reply, 400, "invalid_request", "Errors.User.NotActive");
}

#[tokio::test]
async fn a_locked_machine_user_gets_no_token_by_jwt_profile() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let key_file = fx.add_key(&id).await;
    assert!(fx.emulator.lock_user(&id));
    let assertion = Assertion::for_key(&key_file, &fx.emulator.issuer()).sign();
    let reply = fx.token_request(&assertion, API_SCOPE).await;
    assert_oauth_error(&reply, 400, "invalid_request", "Errors.User.NotActive");
}

#[tokio::test]
async fn a_reactivated_machine_user_gets_tokens_again() {
    let fx = Fixture::start().await;
    let (id, secret) = bot_with_secret(&fx).await;
    fx.act(&id, "deactivate").await.ok();
    fx.act(&id, "reactivate").await.ok();
    fx.client_credentials_request("bot", &secret, API_SCOPE)
        .await
        .ok();
}
