use reqwest::Method;
use serde_json::json;

use crate::common::{Fixture, b64};

async fn set(fx: &Fixture, id: &str, pairs: &[(&str, &[u8])]) -> crate::common::Reply {
    let metadata: Vec<_> = pairs
        .iter()
        .map(|(key, value)| json!({"key": key, "value": b64(value)}))
        .collect();
    fx.post(
        &format!("/v2/users/{id}/metadata"),
        json!({"metadata": metadata}),
    )
    .await
}

#[tokio::test]
async fn set_merges_keys_and_returns_the_set_date() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    set(&fx, &id, &[("a", b"1"), ("b", b"2")]).await.ok();
    let reply = set(&fx, &id, &[("a", b"3")]).await;
    assert!(reply.ok()["setDate"].is_string());
    let metadata = fx.emulator.user_metadata(&id);
    assert_eq!(
        (metadata["a"].as_slice(), metadata["b"].as_slice()),
        (b"3".as_slice(), b"2".as_slice())
    );
}

#[tokio::test]
async fn set_with_an_empty_value_deletes_and_ignores_missing_keys() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    set(&fx, &id, &[("a", b"1")]).await.ok();
    set(&fx, &id, &[("a", b""), ("never", b"")]).await.ok();
    assert!(fx.emulator.user_metadata(&id).is_empty());
}

#[tokio::test]
async fn values_must_be_base64() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let reply = fx
        .post(
            &format!("/v2/users/{id}/metadata"),
            json!({"metadata": [{"key": "a", "value": "***"}]}),
        )
        .await;
    reply.assert_invalid("base64");
}

#[tokio::test]
async fn keys_over_200_characters_are_invalid() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    set(&fx, &id, &[(&"k".repeat(201), b"1")])
        .await
        .assert_invalid("Key");
}

#[tokio::test]
async fn values_over_500000_bytes_are_invalid() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    set(&fx, &id, &[("big", &vec![7u8; 500_001])])
        .await
        .assert_invalid("500000 bytes");
}

#[tokio::test]
async fn list_returns_entries_with_pagination_and_dates() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    set(&fx, &id, &[("a", b"1"), ("b", b"2")]).await.ok();
    let reply = fx
        .post(&format!("/v2/users/{id}/metadata/search"), json!({}))
        .await;
    let body = reply.ok();
    assert_eq!(
        body["pagination"],
        json!({"totalResult": "2", "appliedLimit": "100"})
    );
    assert_eq!(body["metadata"][0]["key"], "a");
    assert_eq!(body["metadata"][0]["value"], b64(b"1"));
    assert!(body["metadata"][0]["creationDate"].is_string());
    assert!(body["metadata"][0]["changeDate"].is_string());
}

#[tokio::test]
async fn list_filters_keys_with_text_filter_methods() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    set(
        &fx,
        &id,
        &[
            ("app.k8s/uid", b"1"),
            ("App.K8s/name", b"2"),
            ("other", b"3"),
        ],
    )
    .await
    .ok();
    let search = |key: &str, method: &str| json!({"filters": [{"keyFilter": {"key": key, "method": method}}]});
    let keys = |body: &serde_json::Value| -> Vec<String> {
        body["metadata"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|e| e["key"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let path = format!("/v2/users/{id}/metadata/search");
    let exact = fx
        .post(&path, search("app.k8s/uid", "TEXT_FILTER_METHOD_EQUALS"))
        .await;
    assert_eq!(keys(exact.ok()), vec!["app.k8s/uid"]);
    let prefix = fx
        .post(
            &path,
            search("app.", "TEXT_FILTER_METHOD_STARTS_WITH_IGNORE_CASE"),
        )
        .await;
    assert_eq!(keys(prefix.ok()), vec!["App.K8s/name", "app.k8s/uid"]);
}

#[tokio::test]
async fn list_pages_with_offset_and_limit() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    set(&fx, &id, &[("a", b"1"), ("b", b"2"), ("c", b"3")])
        .await
        .ok();
    let reply = fx
        .post(
            &format!("/v2/users/{id}/metadata/search"),
            json!({"pagination": {"offset": "1", "limit": 1}}),
        )
        .await;
    assert_eq!(
        reply.ok()["pagination"],
        json!({"totalResult": "3", "appliedLimit": "1"})
    );
    assert_eq!(reply.body["metadata"][0]["key"], "b");
}

#[tokio::test]
async fn delete_removes_the_keys_named_in_the_query() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    set(&fx, &id, &[("a", b"1"), ("b", b"2"), ("c", b"3")])
        .await
        .ok();
    let reply = fx
        .delete(&format!("/v2/users/{id}/metadata?keys=a&keys=c"))
        .await;
    assert!(reply.ok()["deletionDate"].is_string());
    assert_eq!(
        fx.emulator.user_metadata(&id).keys().collect::<Vec<_>>(),
        vec!["b"]
    );
}

#[tokio::test]
async fn deleting_a_missing_key_is_not_found() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    set(&fx, &id, &[("a", b"1")]).await.ok();
    fx.delete(&format!("/v2/users/{id}/metadata?keys=a&keys=missing"))
        .await
        .assert_error(404, 5, "META-2nnds");
    assert!(
        fx.emulator.user_metadata(&id).contains_key("a"),
        "a failed delete changes nothing"
    );
}

#[tokio::test]
async fn deleting_no_keys_is_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    fx.admin(Method::DELETE, &format!("/v2/users/{id}/metadata"), None)
        .await
        .assert_error(400, 9, "META-9mm2d");
}

#[tokio::test]
async fn metadata_of_a_missing_user_is_not_found() {
    let fx = Fixture::start().await;
    set(&fx, "nobody", &[("a", b"1")])
        .await
        .assert_error(404, 5, "QUERY-Dfbg2");
}
