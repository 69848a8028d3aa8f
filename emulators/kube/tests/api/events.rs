//! kube-runtime's event Recorder against both stored event APIs.

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event as K8sEvent;
use kube::Api;
use kube::api::ListParams;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};

use crate::support::Cluster;

fn reference() -> ObjectReference {
    ObjectReference {
        api_version: Some("example.com/v1".into()),
        kind: Some("Widget".into()),
        name: Some("w".into()),
        namespace: Some("default".into()),
        uid: Some("0000".into()),
        ..ObjectReference::default()
    }
}

fn event(note: &str) -> Event {
    Event {
        type_: EventType::Normal,
        reason: "Synced".into(),
        note: Some(note.into()),
        action: "Reconcile".into(),
        secondary: None,
    }
}

#[tokio::test]
async fn a_recorder_publishes_events_and_repeats_become_a_series() {
    let cluster = Cluster::start().await;
    let reporter = Reporter {
        controller: "test-controller".into(),
        instance: None,
    };
    let recorder = Recorder::new(cluster.client.clone(), reporter);
    recorder
        .publish(&event("first"), &reference())
        .await
        .unwrap();
    recorder
        .publish(&event("first"), &reference())
        .await
        .unwrap();
    let events: Api<K8sEvent> = Api::namespaced(cluster.client.clone(), "default");
    let listed = events.list(&ListParams::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    let stored = &listed.items[0];
    assert_eq!(stored.reason.as_deref(), Some("Synced"));
    assert_eq!(
        stored.reporting_controller.as_deref(),
        Some("test-controller")
    );
    assert_eq!(stored.series.as_ref().map(|s| s.count), Some(2));
    let verbs: Vec<String> = cluster
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.group == "events.k8s.io" && r.is_mutating())
        .map(|r| r.verb)
        .collect();
    assert_eq!(verbs, ["create", "patch"]);
}

#[tokio::test]
async fn core_v1_events_are_stored_and_listed_too() {
    let cluster = Cluster::start().await;
    let core: Api<k8s_openapi::api::core::v1::Event> =
        Api::namespaced(cluster.client.clone(), "default");
    let body = k8s_openapi::api::core::v1::Event {
        metadata: kube::api::ObjectMeta {
            name: Some("e1".into()),
            ..Default::default()
        },
        involved_object: reference(),
        reason: Some("Created".into()),
        ..Default::default()
    };
    core.create(&kube::api::PostParams::default(), &body)
        .await
        .unwrap();
    let listed = core
        .list(&ListParams::default().fields("involvedObject.name=w"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
}
