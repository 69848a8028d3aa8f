//! The connections the operator knows (from watch caches) and one ZITADEL client per connection,
//! rebuilt when the connection or its credential Secret changes, so a rotated credential is used
//! without a restart. Clients of one ZITADEL instance share one rate limiter, kept across those
//! rebuilds (see [`Limiters`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::ObjectMeta;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource, ResourceExt};
use thiserror::Error;

use super::admission::{Found, Refusal, admit, connection_ref};
use crate::crd::{
    ClusterZitadelConnection, ConnectionCredentialType, ConnectionKind, ConnectionRef,
    ConnectionSettings, User, ZitadelConnection,
};
use crate::metrics::ZitadelCallMetrics;
use crate::sensitive::Sensitive;
use crate::zitadel::{self, ClientConfig, Credentials, Limiters, ZitadelClient};

/// Deadline of one ZITADEL call when the connection names none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a `User` cannot use a connection now.
#[derive(Debug, Error)]
pub enum ConnectionError {
    /// Tenancy refuses it.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The credential Secret or its key does not exist.
    #[error(
        "the credential of {connection}, Secret {namespace}/{name} key {key}, does not exist (ask your administrator)"
    )]
    SecretMissing {
        /// `Kind/name` of the connection.
        connection: String,
        /// Secret namespace.
        namespace: String,
        /// Secret name.
        name: String,
        /// Key.
        key: String,
    },
    /// `spec.timeout` does not parse.
    #[error("{connection}: spec.timeout {value:?} is not a duration such as 10s")]
    InvalidTimeout {
        /// `Kind/name` of the connection.
        connection: String,
        /// What it says.
        value: String,
    },
    /// Reading the Secret failed.
    #[error("reading the credential of {connection}: {source}")]
    Kube {
        /// `Kind/name` of the connection.
        connection: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The client could not be built.
    #[error("{connection}: {source}")]
    Client {
        /// `Kind/name` of the connection.
        connection: String,
        /// The client error.
        #[source]
        source: zitadel::Error,
    },
}

/// A connection a `User` may use: its client and what it allows.
pub struct Connection {
    /// The connection.
    pub reference: ConnectionRef,
    /// The client for its instance, with its credential.
    pub client: ZitadelClient,
    /// Whether `spec.adoptExisting` may take over existing users.
    pub allow_adoption: bool,
    /// The connection object's uid and generation: a change re-compares its `User`s.
    pub revision: String,
    /// What this connection's ZITADEL does with CreateUser's root metadata.
    pub root_metadata: RootMetadata,
}

/// Whether a ZITADEL keeps the root-level `metadata` of CreateUser: 4.13 and newer do, older
/// servers drop it silently (contract §14.6). Learned from the first user created through a
/// client, so every later create trusts (or repairs) its metadata without reading it back.
#[derive(Debug, Default)]
pub struct RootMetadata(std::sync::atomic::AtomicU8);

impl RootMetadata {
    // 0, the default, is "not learned yet".
    const KEPT: u8 = 1;
    const DROPPED: u8 = 2;

    /// `Some(true)` if the server keeps it, `Some(false)` if it drops it, `None` until learned.
    pub fn kept(&self) -> Option<bool> {
        match self.0.load(std::sync::atomic::Ordering::Relaxed) {
            Self::KEPT => Some(true),
            Self::DROPPED => Some(false),
            _ => None,
        }
    }

    /// Records what a created user's metadata showed.
    pub fn learn(&self, kept: bool) {
        let value = if kept { Self::KEPT } else { Self::DROPPED };
        self.0.store(value, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What a cached client was built from: a change to either makes a new one.
#[derive(Clone, PartialEq, Eq)]
struct Fingerprint {
    connection_uid: Option<String>,
    generation: Option<i64>,
    secret_version: Option<String>,
}

/// How long a connection's credential Secret, once read, is trusted without reading it again.
/// Read for every comparing reconcile, it was two thirds of a resync's Kubernetes requests; a
/// rotated credential is picked up within this time (an edited connection at once).
pub const CREDENTIAL_RECHECK: Duration = Duration::from_secs(10);

/// The client of each connection (kind, Secret namespace, name), with what it was built from.
type ClientCache = HashMap<(ConnectionKind, String, String), CachedClient>;

/// A client, what it was built from, and when its Secret was last read (`None`: read it on the
/// next connect).
struct CachedClient {
    fingerprint: Fingerprint,
    connection: Arc<Connection>,
    secret_read: Option<Instant>,
}

/// Connections from the watch caches, and the clients built for them.
pub struct Connections {
    /// Bumped on every change to a connection or a namespace: `User`s are reconciled again.
    changed: tokio::sync::watch::Sender<u64>,
    /// Becomes `true` once every cache holds its initial list.
    synced: tokio::sync::watch::Receiver<bool>,
    /// One cache per watched namespace (`None`: all namespaces), as the `User`s are watched, so
    /// the operator needs no rights in namespaces it does not serve.
    namespaced: Vec<(Option<String>, Store<ZitadelConnection>)>,
    cluster: Store<ClusterZitadelConnection>,
    namespaces: Store<Namespace>,
    /// Where the credential Secrets of cluster connections live.
    operator_namespace: String,
    kube: kube::Client,
    metrics: Arc<ZitadelCallMetrics>,
    /// One rate limiter per ZITADEL instance, whichever connections reach it.
    limiters: Limiters,
    clients: Mutex<ClientCache>,
}

impl Connections {
    /// Connections watched through `kube` in `scopes` (`None`: all namespaces) and cluster-wide;
    /// cluster connections' Secrets are read from `operator_namespace`; clients report their
    /// calls to `metrics`, labelled by connection, and wait for the limiter `limiters` holds for
    /// their ZITADEL instance. The returned future keeps the caches current: run it as long as
    /// the operator runs.
    pub fn watch(
        kube: kube::Client,
        operator_namespace: String,
        scopes: &[Option<String>],
        metrics: Arc<ZitadelCallMetrics>,
        limiters: Limiters,
    ) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let mut streams = Vec::new();
        let mut namespaced = Vec::new();
        for scope in scopes {
            let (store, writer) = reflector::store();
            let api = match scope {
                Some(namespace) => Api::<ZitadelConnection>::namespaced(kube.clone(), namespace),
                None => Api::all(kube.clone()),
            };
            streams.push(cache(api, writer).boxed());
            namespaced.push((scope.clone(), store));
        }
        let (cluster, cluster_writer) = reflector::store();
        let (namespaces, namespaces_writer) = reflector::store();
        let (changed, _) = tokio::sync::watch::channel(0u64);
        let notify = changed.clone();
        let bump = move || notify.send_modify(|n| *n = n.wrapping_add(1));
        streams.push(
            cache(
                Api::<ClusterZitadelConnection>::all(kube.clone()),
                cluster_writer,
            )
            .boxed(),
        );
        streams.push(cache(Api::<Namespace>::all(kube.clone()), namespaces_writer).boxed());
        // A store's readiness wakes only its most recent waiter, so concurrent reconciles must not
        // wait on the stores themselves: this one future does, and tells everyone through a watch
        // channel, which wakes every waiter.
        let (synced_tx, synced) = tokio::sync::watch::channel(false);
        let stores = Readiness {
            namespaced: namespaced.iter().map(|(_, store)| store.clone()).collect(),
            cluster: cluster.clone(),
            namespaces: namespaces.clone(),
        };
        let driver = async move {
            let ready = async move {
                // An error means a writer is gone with the driver: nothing will become ready.
                if stores.wait().await.is_ok() {
                    synced_tx.send_replace(true);
                }
            };
            let ticks = async move {
                let mut all = futures::stream::select_all(streams);
                while all.next().await.is_some() {
                    bump();
                }
            };
            futures::join!(ready, ticks);
        };
        let connections = Self {
            changed,
            synced,
            namespaced,
            cluster,
            namespaces,
            operator_namespace,
            kube,
            metrics,
            limiters,
            clients: Mutex::new(HashMap::new()),
        };
        (connections, driver)
    }

    /// Where the credential Secrets of cluster connections live.
    pub fn operator_namespace(&self) -> &str {
        &self.operator_namespace
    }

    /// Ticks whenever a connection or a namespace changes.
    pub fn changes(&self) -> impl futures::Stream<Item = ()> + Send + 'static {
        let receiver = self.changed.subscribe();
        futures::stream::unfold(receiver, |mut receiver| async move {
            receiver.changed().await.ok()?;
            Some(((), receiver))
        })
    }

    /// Waits until the caches hold their initial lists, so a connection is never reported
    /// missing only because the operator just started.
    async fn synced(&self) {
        // Without the driver nothing changes any more: lookups report what the caches have.
        let _ = self.synced.clone().wait_for(|synced| *synced).await;
    }

    /// The connection `user` (in `namespace`) names, if tenancy admits it: one Secret read, and
    /// a new client only when the connection or the Secret changed.
    pub async fn for_user(
        &self,
        user: &User,
        namespace: &str,
    ) -> Result<Arc<Connection>, ConnectionError> {
        let admitted = self.admit(user, namespace).await?;
        self.connect(&admitted).await
    }

    /// The client of an `admitted` connection: one Secret read, and a new client only when the
    /// connection or the Secret changed.
    pub async fn connect(&self, admitted: &Admitted) -> Result<Arc<Connection>, ConnectionError> {
        let Admitted {
            reference,
            meta,
            settings,
            secret_namespace,
        } = admitted;
        self.client(reference, meta, settings, secret_namespace)
            .await
    }

    /// The connection `user` (in `namespace`) names, if tenancy admits it: from the caches
    /// alone, so a reconcile that finds nothing to do reads nothing.
    pub async fn admit(&self, user: &User, namespace: &str) -> Result<Admitted, ConnectionError> {
        self.synced().await;
        let reference = connection_ref(user);
        let labels = self
            .namespaces
            .get(&ObjectRef::new(namespace))
            .map(|ns| ns.labels().clone())
            .unwrap_or_default();
        match reference.kind {
            ConnectionKind::ZitadelConnection => {
                let key = ObjectRef::new(&reference.name).within(namespace);
                let found = self
                    .namespaced
                    .iter()
                    .find(|(scope, _)| scope.as_deref().is_none_or(|s| s == namespace))
                    .and_then(|(_, store)| store.get(&key));
                let view = found.as_deref().map(|c| Found {
                    settings: &c.spec.connection,
                    allowed_namespaces: None,
                });
                admit(user, namespace, &labels, view)?;
                // Admitted means found.
                let Some(connection) = found else {
                    return Err(Refusal::NotFound(reference, namespace.to_owned()).into());
                };
                Ok(Admitted {
                    reference,
                    meta: connection.metadata.clone(),
                    settings: connection.spec.connection.clone(),
                    secret_namespace: namespace.to_owned(),
                })
            }
            ConnectionKind::ClusterZitadelConnection => {
                let found = self.cluster.get(&ObjectRef::new(&reference.name));
                let view = found.as_deref().map(|c| Found {
                    settings: &c.spec.connection,
                    allowed_namespaces: c.spec.allowed_namespaces.as_ref(),
                });
                admit(user, namespace, &labels, view)?;
                let Some(connection) = found else {
                    return Err(Refusal::NotFound(reference, namespace.to_owned()).into());
                };
                Ok(Admitted {
                    reference,
                    meta: connection.metadata.clone(),
                    settings: connection.spec.connection.clone(),
                    secret_namespace: self.operator_namespace.clone(),
                })
            }
        }
    }

    /// The cached client of `reference`, or a new one if the connection or its Secret changed.
    pub async fn client(
        &self,
        reference: &ConnectionRef,
        meta: &ObjectMeta,
        settings: &ConnectionSettings,
        secret_namespace: &str,
    ) -> Result<Arc<Connection>, ConnectionError> {
        let key = (
            reference.kind,
            secret_namespace.to_owned(),
            reference.name.clone(),
        );
        if let Some(cached) = self.lock().get_mut(&key)
            && cached.fingerprint.connection_uid == meta.uid
            && cached.fingerprint.generation == meta.generation
        {
            if cached
                .secret_read
                .is_some_and(|read| read.elapsed() < CREDENTIAL_RECHECK)
            {
                return Ok(Arc::clone(&cached.connection));
            }
            // This caller reads the Secret again; the reconciles that connect meanwhile (a
            // resync starts many at once) keep the client they have instead of each reading it.
            cached.secret_read = Some(Instant::now());
        }
        let rebuilt = self
            .rebuild(reference, key.clone(), meta, settings, secret_namespace)
            .await;
        if rebuilt.is_err()
            && let Some(cached) = self.lock().get_mut(&key)
        {
            cached.secret_read = None;
        }
        rebuilt
    }

    /// Reads the connection's credential Secret and returns the cached client if the Secret is
    /// unchanged, else builds and caches a new one.
    async fn rebuild(
        &self,
        reference: &ConnectionRef,
        key: (ConnectionKind, String, String),
        meta: &ObjectMeta,
        settings: &ConnectionSettings,
        secret_namespace: &str,
    ) -> Result<Arc<Connection>, ConnectionError> {
        let label = describe(reference);
        let selector = &settings.credentials.secret_ref;
        let secrets: Api<Secret> = Api::namespaced(self.kube.clone(), secret_namespace);
        let secret =
            secrets
                .get_opt(&selector.name)
                .await
                .map_err(|source| ConnectionError::Kube {
                    connection: label.clone(),
                    source,
                })?;
        let missing = || ConnectionError::SecretMissing {
            connection: label.clone(),
            namespace: secret_namespace.to_owned(),
            name: selector.name.clone(),
            key: selector.key.clone(),
        };
        let secret = secret.ok_or_else(missing)?;
        let fingerprint = Fingerprint {
            connection_uid: meta.uid.clone(),
            generation: meta.generation,
            secret_version: secret.metadata.resource_version.clone(),
        };
        if let Some(cached) = self.lock().get_mut(&key)
            && cached.fingerprint == fingerprint
        {
            cached.secret_read = Some(Instant::now());
            return Ok(Arc::clone(&cached.connection));
        }
        let value = secret_value(secret.data.as_ref(), &selector.key).ok_or_else(missing)?;
        let config = client_config(&label, settings, value)?;
        let client = ZitadelClient::new(config)
            .map_err(|source| ConnectionError::Client {
                connection: label.clone(),
                source,
            })?
            .with_observer(Arc::new(
                self.metrics
                    .for_connection(metric_label(reference, secret_namespace)),
            ))
            // From the registry, not new: a rebuilt client (rotated credential, edited
            // connection) keeps the budget and any pause of its instance.
            .with_limiters(&self.limiters);
        let connection = Arc::new(Connection {
            reference: reference.clone(),
            client,
            allow_adoption: settings.allow_adoption,
            revision: revision(meta),
            root_metadata: RootMetadata::default(),
        });
        self.lock().insert(
            key,
            CachedClient {
                fingerprint,
                connection: Arc::clone(&connection),
                secret_read: Some(Instant::now()),
            },
        );
        Ok(connection)
    }

    /// After `error` from a call through `connection`: when ZITADEL rejected the credential, the
    /// next connect reads its Secret again instead of waiting out [`CREDENTIAL_RECHECK`], so a
    /// credential rotated and revoked at once costs one failed reconcile.
    pub fn recheck_after(&self, connection: &Connection, error: &zitadel::Error) {
        use zitadel::ErrorKind;
        if !matches!(
            error.kind(),
            ErrorKind::Unauthenticated | ErrorKind::Auth | ErrorKind::PermissionDenied
        ) {
            return;
        }
        let mut clients = self.lock();
        if let Some(cached) = clients
            .values_mut()
            .find(|cached| std::ptr::eq(&*cached.connection, connection))
        {
            cached.secret_read = None;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClientCache> {
        self.clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The stores [`Connections::synced`] waits for.
struct Readiness {
    namespaced: Vec<Store<ZitadelConnection>>,
    cluster: Store<ClusterZitadelConnection>,
    namespaces: Store<Namespace>,
}

impl Readiness {
    async fn wait(&self) -> Result<(), reflector::store::WriterDropped> {
        for store in &self.namespaced {
            store.wait_until_ready().await?;
        }
        self.cluster.wait_until_ready().await?;
        self.namespaces.wait_until_ready().await
    }
}

/// A watch cache of `api`, as a stream of ticks for [`Connections::changes`]: one per change that
/// can alter an admission (an object's spec generation or labels, its appearance or deletion, a
/// re-list), never for a status write, which would re-reconcile every `User` for nothing.
fn cache<K>(
    api: Api<K>,
    writer: reflector::store::Writer<K>,
) -> impl futures::Stream<Item = ()> + Send + 'static
where
    K: Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + Sync + 'static,
    K::DynamicType: Default + Eq + std::hash::Hash + Clone + Send + Sync,
{
    let mut seen: HashMap<String, (Option<i64>, BTreeMap<String, String>)> = HashMap::new();
    watcher(api, watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .filter_map(move |event| {
            let tick = match event {
                Ok(watcher::Event::Apply(object) | watcher::Event::InitApply(object)) => {
                    let key = object.meta().uid.clone().unwrap_or_default();
                    let admission = (object.meta().generation, object.labels().clone());
                    seen.insert(key, admission.clone()).as_ref() != Some(&admission)
                }
                Ok(watcher::Event::Delete(object)) => {
                    seen.remove(&object.meta().uid.clone().unwrap_or_default());
                    true
                }
                Ok(watcher::Event::InitDone) => true,
                Ok(watcher::Event::Init) | Err(_) => false,
            };
            std::future::ready(tick.then_some(()))
        })
}

/// The connection a metric sample belongs to: `ClusterZitadelConnection/<name>` or
/// `ZitadelConnection/<namespace>/<name>`.
fn metric_label(reference: &ConnectionRef, namespace: &str) -> String {
    match reference.kind {
        ConnectionKind::ZitadelConnection => {
            format!("ZitadelConnection/{namespace}/{}", reference.name)
        }
        ConnectionKind::ClusterZitadelConnection => describe(reference),
    }
}

/// `Kind/name` of a connection, as messages name it.
pub fn describe(reference: &ConnectionRef) -> String {
    let kind = match reference.kind {
        ConnectionKind::ZitadelConnection => "ZitadelConnection",
        ConnectionKind::ClusterZitadelConnection => "ClusterZitadelConnection",
    };
    format!("{kind}/{}", reference.name)
}

fn secret_value(
    data: Option<&BTreeMap<String, k8s_openapi::ByteString>>,
    key: &str,
) -> Option<Sensitive<String>> {
    let bytes = data?.get(key)?;
    let text = String::from_utf8(bytes.0.clone()).ok()?;
    Some(Sensitive::new(text.trim().to_owned()))
}

/// The client configuration `settings` describe, with the credential `value`.
pub fn client_config(
    label: &str,
    settings: &ConnectionSettings,
    value: Sensitive<String>,
) -> Result<ClientConfig, ConnectionError> {
    let credentials = match settings.credentials.r#type {
        ConnectionCredentialType::PersonalAccessToken => Credentials::Pat(value),
        ConnectionCredentialType::ServiceAccountKey => Credentials::Key(value),
    };
    let request_timeout = match &settings.timeout {
        Some(value) => {
            crate::crd::parse_duration(value).ok_or_else(|| ConnectionError::InvalidTimeout {
                connection: label.to_owned(),
                value: value.clone(),
            })?
        }
        None => DEFAULT_TIMEOUT,
    };
    Ok(ClientConfig {
        instance_host: settings.instance_host.clone(),
        issuer: settings.issuer.clone(),
        request_timeout,
        ..ClientConfig::new(settings.url.clone(), credentials)
    })
}

/// A connection tenancy admitted for a `User`: what building its client needs.
pub struct Admitted {
    reference: ConnectionRef,
    meta: ObjectMeta,
    settings: ConnectionSettings,
    secret_namespace: String,
}

impl Admitted {
    /// The [`Connection::revision`] its client will have.
    pub fn revision(&self) -> String {
        revision(&self.meta)
    }
}

/// A connection's uid and generation: what changes when it is replaced or edited.
fn revision(meta: &ObjectMeta) -> String {
    format!(
        "{}/{}",
        meta.uid.as_deref().unwrap_or_default(),
        meta.generation.unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(timeout: Option<&str>) -> ConnectionSettings {
        ConnectionSettings {
            timeout: timeout.map(str::to_owned),
            ..ConnectionSettings::personal_access_token(
                "https://zitadel.example",
                ("credential", "pat"),
                vec!["org".to_owned()],
            )
        }
    }

    fn timeout_of(settings: &ConnectionSettings) -> Result<Duration, ConnectionError> {
        client_config("default", settings, Sensitive::new("pat".to_owned()))
            .map(|config| config.request_timeout)
    }

    #[test]
    fn a_connection_without_a_timeout_gives_each_call_ten_seconds() {
        assert_eq!(
            timeout_of(&settings(None)).unwrap(),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn a_connection_timeout_is_read_as_a_duration_and_a_bad_one_is_refused() {
        assert_eq!(
            timeout_of(&settings(Some("2s"))).unwrap(),
            Duration::from_secs(2)
        );
        let refused = timeout_of(&settings(Some("soon"))).unwrap_err();
        assert!(refused.to_string().contains("soon"), "{refused}");
    }
}
