//! Leader election with kube-lease-manager: server-side apply conflicts decide who holds a lease.

use std::sync::Arc;
use std::time::Duration;

use kube_lease_manager::{LeaseManager, LeaseManagerBuilder};

use crate::support::{Cluster, TIMEOUT};

async fn manager(cluster: &Cluster, identity: &str) -> LeaseManager {
    LeaseManagerBuilder::new(cluster.client.clone(), "leader")
        .with_namespace("default")
        .with_identity(identity)
        .with_duration(2)
        .with_grace(1)
        .build()
        .await
        .expect("lease manager builds")
}

fn holder(cluster: &Cluster) -> Option<String> {
    let lease =
        cluster
            .emulator
            .object("coordination.k8s.io", "leases", Some("default"), "leader")?;
    lease
        .pointer("/spec/holderIdentity")?
        .as_str()
        .map(str::to_string)
}

fn renew_time(cluster: &Cluster) -> Option<String> {
    let lease =
        cluster
            .emulator
            .object("coordination.k8s.io", "leases", Some("default"), "leader")?;
    lease
        .pointer("/spec/renewTime")?
        .as_str()
        .map(str::to_string)
}

#[tokio::test]
async fn only_one_of_two_managers_holds_the_lease_until_it_is_released() {
    let cluster = Cluster::start().await;
    let first = Arc::new(manager(&cluster, "first").await);
    let second = manager(&cluster, "second").await;
    assert!(
        tokio::time::timeout(TIMEOUT, first.changed())
            .await
            .unwrap()
            .unwrap()
    );
    assert_eq!(holder(&cluster).as_deref(), Some("first"));

    // While `first` keeps renewing, `second` cannot take over.
    let renewing = tokio::spawn({
        let first = Arc::clone(&first);
        async move { first.changed().await }
    });
    let acquired = renew_time(&cluster);
    let second_try = tokio::time::timeout(Duration::from_millis(2500), second.changed()).await;
    assert!(
        second_try.is_err(),
        "second must not become leader: {second_try:?}"
    );
    assert_eq!(holder(&cluster).as_deref(), Some("first"));
    assert_ne!(
        renew_time(&cluster),
        acquired,
        "the holder renewed its lease"
    );

    renewing.abort();
    first.release().await.unwrap();
    assert!(
        tokio::time::timeout(TIMEOUT, second.changed())
            .await
            .unwrap()
            .unwrap()
    );
    assert_eq!(holder(&cluster).as_deref(), Some("second"));
}
