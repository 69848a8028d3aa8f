//! Watches: the kube-runtime watcher (list+watch and streaming lists), selectors, 410 Gone,
//! bookmarks.

use std::time::Duration;

use futures::{Stream, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::watcher::{self, Event};
use kube_emulator::KubeEmulatorConfig;
use serde_json::json;

use crate::support::{Cluster, TIMEOUT, secret};

/// A watcher event reduced to (kind, object name) for assertions.
fn summary(event: &Event<Secret>) -> (&'static str, String) {
    let name = |s: &Secret| s.metadata.name.clone().unwrap_or_default();
    match event {
        Event::Init => ("init", String::new()),
        Event::InitApply(s) => ("init-apply", name(s)),
        Event::InitDone => ("init-done", String::new()),
        Event::Apply(s) => ("apply", name(s)),
        Event::Delete(s) => ("delete", name(s)),
    }
}

/// Read watcher events until one equals `wanted`; returns everything seen. Errors the watcher
/// reports (and recovers from) are seen as `("error", message)`.
async fn until<S>(stream: &mut S, wanted: (&str, &str)) -> Vec<(&'static str, String)>
where
    S: Stream<Item = Result<Event<Secret>, watcher::Error>> + Unpin,
{
    let mut seen = Vec::new();
    let wait = async {
        while let Some(item) = stream.next().await {
            let s = match &item {
                Ok(event) => summary(event),
                Err(error) => ("error", error.to_string()),
            };
            let done = s.0 == wanted.0 && s.1 == wanted.1;
            seen.push(s);
            if done {
                return;
            }
        }
    };
    tokio::time::timeout(TIMEOUT, wait)
        .await
        .unwrap_or_else(|_| panic!("no {wanted:?} in time; saw {seen:?}"));
    seen
}

fn label(value: &str) -> Patch<serde_json::Value> {
    Patch::Merge(json!({"metadata": {"labels": {"app": value}}}))
}

#[tokio::test]
async fn the_default_watcher_sees_the_initial_list_then_changes() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    secrets
        .create(&PostParams::default(), &secret("old", &[]))
        .await
        .unwrap();
    let mut stream = watcher::watcher(secrets.clone(), watcher::Config::default()).boxed();
    let initial = until(&mut stream, ("init-done", "")).await;
    assert_eq!(
        initial,
        [
            ("init", String::new()),
            ("init-apply", "old".into()),
            ("init-done", String::new())
        ]
    );
    secrets
        .create(&PostParams::default(), &secret("new", &[]))
        .await
        .unwrap();
    until(&mut stream, ("apply", "new")).await;
    secrets
        .patch("new", &PatchParams::default(), &label("x"))
        .await
        .unwrap();
    until(&mut stream, ("apply", "new")).await;
    secrets
        .delete("new", &DeleteParams::default())
        .await
        .unwrap();
    until(&mut stream, ("delete", "new")).await;
}

#[tokio::test]
async fn a_label_selected_watcher_sees_objects_enter_and_leave_the_selection() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    let config = watcher::Config::default().labels("app=web");
    let mut stream = watcher::watcher(secrets.clone(), config).boxed();
    until(&mut stream, ("init-done", "")).await;
    secrets
        .create(&PostParams::default(), &secret("s", &[("app", "db")]))
        .await
        .unwrap();
    secrets
        .patch("s", &PatchParams::default(), &label("web"))
        .await
        .unwrap();
    let entered = until(&mut stream, ("apply", "s")).await;
    assert_eq!(
        entered,
        [("apply", "s".to_string())],
        "the unselected create is not seen"
    );
    secrets
        .patch("s", &PatchParams::default(), &label("db"))
        .await
        .unwrap();
    until(&mut stream, ("delete", "s")).await;
}

#[tokio::test]
async fn a_streaming_list_watcher_gets_the_initial_state_from_the_watch() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    secrets
        .create(&PostParams::default(), &secret("old", &[]))
        .await
        .unwrap();
    let config = watcher::Config::default().streaming_lists();
    let mut stream = watcher::watcher(secrets.clone(), config).boxed();
    let initial = until(&mut stream, ("init-done", "")).await;
    assert!(initial.contains(&("init-apply", "old".to_string())));
    secrets
        .create(&PostParams::default(), &secret("new", &[]))
        .await
        .unwrap();
    until(&mut stream, ("apply", "new")).await;
    let lists = cluster
        .emulator
        .requests()
        .iter()
        .filter(|r| r.verb == "list")
        .count();
    assert_eq!(lists, 0, "a streaming list needs no list request");
}

#[tokio::test]
async fn the_watcher_relists_after_a_410_gone() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    cluster.emulator.fail_next("watch", "secrets", None, 1, 410);
    let mut stream = watcher::watcher(secrets.clone(), watcher::Config::default()).boxed();
    until(&mut stream, ("init-done", "")).await;
    // The first watch gets the 410; the watcher reports it, lists again and keeps going.
    let recovery = until(&mut stream, ("init-done", "")).await;
    assert!(
        recovery[0].0 == "error" && recovery[0].1.contains("Expired"),
        "{recovery:?}"
    );
    secrets
        .create(&PostParams::default(), &secret("after", &[]))
        .await
        .unwrap();
    until(&mut stream, ("apply", "after")).await;
    let lists = cluster
        .emulator
        .requests()
        .iter()
        .filter(|r| r.verb == "list")
        .count();
    assert_eq!(lists, 2);
}

#[tokio::test]
async fn a_resource_version_older_than_the_history_is_gone() {
    let config = KubeEmulatorConfig {
        history_limit: 3,
        ..KubeEmulatorConfig::default()
    };
    let cluster = Cluster::start_with(config).await;
    let secrets = cluster.secrets();
    for name in ["a", "b", "c", "d", "e"] {
        secrets
            .create(&PostParams::default(), &secret(name, &[]))
            .await
            .unwrap();
    }
    let mut stream = secrets
        .watch(&WatchParams::default(), "1")
        .await
        .unwrap()
        .boxed();
    let first = tokio::time::timeout(TIMEOUT, stream.try_next())
        .await
        .unwrap()
        .unwrap();
    match first {
        Some(WatchEvent::Error(status)) => assert_eq!(status.code, 410),
        other => panic!("expected a 410 error event, got {other:?}"),
    }
    let recent = (cluster.emulator.resource_version() - 1).to_string();
    let mut stream = secrets
        .watch(&WatchParams::default(), &recent)
        .await
        .unwrap()
        .boxed();
    let replayed = tokio::time::timeout(TIMEOUT, stream.try_next())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(replayed, Some(WatchEvent::Added(s)) if s.metadata.name.as_deref() == Some("e"))
    );
}

#[tokio::test]
async fn watches_that_allow_bookmarks_receive_them_with_the_latest_resource_version() {
    let config = KubeEmulatorConfig {
        bookmark_interval: Duration::from_millis(50),
        ..KubeEmulatorConfig::default()
    };
    let cluster = Cluster::start_with(config).await;
    let secrets = cluster.secrets();
    let start = cluster.emulator.resource_version().to_string();
    let mut stream = secrets
        .watch(&WatchParams::default(), &start)
        .await
        .unwrap()
        .boxed();
    // A change elsewhere advances the resourceVersion without an event on this watch.
    let configmaps: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
        kube::Api::namespaced(cluster.client.clone(), "default");
    let cm = k8s_openapi::api::core::v1::ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some("cm".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    configmaps
        .create(&PostParams::default(), &cm)
        .await
        .unwrap();
    let latest = cluster.emulator.resource_version().to_string();
    let bookmark = async {
        loop {
            match stream.try_next().await.unwrap() {
                Some(WatchEvent::Bookmark(b)) if b.metadata.resource_version == latest => return,
                Some(_) => {}
                None => panic!("watch ended"),
            }
        }
    };
    tokio::time::timeout(TIMEOUT, bookmark)
        .await
        .expect("bookmark in time");
}
