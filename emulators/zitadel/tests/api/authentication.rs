use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use zitadel_emulator::EmulatorConfig;

use crate::common::{API_SCOPE, Assertion, Fixture, config, future, machine_request};

#[tokio::test]
async fn a_request_without_a_token_is_unauthenticated() {
    let fx = Fixture::start().await;
    fx.send(Method::POST, "/v2/users", None, Some(json!({})))
        .await
        .assert_error(401, 16, "AUTH-7fs1e");
}

#[tokio::test]
async fn an_unknown_token_is_unauthenticated() {
    let fx = Fixture::start().await;
    fx.send(Method::POST, "/v2/users", Some("made-up"), Some(json!({})))
        .await
        .assert_error(401, 16, "AUTH-7fs1e");
}

#[tokio::test]
async fn a_revoked_token_is_unauthenticated() {
    let fx = Fixture::start().await;
    let token = fx.emulator.admin_pat();
    fx.emulator.revoke_token(&token);
    fx.send(Method::POST, "/v2/users", Some(&token), Some(json!({})))
        .await
        .assert_error(401, 16, "AUTH-7fs1e");
}

#[tokio::test]
async fn an_org_scoped_pat_cannot_touch_another_org() {
    let fx = Fixture::start().await;
    let other = fx.emulator.create_organization("other");
    let outsider = fx.create_ok(machine_request(&other)).await;
    let token = fx.emulator.org_scoped_pat(&fx.org);
    let get = fx
        .send(
            Method::GET,
            &format!("/v2/users/{outsider}"),
            Some(&token),
            None,
        )
        .await;
    get.assert_error(403, 7, "AUTHZ-HKJD33");
    let create = fx
        .send(
            Method::POST,
            "/v2/users/new",
            Some(&token),
            Some(machine_request(&other)),
        )
        .await;
    create.assert_error(403, 7, "AUTHZ-HKJD33");
    let own = fx
        .send(
            Method::POST,
            "/v2/users/new",
            Some(&token),
            Some(machine_request(&fx.org)),
        )
        .await;
    own.ok();
}

#[tokio::test]
async fn the_admin_service_account_key_gets_a_working_access_token() {
    let fx = Fixture::start().await;
    let token = fx.access_token(&fx.emulator.service_account_key()).await;
    fx.send(Method::POST, "/v2/users", Some(&token), Some(json!({})))
        .await
        .ok();
}

#[tokio::test]
async fn the_token_response_has_bearer_type_and_lifetime() {
    let fx = Fixture::start().await;
    let assertion =
        Assertion::for_key(&fx.emulator.service_account_key(), &fx.emulator.issuer()).sign();
    let reply = fx.token_request(&assertion, API_SCOPE).await;
    assert_eq!(reply.ok()["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 12 * 3600);
}

#[tokio::test]
async fn a_token_without_the_api_audience_scope_is_issued_but_refused_by_the_api() {
    let fx = Fixture::start().await;
    let assertion =
        Assertion::for_key(&fx.emulator.service_account_key(), &fx.emulator.issuer()).sign();
    let reply = fx.token_request(&assertion, "openid").await;
    let token = reply.ok()["access_token"].as_str().unwrap().to_owned();
    fx.send(Method::POST, "/v2/users", Some(&token), Some(json!({})))
        .await
        .assert_error(401, 16, "AUTH-7fs1e");
}

/// Each broken assertion is answered 500 server_error, ZITADEL's quirk.
async fn assert_rejected(fx: &Fixture, assertion: &str) {
    let reply = fx.token_request(assertion, API_SCOPE).await;
    assert_eq!(reply.status.as_u16(), 500, "{}", reply.body);
    assert_eq!(reply.body["error"], "server_error");
}

#[tokio::test]
async fn an_assertion_for_another_audience_is_rejected() {
    let fx = Fixture::start().await;
    let mut assertion =
        Assertion::for_key(&fx.emulator.service_account_key(), &fx.emulator.issuer());
    assertion.aud = json!(["https://elsewhere.example"]);
    assert_rejected(&fx, &assertion.sign()).await;
}

#[tokio::test]
async fn an_assertion_whose_issuer_is_not_its_subject_is_rejected() {
    let fx = Fixture::start().await;
    let mut assertion =
        Assertion::for_key(&fx.emulator.service_account_key(), &fx.emulator.issuer());
    assertion.iss = "someone-else".into();
    assert_rejected(&fx, &assertion.sign()).await;
}

#[tokio::test]
async fn an_assertion_living_longer_than_an_hour_is_rejected() {
    let fx = Fixture::start().await;
    let mut assertion =
        Assertion::for_key(&fx.emulator.service_account_key(), &fx.emulator.issuer());
    assertion.exp = assertion.iat + 7200;
    assert_rejected(&fx, &assertion.sign()).await;
}

#[tokio::test]
async fn an_expired_assertion_is_rejected() {
    let fx = Fixture::start().await;
    let mut assertion =
        Assertion::for_key(&fx.emulator.service_account_key(), &fx.emulator.issuer());
    assertion.iat -= 7200;
    assertion.exp = assertion.iat + 3000;
    assert_rejected(&fx, &assertion.sign()).await;
}

#[tokio::test]
async fn an_assertion_signed_with_another_key_is_rejected() {
    let fx = Fixture::start().await;
    let bot = fx.machine("bot").await;
    let stranger = Assertion::for_key(&fx.add_key(&bot).await, &fx.emulator.issuer());
    let mut assertion =
        Assertion::for_key(&fx.emulator.service_account_key(), &fx.emulator.issuer());
    assertion.private_pem = stranger.private_pem;
    assert_rejected(&fx, &assertion.sign()).await;
}

#[tokio::test]
async fn an_assertion_with_an_unknown_key_id_is_rejected() {
    let fx = Fixture::start().await;
    let mut assertion =
        Assertion::for_key(&fx.emulator.service_account_key(), &fx.emulator.issuer());
    assertion.key_id = "404".into();
    assert_rejected(&fx, &assertion.sign()).await;
}

#[tokio::test]
async fn a_machine_key_from_add_key_works_until_it_is_removed() {
    let fx = Fixture::start().await;
    let bot = fx.machine("bot").await;
    let key_file = fx.add_key(&bot).await;
    let token = fx.access_token(&key_file).await;
    fx.send(Method::GET, &format!("/v2/users/{bot}"), Some(&token), None)
        .await
        .ok();
    let key_id = fx.emulator.user_key_ids(&bot).remove(0);
    fx.delete(&format!("/v2/users/{bot}/keys/{key_id}"))
        .await
        .ok();
    assert_rejected(
        &fx,
        &Assertion::for_key(&key_file, &fx.emulator.issuer()).sign(),
    )
    .await;
}

#[tokio::test]
async fn expire_access_tokens_invalidates_issued_tokens_but_not_pats() {
    let fx = Fixture::start().await;
    let token = fx.access_token(&fx.emulator.service_account_key()).await;
    fx.emulator.expire_access_tokens();
    fx.send(Method::POST, "/v2/users", Some(&token), Some(json!({})))
        .await
        .assert_error(401, 16, "AUTH-7fs1e");
    fx.list(json!({})).await.ok();
    let fresh = fx.access_token(&fx.emulator.service_account_key()).await;
    fx.send(Method::POST, "/v2/users", Some(&fresh), Some(json!({})))
        .await
        .ok();
}

#[tokio::test]
async fn access_tokens_expire_after_the_configured_lifetime() {
    let fx = Fixture::with_config(EmulatorConfig {
        access_token_lifetime: Duration::from_secs(1),
        ..config()
    })
    .await;
    let token = fx.access_token(&fx.emulator.service_account_key()).await;
    fx.send(Method::POST, "/v2/users", Some(&token), Some(json!({})))
        .await
        .ok();
    tokio::time::sleep(Duration::from_millis(1050)).await;
    fx.send(Method::POST, "/v2/users", Some(&token), Some(json!({})))
        .await
        .assert_error(401, 16, "AUTH-7fs1e");
}

#[tokio::test]
async fn a_deactivated_machine_users_pat_stops_working() {
    let fx = Fixture::start().await;
    let bot = fx.machine("bot").await;
    let added = fx
        .post(
            &format!("/v2/users/{bot}/pats"),
            json!({"expirationDate": future()}),
        )
        .await;
    let token = added.ok()["token"].as_str().unwrap().to_owned();
    fx.post(&format!("/v2/users/{bot}/deactivate"), json!({}))
        .await
        .ok();
    fx.send(Method::GET, &format!("/v2/users/{bot}"), Some(&token), None)
        .await
        .assert_error(401, 16, "AUTH-7fs1e");
}

#[tokio::test]
async fn changing_a_username_invalidates_that_users_access_tokens() {
    let fx = Fixture::start().await;
    let bot = fx.machine("bot").await;
    let token = fx.access_token(&fx.add_key(&bot).await).await;
    fx.patch(&format!("/v2/users/{bot}"), json!({"username": "bot2"}))
        .await
        .ok();
    fx.send(Method::GET, &format!("/v2/users/{bot}"), Some(&token), None)
        .await
        .assert_error(401, 16, "AUTH-7fs1e");
}

mod instance_domain {
    use super::*;

    async fn fixture() -> Fixture {
        Fixture::with_config(EmulatorConfig {
            instance_domain: Some("auth.example.com".into()),
            ..config()
        })
        .await
    }

    #[tokio::test]
    async fn a_request_for_another_host_is_instance_not_found() {
        let fx = fixture().await;
        fx.list(json!({})).await.assert_error(404, 5, "QUERY-1kIjX");
    }

    #[tokio::test]
    async fn the_instance_host_header_selects_the_instance() {
        let fx = fixture().await;
        let response = fx
            .http
            .post(format!("{}/v2/users", fx.emulator.url()))
            .bearer_auth(&fx.token)
            .header("x-zitadel-instance-host", "auth.example.com")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    #[tokio::test]
    async fn the_issuer_is_the_instance_domain() {
        let fx = fixture().await;
        assert_eq!(fx.emulator.issuer(), "https://auth.example.com");
    }
}

#[tokio::test]
async fn without_an_instance_domain_the_issuer_is_the_emulator_url() {
    let fx = Fixture::start().await;
    assert_eq!(fx.emulator.issuer(), fx.emulator.url());
}
