use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{Value, json};

use crate::common::{Fixture, future};

fn result_ids(body: &Value) -> Vec<String> {
    body["result"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|e| e["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn add_secret_returns_it_once_and_sets_has_secret() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let reply = fx.post(&format!("/v2/users/{id}/secret"), json!({})).await;
    assert!(reply.ok()["clientSecret"].as_str().unwrap().len() >= 32);
    assert!(reply.body["creationDate"].is_string());
    assert_eq!(fx.user(&id).await["machine"]["hasSecret"], true);
}

#[tokio::test]
async fn add_secret_again_replaces_the_secret() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let first = fx.post(&format!("/v2/users/{id}/secret"), json!({})).await;
    let second = fx.post(&format!("/v2/users/{id}/secret"), json!({})).await;
    assert_ne!(first.ok()["clientSecret"], second.ok()["clientSecret"]);
}

#[tokio::test]
async fn remove_secret_clears_has_secret_and_fails_without_one() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    fx.post(&format!("/v2/users/{id}/secret"), json!({}))
        .await
        .ok();
    assert!(fx.delete(&format!("/v2/users/{id}/secret")).await.ok()["deletionDate"].is_string());
    assert!(fx.user(&id).await["machine"].get("hasSecret").is_none());
    fx.delete(&format!("/v2/users/{id}/secret"))
        .await
        .assert_error(404, 5, "COMMAND-x8910n");
}

#[tokio::test]
async fn machine_credentials_for_humans_are_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    fx.post(&format!("/v2/users/{id}/secret"), json!({}))
        .await
        .assert_error(400, 9, "COMMAND-sd8Rg");
    fx.post(
        &format!("/v2/users/{id}/keys"),
        json!({"expirationDate": future()}),
    )
    .await
    .assert_error(400, 9, "COMMAND-sd8Rg");
    fx.post(
        &format!("/v2/users/{id}/pats"),
        json!({"expirationDate": future()}),
    )
    .await
    .assert_error(400, 9, "COMMAND-sd8Rg");
}

#[tokio::test]
async fn add_key_requires_an_expiration_date() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    fx.post(&format!("/v2/users/{id}/keys"), json!({}))
        .await
        .assert_invalid("ExpirationDate: value is required");
}

#[tokio::test]
async fn add_key_with_a_past_expiration_is_invalid() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let reply = fx
        .post(
            &format!("/v2/users/{id}/keys"),
            json!({"expirationDate": "2020-01-01T00:00:00Z"}),
        )
        .await;
    reply.assert_error(400, 3, "DOMAIN-dv3t5");
}

#[tokio::test]
async fn add_key_returns_a_key_file_with_a_real_rsa_key() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let file: Value = serde_json::from_str(&fx.add_key(&id).await).unwrap();
    assert_eq!(file["type"], "serviceaccount");
    assert_eq!(file["userId"], id);
    assert!(
        file["key"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----")
    );
    assert_eq!(
        fx.emulator.user_key_ids(&id),
        vec![file["keyId"].as_str().unwrap().to_owned()]
    );
}

#[tokio::test]
async fn add_key_with_a_public_key_returns_no_key_content() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    let pem = rsa::RsaPublicKey::from(&private)
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let body = json!({"expirationDate": future(), "publicKey": STANDARD.encode(pem)});
    let reply = fx.post(&format!("/v2/users/{id}/keys"), body).await;
    assert!(reply.ok()["keyId"].is_string());
    assert!(reply.body.get("keyContent").is_none());
}

#[tokio::test]
async fn an_unreadable_public_key_is_invalid() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let body = json!({"expirationDate": future(), "publicKey": STANDARD.encode("not a key")});
    fx.post(&format!("/v2/users/{id}/keys"), body)
        .await
        .assert_error(400, 3, "COMMAND-p1bh4");
}

#[tokio::test]
async fn list_keys_filters_by_user_key_and_organization() {
    let fx = Fixture::start().await;
    let bot = fx.machine("bot").await;
    let other = fx.machine("other").await;
    let bot_file: Value = serde_json::from_str(&fx.add_key(&bot).await).unwrap();
    fx.add_key(&other).await;
    let by_user = fx
        .post(
            "/v2/users/keys/search",
            json!({"filters": [{"userIdFilter": {"id": bot}}]}),
        )
        .await;
    assert_eq!(
        result_ids(by_user.ok()),
        vec![bot_file["keyId"].as_str().unwrap()]
    );
    assert_eq!(by_user.body["result"][0]["organizationId"], fx.org);
    assert_eq!(by_user.body["pagination"]["totalResult"], "1");
    let by_key = fx
        .post(
            "/v2/users/keys/search",
            json!({"filters": [{"keyIdFilter": {"id": bot_file["keyId"]}}]}),
        )
        .await;
    assert_eq!(result_ids(by_key.ok()).len(), 1);
    let by_org = fx
        .post(
            "/v2/users/keys/search",
            json!({"filters": [{"organizationIdFilter": {"id": fx.org}}]}),
        )
        .await;
    assert_eq!(result_ids(by_org.ok()).len(), 2);
}

#[tokio::test]
async fn remove_key_forgets_the_key() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let file: Value = serde_json::from_str(&fx.add_key(&id).await).unwrap();
    let key_id = file["keyId"].as_str().unwrap();
    fx.delete(&format!("/v2/users/{id}/keys/{key_id}"))
        .await
        .ok();
    assert!(fx.emulator.user_key_ids(&id).is_empty());
    fx.delete(&format!("/v2/users/{id}/keys/{key_id}"))
        .await
        .assert_error(404, 5, "COMMAND-4m77G");
}

#[tokio::test]
async fn a_pat_is_returned_once_and_authenticates_as_the_machine_user() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let reply = fx
        .post(
            &format!("/v2/users/{id}/pats"),
            json!({"expirationDate": future()}),
        )
        .await;
    let token = reply.ok()["token"].as_str().unwrap().to_owned();
    assert!(reply.body["tokenId"].is_string());
    let own = fx
        .send(Method::GET, &format!("/v2/users/{id}"), Some(&token), None)
        .await;
    assert_eq!(own.ok()["user"]["userId"], id);
    let other_org = fx.emulator.create_organization("other");
    let create = json!({"organizationId": other_org, "machine": {"name": "x"}});
    fx.send(Method::POST, "/v2/users/new", Some(&token), Some(create))
        .await
        .assert_error(403, 7, "AUTHZ-HKJD33");
}

#[tokio::test]
async fn add_pat_requires_an_expiration_date() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    fx.post(&format!("/v2/users/{id}/pats"), json!({}))
        .await
        .assert_invalid("ExpirationDate");
}

#[tokio::test]
async fn list_pats_filters_and_remove_pat_revokes_the_token() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let added = fx
        .post(
            &format!("/v2/users/{id}/pats"),
            json!({"expirationDate": future()}),
        )
        .await;
    let token_id = added.ok()["tokenId"].as_str().unwrap().to_owned();
    let token = added.body["token"].as_str().unwrap().to_owned();
    let listed = fx
        .post(
            "/v2/users/pats/search",
            json!({"filters": [{"tokenIdFilter": {"id": token_id}}]}),
        )
        .await;
    assert_eq!(result_ids(listed.ok()), vec![token_id.clone()]);
    assert_eq!(listed.body["result"][0]["userId"], id);
    fx.delete(&format!("/v2/users/{id}/pats/{token_id}"))
        .await
        .ok();
    fx.send(Method::GET, &format!("/v2/users/{id}"), Some(&token), None)
        .await
        .assert_error(401, 16, "AUTH-7fs1e");
    fx.delete(&format!("/v2/users/{id}/pats/{token_id}"))
        .await
        .assert_error(404, 5, "COMMAND-Xm6Q2");
}

/// A timestamp `seconds` from now with nanosecond digits, as RFC 3339.
fn nanosecond_expiration(seconds: i64) -> (String, jiff::Timestamp) {
    let whole = jiff::Timestamp::now().as_second() + seconds;
    let at = jiff::Timestamp::new(whole, 123_456_789).unwrap();
    (format!("{at:.9}"), at)
}

#[tokio::test]
async fn pat_expiration_dates_are_kept_to_the_microsecond() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let (requested, at) = nanosecond_expiration(86_400);
    fx.post(
        &format!("/v2/users/{id}/pats"),
        json!({"expirationDate": requested}),
    )
    .await
    .ok();
    let listed = fx.post("/v2/users/pats/search", json!({})).await;
    let expected = format!("{}.123456Z", at.strftime("%Y-%m-%dT%H:%M:%S"));
    assert_eq!(listed.ok()["result"][0]["expirationDate"], expected);
}

#[tokio::test]
async fn key_expiration_dates_are_kept_to_the_microsecond() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let (requested, at) = nanosecond_expiration(86_400);
    fx.post(
        &format!("/v2/users/{id}/keys"),
        json!({"expirationDate": requested}),
    )
    .await
    .ok();
    let listed = fx.post("/v2/users/keys/search", json!({})).await;
    let expected = format!("{}.123456Z", at.strftime("%Y-%m-%dT%H:%M:%S"));
    assert_eq!(listed.ok()["result"][0]["expirationDate"], expected);
}

#[tokio::test]
async fn list_keys_with_a_user_id_filter_returns_exactly_that_users_keys() {
    let fx = Fixture::start().await;
    let (bot, other) = (fx.machine("bot").await, fx.machine("other").await);
    let mut own = Vec::new();
    for user in [&bot, &other, &bot] {
        let reply = fx
            .post(
                &format!("/v2/users/{user}/keys"),
                json!({"expirationDate": future()}),
            )
            .await;
        if user == &bot {
            own.push(reply.ok()["keyId"].as_str().unwrap().to_owned());
        }
    }
    let filter = json!({"filters": [{"userIdFilter": {"id": bot}}]});
    let listed = fx.post("/v2/users/keys/search", filter).await;
    let mut ids = result_ids(listed.ok());
    ids.sort();
    own.sort();
    assert_eq!(ids, own);
    assert!(
        listed.body["result"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["userId"] == bot.as_str())
    );
}

#[tokio::test]
async fn list_pats_with_a_user_id_filter_returns_exactly_that_users_pats() {
    let fx = Fixture::start().await;
    let (bot, other) = (fx.machine("bot").await, fx.machine("other").await);
    let mut own = Vec::new();
    for user in [&other, &bot, &other, &bot] {
        let reply = fx
            .post(
                &format!("/v2/users/{user}/pats"),
                json!({"expirationDate": future()}),
            )
            .await;
        if user == &bot {
            own.push(reply.ok()["tokenId"].as_str().unwrap().to_owned());
        }
    }
    let filter = json!({"filters": [{"userIdFilter": {"id": bot}}]});
    let listed = fx.post("/v2/users/pats/search", filter).await;
    let mut ids = result_ids(listed.ok());
    ids.sort();
    own.sort();
    assert_eq!(ids, own);
}

#[tokio::test]
async fn a_pat_past_its_expiration_stops_authenticating() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let soon = (jiff::Timestamp::now() + jiff::SignedDuration::from_millis(800)).to_string();
    let reply = fx
        .post(
            &format!("/v2/users/{id}/pats"),
            json!({"expirationDate": soon}),
        )
        .await;
    let token = reply.ok()["token"].as_str().unwrap().to_owned();
    let path = format!("/v2/users/{id}");
    fx.send(Method::GET, &path, Some(&token), None).await.ok();
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    fx.send(Method::GET, &path, Some(&token), None)
        .await
        .assert_error(401, 16, "AUTH-7fs1e");
}

#[tokio::test]
async fn a_key_past_its_expiration_gets_no_token() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let soon = (jiff::Timestamp::now() + jiff::SignedDuration::from_millis(1500)).to_string();
    let reply = fx
        .post(
            &format!("/v2/users/{id}/keys"),
            json!({"expirationDate": soon}),
        )
        .await;
    let content = reply.ok()["keyContent"].as_str().unwrap();
    let key_file = String::from_utf8(STANDARD.decode(content).unwrap()).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1700)).await;
    let assertion = crate::common::Assertion::for_key(&key_file, &fx.emulator.issuer()).sign();
    let reply = fx.token_request(&assertion, crate::common::API_SCOPE).await;
    assert_eq!(reply.status.as_u16(), 500, "{}", reply.body);
}
