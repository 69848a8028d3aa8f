//! The operator process: ZITADEL client, HTTP endpoints, leader election and the controller,
//! wired from an [`OperatorConfig`]. `main` and the end-to-end tests run exactly this function;
//! only the Kubernetes client differs (in-cluster/`KUBECONFIG` versus a test API server).

use std::future::Future;
use std::sync::Arc;

use crate::events::{Publisher, Reporter};
use ::http::header as http_header;
use futures::FutureExt;
use thiserror::Error;

use crate::config::OperatorConfig;
use crate::controller::{
    self, Backoff, Context, CredentialChecks, Freshness, RecentlyCreated, Rosters, Settings,
};
use crate::http::{self, Health, HttpError};
use crate::leader;
use crate::metrics::Metrics;
use crate::names::{FIELD_MANAGER, USER_AGENT};
use crate::tenancy;
use crate::tenancy::connections::Connections;
use crate::zitadel::{self, Limiters};

/// Why the operator stopped abnormally.
#[derive(Debug, Error)]
pub enum Error {
    /// The ZITADEL client could not be built from the configuration.
    #[error("ZITADEL client: {0}")]
    Zitadel(#[from] zitadel::Error),
    /// The metrics and health endpoint failed.
    #[error(transparent)]
    Http(#[from] HttpError),
}

/// A Kubernetes client for the operator from `config` (in-cluster, `KUBECONFIG`, or a test
/// server), identifying itself with [`USER_AGENT`].
pub fn kube_client(mut config: kube::Config) -> Result<kube::Client, kube::Error> {
    config.headers.push((
        http_header::USER_AGENT,
        http_header::HeaderValue::from_static(USER_AGENT),
    ));
    kube::Client::try_from(config)
}

/// Runs the operator until `shutdown` completes.
pub async fn run(
    kube: kube::Client,
    config: OperatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let metrics = Metrics::new();
    let scopes = controller::scopes(&config.watch_namespaces);
    let (connections, watch_connections) = Connections::watch(
        kube.clone(),
        config.namespace.clone(),
        &scopes,
        metrics.zitadel_observer(),
        Limiters::new(config.zitadel_rate_limit),
    );
    let health = Health::new();
    let (address, server) =
        http::bind(config.metrics_addr, metrics.clone(), health.clone()).await?;
    tracing::info!(%address, "serving /metrics, /healthz and /readyz");

    let identity = config
        .leader_election
        .as_ref()
        .map(|election| election.identity.clone());
    let reporter = Reporter {
        controller: FIELD_MANAGER.to_owned(),
        instance: identity,
    };
    let ctx = Arc::new(Context {
        kube: kube.clone(),
        connections,
        events: Publisher::new(kube.clone(), reporter),
        backoff: Backoff::default(),
        recently_created: RecentlyCreated::default(),
        credential_checks: CredentialChecks::default(),
        freshness: Freshness::default(),
        rosters: Rosters::default(),
        own_secret_writes: Arc::default(),
        metrics: metrics.clone(),
        reconcile_slots: tokio::sync::Semaphore::new(usize::from(config.concurrency.max(1))),
        settings: Settings {
            resync_interval: config.resync_interval,
            credential_check_interval: config.credential_check_interval,
            ..Settings::default()
        },
    });
    let shutdown = shutdown.boxed().shared();

    let namespaces = config.watch_namespaces.clone();
    let concurrency = config.concurrency;
    let control = {
        let shutdown = shutdown.clone();
        let health = health.clone();
        move || {
            let health = health.clone();
            let users = controller::run(
                ctx.clone(),
                namespaces.clone(),
                concurrency,
                shutdown.clone(),
                move || {
                    tracing::info!("watch caches synced; ready");
                    health.set_ready(true);
                },
            );
            let connections =
                tenancy::controller::run(ctx.clone(), scopes.clone(), shutdown.clone());
            futures::future::join(users, connections).map(drop)
        }
    };
    let reconcile = async {
        match &config.leader_election {
            None => control().await,
            Some(election) => {
                // A standby is ready too: it serves probes and takes over when the leader goes.
                health.set_ready(true);
                leader::run_as_leader(kube, election, &metrics, shutdown.clone(), control).await;
            }
        }
        health.set_ready(false);
    };
    // One future, not spawned tasks: when it is dropped (a test's simulated crash, say), the
    // HTTP server and the controller stop with it.
    // The connection caches end with the rest: they are cut when the other two finish.
    let caches = watch_connections.boxed();
    let work = async { tokio::join!(server.serve(shutdown.clone()), reconcile) };
    let (served, ()) = match futures::future::select(Box::pin(work), caches).await {
        futures::future::Either::Left((done, _caches)) => done,
        // The watchers retry forever with backoff; ending means the streams were dropped.
        futures::future::Either::Right(((), work)) => work.await,
    };
    Ok(served?)
}
