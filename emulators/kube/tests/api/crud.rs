//! Create, read, update, delete, list and their errors, with typed k8s-openapi Secrets.

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Api;
use kube::api::{DeleteParams, ListParams, ObjectMeta, PostParams, Preconditions};

use crate::support::{Cluster, api_code, api_status, secret};

#[tokio::test]
async fn a_created_secret_gets_server_metadata_and_its_string_data_encoded() {
    let cluster = Cluster::start().await;
    let created = cluster
        .secrets()
        .create(&PostParams::default(), &secret("s1", &[]))
        .await
        .unwrap();
    let meta = &created.metadata;
    assert_eq!(meta.namespace.as_deref(), Some("default"));
    assert_eq!(meta.uid.as_ref().map(String::len), Some(36));
    assert!(meta.creation_timestamp.is_some());
    assert_eq!(meta.generation, Some(1));
    assert!(
        meta.resource_version
            .as_deref()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert_eq!(created.data.unwrap()["key"].0, b"value");
    assert!(created.string_data.is_none());
    assert_eq!(created.type_.as_deref(), Some("Opaque"));
}

#[tokio::test]
async fn creating_an_existing_name_is_already_exists() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    secrets
        .create(&PostParams::default(), &secret("s1", &[]))
        .await
        .unwrap();
    let status = api_status(
        secrets
            .create(&PostParams::default(), &secret("s1", &[]))
            .await,
    );
    assert_eq!(
        (status.code, status.reason.as_str()),
        (409, "AlreadyExists")
    );
    assert_eq!(status.message, "secrets \"s1\" already exists");
}

#[tokio::test]
async fn getting_a_missing_object_is_not_found_with_details() {
    let cluster = Cluster::start().await;
    let status = api_status(cluster.secrets().get("nope").await);
    assert_eq!((status.code, status.reason.as_str()), (404, "NotFound"));
    let details = status.details.unwrap();
    assert_eq!(
        (details.name.as_str(), details.kind.as_str()),
        ("nope", "secrets")
    );
    assert!(cluster.secrets().get_opt("nope").await.unwrap().is_none());
}

#[tokio::test]
async fn creating_in_a_missing_namespace_is_not_found() {
    let cluster = Cluster::start().await;
    let elsewhere: Api<Secret> = Api::namespaced(cluster.client.clone(), "missing");
    let status = api_status(
        elsewhere
            .create(&PostParams::default(), &secret("s1", &[]))
            .await,
    );
    assert_eq!(status.code, 404);
    assert_eq!(status.message, "namespaces \"missing\" not found");
}

#[tokio::test]
async fn replacing_with_a_stale_resource_version_is_a_conflict() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    let first = secrets
        .create(&PostParams::default(), &secret("s1", &[]))
        .await
        .unwrap();
    let mut changed = first.clone();
    changed.metadata.labels = Some([("a".to_string(), "1".to_string())].into());
    let updated = secrets
        .replace("s1", &PostParams::default(), &changed)
        .await
        .unwrap();
    assert_ne!(
        updated.metadata.resource_version,
        first.metadata.resource_version
    );
    let status = api_status(
        secrets
            .replace("s1", &PostParams::default(), &changed)
            .await,
    );
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    assert!(status.message.contains("the object has been modified"));
}

#[tokio::test]
async fn resource_versions_come_from_one_increasing_counter() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    let configmaps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "default");
    let rv = |meta: &ObjectMeta| {
        meta.resource_version
            .as_deref()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let a = secrets
        .create(&PostParams::default(), &secret("a", &[]))
        .await
        .unwrap();
    let cm = ConfigMap {
        metadata: ObjectMeta {
            name: Some("b".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let b = configmaps
        .create(&PostParams::default(), &cm)
        .await
        .unwrap();
    assert_eq!(rv(&b.metadata), rv(&a.metadata) + 1);
    let list = secrets.list(&ListParams::default()).await.unwrap();
    assert_eq!(
        list.metadata
            .resource_version
            .as_deref()
            .map(|v| v.parse::<u64>().unwrap()),
        Some(rv(&b.metadata))
    );
}

#[tokio::test]
async fn generate_name_gives_unique_names_with_the_prefix() {
    let cluster = Cluster::start().await;
    let mut template = secret("", &[]);
    template.metadata.name = None;
    template.metadata.generate_name = Some("gen-".into());
    let a = cluster
        .secrets()
        .create(&PostParams::default(), &template)
        .await
        .unwrap();
    let b = cluster
        .secrets()
        .create(&PostParams::default(), &template)
        .await
        .unwrap();
    let (a, b) = (a.metadata.name.unwrap(), b.metadata.name.unwrap());
    assert!(a.starts_with("gen-") && b.starts_with("gen-"));
    assert_ne!(a, b);
}

async fn labelled_secrets(cluster: &Cluster) {
    for (name, tier) in [("a", "front"), ("b", "back"), ("c", "front"), ("d", "db")] {
        let labels = [("tier", tier), ("app", "shop")];
        cluster
            .secrets()
            .create(&PostParams::default(), &secret(name, &labels))
            .await
            .unwrap();
    }
}

fn names(list: &kube::core::ObjectList<Secret>) -> Vec<String> {
    list.items
        .iter()
        .filter_map(|s| s.metadata.name.clone())
        .collect()
}

#[tokio::test]
async fn lists_filter_by_label_and_field_selectors() {
    let cluster = Cluster::start().await;
    labelled_secrets(&cluster).await;
    let secrets = cluster.secrets();
    let select = |labels: &str| ListParams::default().labels(labels);
    assert_eq!(
        names(&secrets.list(&select("tier=front")).await.unwrap()),
        ["a", "c"]
    );
    assert_eq!(
        names(&secrets.list(&select("tier in (back,db)")).await.unwrap()),
        ["b", "d"]
    );
    assert_eq!(
        names(
            &secrets
                .list(&select("tier notin (front),app"))
                .await
                .unwrap()
        ),
        ["b", "d"]
    );
    assert!(names(&secrets.list(&select("!app")).await.unwrap()).is_empty());
    let by_name = ListParams::default().fields("metadata.name=b");
    assert_eq!(names(&secrets.list(&by_name).await.unwrap()), ["b"]);
}

#[tokio::test]
async fn lists_are_paginated_with_limit_and_continue() {
    let cluster = Cluster::start().await;
    labelled_secrets(&cluster).await;
    let secrets = cluster.secrets();
    let first = secrets.list(&ListParams::default().limit(3)).await.unwrap();
    assert_eq!(names(&first), ["a", "b", "c"]);
    assert_eq!(first.metadata.remaining_item_count, Some(1));
    let token = first.metadata.continue_.clone().unwrap();
    let second = secrets
        .list(&ListParams::default().limit(3).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(names(&second), ["d"]);
    assert!(second.metadata.continue_.is_none());
    assert_eq!(second.metadata.remaining_item_count, None);
}

#[tokio::test]
async fn a_selected_list_is_paginated_over_the_matches_without_a_remaining_count() {
    let cluster = Cluster::start().await;
    labelled_secrets(&cluster).await;
    let secrets = cluster.secrets();
    let selected = ListParams::default().labels("tier in (back,db)").limit(1);
    let first = secrets.list(&selected).await.unwrap();
    assert_eq!(names(&first), ["b"]);
    // The API server cannot count what a selector leaves and says so by omitting the count.
    assert_eq!(first.metadata.remaining_item_count, None);
    let token = first.metadata.continue_.clone().unwrap();
    let second = secrets
        .list(&selected.clone().continue_token(&token))
        .await
        .unwrap();
    assert_eq!(names(&second), ["d"]);
    assert!(second.metadata.continue_.is_none());
}

#[tokio::test]
async fn delete_collection_removes_only_the_selected_objects() {
    let cluster = Cluster::start().await;
    labelled_secrets(&cluster).await;
    let secrets = cluster.secrets();
    let selected = ListParams::default().labels("tier=front");
    secrets
        .delete_collection(&DeleteParams::default(), &selected)
        .await
        .unwrap();
    assert_eq!(
        names(&secrets.list(&ListParams::default()).await.unwrap()),
        ["b", "d"]
    );
}

#[tokio::test]
async fn deleting_removes_at_once_and_honours_preconditions() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    secrets
        .create(&PostParams::default(), &secret("s1", &[]))
        .await
        .unwrap();
    let wrong_uid = DeleteParams::default().preconditions(Preconditions {
        uid: Some("other".into()),
        resource_version: None,
    });
    assert_eq!(api_code(secrets.delete("s1", &wrong_uid).await), 409);
    let deleted = secrets
        .delete("s1", &DeleteParams::default())
        .await
        .unwrap();
    assert!(deleted.is_right(), "built-in kinds answer a Success Status");
    assert_eq!(api_code(secrets.get("s1").await), 404);
    assert_eq!(
        api_code(secrets.delete("s1", &DeleteParams::default()).await),
        404
    );
}

#[tokio::test]
async fn deleting_a_namespace_removes_its_objects() {
    let cluster = Cluster::start().await;
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(cluster.client.clone());
    let team = k8s_openapi::api::core::v1::Namespace {
        metadata: ObjectMeta {
            name: Some("team".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let created = namespaces
        .create(&PostParams::default(), &team)
        .await
        .unwrap();
    assert_eq!(
        created.metadata.labels.unwrap()["kubernetes.io/metadata.name"],
        "team"
    );
    let in_team: Api<Secret> = Api::namespaced(cluster.client.clone(), "team");
    in_team
        .create(&PostParams::default(), &secret("s1", &[]))
        .await
        .unwrap();
    namespaces
        .delete("team", &DeleteParams::default())
        .await
        .unwrap();
    assert!(cluster.emulator.objects("", "secrets").is_empty());
}
