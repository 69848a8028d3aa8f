use std::time::Duration;

use serde_json::{Value, json};
use zitadel_emulator::EmulatorConfig;

use crate::common::{Fixture, config, human_request, ids, machine_request, with};

/// Three users: humans "Alice" (alice@example.com) and "bob" (bob@corp.example), machine "ci".
async fn three_users(fx: &Fixture) -> (String, String, String) {
    let alice = fx.human("Alice").await;
    let bob_email = json!({"email": "bob@corp.example", "isVerified": true});
    let bob = fx
        .create_ok(with(
            with(human_request(&fx.org), "username", json!("bob")),
            "/human/email",
            bob_email,
        ))
        .await;
    let ci = fx.machine("ci").await;
    (alice, bob, ci)
}

/// Long enough that a busy machine cannot blur "not yet visible" into "visible".
const LAG: Duration = Duration::from_millis(1000);
const PAST_LAG: Duration = Duration::from_millis(1050);

fn user_name(name: &str, method: &str) -> Value {
    json!({"userNameQuery": {"userName": name, "method": method}})
}

#[tokio::test]
async fn list_users_sees_a_create_only_after_the_list_delay() {
    let fx = Fixture::with_config(EmulatorConfig {
        list_delay: LAG,
        ..config()
    })
    .await;
    let id = fx.human("alice").await;
    assert!(fx.list_ids(json!([])).await.is_empty());
    tokio::time::sleep(PAST_LAG).await;
    assert_eq!(fx.list_ids(json!([])).await, vec![id]);
}

#[tokio::test]
async fn list_users_still_shows_a_deleted_user_until_the_list_delay() {
    let fx = Fixture::with_config(EmulatorConfig {
        list_delay: LAG,
        ..config()
    })
    .await;
    let id = fx.human("alice").await;
    tokio::time::sleep(PAST_LAG).await;
    fx.delete(&format!("/v2/users/{id}")).await.ok();
    assert_eq!(fx.list_ids(json!([])).await, vec![id]);
    tokio::time::sleep(PAST_LAG).await;
    assert!(fx.list_ids(json!([])).await.is_empty());
}

#[tokio::test]
async fn list_users_sees_an_update_only_after_the_list_delay() {
    let fx = Fixture::with_config(EmulatorConfig {
        list_delay: LAG,
        ..config()
    })
    .await;
    let id = fx.human("alice").await;
    tokio::time::sleep(PAST_LAG).await;
    fx.patch(&format!("/v2/users/{id}"), json!({"username": "alice2"}))
        .await
        .ok();
    let query = json!([user_name("alice2", "TEXT_QUERY_METHOD_EQUALS")]);
    assert!(fx.list_ids(query.clone()).await.is_empty());
    tokio::time::sleep(PAST_LAG).await;
    assert_eq!(fx.list_ids(query).await, vec![id]);
}

#[tokio::test]
async fn user_name_equals_is_case_sensitive() {
    let fx = Fixture::start().await;
    let (alice, ..) = three_users(&fx).await;
    assert!(
        fx.list_ids(json!([user_name("alice", "TEXT_QUERY_METHOD_EQUALS")]))
            .await
            .is_empty()
    );
    assert_eq!(
        fx.list_ids(json!([user_name("Alice", "TEXT_QUERY_METHOD_EQUALS")]))
            .await,
        vec![alice]
    );
}

#[tokio::test]
async fn user_name_equals_ignore_case_is_not_case_sensitive() {
    let fx = Fixture::start().await;
    let (alice, ..) = three_users(&fx).await;
    assert_eq!(
        fx.list_ids(json!([user_name(
            "ALICE",
            "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE"
        )]))
        .await,
        vec![alice]
    );
}

#[tokio::test]
async fn email_queries_support_prefix_substring_and_suffix_methods() {
    let fx = Fixture::start().await;
    let (alice, bob, _) = three_users(&fx).await;
    let email = |value: &str, method: &str| json!([{"emailQuery": {"emailAddress": value, "method": method}}]);
    assert_eq!(
        fx.list_ids(email("ALICE@", "TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE"))
            .await,
        vec![alice.clone()]
    );
    assert!(
        fx.list_ids(email("ALICE@", "TEXT_QUERY_METHOD_STARTS_WITH"))
            .await
            .is_empty()
    );
    assert_eq!(
        fx.list_ids(email("corp", "TEXT_QUERY_METHOD_CONTAINS"))
            .await,
        vec![bob.clone()]
    );
    assert_eq!(
        fx.list_ids(email("CORP", "TEXT_QUERY_METHOD_CONTAINS_IGNORE_CASE"))
            .await,
        vec![bob]
    );
    assert_eq!(
        fx.list_ids(email("example.com", "TEXT_QUERY_METHOD_ENDS_WITH"))
            .await,
        vec![alice.clone()]
    );
    assert_eq!(
        fx.list_ids(email(
            "EXAMPLE.COM",
            "TEXT_QUERY_METHOD_ENDS_WITH_IGNORE_CASE"
        ))
        .await,
        vec![alice]
    );
}

#[tokio::test]
async fn the_login_name_query_matches_the_username() {
    let fx = Fixture::start().await;
    let (_, bob, _) = three_users(&fx).await;
    let query =
        json!([{"loginNameQuery": {"loginName": "bob", "method": "TEXT_QUERY_METHOD_EQUALS"}}]);
    assert_eq!(fx.list_ids(query).await, vec![bob]);
}

#[tokio::test]
async fn the_in_user_ids_query_selects_by_id() {
    let fx = Fixture::start().await;
    let (alice, _, ci) = three_users(&fx).await;
    let mut found = fx
        .list_ids(json!([{"inUserIdsQuery": {"userIds": [alice, ci, "missing"]}}]))
        .await;
    found.sort();
    let mut expected = vec![alice, ci];
    expected.sort();
    assert_eq!(found, expected);
}

#[tokio::test]
async fn the_organization_query_selects_by_owner() {
    let fx = Fixture::start().await;
    three_users(&fx).await;
    let other = fx.emulator.create_organization("other");
    let outsider = fx
        .create_ok(with(machine_request(&other), "username", json!("outsider")))
        .await;
    let query = json!([{"organizationIdQuery": {"organizationId": other}}]);
    assert_eq!(fx.list_ids(query).await, vec![outsider]);
}

#[tokio::test]
async fn type_and_state_queries_filter() {
    let fx = Fixture::start().await;
    let (alice, _, ci) = three_users(&fx).await;
    assert_eq!(
        fx.list_ids(json!([{"typeQuery": {"type": "TYPE_MACHINE"}}]))
            .await,
        vec![ci]
    );
    fx.post(&format!("/v2/users/{alice}/lock"), json!({}))
        .await
        .ok();
    assert_eq!(
        fx.list_ids(json!([{"stateQuery": {"state": "USER_STATE_LOCKED"}}]))
            .await,
        vec![alice]
    );
}

#[tokio::test]
async fn top_level_queries_are_anded() {
    let fx = Fixture::start().await;
    three_users(&fx).await;
    let query = json!([user_name("bob", "TEXT_QUERY_METHOD_EQUALS"), {"typeQuery": {"type": "TYPE_MACHINE"}}]);
    assert!(fx.list_ids(query).await.is_empty());
}

#[tokio::test]
async fn or_and_and_not_queries_combine() {
    let fx = Fixture::start().await;
    let (alice, bob, ci) = three_users(&fx).await;
    let either = json!({"orQuery": {"queries": [user_name("Alice", "TEXT_QUERY_METHOD_EQUALS"), user_name("bob", "TEXT_QUERY_METHOD_EQUALS")]}});
    let mut found = fx.list_ids(json!([either.clone()])).await;
    found.sort();
    let mut expected = vec![alice.clone(), bob.clone()];
    expected.sort();
    assert_eq!(found, expected);
    let not_alice = json!({"notQuery": {"query": user_name("Alice", "TEXT_QUERY_METHOD_EQUALS")}});
    let both = json!([{"andQuery": {"queries": [either, not_alice.clone()]}}]);
    assert_eq!(fx.list_ids(both).await, vec![bob.clone()]);
    let mut rest = fx.list_ids(json!([not_alice])).await;
    rest.sort();
    let mut expected = vec![bob, ci];
    expected.sort();
    assert_eq!(rest, expected);
}

#[tokio::test]
async fn offset_and_limit_page_and_total_result_is_a_string() {
    let fx = Fixture::start().await;
    three_users(&fx).await;
    let body = json!({"query": {"offset": "1", "limit": 1, "asc": true}, "sortingColumn": "USER_FIELD_NAME_USER_NAME"});
    let reply = fx.list(body).await;
    assert_eq!(reply.ok()["details"]["totalResult"], "3");
    let usernames: Vec<&str> = reply.body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(usernames, vec!["bob"]);
}

#[tokio::test]
async fn sorting_by_user_name_honours_asc() {
    let fx = Fixture::start().await;
    let (alice, bob, ci) = three_users(&fx).await;
    let sorted =
        |asc: bool| json!({"query": {"asc": asc}, "sortingColumn": "USER_FIELD_NAME_USER_NAME"});
    // Byte order: "Alice" < "bob" < "ci".
    assert_eq!(
        ids(&fx.list(sorted(true)).await.ok()["result"]),
        vec![alice.clone(), bob.clone(), ci.clone()]
    );
    assert_eq!(
        ids(&fx.list(sorted(false)).await.ok()["result"]),
        vec![ci, bob, alice]
    );
}

#[tokio::test]
async fn sorting_by_creation_date_follows_creation_order() {
    let fx = Fixture::start().await;
    let (alice, bob, ci) = three_users(&fx).await;
    let body = json!({"query": {"asc": true}, "sortingColumn": "USER_FIELD_NAME_CREATION_DATE"});
    let reply = fx.list(body).await;
    assert_eq!(ids(&reply.ok()["result"]), vec![alice, bob, ci]);
    assert_eq!(reply.body["sortingColumn"], "USER_FIELD_NAME_CREATION_DATE");
}

#[tokio::test]
async fn an_org_scoped_caller_only_lists_its_own_org() {
    let fx = Fixture::start().await;
    let (alice, bob, ci) = three_users(&fx).await;
    let other = fx.emulator.create_organization("other");
    fx.create_ok(with(machine_request(&other), "username", json!("outsider")))
        .await;
    let token = fx.emulator.org_scoped_pat(&fx.org);
    let reply = fx
        .send(
            reqwest::Method::POST,
            "/v2/users",
            Some(&token),
            Some(json!({})),
        )
        .await;
    let mut found = ids(&reply.ok()["result"]);
    found.sort();
    let mut expected = vec![alice, bob, ci];
    expected.sort();
    assert_eq!(found, expected);
}

#[tokio::test]
async fn list_results_have_the_get_user_shape() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let reply = fx.list(json!({})).await;
    assert_eq!(reply.ok()["result"][0], fx.user(&id).await);
}
