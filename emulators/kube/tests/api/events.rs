//! kube-runtime's event Recorder against both Event APIs, which share one storage: what is
//! written through `events.k8s.io/v1` is read through core `v1` (as kubectl does) and back.

use futures::{StreamExt, TryStreamExt};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event as CoreEvent, EventSource, ObjectReference};
use k8s_openapi::api::events::v1::{Event as K8sEvent, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use kube::api::{DeleteParams, ListParams, ObjectMeta, PostParams, WatchEvent, WatchParams};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::{Api, ResourceExt};

use crate::support::{Cluster, TIMEOUT, api_code};

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

fn recorder(cluster: &Cluster) -> Recorder {
    let reporter = Reporter {
        controller: "test-controller".into(),
        instance: None,
    };
    Recorder::new(cluster.client.clone(), reporter)
}

/// Events in `default` through core `v1`, the API kubectl reads.
fn core_events(cluster: &Cluster) -> Api<CoreEvent> {
    Api::namespaced(cluster.client.clone(), "default")
}

/// Events in `default` through `events.k8s.io/v1`, the API the Recorder writes.
fn new_events(cluster: &Cluster) -> Api<K8sEvent> {
    Api::namespaced(cluster.client.clone(), "default")
}

/// The names of the core events a field selector picks.
async fn selected(events: &Api<CoreEvent>, fields: &str) -> Vec<String> {
    let listed = events
        .list(&ListParams::default().fields(fields))
        .await
        .unwrap();
    listed.items.iter().map(|e| e.name_any()).collect()
}

fn at(text: &str) -> Timestamp {
    text.parse().expect("a valid timestamp")
}

#[tokio::test]
async fn a_recorder_publishes_events_and_repeats_become_a_series() {
    let cluster = Cluster::start().await;
    let recorder = recorder(&cluster);
    recorder
        .publish(&event("first"), &reference())
        .await
        .unwrap();
    recorder
        .publish(&event("first"), &reference())
        .await
        .unwrap();
    let listed = new_events(&cluster)
        .list(&ListParams::default())
        .await
        .unwrap();
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
    let core = core_events(&cluster);
    let body = CoreEvent {
        metadata: ObjectMeta {
            name: Some("e1".into()),
            ..Default::default()
        },
        involved_object: reference(),
        reason: Some("Created".into()),
        ..Default::default()
    };
    core.create(&PostParams::default(), &body).await.unwrap();
    let listed = core
        .list(&ListParams::default().fields("involvedObject.name=w"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
}

#[tokio::test]
async fn an_event_written_through_events_k8s_io_is_listed_through_core_v1() {
    let cluster = Cluster::start().await;
    let related = ObjectReference {
        kind: Some("Secret".into()),
        name: Some("s".into()),
        ..ObjectReference::default()
    };
    let body = K8sEvent {
        metadata: ObjectMeta {
            name: Some("w.1".into()),
            ..ObjectMeta::default()
        },
        event_time: Some(MicroTime(at("2024-05-01T10:00:00.123456Z"))),
        series: Some(EventSeries {
            count: 3,
            last_observed_time: MicroTime(at("2024-05-01T10:05:00.5Z")),
        }),
        action: Some("Reconcile".into()),
        reason: Some("Synced".into()),
        type_: Some("Warning".into()),
        note: Some("it happened".into()),
        regarding: Some(reference()),
        related: Some(related.clone()),
        reporting_controller: Some("test-controller".into()),
        reporting_instance: Some("test-controller-0".into()),
        deprecated_source: Some(EventSource {
            component: Some("legacy".into()),
            host: Some("node-1".into()),
        }),
        deprecated_first_timestamp: Some(Time(at("2024-05-01T09:00:00Z"))),
        deprecated_last_timestamp: Some(Time(at("2024-05-01T09:30:00Z"))),
        deprecated_count: Some(7),
    };
    let written = new_events(&cluster)
        .create(&PostParams::default(), &body)
        .await
        .unwrap();

    let core = core_events(&cluster);
    let listed = core.list(&ListParams::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1, "one event, not one per API");
    let read = core.get("w.1").await.unwrap();
    assert_eq!(read, listed.items[0]);
    assert_eq!(read.metadata.namespace.as_deref(), Some("default"));
    assert_eq!(read.metadata.uid, written.metadata.uid);
    assert_eq!(
        read.metadata.resource_version,
        written.metadata.resource_version
    );
    assert_eq!(read.message.as_deref(), Some("it happened"));
    assert_eq!(read.involved_object, reference());
    assert_eq!(read.related, Some(related));
    assert_eq!(read.reporting_component.as_deref(), Some("test-controller"));
    assert_eq!(
        read.reporting_instance.as_deref(),
        Some("test-controller-0")
    );
    assert_eq!(read.source, body.deprecated_source);
    assert_eq!(read.first_timestamp, body.deprecated_first_timestamp);
    assert_eq!(read.last_timestamp, body.deprecated_last_timestamp);
    assert_eq!(read.count, Some(7));
    assert_eq!(read.event_time, body.event_time);
    assert_eq!(
        read.series
            .as_ref()
            .map(|s| (s.count, s.last_observed_time.clone())),
        body.series
            .as_ref()
            .map(|s| (Some(s.count), Some(s.last_observed_time.clone())))
    );
    assert_eq!(read.action.as_deref(), Some("Reconcile"));
    assert_eq!(read.reason.as_deref(), Some("Synced"));
    assert_eq!(read.type_.as_deref(), Some("Warning"));
}

#[tokio::test]
async fn a_repeat_the_recorder_patches_through_events_k8s_io_is_a_series_through_core_v1() {
    let cluster = Cluster::start().await;
    let recorder = recorder(&cluster);
    for _ in 0..3 {
        recorder
            .publish(&event("again"), &reference())
            .await
            .unwrap();
    }
    let listed = core_events(&cluster)
        .list(&ListParams::default())
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    let core = &listed.items[0];
    assert_eq!(core.series.as_ref().and_then(|s| s.count), Some(3));
    assert_eq!(core.message.as_deref(), Some("again"));
    let newer = new_events(&cluster).get(&core.name_any()).await.unwrap();
    assert_eq!(
        newer.metadata.resource_version,
        core.metadata.resource_version
    );
}

#[tokio::test]
async fn kubectl_describes_field_selectors_find_events_by_their_involved_object() {
    let cluster = Cluster::start().await;
    let recorder = recorder(&cluster);
    recorder
        .publish(&event("about w"), &reference())
        .await
        .unwrap();
    let other = ObjectReference {
        name: Some("other".into()),
        uid: Some("1111".into()),
        ..reference()
    };
    recorder
        .publish(&event("about other"), &other)
        .await
        .unwrap();
    let core = core_events(&cluster);
    let describe = "involvedObject.name=w,involvedObject.namespace=default,\
                    involvedObject.kind=Widget,involvedObject.uid=0000";
    let about_w = selected(&core, describe).await;
    assert_eq!(about_w.len(), 1, "{about_w:?}");
    assert!(about_w[0].starts_with("w."), "{about_w:?}");
    assert!(
        selected(&core, "involvedObject.name=w,involvedObject.uid=1111")
            .await
            .is_empty()
    );
    assert_eq!(selected(&core, "involvedObject.kind=Widget").await.len(), 2);
    let newer = new_events(&cluster);
    let by_regarding = newer
        .list(&ListParams::default().fields("regarding.name=other,regarding.uid=1111"))
        .await
        .unwrap();
    assert_eq!(by_regarding.items.len(), 1);
}

#[tokio::test]
async fn a_watch_on_core_v1_events_sees_an_event_created_through_events_k8s_io() {
    let cluster = Cluster::start().await;
    let core = core_events(&cluster);
    let mut stream = core
        .watch(&WatchParams::default(), "0")
        .await
        .unwrap()
        .boxed();
    recorder(&cluster)
        .publish(&event("watched"), &reference())
        .await
        .unwrap();
    let first = tokio::time::timeout(TIMEOUT, stream.try_next())
        .await
        .expect("a watch event in time")
        .unwrap();
    match first {
        Some(WatchEvent::Added(e)) => {
            assert_eq!(e.message.as_deref(), Some("watched"));
            assert_eq!(e.involved_object.name.as_deref(), Some("w"));
        }
        other => panic!("expected an ADDED core event, got {other:?}"),
    }
}

#[tokio::test]
async fn an_event_written_through_core_v1_is_read_and_deleted_through_events_k8s_io() {
    let cluster = Cluster::start().await;
    let core = core_events(&cluster);
    let body = CoreEvent {
        metadata: ObjectMeta {
            name: Some("e1".into()),
            ..ObjectMeta::default()
        },
        involved_object: reference(),
        message: Some("from core".into()),
        reporting_component: Some("old-controller".into()),
        count: Some(2),
        ..CoreEvent::default()
    };
    core.create(&PostParams::default(), &body).await.unwrap();
    let newer = new_events(&cluster);
    let read = newer.get("e1").await.unwrap();
    assert_eq!(read.note.as_deref(), Some("from core"));
    assert_eq!(read.regarding, Some(reference()));
    assert_eq!(read.reporting_controller.as_deref(), Some("old-controller"));
    assert_eq!(read.deprecated_count, Some(2));
    newer.delete("e1", &DeleteParams::default()).await.unwrap();
    assert_eq!(api_code(core.get("e1").await), 404);
}

#[tokio::test]
async fn event_tables_have_the_real_servers_columns() {
    let cluster = Cluster::start().await;
    recorder(&cluster)
        .publish(&event("shown"), &reference())
        .await
        .unwrap();
    let request = http::Request::get("/api/v1/namespaces/default/events")
        .header(
            "Accept",
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
        )
        .body(Vec::new())
        .unwrap();
    let table: serde_json::Value = cluster.client.request(request).await.unwrap();
    let shown: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["priority"] == 0)
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(shown, ["Last Seen", "Type", "Reason", "Object", "Message"]);
    let cells = &table["rows"][0]["cells"];
    assert_eq!(cells[1], "Normal");
    assert_eq!(cells[2], "Synced");
    assert_eq!(cells[3], "widget/w");
    assert_eq!(cells[6], "shown");
}
