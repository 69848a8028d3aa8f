//! Finalizers with kube-runtime's helper, deletion states, and owner-reference garbage collection.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event, finalizer};
use kube::{Api, Resource};
use serde_json::json;

use crate::support::{Cluster, Widget, api_code, secret, widget};

const FINALIZER: &str = "example.com/cleanup";

/// A Secret owned by `owner`.
fn owned_secret(name: &str, owner: &Widget) -> Secret {
    let mut owned = secret(name, &[]);
    owned.metadata.owner_references = Some(vec![
        owner.controller_owner_ref(&()).expect("owner has uid"),
    ]);
    owned
}

/// Run kube-runtime's finalizer helper once on the current state of widget `name`: Apply
/// creates an owned Secret, Cleanup counts.
async fn reconcile(cluster: &Cluster, name: &str, cleanups: &Arc<AtomicUsize>) {
    let widgets = cluster.widgets();
    let current = Arc::new(widgets.get(name).await.unwrap());
    let secrets = cluster.secrets();
    let cleanups = Arc::clone(cleanups);
    finalizer(&widgets, FINALIZER, current, |event| async move {
        match event {
            Event::Apply(w) => {
                let owned = owned_secret("owned", &w);
                secrets
                    .patch(
                        "owned",
                        &PatchParams::apply("test").force(),
                        &Patch::Apply(owned),
                    )
                    .await?;
            }
            Event::Cleanup(_) => {
                cleanups.fetch_add(1, Ordering::SeqCst);
            }
        }
        Ok::<_, kube::Error>(Action::await_change())
    })
    .await
    .expect("finalizer step succeeds");
}

#[tokio::test]
async fn the_finalizer_flow_ends_with_the_object_and_its_owned_secret_gone() {
    let cluster = Cluster::with_widgets().await;
    let widgets = cluster.widgets();
    let cleanups = Arc::new(AtomicUsize::new(0));
    widgets
        .create(&PostParams::default(), &widget("w", 1))
        .await
        .unwrap();
    reconcile(&cluster, "w", &cleanups).await; // adds the finalizer
    assert_eq!(
        widgets.get("w").await.unwrap().metadata.finalizers,
        Some(vec![FINALIZER.to_string()])
    );
    reconcile(&cluster, "w", &cleanups).await; // applies: creates the owned Secret
    assert!(cluster.secrets().get_opt("owned").await.unwrap().is_some());

    let deleted = widgets.delete("w", &DeleteParams::default()).await.unwrap();
    let pending = deleted
        .left()
        .expect("a pending deletion returns the object");
    assert!(pending.metadata.deletion_timestamp.is_some());
    assert!(
        widgets.get_opt("w").await.unwrap().is_some(),
        "kept while finalizers remain"
    );

    reconcile(&cluster, "w", &cleanups).await; // cleans up and removes the finalizer
    assert_eq!(cleanups.load(Ordering::SeqCst), 1);
    assert!(widgets.get_opt("w").await.unwrap().is_none());
    assert!(
        cluster.secrets().get_opt("owned").await.unwrap().is_none(),
        "owned Secret collected"
    );
}

#[tokio::test]
async fn no_finalizer_can_be_added_once_deletion_started() {
    let cluster = Cluster::start().await;
    let secrets = cluster.secrets();
    let mut guarded = secret("s", &[]);
    guarded.metadata.finalizers = Some(vec!["a/one".into()]);
    secrets
        .create(&PostParams::default(), &guarded)
        .await
        .unwrap();
    secrets.delete("s", &DeleteParams::default()).await.unwrap();
    let more = Patch::Merge(json!({"metadata": {"finalizers": ["a/one", "a/two"]}}));
    assert_eq!(
        api_code(secrets.patch("s", &PatchParams::default(), &more).await),
        422
    );
    let done = Patch::Merge(json!({"metadata": {"finalizers": null}}));
    secrets
        .patch("s", &PatchParams::default(), &done)
        .await
        .unwrap();
    assert!(secrets.get_opt("s").await.unwrap().is_none());
}

#[tokio::test]
async fn orphan_propagation_keeps_dependents_without_the_owner_reference() {
    let cluster = Cluster::with_widgets().await;
    let owner = cluster
        .widgets()
        .create(&PostParams::default(), &widget("w", 1))
        .await
        .unwrap();
    cluster
        .secrets()
        .create(&PostParams::default(), &owned_secret("kept", &owner))
        .await
        .unwrap();
    cluster
        .widgets()
        .delete("w", &DeleteParams::orphan())
        .await
        .unwrap();
    let kept = cluster.secrets().get("kept").await.unwrap();
    assert!(kept.metadata.owner_references.is_none());
}

#[tokio::test]
async fn a_dependent_with_another_living_owner_survives() {
    let cluster = Cluster::with_widgets().await;
    let first = cluster
        .widgets()
        .create(&PostParams::default(), &widget("a", 1))
        .await
        .unwrap();
    let second = cluster
        .widgets()
        .create(&PostParams::default(), &widget("b", 1))
        .await
        .unwrap();
    let mut shared = owned_secret("shared", &first);
    let mut second_ref = second.controller_owner_ref(&()).unwrap();
    second_ref.controller = None;
    shared
        .metadata
        .owner_references
        .as_mut()
        .unwrap()
        .push(second_ref);
    cluster
        .secrets()
        .create(&PostParams::default(), &shared)
        .await
        .unwrap();
    cluster
        .widgets()
        .delete("a", &DeleteParams::default())
        .await
        .unwrap();
    let survivor = cluster.secrets().get("shared").await.unwrap();
    assert_eq!(survivor.metadata.owner_references.unwrap().len(), 1);
    cluster
        .widgets()
        .delete("b", &DeleteParams::default())
        .await
        .unwrap();
    let secrets: Api<Secret> = cluster.secrets();
    assert!(secrets.get_opt("shared").await.unwrap().is_none());
}
