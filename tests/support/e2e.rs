//! End-to-end harness: the real operator (`operator::run`, as the binary runs it) against a
//! Kubernetes API and a ZITADEL.
//!
//! By default both are the in-repo emulators, fresh for each test. With `E2E_KUBECONFIG`,
//! `E2E_ZITADEL_URL`, `E2E_ZITADEL_PAT` and `E2E_ZITADEL_ORG_ID` set, the same tests run against
//! a real cluster and a real ZITADEL instead: the harness installs the CRD, works in a fresh
//! namespace per test and deletes it afterwards. Tests that need fault injection or inspection
//! live in `e2e_faults.rs` and use [`Harness::emulators`], which exists only in emulated mode.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, CustomResourceValidation, JSONSchemaProps,
};
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Api, CustomResourceExt, ResourceExt};
use kube_emulator::{KubeEmulator, KubeEmulatorConfig, RecordedRequest};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zitadel_emulator::{EmulatorConfig, ZitadelEmulator};
use zitadel_user_operator::config::OperatorConfig;
use zitadel_user_operator::crd::User;
use zitadel_user_operator::leader::LeaderElectionSettings;
use zitadel_user_operator::zitadel::{ClientConfig, Credentials, ZitadelClient};

use zitadel_user_operator::fixtures::ORG_ID;

/// How long a test waits for the operator to reach a state.
pub const WAIT: Duration = Duration::from_secs(20);

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
    /// The operator's per-request ZITADEL deadline.
    pub zitadel_timeout: Duration,
    /// Leader election as `main` configures it from `LEADER_ELECTION=true`; `None` (the default)
    /// runs the controller directly. The harness creates the Lease's namespace if it is not the
    /// test namespace, so a test can keep the Lease where a Helm release would put it.
    pub leader_election: Option<LeaderElectionSettings>,
    /// `--allow-adoption`; on by default because the suites exercise `spec.adoptExisting`.
    pub allow_adoption: bool,
    /// `--concurrency`.
    pub concurrency: u16,
    /// Namespaces watched besides the test namespace (created by the harness).
    pub extra_namespaces: Vec<String>,
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
    zitadel_url: String,
    pat_file: PathBuf,
    options: Options,
    operator: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    /// Where the operator serves `/metrics`, `/healthz` and `/readyz`.
    pub metrics_addr: std::net::SocketAddr,
    /// ZITADEL users the test saw in a status; a real run deletes them afterwards.
    zitadel_users: std::sync::Mutex<std::collections::BTreeSet<String>>,
    _dir: TempDir,
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
        let dir = TempDir::new().expect("a temp dir");
        let pat_file = dir.path().join("zitadel.pat");
        let real = std::env::var("E2E_KUBECONFIG").ok();
        let (emulators, kube_config, zitadel_url, org_id, namespace) = match real {
            Some(kubeconfig) => {
                let env = |name: &str| {
                    std::env::var(name)
                        .unwrap_or_else(|_| panic!("{name} must be set with E2E_KUBECONFIG"))
                };
                std::fs::write(&pat_file, env("E2E_ZITADEL_PAT")).expect("PAT file written");
                let kube = real_config(&kubeconfig).await;
                let namespace = format!("zuo-e2e-{}", random_suffix());
                (
                    None,
                    kube,
                    env("E2E_ZITADEL_URL"),
                    env("E2E_ZITADEL_ORG_ID"),
                    namespace,
                )
            }
            None => {
                let kube_emulator = KubeEmulator::start(KubeEmulatorConfig::default())
                    .await
                    .expect("the Kubernetes emulator starts");
                let config = EmulatorConfig {
                    list_delay: options.list_delay,
                    ..EmulatorConfig::default()
                };
                let zitadel = ZitadelEmulator::start(config)
                    .await
                    .expect("the ZITADEL emulator starts");
                zitadel.create_organization_with_id(ORG_ID, "acme");
                std::fs::write(&pat_file, zitadel.admin_pat()).expect("PAT file written");
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
                    ORG_ID.to_owned(),
                    "e2e".to_owned(),
                )
            }
        };
        let operator_kube = zitadel_user_operator::operator::kube_client(kube_config.clone())
            .expect("the operator's client");
        let kube = kube::Client::try_from(kube_config).expect("a kube client");
        let harness = Self {
            emulators,
            kube,
            operator_kube,
            namespace,
            org_id,
            zitadel_url,
            pat_file,
            options,
            operator: None,
            metrics_addr: free_local_address(),
            zitadel_users: Default::default(),
            _dir: dir,
        };
        harness.install_crd().await;
        harness.create_namespace().await;
        if let Some(election) = &harness.options.leader_election {
            harness.ensure_namespace(&election.lease_namespace).await;
        }
        for namespace in &harness.options.extra_namespaces {
            harness.ensure_namespace(namespace).await;
        }
        harness
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

    /// Starts the operator, as `main` would, watching the test namespace.
    pub fn start_operator(&mut self) {
        assert!(self.operator.is_none(), "the operator is already running");
        let config = OperatorConfig {
            zitadel: ClientConfig {
                request_timeout: self.options.zitadel_timeout,
                ..ClientConfig::new(
                    self.zitadel_url.clone(),
                    Credentials::PatFile(self.pat_file.clone()),
                )
            },
            watch_namespaces: std::iter::once(self.namespace.clone())
                .chain(self.options.extra_namespaces.iter().cloned())
                .collect(),
            concurrency: self.options.concurrency,
            resync_interval: self.options.resync_interval,
            credential_check_interval: self.options.credential_check_interval,
            metrics_addr: self.metrics_addr,
            leader_election: self.options.leader_election.clone(),
            allow_adoption: self.options.allow_adoption,
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
        Api::namespaced(self.kube.clone(), &self.namespace)
    }

    /// Secrets of the test namespace.
    pub fn secrets(&self) -> Api<Secret> {
        Api::namespaced(self.kube.clone(), &self.namespace)
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
        let config = ClientConfig::new(
            self.zitadel_url.clone(),
            Credentials::PatFile(self.pat_file.clone()),
        );
        ZitadelClient::new(config).expect("a ZITADEL client")
    }

    /// Creates `user` in the test namespace (its organization set to the test's).
    pub async fn create(&self, mut user: User) -> User {
        user.metadata.namespace = Some(self.namespace.clone());
        user.spec.organization_id = self.org_id.clone();
        self.users()
            .create(&PostParams::default(), &user)
            .await
            .expect("the User is created")
    }

    /// Replaces `name` with `change` applied (a PUT with its resourceVersion), as applying a new
    /// version of the manifest would; a merge patch could not remove map keys.
    pub async fn edit(&self, name: &str, change: impl FnOnce(&mut User)) {
        let mut user = self.users().get(name).await.expect("the User exists");
        change(&mut user);
        self.users()
            .replace(name, &PostParams::default(), &user)
            .await
            .expect("the spec is updated");
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
        self.users()
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
        let users = self.users();
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
        self.wait_for(
            name,
            &format!("Ready=True at generation {generation}"),
            |user| {
                user.metadata.generation == Some(generation)
                    && ready_reason(user) == Some(("True", "Reconciled"))
            },
        )
        .await
    }

    /// Waits until `name` is not ready for `reason`.
    pub async fn wait_reason(&self, name: &str, reason: &str) -> User {
        self.wait_for(name, reason, |user| {
            ready_reason(user).is_some_and(|(_, r)| r == reason)
        })
        .await
    }

    /// Waits until `name` no longer exists.
    pub async fn wait_gone(&self, name: &str) {
        let users = self.users();
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

    async fn install_crd(&self) {
        let crds: Api<CustomResourceDefinition> = Api::all(self.kube.clone());
        let params = PatchParams::apply("zitadel-user-operator-e2e").force();
        crds.patch(User::crd_name(), &params, &Patch::Apply(User::crd()))
            .await
            .expect("the CRD is installed");
        let established = await_condition(crds, User::crd_name(), conditions::is_crd_established());
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
        let params = PatchParams::apply("zitadel-user-operator-e2e").force();
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
            let zitadel = ClientConfig::new(
                self.zitadel_url.clone(),
                Credentials::PatFile(self.pat_file.clone()),
            );
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
