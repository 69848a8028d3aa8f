//! Fault injection and the request log.

use kube::api::{ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{Cluster, api_status, secret, widget};

#[tokio::test]
async fn the_next_creates_fail_as_injected_then_succeed() {
    let cluster = Cluster::start().await;
    cluster
        .emulator
        .fail_next("create", "secrets", None, 2, 500);
    let secrets = cluster.secrets();
    for _ in 0..2 {
        let status = api_status(
            secrets
                .create(&PostParams::default(), &secret("s", &[]))
                .await,
        );
        assert_eq!(
            (status.code, status.reason.as_str()),
            (500, "InternalError")
        );
    }
    secrets
        .create(&PostParams::default(), &secret("s", &[]))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_status_patch_fault_leaves_the_main_resource_alone() {
    let cluster = Cluster::with_widgets().await;
    let widgets = cluster.widgets();
    widgets
        .create(&PostParams::default(), &widget("w", 1))
        .await
        .unwrap();
    cluster
        .emulator
        .fail_next("patch", "widgets", Some("status"), 1, 409);
    let merge = Patch::Merge(json!({"metadata": {"labels": {"a": "b"}}}));
    widgets
        .patch("w", &PatchParams::default(), &merge)
        .await
        .unwrap();
    let status_patch = Patch::Merge(json!({"status": {"conditions": []}}));
    let status = api_status(
        widgets
            .patch_status("w", &PatchParams::default(), &status_patch)
            .await,
    );
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    widgets
        .patch_status("w", &PatchParams::default(), &status_patch)
        .await
        .unwrap();
}

#[tokio::test]
async fn requests_are_recorded_as_rbac_sees_them() {
    let cluster = Cluster::start().await;
    cluster.emulator.clear_requests();
    let secrets = cluster.secrets();
    secrets
        .create(&PostParams::default(), &secret("s", &[]))
        .await
        .unwrap();
    secrets.get("s").await.unwrap();
    secrets.list(&ListParams::default()).await.unwrap();
    let requests = cluster.emulator.requests();
    let verbs: Vec<&str> = requests.iter().map(|r| r.verb.as_str()).collect();
    assert_eq!(verbs, ["create", "get", "list"]);
    let get = &requests[1];
    assert_eq!((get.group.as_str(), get.resource.as_str()), ("", "secrets"));
    assert_eq!(
        (get.namespace.as_deref(), get.name.as_deref()),
        (Some("default"), Some("s"))
    );
    assert_eq!(cluster.emulator.mutating_request_count(), 1);
    cluster.emulator.clear_requests();
    secrets.get("s").await.unwrap();
    assert_eq!(
        cluster.emulator.mutating_request_count(),
        0,
        "reads make no writes"
    );
}
