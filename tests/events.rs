//! The event publisher against the Kubernetes emulator: a repeat counts into the series of the
//! first event, and a series whose event is gone (the API server expires events) starts again
//! as a new event.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event;
use kube::Api;
use kube_emulator::{KubeEmulator, KubeEmulatorConfig};
use zitadel_user_operator::events::{Occurrence, Publisher, Reporter};

const NAMESPACE: &str = "default";

async fn listed(events: &Api<Event>) -> Vec<Event> {
    events.list(&Default::default()).await.unwrap().items
}

#[tokio::test]
async fn a_repeat_joins_the_series_and_a_series_whose_event_is_gone_starts_a_new_event() {
    let emulator = KubeEmulator::start(KubeEmulatorConfig::default())
        .await
        .unwrap();
    let config = kube::Config::new(emulator.url().parse().unwrap());
    let client = zitadel_user_operator::operator::kube_client(config).unwrap();
    let publisher = Publisher::new(
        client.clone(),
        Reporter {
            controller: "zitadel-user-operator".to_owned(),
            instance: None,
        },
    );
    let alice = ObjectReference {
        api_version: Some("zitadel.dev/v1alpha1".to_owned()),
        kind: Some("User".to_owned()),
        namespace: Some(NAMESPACE.to_owned()),
        name: Some("alice".to_owned()),
        uid: Some("uid-alice".to_owned()),
        ..ObjectReference::default()
    };
    let failed = Occurrence {
        warning: true,
        reason: "ZitadelUnavailable",
        note: "ZITADEL is unavailable",
        action: "Reconcile",
    };
    let events: Api<Event> = Api::namespaced(client, NAMESPACE);

    publisher.publish(&failed, &alice).await.unwrap();
    publisher.publish(&failed, &alice).await.unwrap();
    let first = listed(&events).await;
    assert_eq!(first.len(), 1, "one event for both");
    assert_eq!(first[0].series.as_ref().map(|s| s.count), Some(2));
    assert_eq!(first[0].type_.as_deref(), Some("Warning"));
    assert_eq!(
        first[0].reporting_instance.as_deref(),
        Some("zitadel-user-operator")
    );

    let name = first[0].metadata.name.clone().unwrap();
    events.delete(&name, &Default::default()).await.unwrap();
    publisher.publish(&failed, &alice).await.unwrap();
    let again = listed(&events).await;
    assert_eq!(again.len(), 1, "a new event");
    assert_ne!(again[0].metadata.name.as_deref(), Some(name.as_str()));
    assert_eq!(again[0].series, None, "its own series starts with it");
}
