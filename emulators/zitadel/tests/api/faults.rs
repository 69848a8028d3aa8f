use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use zitadel_emulator::{EmulatorConfig, Fault, GrpcCode};

use crate::common::{Fixture, config, human_request, with};

#[tokio::test]
async fn a_failure_fault_answers_the_code_for_the_next_n_calls() {
    let fx = Fixture::start().await;
    fx.emulator.inject(
        "ListUsers",
        Fault::Fail {
            times: 2,
            code: GrpcCode::Unavailable,
        },
    );
    for _ in 0..2 {
        let reply = fx.list(json!({})).await;
        assert_eq!(reply.status.as_u16(), 503);
        assert_eq!(reply.body["code"], 14);
        assert!(reply.body["details"][0]["id"].is_string());
    }
    fx.list(json!({})).await.ok();
}

#[tokio::test]
async fn a_failure_fault_does_not_apply_the_change() {
    let fx = Fixture::start().await;
    fx.emulator.inject(
        "CreateUser",
        Fault::Fail {
            times: 1,
            code: GrpcCode::Internal,
        },
    );
    let reply = fx
        .create(with(human_request(&fx.org), "userId", json!("u1")))
        .await;
    assert_eq!(reply.status.as_u16(), 500);
    assert!(fx.emulator.user("u1").is_none());
}

#[tokio::test]
async fn rate_limiting_answers_429_with_retry_after() {
    let fx = Fixture::start().await;
    fx.emulator.inject(
        "ListUsers",
        Fault::RateLimited {
            times: 1,
            retry_after: Duration::from_millis(1500),
        },
    );
    let reply = fx.list(json!({})).await;
    assert_eq!(reply.status.as_u16(), 429);
    assert_eq!(reply.body["code"], 8);
    assert_eq!(reply.headers["retry-after"], "2");
    fx.list(json!({})).await.ok();
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let fx = Fixture::start().await;
    fx.emulator.inject(
        "ListUsers",
        Fault::Latency {
            times: 1,
            delay: Duration::from_millis(200),
        },
    );
    let started = Instant::now();
    fx.list(json!({})).await.ok();
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn a_configured_latency_delays_every_answer_until_it_is_changed() {
    let latency = Duration::from_millis(250);
    let fx = Fixture::with_config(EmulatorConfig {
        latency,
        ..config()
    })
    .await;
    assert_eq!(fx.emulator.latency(), latency);
    let started = Instant::now();
    fx.list(json!({})).await.ok();
    fx.get("/v2/users/nobody")
        .await
        .assert_error(404, 5, "QUERY-Dfbg2");
    fx.send(Method::GET, "/v2/users/nobody", None, None).await;
    assert!(
        started.elapsed() >= latency * 3,
        "answers, errors and unauthenticated calls all wait: {:?}",
        started.elapsed()
    );
    fx.emulator.set_latency(Duration::ZERO);
    let started = Instant::now();
    fx.list(json!({})).await.ok();
    assert!(started.elapsed() < latency, "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_hanging_call_never_answers() {
    let fx = Fixture::start().await;
    fx.emulator.inject("ListUsers", Fault::Hang { times: 1 });
    let request = fx
        .http
        .post(format!("{}/v2/users", fx.emulator.url()))
        .bearer_auth(&fx.token)
        .json(&json!({}));
    let error = request
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    fx.list(json!({})).await.ok();
}

#[tokio::test]
async fn drop_after_apply_applies_the_change_and_loses_the_response() {
    let fx = Fixture::start().await;
    fx.emulator
        .inject("CreateUser", Fault::DropAfterApply { times: 1 });
    let body = with(human_request(&fx.org), "userId", json!("u1"));
    let request = fx
        .http
        .post(format!("{}/v2/users/new", fx.emulator.url()))
        .bearer_auth(&fx.token)
        .json(&body);
    let error = request.send().await.unwrap_err();
    assert!(
        !error.is_timeout() && error.status().is_none(),
        "a connection error, not an HTTP answer: {error}"
    );
    assert!(fx.emulator.user("u1").is_some(), "the change was applied");
    fx.create(body)
        .await
        .assert_error(400, 9, "COMMAND-7yiox1isql");
}

#[tokio::test]
async fn faults_are_consumed_in_order() {
    let fx = Fixture::start().await;
    fx.emulator.inject(
        "ListUsers",
        Fault::Fail {
            times: 1,
            code: GrpcCode::NotFound,
        },
    );
    fx.emulator.inject(
        "ListUsers",
        Fault::Fail {
            times: 1,
            code: GrpcCode::AlreadyExists,
        },
    );
    assert_eq!(fx.list(json!({})).await.status.as_u16(), 404);
    assert_eq!(fx.list(json!({})).await.status.as_u16(), 409);
    fx.list(json!({})).await.ok();
}

#[tokio::test]
async fn faults_only_hit_their_rpc_and_can_be_cleared() {
    let fx = Fixture::start().await;
    fx.emulator.inject(
        "GetUserByID",
        Fault::Fail {
            times: 5,
            code: GrpcCode::Internal,
        },
    );
    fx.list(json!({})).await.ok();
    fx.emulator.clear_faults();
    let id = fx.human("alice").await;
    fx.get(&format!("/v2/users/{id}")).await.ok();
}

#[tokio::test]
async fn the_token_endpoint_can_fail_too() {
    let fx = Fixture::start().await;
    fx.emulator.inject(
        "Token",
        Fault::Fail {
            times: 1,
            code: GrpcCode::Unavailable,
        },
    );
    let assertion = crate::common::Assertion::for_key(
        &fx.emulator.service_account_key(),
        &fx.emulator.issuer(),
    )
    .sign();
    let reply = fx.token_request(&assertion, crate::common::API_SCOPE).await;
    assert_eq!(reply.status.as_u16(), 503);
    assert_eq!(reply.body["error"], "server_error");
    fx.token_request(&assertion, crate::common::API_SCOPE)
        .await
        .ok();
}
