//! An in-process emulator of the Kubernetes API server, for end-to-end tests of controllers
//! (kube `Client`, kube-runtime `Controller`/watcher/finalizer/events, kube-lease-manager) and for
//! trying manifests with `kubectl` — without a cluster.
//!
//! It serves plain HTTP on 127.0.0.1 without authentication, stores every object as JSON, and
//! implements the API machinery clients rely on: discovery, CRUD with `kind: Status` errors,
//! optimistic concurrency, generation, the status subresource, four patch types (with
//! server-side apply and field ownership), finalizers and deletion, owner-reference garbage
//! collection, watches with history, bookmarks and 410 Gone, label/field selectors,
//! pagination, CRDs with schema and CEL validation, kubectl tables, fault injection and a
//! request log.
//!
//! # Simplifications compared with the real API server
//!
//! - Storage: one copy per object whatever the version; no conversion between CRD versions.
//!   core/v1 and events.k8s.io/v1 Events share one storage, as on the real server (see
//!   [`conversion`]).
//! - Paginated lists are not snapshots: later pages show the current state.
//! - Built-in kinds are not schema-validated (only Secret `stringData`/`type` and Namespace
//!   label/phase defaulting is done); only custom resources are validated and pruned.
//! - Server-side apply: leaf-level ownership, atomic lists, no `managedFields` in objects
//!   (see [`apply`]).
//! - Strategic merge patch: a merge patch that merges `metadata.finalizers` and
//!   `metadata.ownerReferences` (see [`patch`]).
//! - Garbage collection is synchronous; `Foreground` propagation behaves as `Background`;
//!   namespace and CRD deletion remove contents at once, ignoring finalizers (see [`delete`]).
//! - CRDs are `Established` immediately; validation ratcheting and CEL cost limits are absent
//!   (see [`validation`]).
//! - Discovery is legacy format only (aggregated discovery requests fall back); OpenAPI v3 is
//!   minimal and v2 is not served (see [`openapi`]); tables for built-in kinds show NAME and
//!   AGE only, except Events, which get the real server's columns (see [`table`]).
//! - No protobuf or CBOR request bodies (answered 415): kubectl's imperative generators such as
//!   `kubectl create namespace x` send protobuf and fail; `kubectl apply -f` / `create -f` send
//!   JSON and work. Responses are always JSON.
//! - No authentication, authorization, admission webhooks, `dryRun`, `gracePeriodSeconds`, or
//!   HTTP/2; watch timeouts default to 30 minutes.

pub mod apply;
pub mod builtin;
pub mod conversion;
pub mod crd;
pub mod delete;
pub mod discovery;
pub mod faults;
pub mod meta;
pub mod openapi;
pub mod ops;
pub mod patch;
pub mod registry;
pub mod requests;
pub mod routes;
pub mod selectors;
pub mod server;
pub mod state;
pub mod status;
pub mod store;
pub mod table;
pub mod validation;
pub mod watch;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch as signal;
use tokio::task::JoinHandle;

pub use requests::RecordedRequest;

use crate::server::Shared;
use crate::state::{State, Target};
use crate::store::ObjectKey;

/// How to run the emulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeEmulatorConfig {
    /// Listen address; port 0 picks a free port.
    pub bind: SocketAddr,
    /// How often watches with `allowWatchBookmarks` get a BOOKMARK.
    pub bookmark_interval: Duration,
    /// How many changes the watch history keeps; older resourceVersions get 410 Gone.
    pub history_limit: usize,
}

impl Default for KubeEmulatorConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            // Short so tests see bookmarks quickly; the real server sends one about every minute.
            bookmark_interval: Duration::from_secs(1),
            history_limit: 1000,
        }
    }
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct KubeEmulator {
    shared: Arc<Shared>,
    address: SocketAddr,
    shutdown: signal::Sender<bool>,
    server: JoinHandle<()>,
}

impl KubeEmulator {
    /// Bind and start serving.
    pub async fn start(config: KubeEmulatorConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let address = listener.local_addr()?;
        let (shutdown, receiver) = signal::channel(false);
        let shared = Arc::new(Shared::new(config, receiver.clone(), address.to_string()));
        let app = server::router(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            let mut receiver = receiver;
            let stopped = async move {
                // Either a shutdown signal or the sender being dropped ends the server.
                let _ = receiver.changed().await;
            };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await
            {
                tracing::error!(%error, "kube emulator server failed");
            }
        });
        tracing::info!(%address, "kube emulator listening");
        Ok(Self {
            shared,
            address,
            shutdown,
            server,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// A kubeconfig with cluster, user and context all named `kube-emulator`.
    pub fn kubeconfig_yaml(&self, namespace: &str) -> String {
        format!(
            "apiVersion: v1\n\
             kind: Config\n\
             clusters:\n\
             - name: kube-emulator\n  cluster:\n    server: {url}\n\
             users:\n\
             - name: kube-emulator\n  user: {{}}\n\
             contexts:\n\
             - name: kube-emulator\n  context:\n    cluster: kube-emulator\n    user: kube-emulator\n    namespace: {namespace}\n\
             current-context: kube-emulator\n\
             preferences: {{}}\n",
            url = self.url(),
        )
    }

    /// Write [`Self::kubeconfig_yaml`] to `path`.
    pub fn write_kubeconfig(&self, path: &Path, namespace: &str) -> std::io::Result<()> {
        std::fs::write(path, self.kubeconfig_yaml(namespace))
    }

    /// Make the next `times` requests with RBAC verb `verb` on `resource` (plural) and
    /// `subresource` fail with HTTP `status` and a matching `kind: Status` body. For `watch`,
    /// status 410 is delivered as an in-stream ERROR event, like an expired watch.
    pub fn fail_next(
        &self,
        verb: &str,
        resource: &str,
        subresource: Option<&str>,
        times: usize,
        status: u16,
    ) {
        self.shared
            .lock_faults()
            .add(verb, resource, subresource, times, status);
    }

    /// Drops every failure registered with [`Self::fail_next`] that has not fired yet.
    pub fn clear_faults(&self) {
        self.shared.lock_faults().clear();
    }

    /// Every request since start (or the last [`Self::clear_requests`]).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock_requests().clone()
    }

    /// Forget the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.lock_requests().clear();
    }

    /// How many recorded requests changed state (create, update, patch, delete,
    /// deletecollection).
    pub fn mutating_request_count(&self) -> usize {
        self.shared
            .lock_requests()
            .iter()
            .filter(|r| r.is_mutating())
            .count()
    }

    /// The stored object, if any (`namespace` None for cluster-scoped objects), in the shape
    /// (group, resource) serves: an Event asked for through `events.k8s.io` comes converted.
    pub fn object(
        &self,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let (stored_group, stored_resource) = conversion::storage_resource(group, resource);
        let key = ObjectKey::new(
            stored_group,
            stored_resource,
            namespace.unwrap_or_default(),
            name,
        );
        let state = self.shared.lock_state();
        let object = state.store.get(&key)?.object.clone();
        Some(present(&state, group, resource, object))
    }

    /// All stored objects of (group, resource), across namespaces, shaped as in [`Self::object`].
    pub fn objects(&self, group: &str, resource: &str) -> Vec<Value> {
        let (stored_group, stored_resource) = conversion::storage_resource(group, resource);
        let state = self.shared.lock_state();
        state
            .store
            .list(stored_group, stored_resource, None)
            .map(|(_, e)| present(&state, group, resource, e.object.clone()))
            .collect()
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.lock_state().store.resource_version()
    }
}

/// `object` as served at the preferred version of (group, resource); as stored when that type
/// is no longer served.
fn present(state: &State, group: &str, resource: &str, object: Value) -> Value {
    let Some(rt) = state.registry.get(group, resource) else {
        return object;
    };
    let Some(version) = rt.preferred_version().map(|v| v.name.clone()) else {
        return object;
    };
    let target = Target {
        rt,
        version,
        namespace: None,
        name: None,
        subresource: None,
    };
    target.present(object)
}

impl Drop for KubeEmulator {
    fn drop(&mut self) {
        // Wakes the graceful shutdown and ends every open watch stream.
        let _ = self.shutdown.send(true);
        self.server.abort();
    }
}
