//! The status subresource and the generation rules, with the test CRD.

use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{Cluster, Condition, WidgetStatus, api_code, widget};

fn ready() -> WidgetStatus {
    WidgetStatus {
        conditions: vec![Condition {
            type_: "Ready".into(),
            status: "True".into(),
        }],
    }
}

#[tokio::test]
async fn generation_counts_spec_changes_only() {
    let cluster = Cluster::with_widgets().await;
    let widgets = cluster.widgets();
    let created = widgets
        .create(&PostParams::default(), &widget("w", 1))
        .await
        .unwrap();
    assert_eq!(created.metadata.generation, Some(1));
    let labelled = widgets
        .patch(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"a": "b"}}})),
        )
        .await
        .unwrap();
    assert_eq!(labelled.metadata.generation, Some(1));
    let with_status = widgets
        .patch_status(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": ready()})),
        )
        .await
        .unwrap();
    assert_eq!(with_status.metadata.generation, Some(1));
    let resized = widgets
        .patch(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"size": 2}})),
        )
        .await
        .unwrap();
    assert_eq!(resized.metadata.generation, Some(2));
}

#[tokio::test]
async fn status_written_through_the_main_endpoint_is_ignored() {
    let cluster = Cluster::with_widgets().await;
    let widgets = cluster.widgets();
    let mut with_status = widget("w", 1);
    with_status.status = Some(ready());
    let created = widgets
        .create(&PostParams::default(), &with_status)
        .await
        .unwrap();
    assert_eq!(created.status, None, "status is dropped on create");
    let mut replaced = created.clone();
    replaced.status = Some(ready());
    let after = widgets
        .replace("w", &PostParams::default(), &replaced)
        .await
        .unwrap();
    assert_eq!(after.status, None);
    assert_eq!(
        after.metadata.resource_version, created.metadata.resource_version,
        "a no-op write"
    );
}

#[tokio::test]
async fn the_status_endpoint_changes_only_status() {
    let cluster = Cluster::with_widgets().await;
    let widgets = cluster.widgets();
    let created = widgets
        .create(&PostParams::default(), &widget("w", 1))
        .await
        .unwrap();
    let mut sneaky = created.clone();
    sneaky.spec.size = 9;
    sneaky.status = Some(ready());
    let after = widgets
        .replace_status("w", &PostParams::default(), &sneaky)
        .await
        .unwrap();
    assert_eq!(after.spec.size, 1);
    assert_eq!(after.status, Some(ready()));
    assert_eq!(widgets.get_status("w").await.unwrap().status, Some(ready()));
}

#[tokio::test]
async fn replacing_status_with_a_stale_resource_version_conflicts() {
    let cluster = Cluster::with_widgets().await;
    let widgets = cluster.widgets();
    let created = widgets
        .create(&PostParams::default(), &widget("w", 1))
        .await
        .unwrap();
    widgets
        .patch(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"size": 2}})),
        )
        .await
        .unwrap();
    let mut stale = created;
    stale.status = Some(ready());
    assert_eq!(
        api_code(
            widgets
                .replace_status("w", &PostParams::default(), &stale)
                .await
        ),
        409
    );
}

#[tokio::test]
async fn kinds_without_a_status_subresource_have_no_status_endpoint() {
    let cluster = Cluster::start().await;
    cluster
        .secrets()
        .create(&PostParams::default(), &crate::support::secret("s", &[]))
        .await
        .unwrap();
    assert_eq!(api_code(cluster.secrets().get_status("s").await), 404);
}
