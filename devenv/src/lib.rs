//! A local stand-in for a cluster and a ZITADEL instance: both emulators on loopback, the `User`
//! CRD installed, the organization the examples use, a kubeconfig and a PAT file on disk.
//! `cargo run -p devenv` adds the operator; `kubectl apply -f examples/` then works as on a
//! real cluster.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::PostParams;
use kube_emulator::{KubeEmulator, KubeEmulatorConfig};
use std::collections::BTreeMap;
use thiserror::Error;
use zitadel_emulator::{EmulatorConfig, ZitadelEmulator};
use zitadel_user_operator::config::{
    DEFAULT_ZITADEL_MAX_IN_FLIGHT, DEFAULT_ZITADEL_RATE_LIMIT, OperatorConfig,
};

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::ObjectMeta;
use zitadel_user_operator::crd::{
    ClusterZitadelConnection, ClusterZitadelConnectionSpec, ConnectionSettings,
};

/// The organization id the files in `examples/` use.
pub const EXAMPLES_ORG_ID: &str = "336392597046099971";

/// The operator's namespace in the dev environment: where the default connection's Secret is.
pub const OPERATOR_NAMESPACE: &str = "default";

/// The Secret holding the emulator's admin PAT for the default connection.
const CREDENTIALS_SECRET: &str = "zitadel-credentials";

/// Its key.
const PAT_KEY: &str = "pat";

/// Why the environment could not start.
#[derive(Debug, Error)]
pub enum Error {
    /// An emulator could not bind its port.
    #[error("cannot start the {which} emulator on {address}")]
    Bind {
        /// Which emulator.
        which: &'static str,
        /// The address it tried.
        address: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The kubeconfig or PAT file could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The Kubernetes client or the CRD install failed.
    #[error("Kubernetes emulator: {0}")]
    Kube(#[from] kube::Error),
    /// An emulator reported an address that is not a URI.
    #[error("invalid emulator URL: {0}")]
    Url(#[from] http::uri::InvalidUri),
    /// The operator failed.
    #[error(transparent)]
    Operator(#[from] zitadel_user_operator::operator::Error),
}

/// Where the environment listens and writes.
#[derive(Clone, Debug)]
pub struct Options {
    /// Port of the Kubernetes API emulator (0: any free port).
    pub kube_port: u16,
    /// Port of the ZITADEL emulator (0: any free port).
    pub zitadel_port: u16,
    /// Directory for `kubeconfig` and `zitadel.pat`.
    pub dir: PathBuf,
    /// How long ZITADEL's ListUsers lags behind writes, as in a real instance.
    pub list_delay: Duration,
}

/// The running emulators and the files that point at them.
pub struct DevEnv {
    /// The Kubernetes API emulator.
    pub kube: KubeEmulator,
    /// The ZITADEL emulator.
    pub zitadel: ZitadelEmulator,
    /// The kubeconfig for `kubectl` (`KUBECONFIG=...`).
    pub kubeconfig: PathBuf,
    /// The PAT file the operator reads.
    pub pat_file: PathBuf,
}

impl DevEnv {
    /// Starts both emulators, installs the CRD and writes the kubeconfig and PAT files.
    pub async fn start(options: &Options) -> Result<Self, Error> {
        let bind = |port| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let kube_address = bind(options.kube_port);
        let kube = KubeEmulator::start(KubeEmulatorConfig {
            bind: kube_address,
            ..KubeEmulatorConfig::default()
        })
        .await
        .map_err(|source| Error::Bind {
            which: "Kubernetes",
            address: kube_address,
            source,
        })?;
        let zitadel_address = bind(options.zitadel_port);
        let config = EmulatorConfig {
            bind: zitadel_address,
            list_delay: options.list_delay,
            ..EmulatorConfig::default()
        };
        let zitadel = ZitadelEmulator::start(config)
            .await
            .map_err(|source| Error::Bind {
                which: "ZITADEL",
                address: zitadel_address,
                source,
            })?;
        zitadel.create_organization_with_id(EXAMPLES_ORG_ID, "acme");

        let kubeconfig = options.dir.join("kubeconfig");
        let pat_file = options.dir.join("zitadel.pat");
        write(&options.dir, None)?;
        kube.write_kubeconfig(&kubeconfig, "default")
            .map_err(|source| Error::Write {
                path: kubeconfig.clone(),
                source,
            })?;
        write(&pat_file, Some(&zitadel.admin_pat()))?;

        let client = kube::Client::try_from(kube::Config::new(kube.url().parse()?))?;
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        for crd in zitadel_user_operator::crd::all() {
            crds.create(&PostParams::default(), &crd).await?;
        }
        create_default_connection(&client, &zitadel.url(), &zitadel.admin_pat()).await?;
        Ok(Self {
            kube,
            zitadel,
            kubeconfig,
            pat_file,
        })
    }

    /// The operator configuration for this environment, as the binary would build it from
    /// `POD_NAMESPACE=default`: the default connection's Secret lives there.
    pub fn operator_config(&self) -> OperatorConfig {
        OperatorConfig {
            namespace: OPERATOR_NAMESPACE.to_owned(),
            watch_namespaces: Vec::new(),
            concurrency: 16,
            resync_interval: Duration::from_secs(60),
            credential_check_interval: Duration::from_secs(3600),
            metrics_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            leader_election: None,
            // The binary's defaults, so `make dev` shows the limiter a cluster would have.
            zitadel_rate_limit: DEFAULT_ZITADEL_RATE_LIMIT
                .with_max_in_flight(DEFAULT_ZITADEL_MAX_IN_FLIGHT),
        }
    }

    /// Runs the operator against this environment until `shutdown` completes.
    pub async fn run_operator(
        &self,
        config: OperatorConfig,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        let url = self.kube.url().parse()?;
        let client = zitadel_user_operator::operator::kube_client(kube::Config::new(url))?;
        zitadel_user_operator::operator::run(client, config, shutdown).await?;
        Ok(())
    }
}

/// The `ClusterZitadelConnection` `default` every example `User` uses: the emulator, its admin
/// PAT (in Secret `zitadel-credentials` of the operator's namespace), the examples' organization,
/// all namespaces.
async fn create_default_connection(
    client: &kube::Client,
    url: &str,
    pat: &str,
) -> Result<(), Error> {
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(CREDENTIALS_SECRET.to_owned()),
            namespace: Some(OPERATOR_NAMESPACE.to_owned()),
            ..ObjectMeta::default()
        },
        string_data: Some(BTreeMap::from([(PAT_KEY.to_owned(), pat.to_owned())])),
        ..Secret::default()
    };
    Api::namespaced(client.clone(), OPERATOR_NAMESPACE)
        .create(&PostParams::default(), &secret)
        .await?;
    let spec = ClusterZitadelConnectionSpec {
        connection: ConnectionSettings::personal_access_token(
            url,
            (CREDENTIALS_SECRET, PAT_KEY),
            vec![EXAMPLES_ORG_ID.to_owned()],
        ),
        allowed_namespaces: Some(LabelSelector::default()),
    };
    Api::<ClusterZitadelConnection>::all(client.clone())
        .create(
            &PostParams::default(),
            &ClusterZitadelConnection::new("default", spec),
        )
        .await?;
    Ok(())
}

/// Creates `path` as a directory (`content` = `None`) or writes it as a file readable only by
/// its owner, since it holds a token.
fn write(path: &Path, content: Option<&str>) -> Result<(), Error> {
    let error = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    match content {
        None => std::fs::create_dir_all(path).map_err(error),
        Some(content) => {
            use std::io::Write as _;
            use std::os::unix::fs::OpenOptionsExt as _;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(path)
                .map_err(error)?;
            file.write_all(content.as_bytes()).map_err(error)
        }
    }
}
