//! The connection controller: a connection is `Ready` once its credential authenticates against
//! its instance (one cheap, read-only ListUsers). Its status tells the administrator what is wrong
//! (a missing Secret, a rejected credential, an unreachable URL) before any `User` tries.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::{Controller, watcher};
use kube::{Api, Resource, ResourceExt};
use serde_json::json;

use super::connections::{Connection, ConnectionError};
use crate::conditions::{Reason, Verdict, conditions_for, ready_condition};
use crate::controller::{Context, Note, publish};
use crate::crd::{
    ClusterZitadelConnection, ConnectionKind, ConnectionRef, ConnectionSettings, ConnectionStatus,
    ZitadelConnection,
};
use crate::names::FIELD_MANAGER;
use crate::zitadel::{self, ErrorKind};

/// How often a connection is checked again: a rotated credential or a revoked one shows within
/// this time even when nothing in Kubernetes changed.
const RECHECK: Duration = Duration::from_secs(300);

/// What the connection controller needs of each kind.
trait ConnectionObject: Resource<DynamicType = ()> + Clone + Send + Sync + Sized {
    const KIND: ConnectionKind;
    /// The API that writes this object's status.
    fn api(&self, kube: kube::Client) -> Api<Self>;
    fn settings(&self) -> &ConnectionSettings;
    fn status(&self) -> Option<&ConnectionStatus>;
    /// Where the credential Secret lives.
    fn secret_namespace(&self, operator_namespace: &str) -> String;
}

impl ConnectionObject for ZitadelConnection {
    const KIND: ConnectionKind = ConnectionKind::ZitadelConnection;
    fn api(&self, kube: kube::Client) -> Api<Self> {
        Api::namespaced(kube, &self.namespace().unwrap_or_default())
    }
    fn settings(&self) -> &ConnectionSettings {
        &self.spec.connection
    }
    fn status(&self) -> Option<&ConnectionStatus> {
        self.status.as_ref()
    }
    fn secret_namespace(&self, _: &str) -> String {
        self.namespace().unwrap_or_default()
    }
}

impl ConnectionObject for ClusterZitadelConnection {
    const KIND: ConnectionKind = ConnectionKind::ClusterZitadelConnection;
    fn api(&self, kube: kube::Client) -> Api<Self> {
        Api::all(kube)
    }
    fn settings(&self) -> &ConnectionSettings {
        &self.spec.connection
    }
    fn status(&self) -> Option<&ConnectionStatus> {
        self.status.as_ref()
    }
    fn secret_namespace(&self, operator_namespace: &str) -> String {
        operator_namespace.to_owned()
    }
}

/// The verdict on a connection: can its credential read its first organization?
async fn check<K: ConnectionObject>(ctx: &Context, object: &K) -> Verdict {
    let reference = ConnectionRef {
        kind: K::KIND,
        name: object.name_any(),
    };
    let settings = object.settings();
    let namespace = object.secret_namespace(ctx.connections.operator_namespace());
    let connection: Arc<Connection> = match ctx
        .connections
        .client(&reference, object.meta(), settings, &namespace)
        .await
    {
        Ok(connection) => connection,
        Err(error) => return Verdict::new(unusable_reason(&error), error.to_string()),
    };
    // The schema requires at least one organization.
    let Some(organization) = settings.organizations.first() else {
        return Verdict::new(Reason::ConnectionNotReady, "spec.organizations is empty");
    };
    match connection.client.check_access(organization).await {
        Ok(_) => Verdict::new(
            Reason::Connected,
            format!("the credential authenticates against {}", settings.url),
        ),
        Err(error) => rejected(&error, &settings.url),
    }
}

fn unusable_reason(error: &ConnectionError) -> Reason {
    match error {
        ConnectionError::Kube { .. } => Reason::KubernetesUnavailable,
        _ => Reason::ConnectionNotReady,
    }
}

/// Why ZITADEL refused the check, as the administrator needs to hear it (never a credential).
fn rejected(error: &zitadel::Error, url: &str) -> Verdict {
    match error.kind() {
        ErrorKind::Unauthenticated | ErrorKind::Auth | ErrorKind::Config => Verdict::new(
            Reason::ZitadelUnauthenticated,
            format!("ZITADEL at {url} rejected the credential: {error}"),
        ),
        ErrorKind::PermissionDenied => Verdict::new(
            Reason::PermissionDenied,
            format!("the credential may not read users at {url}: {error}"),
        ),
        // ZITADEL answered, and as ZITADEL: it only asks the operator to slow down (every
        // request to it now waits for the pause).
        ErrorKind::RateLimited => Verdict::new(
            Reason::RateLimited,
            format!("ZITADEL at {url} rate-limited the check: {error}"),
        ),
        _ => Verdict::new(
            Reason::ZitadelUnavailable,
            format!("ZITADEL at {url} did not answer as ZITADEL: {error}"),
        ),
    }
}

async fn reconcile<K>(object: Arc<K>, ctx: Arc<Context>) -> Result<Action, kube::Error>
where
    K: ConnectionObject
        + serde::Serialize
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + 'static,
{
    let verdict = check(&ctx, object.as_ref()).await;
    let previous = object
        .status()
        .map(|s| s.conditions.as_slice())
        .unwrap_or_default();
    let generation = object.meta().generation;
    let status = ConnectionStatus {
        observed_generation: generation,
        conditions: conditions_for(&verdict, generation, previous, Timestamp::now()),
    };
    // An event when the verdict changes, so `kubectl describe` and `get events` show the history.
    // Namespaced connections only: events of cluster-scoped objects land in `default`, a
    // namespace the operator has no business writing to; their status and logs say the same.
    let was = ready_condition(previous).map(|c| c.reason.as_str());
    if was != Some(verdict.reason.as_str()) && object.namespace().is_some() {
        let note = if verdict.is_ready() {
            Note::normal(verdict.reason.as_str(), verdict.message.clone())
        } else {
            Note::warning(verdict.reason.as_str(), verdict.message.clone())
        };
        publish(&ctx, &object.object_ref(&()), &[note]).await;
    }
    if object.status() != Some(&status) {
        let api = object.api(ctx.kube.clone());
        let patch = json!({
            "apiVersion": K::api_version(&()),
            "kind": K::kind(&()),
            "status": status,
        });
        let params = PatchParams::apply(FIELD_MANAGER).force();
        api.patch_status(&object.name_any(), &params, &Patch::Apply(&patch))
            .await?;
    }
    Ok(Action::requeue(RECHECK))
}

fn error_policy<K>(_: Arc<K>, error: &kube::Error, _: Arc<Context>) -> Action {
    tracing::warn!(%error, "could not write a connection's status");
    Action::requeue(Duration::from_secs(10))
}

/// Runs the controllers of both connection kinds until `shutdown` completes: namespaced
/// connections in `scopes` (`None`: all namespaces), cluster connections cluster-wide.
pub async fn run(
    ctx: Arc<Context>,
    scopes: Vec<Option<String>>,
    shutdown: impl Future<Output = ()> + Send + Sync + Clone + 'static,
) {
    let namespaced = scopes.into_iter().map(|scope| {
        let api = match &scope {
            Some(namespace) => Api::<ZitadelConnection>::namespaced(ctx.kube.clone(), namespace),
            None => Api::all(ctx.kube.clone()),
        };
        Controller::new(api, watcher::Config::default())
            .graceful_shutdown_on(shutdown.clone())
            .run(reconcile, error_policy, ctx.clone())
            .for_each(|_| async {})
    });
    let namespaced = futures::future::join_all(namespaced);
    let cluster = Controller::new(
        Api::<ClusterZitadelConnection>::all(ctx.kube.clone()),
        watcher::Config::default(),
    )
    .graceful_shutdown_on(shutdown)
    .run(reconcile, error_policy, ctx)
    .for_each(|_| async {});
    tokio::join!(namespaced, cluster);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zitadel::{ApiError, GrpcCode, Rpc};

    #[test]
    fn a_throttled_check_is_rate_limited_not_unavailable() {
        let error = zitadel::Error::Api(ApiError {
            rpc: Rpc::ListUsers,
            status: 429,
            code: Some(GrpcCode::ResourceExhausted),
            error_id: None,
            message: None,
            retry_after: Some(Duration::from_secs(3)),
        });
        let verdict = rejected(&error, "https://zitadel.example.com");
        assert_eq!(verdict.reason, Reason::RateLimited);
        assert!(
            verdict.message.contains("rate-limited"),
            "{}",
            verdict.message
        );
    }
}
