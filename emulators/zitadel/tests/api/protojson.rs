use reqwest::Method;
use serde_json::json;

use crate::common::Fixture;

#[tokio::test]
async fn snake_case_field_names_are_accepted() {
    let fx = Fixture::start().await;
    let body = json!({
        "organization_id": fx.org, "user_id": "snake",
        "human": {"profile": {"given_name": "A", "family_name": "B"}, "email": {"email": "a@example.com", "is_verified": true}},
    });
    fx.create(body).await.ok();
    assert_eq!(fx.user("snake").await["human"]["profile"]["givenName"], "A");
}

#[tokio::test]
async fn unknown_fields_are_ignored() {
    let fx = Fixture::start().await;
    let body = json!({"organizationId": fx.org, "machine": {"name": "x", "colour": "blue"}, "futureField": {"a": 1}});
    fx.create(body).await.ok();
}

#[tokio::test]
async fn zero_values_are_omitted_from_responses() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let machine = fx.user(&id).await["machine"].clone();
    assert_eq!(
        machine,
        json!({"name": "CI bot"}),
        "no hasSecret:false, no description:\"\", no enum 0"
    );
}

#[tokio::test]
async fn uint64_fields_are_strings_and_accepted_as_numbers() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    assert!(fx.user(&id).await["details"]["sequence"].is_string());
    let reply = fx.list(json!({"query": {"offset": 0, "limit": 10}})).await;
    assert_eq!(reply.ok()["details"]["totalResult"], "1");
    assert!(reply.body["details"]["processedSequence"].is_string());
}

#[tokio::test]
async fn enums_are_accepted_by_number() {
    let fx = Fixture::start().await;
    fx.machine("bot").await;
    let ids = fx.list_ids(json!([{"typeQuery": {"type": 2}}])).await;
    assert_eq!(ids.len(), 1);
}

#[tokio::test]
async fn timestamps_are_rfc3339() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let user = fx.user(&id).await;
    for field in ["creationDate", "changeDate"] {
        let text = user["details"][field].as_str().unwrap();
        assert!(
            text.ends_with('Z') && text.parse::<jiff::Timestamp>().is_ok(),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_malformed_body_is_invalid_argument() {
    let fx = Fixture::start().await;
    let response = fx
        .http
        .post(format!("{}/v2/users/new", fx.emulator.url()))
        .bearer_auth(&fx.token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], 3);
}

#[tokio::test]
async fn an_unknown_path_is_404() {
    let fx = Fixture::start().await;
    let reply = fx.admin(Method::GET, "/v2/nothing/here", None).await;
    assert_eq!(reply.status.as_u16(), 404);
    assert_eq!(reply.body["code"], 5);
}

#[tokio::test]
async fn a_wrong_method_is_405_with_code_12() {
    let fx = Fixture::start().await;
    let reply = fx
        .admin(Method::PUT, "/v2/users/new", Some(json!({})))
        .await;
    assert_eq!(reply.status.as_u16(), 405);
    assert_eq!(reply.body["code"], 12);
}
