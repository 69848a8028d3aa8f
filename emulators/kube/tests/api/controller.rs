//! A real kube-runtime Controller (watch + owns + server-side apply of children and status)
//! converging against the emulator, then staying quiet.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Api, Resource, ResourceExt};
use serde_json::json;

use crate::support::{Cluster, TIMEOUT, Widget, secret, widget};

const MANAGER: &str = "widget-controller";

#[derive(Debug, thiserror::Error)]
#[error(transparent)]
struct ReconcileError(#[from] kube::Error);

/// Create the widget's Secret and report Ready, both with server-side apply.
async fn reconcile(
    widget: Arc<Widget>,
    client: Arc<kube::Client>,
) -> Result<Action, ReconcileError> {
    let namespace = widget.namespace().unwrap_or_default();
    let name = widget.name_any();
    let mut child = secret(&format!("{name}-secret"), &[("app", "widgets")]);
    child.metadata.owner_references = widget.controller_owner_ref(&()).map(|r| vec![r]);
    let secrets: Api<k8s_openapi::api::core::v1::Secret> =
        Api::namespaced((*client).clone(), &namespace);
    let apply = PatchParams::apply(MANAGER).force();
    secrets
        .patch(
            child.metadata.name.as_deref().unwrap_or_default(),
            &apply,
            &Patch::Apply(&child),
        )
        .await?;
    let widgets: Api<Widget> = Api::namespaced((*client).clone(), &namespace);
    let status = json!({
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    });
    widgets
        .patch_status(&name, &apply, &Patch::Apply(status))
        .await?;
    Ok(Action::await_change())
}

fn is_ready(cluster: &Cluster, name: &str) -> bool {
    cluster
        .emulator
        .object("example.com", "widgets", Some("default"), name)
        .and_then(|w| w.pointer("/status/conditions/0/status").cloned())
        == Some(json!("True"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_converges_and_then_makes_no_writes() {
    let cluster = Cluster::with_widgets().await;
    let client = Arc::new(cluster.client.clone());
    let owned: Api<k8s_openapi::api::core::v1::Secret> = Api::all(cluster.client.clone());
    let controller = Controller::new(
        Api::<Widget>::all(cluster.client.clone()),
        watcher::Config::default(),
    )
    .owns(owned, watcher::Config::default().labels("app=widgets"))
    .run(
        reconcile,
        |_, _, _| Action::requeue(Duration::from_secs(1)),
        client,
    )
    .for_each(|_| async {});
    let running = tokio::spawn(controller);

    cluster
        .widgets()
        .create(&PostParams::default(), &widget("w", 1))
        .await
        .unwrap();
    let converged = async {
        while !is_ready(&cluster, "w") {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(TIMEOUT, converged)
        .await
        .expect("controller converged");
    assert!(
        cluster
            .emulator
            .object("", "secrets", Some("default"), "w-secret")
            .is_some()
    );

    // Give the controller's own write events time to come back, then expect silence.
    tokio::time::sleep(Duration::from_millis(300)).await;
    cluster.emulator.clear_requests();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let writes: Vec<_> = cluster
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.is_mutating())
        .collect();
    assert!(writes.is_empty(), "steady state wrote: {writes:?}");
    running.abort();
}
