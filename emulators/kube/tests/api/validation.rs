//! CRD lifecycle, discovery of custom resources, and schema/CEL validation.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{
    ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use kube::discovery::{Discovery, Scope};
use kube::{Api, Resource};
use serde_json::json;

use crate::support::{Cluster, Widget, api_code, api_status, widget};

fn dynamic_widgets(cluster: &Cluster) -> Api<DynamicObject> {
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk("example.com", "v1", "Widget"));
    Api::namespaced_with(cluster.client.clone(), "default", &resource)
}

#[tokio::test]
async fn an_installed_crd_is_discoverable_with_its_names_and_status_subresource() {
    let cluster = Cluster::with_widgets().await;
    let discovery = Discovery::new(cluster.client.clone()).run().await.unwrap();
    let gvk = GroupVersionKind::gvk("example.com", "v1", "Widget");
    let (resource, capabilities) = discovery.resolve_gvk(&gvk).expect("Widget discovered");
    assert_eq!(resource.plural, "widgets");
    assert_eq!(capabilities.scope, Scope::Namespaced);
    assert!(
        capabilities
            .subresources
            .iter()
            .any(|(r, _)| r.plural == "widgets/status" || r.plural == "status")
    );
}

#[tokio::test]
async fn a_cel_rule_violation_is_invalid_with_the_rule_message() {
    let cluster = Cluster::with_widgets().await;
    let status = api_status(
        cluster
            .widgets()
            .create(&PostParams::default(), &widget("big", 11))
            .await,
    );
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        status.message,
        "Widget.example.com \"big\" is invalid: spec: Invalid value: \"object\": size must be at most 10"
    );
}

#[tokio::test]
async fn transition_rules_compare_with_the_stored_object() {
    let cluster = Cluster::with_widgets().await;
    let widgets = cluster.widgets();
    let mut red = widget("w", 1);
    red.spec.color = Some("red".into());
    widgets.create(&PostParams::default(), &red).await.unwrap();
    let repaint = Patch::Merge(json!({"spec": {"color": "blue"}}));
    let status = api_status(widgets.patch("w", &PatchParams::default(), &repaint).await);
    assert_eq!(status.code, 422);
    assert!(
        status
            .message
            .ends_with("spec.color: Invalid value: \"string\": color is immutable"),
        "{}",
        status.message
    );
    let resize = Patch::Merge(json!({"spec": {"size": 5}}));
    assert_eq!(
        widgets
            .patch("w", &PatchParams::default(), &resize)
            .await
            .unwrap()
            .spec
            .size,
        5
    );
}

#[tokio::test]
async fn schema_types_and_required_fields_are_enforced() {
    let cluster = Cluster::with_widgets().await;
    let widgets = dynamic_widgets(&cluster);
    let mut object = DynamicObject::new("w", &ApiResource::erase::<Widget>(&()));
    object.data = json!({"spec": {"size": "large"}});
    let status = api_status(widgets.create(&PostParams::default(), &object).await);
    assert!(
        status
            .message
            .contains("spec.size in body must be of type integer"),
        "{}",
        status.message
    );
    object.data = json!({"spec": {}});
    let status = api_status(widgets.create(&PostParams::default(), &object).await);
    assert!(
        status.message.ends_with("spec.size: Required value"),
        "{}",
        status.message
    );
}

#[tokio::test]
async fn unknown_fields_are_pruned_or_rejected_under_strict_validation() {
    let cluster = Cluster::with_widgets().await;
    let widgets = dynamic_widgets(&cluster);
    let mut object = DynamicObject::new("w", &ApiResource::erase::<Widget>(&()));
    object.data = json!({"spec": {"size": 1, "shape": "round"}});
    let created = widgets
        .create(&PostParams::default(), &object)
        .await
        .unwrap();
    assert_eq!(created.data["spec"], json!({"size": 1}));
    let strict = PatchParams::apply("test").validation_strict();
    let body = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1, "shape": "round"}});
    let status = api_status(widgets.patch("w", &strict, &Patch::Apply(body)).await);
    assert_eq!(status.code, 400);
    assert!(
        status.message.contains("unknown field \"spec.shape\""),
        "{}",
        status.message
    );
}

#[tokio::test]
async fn deleting_a_crd_removes_its_objects_and_stops_serving_it() {
    let cluster = Cluster::with_widgets().await;
    cluster
        .widgets()
        .create(&PostParams::default(), &widget("w", 1))
        .await
        .unwrap();
    let crds: Api<CustomResourceDefinition> = Api::all(cluster.client.clone());
    crds.delete("widgets.example.com", &DeleteParams::default())
        .await
        .unwrap();
    assert!(
        cluster
            .emulator
            .objects("example.com", "widgets")
            .is_empty()
    );
    assert_eq!(api_code(cluster.widgets().get("w").await), 404);
    let url = Widget::url_path(&(), Some("default"));
    assert!(url.starts_with("/apis/example.com/v1"));
}

#[tokio::test]
async fn a_crd_must_be_named_after_its_plural_and_group() {
    let cluster = Cluster::start().await;
    let mut crd = <Widget as kube::CustomResourceExt>::crd();
    crd.metadata.name = Some("wrong.example.com".into());
    let crds: Api<CustomResourceDefinition> = Api::all(cluster.client.clone());
    let status = api_status(crds.create(&PostParams::default(), &crd).await);
    assert_eq!(status.code, 422);
    assert!(
        status.message.contains("metadata.name"),
        "{}",
        status.message
    );
}
