//! Shared fixtures: a running emulator with a client, the test CRD, object builders.

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ObjectMeta, PostParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Api, Client, CustomResource, CustomResourceExt, KubeSchema};
use kube_emulator::{KubeEmulator, KubeEmulatorConfig};
use serde::{Deserialize, Serialize};

/// Every wait in these tests is bounded by this.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The test custom resource: a namespaced `Widget` with a status subresource, printer columns
/// and CEL rules (one plain, one transition rule).
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "example.com",
    version = "v1",
    kind = "Widget",
    namespaced,
    status = "WidgetStatus",
    shortname = "wd",
    category = "all",
    printcolumn = r#"{"name":"Size","type":"integer","jsonPath":".spec.size"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#
)]
#[x_kube(validation = Rule::new("self.size <= 10").message("size must be at most 10"))]
pub struct WidgetSpec {
    /// Any size up to 10.
    pub size: i64,
    /// Immutable once set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self == oldSelf").message("color is immutable"))]
    pub color: Option<String>,
}

/// Widget status.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, schemars::JsonSchema)]
pub struct WidgetStatus {
    /// Conditions keyed by type.
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

/// A minimal condition.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, schemars::JsonSchema)]
pub struct Condition {
    /// Condition type.
    #[serde(rename = "type")]
    pub type_: String,
    /// "True" or "False".
    pub status: String,
}

/// A running emulator and a kube client for it.
pub struct Cluster {
    pub emulator: KubeEmulator,
    pub client: Client,
}

impl Cluster {
    /// An emulator with the default configuration.
    pub async fn start() -> Cluster {
        Self::start_with(KubeEmulatorConfig::default()).await
    }

    /// An emulator with `config`.
    pub async fn start_with(config: KubeEmulatorConfig) -> Cluster {
        let emulator = KubeEmulator::start(config).await.expect("emulator starts");
        let url = emulator.url().parse().expect("emulator url is a valid URI");
        let client = Client::try_from(kube::Config::new(url)).expect("client builds");
        Cluster { emulator, client }
    }

    /// An emulator with the Widget CRD installed and established.
    pub async fn with_widgets() -> Cluster {
        let cluster = Self::start().await;
        cluster.install_widget_crd().await;
        cluster
    }

    /// Install the Widget CRD through the API and wait until it is established.
    pub async fn install_widget_crd(&self) {
        let crds: Api<CustomResourceDefinition> = Api::all(self.client.clone());
        crds.create(&PostParams::default(), &Widget::crd())
            .await
            .expect("CRD created");
        let established = await_condition(
            crds,
            "widgets.example.com",
            conditions::is_crd_established(),
        );
        tokio::time::timeout(TIMEOUT, established)
            .await
            .expect("CRD established in time")
            .expect("CRD wait works");
    }

    /// Secrets in `default`.
    pub fn secrets(&self) -> Api<Secret> {
        Api::namespaced(self.client.clone(), "default")
    }

    /// Widgets in `default`.
    pub fn widgets(&self) -> Api<Widget> {
        Api::namespaced(self.client.clone(), "default")
    }
}

/// A Secret named `name` with one data key and the given labels.
pub fn secret(name: &str, labels: &[(&str, &str)]) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(name.into()),
            labels: Some(
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..ObjectMeta::default()
        },
        string_data: Some([("key".to_string(), "value".to_string())].into()),
        ..Secret::default()
    }
}

/// A Widget named `name` of `size`.
pub fn widget(name: &str, size: i64) -> Widget {
    Widget::new(name, WidgetSpec { size, color: None })
}

/// The `kube::Error::Api` status code of a failed call.
pub fn api_code<T: std::fmt::Debug>(result: Result<T, kube::Error>) -> u16 {
    match result {
        Err(kube::Error::Api(status)) => status.code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// The `kube::Error::Api` status of a failed call.
pub fn api_status<T: std::fmt::Debug>(result: Result<T, kube::Error>) -> kube::core::Status {
    match result {
        Err(kube::Error::Api(status)) => *status,
        other => panic!("expected an API error, got {other:?}"),
    }
}
