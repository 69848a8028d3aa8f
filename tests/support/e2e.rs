//! End-to-end harness: the real operator (`operator::run`, as the binary runs it) against a
//! Kubernetes API and a ZITADEL.
//!
//! By default both are the in-repo emulators, fresh for each test. With `E2E_KUBECONFIG`,
//! `E2E_ZITADEL_URL`, `E2E_ZITADEL_PAT` and `E2E_ZITADEL_ORG_ID` set, the same tests run against
//! a real cluster and a real ZITADEL instead: the harness installs the CRDs, works in a fresh
//! namespace per test and deletes it afterwards. Tests that need fault injection or inspection
//! live in `e2e_faults.rs` and use [`Harness::emulators`], which exists only in emulated mode.
//!
//! The operator reaches ZITADEL through a connection the harness creates with the PAT in a Secret
//! of the test namespace (the operator's namespace too): in emulated mode the
//! `ClusterZitadelConnection` `default` (each test has its own Kubernetes emulator, so
//! cluster-scoped objects do not collide), which Users without `spec.connectionRef` use; in real
//! mode a `ZitadelConnection` `e2e` of the test namespace, which [`Harness::create`] names, since
//! tests running in parallel (and whatever else the cluster runs) share cluster-scoped objects.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, CustomResourceValidation, JSONSchemaProps,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Api, CustomResourceExt, Resource, ResourceExt};
use kube_emulator::{KubeEmulator, KubeEmulatorConfig, RecordedRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zitadel_emulator::{EmulatorConfig, ZitadelEmulator};
use zitadel_user_operator::config::OperatorConfig;
use zitadel_user_operator::crd::{
    ClusterZitadelConnection, ClusterZitadelConnectionSpec, ConnectionKind, ConnectionRef,
    ConnectionSettings, ConnectionStatus, User, ZitadelConnection, ZitadelConnectionSpec,
};
use zitadel_user_operator::leader::LeaderElectionSettings;
use zitadel_user_operator::sensitive::Sensitive;
use zitadel_user_operator::zitadel::{ClientConfig, Credentials, RateLimit, ZitadelClient};

use zitadel_user_operator::fixtures::ORG_ID;

/// How long a test waits for the operator to reach a state.
pub const WAIT: Duration = Duration::from_secs(20);

/// The Secret holding the harness connection's PAT, in the test namespace.
pub const CREDENTIAL_SECRET: &str = "zitadel-credential";

/// The key of the PAT in [`CREDENTIAL_SECRET`] (and in the Secrets [`pat_connection`] names).
pub const CREDENTIAL_KEY: &str = "pat";

/// Name of the `ZitadelConnection` the harness creates in real mode.
pub const REAL_CONNECTION: &str = "e2e";

/// Field manager of the harness's server-side applies.
const MANAGER: &str = "zitadel-user-operator-e2e";

/// The emulators behind an emulated run, for fault injection and inspection.
pub struct Emulators {
    /// The Kubernetes API emulator.
    pub kube: KubeEmulator,
    /// The ZITADEL emulator.
    pub zitadel: ZitadelEmulator,
}

/// Knobs of one test's environment.
#[derive(Clone)]
pub struct Options {
    /// How long ListUsers lags behind writes in the ZITADEL emulator.
    pub list_delay: Duration,
    /// The operator's resync interval.
    pub resync_interval: Duration,
    /// How often machine credentials are listed to find deletions behind the operator's back.
    pub credential_check_interval: Duration,
    /// The per-request ZITADEL deadline (the harness connection's `spec.timeout`).
    pub zitadel_timeout: Duration,
    /// Leader election as `main` configures it from `LEADER_ELECTION=true`; `None` (the default)
    /// runs the controller directly. The harness creates the Lease's namespace if it is not the
    /// test namespace, so a test can keep the Lease where a Helm release would put it.
    pub leader_election: Option<LeaderElectionSettings>,
    /// The harness connection's `allowAdoption`; on by default because the suites exercise
    /// `spec.adoptExisting`.
    pub allow_adoption: bool,
    /// `--concurrency`.
    pub concurrency: u16,
    /// Namespaces watched besides the test namespace (created by the harness).
    pub extra_namespaces: Vec<String>,
    /// `--zitadel-qps` / `--zitadel-burst`.
    pub zitadel_rate_limit: RateLimit,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            list_delay: Duration::from_millis(200),
            resync_interval: Duration::from_secs(600),
            credential_check_interval: Duration::from_secs(3600),
            zitadel_timeout: Duration::from_secs(2),
            leader_election: None,
            allow_adoption: true,
            concurrency: 4,
            extra_namespaces: Vec::new(),
            // Far above what a test sends, so only a test that asks for it is ever limited;
            // throttled answers still pause it.
            zitadel_rate_limit: RateLimit::per_second(10_000, 10_000),
        }
    }
}

/// One test's world: Kubernetes, ZITADEL, an organization, a namespace and the operator.
pub struct Harness {
    /// `Some` in emulated mode.
    pub emulators: Option<Emulators>,
    /// Client of the Kubernetes API the operator talks to (the test's own identity).
    pub kube: kube::Client,
    /// The operator's client of the same API (its own `User-Agent`).
    operator_kube: kube::Client,
    /// Namespace the test's objects live in.
    pub namespace: String,
    /// The ZITADEL organization users are created in.
    pub org_id: String,
    /// The connection the harness created for the operator (see the module documentation).
    pub connection: ConnectionRef,
    zitadel_url: String,
    pat: String,
    options: Options,
    operator: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    /// Where the operator serves `/metrics`, `/healthz` and `/readyz`.
    pub metrics_addr: std::net::SocketAddr,
    /// ZITADEL users the test saw in a status; a real run deletes them afterwards.
    zitadel_users: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl Harness {
    /// Starts an environment with default options and the operator running.
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    /// Starts an environment with `options` and the operator running.
    pub async fn start_with(options: Options) -> Self {
        let mut harness = Self::environment(options).await;
        harness.start_operator();
        harness
    }

    /// Starts an environment without the operator (for tests that stage state first).
    pub async fn environment(options: Options) -> Self {
        // `RUST_LOG=zitadel_user_operator=debug cargo test ...` shows the operator's logs.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .try_init();
        let real = std::env::var("E2E_KUBECONFIG").ok();
        let (emulators, kube_config, zitadel_url, pat, org_id, namespace) = match real {
            Some(kubeconfig) => {
                let env = |name: &str| {
                    std::env::var(name)
                        .unwrap_or_else(|_| panic!("{name} must be set with E2E_KUBECONFIG"))
                };
                let kube = real_config(&kubeconfig).await;
                let namespace = format!("zuo-e2e-{}", random_suffix());
                (
                    None,
                    kube,
                    env("E2E_ZITADEL_URL"),
                    env("E2E_ZITADEL_PAT"),
                    env("E2E_ZITADEL_ORG_ID"),
                    namespace,
                )
            }
            None => {
                let kube_emulator = KubeEmulator::start(KubeEmulatorConfig::default())
                    .await
                    .expect("the Kubernetes emulator starts");
                let zitadel = zitadel_emulator(options.list_delay, ORG_ID).await;
                let pat = zitadel.admin_pat();
                let kube =
                    kube::Config::new(kube_emulator.url().parse().expect("a valid emulator URL"));
                let url = zitadel.url();
                let emulators = Emulators {
                    kube: kube_emulator,
                    zitadel,
                };
                (
                    Some(emulators),
                    kube,
                    url,
                    pat,
                    ORG_ID.to_owned(),
                    "e2e".to_owned(),
                )
            }
        };
        let operator_kube = zitadel_user_operator::operator::kube_client(kube_config.clone())
            .expect("the operator's client");
        let kube = kube::Client::try_from(kube_config).expect("a kube client");
        let connection = if emulators.is_some() {
            ConnectionRef {
                kind: ConnectionKind::ClusterZitadelConnection,
                name: "default".to_owned(),
            }
        } else {
            ConnectionRef {
                kind: ConnectionKind::ZitadelConnection,
                name: REAL_CONNECTION.to_owned(),
            }
        };
        let harness = Self {
            emulators,
            kube,
            operator_kube,
            namespace,
            org_id,
            connection,
            zitadel_url,
            pat,
            options,
            operator: None,
            metrics_addr: free_local_address(),
            zitadel_users: Default::default(),
        };
        harness.install_crds().await;
        harness.create_namespace().await;
        if let Some(election) = &harness.options.leader_election {
            harness.ensure_namespace(&election.lease_namespace).await;
        }
        for namespace in &harness.options.extra_namespaces {
            harness.ensure_namespace(namespace).await;
        }
        harness.create_connection().await;
        harness
    }

    /// The Secret with the PAT and the connection the harness's Users use.
    async fn create_connection(&self) {
        self.put_secret(
            &self.namespace,
            CREDENTIAL_SECRET,
            &[(CREDENTIAL_KEY, self.pat.as_str())],
        )
        .await;
        let organizations = [self.org_id.as_str()];
        let settings = ConnectionSettings {
            timeout: Some(format!("{}ms", self.options.zitadel_timeout.as_millis())),
            allow_adoption: self.options.allow_adoption,
            ..pat_connection(&self.zitadel_url, CREDENTIAL_SECRET, &organizations)
        };
        match self.connection.kind {
            ConnectionKind::ClusterZitadelConnection => {
                let spec = ClusterZitadelConnectionSpec {
                    connection: settings,
                    allowed_namespaces: Some(LabelSelector::default()),
                };
                self.apply_cluster_connection(&self.connection.name, spec)
                    .await;
            }
            ConnectionKind::ZitadelConnection => {
                self.apply_connection(&self.namespace, &self.connection.name, settings)
                    .await;
            }
        }
    }

    /// The emulators; panics in real mode, where fault-injection tests do not run.
    pub fn emulators(&self) -> &Emulators {
        self.emulators
            .as_ref()
            .expect("this test needs the emulators (unset E2E_KUBECONFIG)")
    }

    /// Where ZITADEL serves its API (and, for the emulator, its token endpoint).
    pub fn zitadel_url(&self) -> &str {
        &self.zitadel_url
    }

    /// Whether this run talks to a real cluster and ZITADEL.
    pub fn is_real(&self) -> bool {
        self.emulators.is_none()
    }

    /// Starts the operator, as `main` would, watching the test namespace (and the extra ones),
    /// with the test namespace as its own.
    pub fn start_operator(&mut self) {
        assert!(self.operator.is_none(), "the operator is already running");
        let config = OperatorConfig {
            namespace: self.namespace.clone(),
            watch_namespaces: std::iter::once(self.namespace.clone())
                .chain(self.options.extra_namespaces.iter().cloned())
                .collect(),
            concurrency: self.options.concurrency,
            resync_interval: self.options.resync_interval,
            credential_check_interval: self.options.credential_check_interval,
            metrics_addr: self.metrics_addr,
            leader_election: self.options.leader_election.clone(),
            zitadel_rate_limit: self.options.zitadel_rate_limit,
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let kube = self.operator_kube.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(error) = zitadel_user_operator::operator::run(kube, config, shutdown).await {
                panic!("the operator failed: {error}");
            }
        });
        self.operator = Some((stop, task));
    }

    /// Stops the operator gracefully and waits for it.
    pub async fn stop_operator(&mut self) {
        if let Some((stop, task)) = self.operator.take() {
            let _ = stop.send(());
            tokio::time::timeout(WAIT, task)
                .await
                .expect("the operator stops")
                .expect("no panic");
        }
    }

    /// Kills the operator at once, as a crash or OOM kill would: no graceful shutdown.
    pub async fn crash_operator(&mut self) {
        if let Some((_stop, task)) = self.operator.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// `User`s of the test namespace.
    pub fn users(&self) -> Api<User> {
        self.users_in(&self.namespace)
    }

    /// `User`s of `namespace`.
    pub fn users_in(&self, namespace: &str) -> Api<User> {
        Api::namespaced(self.kube.clone(), namespace)
    }

    /// Secrets of the test namespace.
    pub fn secrets(&self) -> Api<Secret> {
        Api::namespaced(self.kube.clone(), &self.namespace)
    }

    /// Creates the Secret `namespace/name` with `entries` as its data, or replaces its data.
    pub async fn put_secret(&self, namespace: &str, name: &str, entries: &[(&str, &str)]) {
        let secrets: Api<Secret> = Api::namespaced(self.kube.clone(), namespace);
        let data: BTreeMap<String, ByteString> = entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), ByteString(v.as_bytes().to_vec())))
            .collect();
        match secrets.get_opt(name).await.expect("the API answers") {
            Some(mut secret) => {
                secret.data = Some(data);
                secrets
                    .replace(name, &PostParams::default(), &secret)
                    .await
                    .expect("the Secret is replaced");
            }
            None => {
                let secret = Secret {
                    metadata: ObjectMeta {
                        name: Some(name.to_owned()),
                        ..ObjectMeta::default()
                    },
                    data: Some(data),
                    ..Secret::default()
                };
                secrets
                    .create(&PostParams::default(), &secret)
                    .await
                    .expect("the Secret is created");
            }
        }
    }

    /// Deletes the Secret `namespace/name`.
    pub async fn delete_secret(&self, namespace: &str, name: &str) {
        let secrets: Api<Secret> = Api::namespaced(self.kube.clone(), namespace);
        secrets
            .delete(name, &DeleteParams::default())
            .await
            .expect("the Secret is deleted");
    }

    /// Creates or replaces (server-side apply) the `ZitadelConnection` `namespace/name`.
    pub async fn apply_connection(
        &self,
        namespace: &str,
        name: &str,
        settings: ConnectionSettings,
    ) {
        let spec = ZitadelConnectionSpec {
            connection: settings,
        };
        let api = Api::namespaced(self.kube.clone(), namespace);
        apply(&api, &ZitadelConnection::new(name, spec)).await;
    }

    /// Creates or replaces (server-side apply) the `ClusterZitadelConnection` `name`.
    pub async fn apply_cluster_connection(&self, name: &str, spec: ClusterZitadelConnectionSpec) {
        let api = Api::all(self.kube.clone());
        apply(&api, &ClusterZitadelConnection::new(name, spec)).await;
    }

    /// Deletes the `ZitadelConnection` `namespace/name`.
    pub async fn delete_connection(&self, namespace: &str, name: &str) {
        let api: Api<ZitadelConnection> = Api::namespaced(self.kube.clone(), namespace);
        api.delete(name, &DeleteParams::default())
            .await
            .expect("the ZitadelConnection is deleted");
    }

    /// Deletes the `ClusterZitadelConnection` `name`.
    pub async fn delete_cluster_connection(&self, name: &str) {
        let api: Api<ClusterZitadelConnection> = Api::all(self.kube.clone());
        api.delete(name, &DeleteParams::default())
            .await
            .expect("the ClusterZitadelConnection is deleted");
    }

    /// Changes the settings of the harness's connection, as its administrator would.
    pub async fn edit_connection(&self, change: impl FnOnce(&mut ConnectionSettings)) {
        let name = &self.connection.name;
        match self.connection.kind {
            ConnectionKind::ClusterZitadelConnection => {
                let api: Api<ClusterZitadelConnection> = Api::all(self.kube.clone());
                edit(&api, name, |c| change(&mut c.spec.connection)).await;
            }
            ConnectionKind::ZitadelConnection => {
                let api: Api<ZitadelConnection> =
                    Api::namespaced(self.kube.clone(), &self.namespace);
                edit(&api, name, |c| change(&mut c.spec.connection)).await;
            }
        }
    }

    /// Lets the harness's connection manage organization `id` too (one a test created).
    pub async fn allow_organization(&self, id: &str) {
        self.edit_connection(|settings| settings.organizations.push(id.to_owned()))
            .await;
    }

    /// Switches the harness connection's `allowAdoption`.
    pub async fn set_allow_adoption(&self, allowed: bool) {
        self.edit_connection(|settings| settings.allow_adoption = allowed)
            .await;
    }

    /// The status of a connection: the `ZitadelConnection` `namespace/name`, or with `None` the
    /// `ClusterZitadelConnection` `name`, once it describes its generation.
    async fn connection_status(
        &self,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<ConnectionStatus> {
        fn current<K: Resource>(
            object: &K,
            status: Option<&ConnectionStatus>,
        ) -> Option<ConnectionStatus> {
            let status = status?;
            (status.observed_generation == object.meta().generation).then(|| status.clone())
        }
        match namespace {
            Some(namespace) => {
                let api: Api<ZitadelConnection> = Api::namespaced(self.kube.clone(), namespace);
                let object = api.get_opt(name).await.expect("the API answers")?;
                current(&object, object.status.as_ref())
            }
            None => {
                let api: Api<ClusterZitadelConnection> = Api::all(self.kube.clone());
                let object = api.get_opt(name).await.expect("the API answers")?;
                current(&object, object.status.as_ref())
            }
        }
    }

    /// Waits until a connection's `Ready` condition (for its generation) has `reason`, and
    /// returns that condition's `(status, message)`. `namespace` as in `connection_status`.
    pub async fn wait_connection_reason(
        &self,
        namespace: Option<&str>,
        name: &str,
        reason: &str,
    ) -> (String, String) {
        self.eventually(&format!("connection {name} to show {reason}"), || async {
            let status = self.connection_status(namespace, name).await?;
            let ready = status.conditions.iter().find(|c| c.type_ == "Ready")?;
            (ready.reason == reason).then(|| (ready.status.clone(), ready.message.clone()))
        })
        .await
    }

    /// Waits until the harness's connection is Ready (its first check done).
    pub async fn wait_connection_ready(&self) {
        let (status, _) = self
            .wait_connection_reason(
                self.connection_namespace(),
                &self.connection.name,
                "Connected",
            )
            .await;
        assert_eq!(status, "True");
    }

    /// The namespace of the harness's connection; `None` for a cluster connection.
    fn connection_namespace(&self) -> Option<&str> {
        match self.connection.kind {
            ConnectionKind::ZitadelConnection => Some(self.namespace.as_str()),
            ConnectionKind::ClusterZitadelConnection => None,
        }
    }

    /// Waits until a connection to `zitadel` (as in [`Self::wait_connection_reason`]) is Ready
    /// and the re-check its first status write starts is over, then resets `zitadel`'s call
    /// counts and concurrency peak: from then on they are the Users' alone.
    pub async fn quiesce_checks(
        &self,
        zitadel: &ZitadelEmulator,
        namespace: Option<&str>,
        name: &str,
    ) {
        let (status, _) = self
            .wait_connection_reason(namespace, name, "Connected")
            .await;
        assert_eq!(status, "True", "connection {name}");
        // The first check (a ListUsers) writes the status, whose watch event checks once more.
        self.eventually(&format!("the re-check of connection {name}"), || async {
            (zitadel.calls("ListUsers") >= 2).then_some(())
        })
        .await;
        self.eventually("no call in flight", || async {
            zitadel.reset_call_counts();
            (zitadel.peak_concurrent_calls() == 0).then_some(())
        })
        .await;
    }

    /// [`Self::quiesce_checks`] for the harness's connection and ZITADEL (emulated mode only).
    pub async fn quiesce_connection_checks(&self) {
        let name = self.connection.name.clone();
        self.quiesce_checks(
            &self.emulators().zitadel,
            self.connection_namespace(),
            &name,
        )
        .await;
    }

    /// Creates a Secret the user manages (not the operator) with `entries` as its data.
    pub async fn create_secret(&self, name: &str, entries: &[(&str, &str)]) {
        let string_data = entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                ..ObjectMeta::default()
            },
            string_data: Some(string_data),
            ..Secret::default()
        };
        self.secrets()
            .create(&PostParams::default(), &secret)
            .await
            .expect("the Secret is created");
    }

    /// A ZITADEL client with the operator's credentials, to check ZITADEL's side in both modes.
    pub fn zitadel(&self) -> ZitadelClient {
        zitadel_client(&self.zitadel_url, &self.pat)
    }

    /// Creates `user` in the test namespace (its organization set to the test's; in real mode
    /// naming the harness's connection unless it names one).
    pub async fn create(&self, user: User) -> User {
        let organization = self.org_id.clone();
        self.create_in_organization(user, &organization).await
    }

    /// [`Self::create`] with another `organization` (the harness connection must list it to
    /// let it reach ZITADEL: [`Self::allow_organization`]).
    pub async fn create_in_organization(&self, mut user: User, organization: &str) -> User {
        user.spec.organization_id = organization.to_owned();
        if self.is_real() && user.spec.connection_ref.is_none() {
            user.spec.connection_ref = Some(self.connection.clone());
        }
        self.post(&self.namespace, user).await
    }

    /// Creates `user` in `namespace` as it is.
    pub async fn post(&self, namespace: &str, mut user: User) -> User {
        user.metadata.namespace = Some(namespace.to_owned());
        self.users_in(namespace)
            .create(&PostParams::default(), &user)
            .await
            .expect("the User is created")
    }

    /// Replaces `name` with `change` applied (a PUT with its resourceVersion), as applying a new
    /// version of the manifest would; a merge patch could not remove map keys.
    pub async fn edit(&self, name: &str, change: impl FnOnce(&mut User)) {
        self.edit_in(&self.namespace, name, change).await;
    }

    /// [`Self::edit`] of `namespace/name`.
    pub async fn edit_in(&self, namespace: &str, name: &str, change: impl FnOnce(&mut User)) {
        edit(&self.users_in(namespace), name, change).await;
    }

    /// Sets the annotation `key` of `name` to `value` (no spec change, so no new generation).
    pub async fn annotate(&self, name: &str, key: &str, value: &str) {
        self.edit(name, |user| {
            user.metadata
                .annotations
                .get_or_insert_default()
                .insert(key.to_owned(), value.to_owned());
        })
        .await;
    }

    /// Deletes `name` (the operator's finalizer decides when it is gone).
    pub async fn delete(&self, name: &str) {
        self.delete_in(&self.namespace, name).await;
    }

    /// Deletes `namespace/name`.
    pub async fn delete_in(&self, namespace: &str, name: &str) {
        self.users_in(namespace)
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete accepted");
    }

    /// Waits until `name` satisfies `condition`, returning it.
    pub async fn wait_for(
        &self,
        name: &str,
        what: &str,
        condition: impl Fn(&User) -> bool,
    ) -> User {
        self.wait_for_in(&self.namespace, name, what, condition)
            .await
    }

    /// Waits until `namespace/name` satisfies `condition`, returning it.
    pub async fn wait_for_in(
        &self,
        namespace: &str,
        name: &str,
        what: &str,
        condition: impl Fn(&User) -> bool,
    ) -> User {
        let users = self.users_in(namespace);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let current = users.get_opt(name).await.expect("the API answers");
            match current {
                Some(user) if condition(&user) => {
                    self.remember_zitadel_user(&user);
                    return user;
                }
                last => assert!(
                    tokio::time::Instant::now() < deadline,
                    "timed out waiting for {name}: {what}; last seen: generation {:?}, status {:?}",
                    last.as_ref().and_then(|u| u.metadata.generation),
                    last.and_then(|u| u.status)
                ),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `name` is Ready for its current generation.
    pub async fn wait_ready(&self, name: &str) -> User {
        self.wait_for(name, "Ready=True", |user| {
            ready_reason(user) == Some(("True", "Reconciled"))
        })
        .await
    }

    /// Waits until `name` is Ready at `generation`: an edit has been seen and applied.
    pub async fn wait_ready_at(&self, name: &str, generation: i64) -> User {
        self.wait_ready_at_in(&self.namespace, name, generation)
            .await
    }

    /// [`Self::wait_ready_at`] for `namespace/name`.
    pub async fn wait_ready_at_in(&self, namespace: &str, name: &str, generation: i64) -> User {
        self.wait_for_in(
            namespace,
            name,
            &format!("Ready=True at generation {generation}"),
            |user| {
                user.metadata.generation == Some(generation)
                    && ready_reason(user) == Some(("True", "Reconciled"))
            },
        )
        .await
    }

    /// Waits until `namespace/name` is Ready for its current generation.
    pub async fn wait_ready_in(&self, namespace: &str, name: &str) -> User {
        self.wait_for_in(namespace, name, "Ready=True", |user| {
            ready_reason(user) == Some(("True", "Reconciled"))
        })
        .await
    }

    /// Waits until `name` is not ready for `reason`.
    pub async fn wait_reason(&self, name: &str, reason: &str) -> User {
        self.wait_reason_in(&self.namespace, name, reason).await
    }

    /// Waits until `namespace/name` is not ready for `reason`.
    pub async fn wait_reason_in(&self, namespace: &str, name: &str, reason: &str) -> User {
        self.wait_for_in(namespace, name, reason, |user| {
            ready_reason(user).is_some_and(|(_, r)| r == reason)
        })
        .await
    }

    /// Waits until `name` no longer exists.
    pub async fn wait_gone(&self, name: &str) {
        self.wait_gone_in(&self.namespace, name).await;
    }

    /// Waits until `namespace/name` no longer exists.
    pub async fn wait_gone_in(&self, namespace: &str, name: &str) {
        let users = self.users_in(namespace);
        self.eventually(&format!("{name} to be deleted"), || async {
            users
                .get_opt(name)
                .await
                .expect("the API answers")
                .is_none()
                .then_some(())
        })
        .await;
    }

    /// The data of the Secret `name`, decoded as text, if it exists.
    pub async fn secret_data(
        &self,
        name: &str,
    ) -> Option<std::collections::BTreeMap<String, String>> {
        let secret = self
            .secrets()
            .get_opt(name)
            .await
            .expect("the API answers")?;
        Some(
            secret
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(key, value)| (key, String::from_utf8(value.0).expect("UTF-8 value")))
                .collect(),
        )
    }

    /// Runs `check` repeatedly until it returns `Some`, or fails after [`WAIT`].
    pub async fn eventually<T, F, Fut>(&self, what: &str, check: F) -> T
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(value) = check().await {
                return value;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn install_crds(&self) {
        self.install_crd::<User>().await;
        self.install_crd::<ZitadelConnection>().await;
        self.install_crd::<ClusterZitadelConnection>().await;
    }

    async fn install_crd<K: CustomResourceExt>(&self) {
        let crds: Api<CustomResourceDefinition> = Api::all(self.kube.clone());
        let params = PatchParams::apply(MANAGER).force();
        crds.patch(K::crd_name(), &params, &Patch::Apply(K::crd()))
            .await
            .expect("the CRD is installed");
        let established = await_condition(crds, K::crd_name(), conditions::is_crd_established());
        tokio::time::timeout(WAIT, established)
            .await
            .expect("the CRD is established")
            .expect("watch works");
    }

    /// Replaces the CRD's schema with one that accepts anything, as an older, looser version
    /// of the CRD would have: objects stored under it may no longer match the `User` type.
    pub async fn install_permissive_crd(&self) {
        let crds: Api<CustomResourceDefinition> = Api::all(self.kube.clone());
        let mut crd = User::crd();
        for version in &mut crd.spec.versions {
            version.schema = Some(CustomResourceValidation {
                open_api_v3_schema: Some(JSONSchemaProps {
                    type_: Some("object".to_owned()),
                    x_kubernetes_preserve_unknown_fields: Some(true),
                    ..JSONSchemaProps::default()
                }),
            });
        }
        let params = PatchParams::apply(MANAGER).force();
        crds.patch(User::crd_name(), &params, &Patch::Apply(crd))
            .await
            .expect("the permissive CRD is installed");
    }

    /// The `events.k8s.io` events about the `User` `name` in the test namespace.
    pub async fn events_of(&self, name: &str) -> Vec<Event> {
        let events: Api<Event> = Api::namespaced(self.kube.clone(), &self.namespace);
        events
            .list(&Default::default())
            .await
            .expect("events can be listed")
            .items
            .into_iter()
            .filter(|event| event.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
            .collect()
    }

    /// Adds `labels` to namespace `name` (what a cluster connection's `allowedNamespaces` selects).
    pub async fn label_namespace(&self, name: &str, labels: &[(&str, &str)]) {
        let labels: BTreeMap<&str, &str> = labels.iter().copied().collect();
        let patch = serde_json::json!({ "metadata": { "labels": labels } });
        let namespaces: Api<Namespace> = Api::all(self.kube.clone());
        namespaces
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .expect("the namespace is labelled");
    }

    async fn create_namespace(&self) {
        self.ensure_namespace(&self.namespace).await;
    }

    /// Creates namespace `name` unless it exists.
    async fn ensure_namespace(&self, name: &str) {
        let namespaces: Api<Namespace> = Api::all(self.kube.clone());
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        match namespaces.create(&PostParams::default(), &namespace).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 409 => {}
            Err(error) => panic!("namespace {name} cannot be created: {error}"),
        }
    }
}

impl Harness {
    fn remember_zitadel_user(&self, user: &User) {
        if let Some(id) = user.status.as_ref().and_then(|s| s.user_id.clone()) {
            let mut ids = self.zitadel_users.lock().unwrap_or_else(|p| p.into_inner());
            ids.insert(id);
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some((_, task)) = self.operator.take() {
            task.abort();
        }
        if self.is_real() {
            // The test's runtime is ending, so clean up on a runtime of our own, with clients of
            // its own, and wait for it: ZITADEL users first (usernames are instance-unique and
            // would collide with the next run), then the namespace, whose Users carry finalizers
            // the stopped operator can no longer remove.
            let ids =
                std::mem::take(&mut *self.zitadel_users.lock().unwrap_or_else(|p| p.into_inner()));
            let zitadel = pat_client_config(&self.zitadel_url, &self.pat);
            let namespace = self.namespace.clone();
            let cleanup = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(cleanup_real_run(zitadel, ids, namespace));
                }
            });
            let _ = cleanup.join();
        }
    }
}

async fn cleanup_real_run(
    zitadel: ClientConfig,
    ids: std::collections::BTreeSet<String>,
    namespace: String,
) {
    if let Ok(zitadel) = ZitadelClient::new(zitadel) {
        for id in ids {
            let _ = zitadel.delete_user(&id).await;
        }
    }
    let Ok(kubeconfig) = std::env::var("E2E_KUBECONFIG") else {
        return;
    };
    let Ok(kube) = kube::Client::try_from(real_config(&kubeconfig).await) else {
        return;
    };
    let users: Api<User> = Api::namespaced(kube.clone(), &namespace);
    for user in users
        .list(&Default::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default()
    {
        let patch = serde_json::json!({ "metadata": { "finalizers": null } });
        let _ = users
            .patch(
                &user.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await;
    }
    let namespaces: Api<Namespace> = Api::all(kube);
    let _ = namespaces
        .delete(&namespace, &DeleteParams::default())
        .await;
}

/// A ZITADEL emulator with the organization `org_id` ("acme") whose ListUsers lags `list_delay`
/// behind writes.
pub async fn zitadel_emulator(list_delay: Duration, org_id: &str) -> ZitadelEmulator {
    let config = EmulatorConfig {
        list_delay,
        ..EmulatorConfig::default()
    };
    let zitadel = ZitadelEmulator::start(config)
        .await
        .expect("the ZITADEL emulator starts");
    zitadel.create_organization_with_id(org_id, "acme");
    zitadel
}

/// Settings of a connection to the ZITADEL at `url` for `organizations`, with the PAT under
/// [`CREDENTIAL_KEY`] of the Secret `secret`; no adoption, the default timeout.
pub fn pat_connection(url: &str, secret: &str, organizations: &[&str]) -> ConnectionSettings {
    let organizations = organizations.iter().map(|o| (*o).to_owned()).collect();
    ConnectionSettings::personal_access_token(url, (secret, CREDENTIAL_KEY), organizations)
}

/// A client of the ZITADEL at `url` with `pat`, to act as a console user or check ZITADEL's side.
pub fn zitadel_client(url: &str, pat: &str) -> ZitadelClient {
    ZitadelClient::new(pat_client_config(url, pat)).expect("a ZITADEL client")
}

/// The configuration of a client of the ZITADEL at `url` with `pat`.
fn pat_client_config(url: &str, pat: &str) -> ClientConfig {
    ClientConfig::new(
        url.to_owned(),
        Credentials::Pat(Sensitive::new(pat.to_owned())),
    )
}

/// Server-side applies `object` (whole: fields left out are removed) as the harness.
async fn apply<K>(api: &Api<K>, object: &K)
where
    K: Resource + Clone + DeserializeOwned + Serialize + std::fmt::Debug,
{
    let params = PatchParams::apply(MANAGER).force();
    api.patch(&object.name_any(), &params, &Patch::Apply(object))
        .await
        .expect("the object is applied");
}

/// Replaces `name` with `change` applied (a PUT with its resourceVersion).
async fn edit<K>(api: &Api<K>, name: &str, change: impl FnOnce(&mut K))
where
    K: Resource + Clone + DeserializeOwned + Serialize + std::fmt::Debug,
{
    let mut object = api.get(name).await.expect("the object exists");
    change(&mut object);
    api.replace(name, &PostParams::default(), &object)
        .await
        .expect("the object is replaced");
}

/// `(status, reason)` of the Ready condition for the current generation.
pub fn ready_reason(user: &User) -> Option<(&str, &str)> {
    let status = user.status.as_ref()?;
    if status.observed_generation != user.metadata.generation {
        return None;
    }
    let ready = status.conditions.iter().find(|c| c.type_ == "Ready")?;
    Some((ready.status.as_str(), ready.reason.as_str()))
}

/// The message of `user`'s `Ready` condition.
pub fn ready_message(user: &User) -> Option<&str> {
    let status = user.status.as_ref()?;
    let ready = status.conditions.iter().find(|c| c.type_ == "Ready")?;
    Some(ready.message.as_str())
}

/// A loopback address with a port that was free a moment ago.
fn free_local_address() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("a bound address")
}

async fn real_config(kubeconfig: &str) -> kube::Config {
    let kubeconfig =
        kube::config::Kubeconfig::read_from(kubeconfig).expect("E2E_KUBECONFIG is readable");
    let options = kube::config::KubeConfigOptions::default();
    kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .expect("a valid kubeconfig")
}

/// Requests the operator made to the Kubernetes emulator, in full (namespace and name included),
/// for checks that need to know where a request went, such as the RBAC comparison.
pub fn operator_recorded_requests(emulators: &Emulators) -> Vec<RecordedRequest> {
    emulators
        .kube
        .requests()
        .into_iter()
        .filter(|r| r.user_agent == zitadel_user_operator::names::USER_AGENT)
        .collect()
}

/// Requests the operator made to the Kubernetes emulator, as `(verb, group, resource[/sub])`.
pub fn operator_requests(emulators: &Emulators) -> Vec<(String, String, String)> {
    operator_recorded_requests(emulators)
        .into_iter()
        .map(|r| {
            let resource = match &r.subresource {
                Some(sub) => format!("{}/{sub}", r.resource),
                None => r.resource.clone(),
            };
            (r.verb, r.group, resource)
        })
        .collect()
}

fn random_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..6)
        .map(|_| char::from(b'a' + rng.random_range(0..26)))
        .collect()
}
