//! The four patch types, resourceVersion preconditions and server-side apply conflicts.

use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{Cluster, api_code, api_status, secret};

fn json_patch(ops: serde_json::Value) -> Patch<()> {
    Patch::Json(serde_json::from_value(ops).unwrap())
}

#[tokio::test]
async fn merge_patches_set_and_remove_fields() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    secrets
        .create(
            &PostParams::default(),
            &secret("s", &[("a", "1"), ("b", "2")]),
        )
        .await
        .unwrap();
    let patched = secrets
        .patch(
            "s",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"a": null, "c": "3"}}})),
        )
        .await
        .unwrap();
    let labels = patched.metadata.labels.unwrap();
    assert_eq!(labels.keys().cloned().collect::<Vec<_>>(), ["b", "c"]);
}

#[tokio::test]
async fn a_failing_json_patch_test_is_unprocessable_and_changes_nothing() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    secrets
        .create(&PostParams::default(), &secret("s", &[("a", "1")]))
        .await
        .unwrap();
    let failing = json_patch(json!([
        {"op": "test", "path": "/metadata/labels/a", "value": "2"},
        {"op": "add", "path": "/metadata/labels/b", "value": "x"}
    ]));
    assert_eq!(
        api_code(secrets.patch("s", &PatchParams::default(), &failing).await),
        422
    );
    let passing = json_patch(json!([
        {"op": "test", "path": "/metadata/finalizers", "value": null},
        {"op": "add", "path": "/metadata/finalizers", "value": ["example.com/x"]}
    ]));
    let patched = secrets
        .patch("s", &PatchParams::default(), &passing)
        .await
        .unwrap();
    assert_eq!(
        patched.metadata.finalizers,
        Some(vec!["example.com/x".to_string()])
    );
    assert_eq!(patched.metadata.labels.unwrap().len(), 1);
}

#[tokio::test]
async fn strategic_merge_patches_merge_finalizers() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    let mut with_finalizer = secret("s", &[]);
    with_finalizer.metadata.finalizers = Some(vec!["a/one".into()]);
    secrets
        .create(&PostParams::default(), &with_finalizer)
        .await
        .unwrap();
    let patched = secrets
        .patch(
            "s",
            &PatchParams::default(),
            &Patch::Strategic(json!({"metadata": {"finalizers": ["a/two"]}})),
        )
        .await
        .unwrap();
    assert_eq!(
        patched.metadata.finalizers,
        Some(vec!["a/one".to_string(), "a/two".to_string()])
    );
}

#[tokio::test]
async fn a_patch_carrying_a_stale_resource_version_conflicts() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    let created = secrets
        .create(&PostParams::default(), &secret("s", &[]))
        .await
        .unwrap();
    let rv = created.metadata.resource_version.unwrap();
    let guarded = |value: &str| {
        Patch::Merge(json!({"metadata": {"resourceVersion": rv, "labels": {"v": value}}}))
    };
    secrets
        .patch("s", &PatchParams::default(), &guarded("1"))
        .await
        .unwrap();
    assert_eq!(
        api_code(
            secrets
                .patch("s", &PatchParams::default(), &guarded("2"))
                .await
        ),
        409
    );
}

#[tokio::test]
async fn server_side_apply_creates_merges_and_detects_conflicts() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    let applied = |value: &str| json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "labels": {"owner": value}}});
    let created = secrets
        .patch(
            "s",
            &PatchParams::apply("alpha"),
            &Patch::Apply(applied("alpha")),
        )
        .await
        .unwrap();
    assert!(created.metadata.uid.is_some());
    let status = api_status(
        secrets
            .patch(
                "s",
                &PatchParams::apply("beta"),
                &Patch::Apply(applied("beta")),
            )
            .await,
    );
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    assert!(status.message.contains("alpha"), "{}", status.message);
    let forced = secrets
        .patch(
            "s",
            &PatchParams::apply("beta").force(),
            &Patch::Apply(applied("beta")),
        )
        .await
        .unwrap();
    assert_eq!(forced.metadata.labels.unwrap()["owner"], "beta");
}

#[tokio::test]
async fn server_side_apply_removes_fields_its_manager_stops_applying() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    let labels = |labels: serde_json::Value| json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "labels": labels}});
    let params = PatchParams::apply("op");
    secrets
        .patch(
            "s",
            &params,
            &Patch::Apply(labels(json!({"a": "1", "b": "2"}))),
        )
        .await
        .unwrap();
    let after = secrets
        .patch("s", &params, &Patch::Apply(labels(json!({"a": "1"}))))
        .await
        .unwrap();
    assert_eq!(after.metadata.labels.unwrap().len(), 1);
}

#[tokio::test]
async fn server_side_apply_requires_a_field_manager() {
    let cluster = Cluster::start().await;
    // kube refuses to send this itself, so the request is built by hand.
    let request = http::Request::patch("/api/v1/namespaces/default/secrets/s")
        .header("content-type", "application/apply-patch+yaml")
        .body(br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}"#.to_vec())
        .unwrap();
    let result = cluster.client.request::<serde_json::Value>(request).await;
    assert_eq!(api_code(result), 422);
}
