//! `ZitadelConnection` and `ClusterZitadelConnection`: which ZITADEL instance, with which
//! credential, for which organizations. Administrators own them; a `User` names one in
//! `spec.connectionRef` and may use it only within the limits it sets (cert-manager's Issuer and
//! ClusterIssuer, Crossplane's ProviderConfig solve the same problem the same way).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::credentials::DURATION_PATTERN;
use super::spec::SecretKeySelector;

/// Most organizations one connection may name; bounds the cost of the CEL rule on them.
pub const MAX_CONNECTION_ORGANIZATIONS: usize = 100;

/// How to reach one ZITADEL instance and which organizations may be managed through it.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionSettings {
    /// Base URL of the ZITADEL API, e.g. `https://zitadel.example.com` or an in-cluster Service.
    #[schemars(length(min = 1, max = 500))]
    #[x_kube(validation = Rule::new("self.startsWith('https://') || self.startsWith('http://')")
        .message("url must start with https:// or http://"))]
    // The URL appears in status messages and logs: a password in it would leak there.
    #[x_kube(validation = Rule::new("!self.contains('@')")
        .message("url must not contain a user name or password; put the credential in credentials.secretRef"))]
    pub url: String,
    /// Public host of the instance, sent as `x-zitadel-instance-host` when `url` is an internal
    /// address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub instance_host: Option<String>,
    /// Issuer (audience of key-file assertions) when it differs from `url`, e.g.
    /// `https://zitadel.example.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 500))]
    pub issuer: Option<String>,
    /// Deadline of one ZITADEL call, as a duration (`10s`). Default `10s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = DURATION_PATTERN), length(max = 20))]
    pub timeout: Option<String>,
    /// The operator's credential for this instance.
    pub credentials: ConnectionCredentials,
    /// Ids of the ZITADEL organizations `User`s may manage through this connection. A `User`
    /// naming any other organization is refused before anything reaches ZITADEL.
    #[schemars(length(min = 1, max = 100))]
    #[x_kube(validation = Rule::new("self.all(o, size(o) >= 1 && size(o) <= 200)")
        .message("organization ids must be 1 to 200 characters long"))]
    pub organizations: Vec<String>,
    /// Let `User`s with `spec.adoptExisting: true` take over existing ZITADEL users of these
    /// organizations. Off by default: an adoption takes over an account.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_adoption: bool,
}

impl ConnectionSettings {
    /// A connection to the ZITADEL at `url` for `organizations`, authenticated with the personal
    /// access token under `key` of the Secret `secret`; default timeout, no adoption.
    pub fn personal_access_token(
        url: &str,
        (secret, key): (&str, &str),
        organizations: Vec<String>,
    ) -> Self {
        Self {
            url: url.to_owned(),
            instance_host: None,
            issuer: None,
            timeout: None,
            credentials: ConnectionCredentials {
                secret_ref: SecretKeySelector {
                    name: secret.to_owned(),
                    key: key.to_owned(),
                },
                r#type: ConnectionCredentialType::PersonalAccessToken,
            },
            organizations,
            allow_adoption: false,
        }
    }
}

/// Where the operator's credential for a connection is.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionCredentials {
    /// Key of a Secret holding the credential: in the connection's namespace for a
    /// `ZitadelConnection`, in the operator's namespace for a `ClusterZitadelConnection`. A changed
    /// Secret is picked up without a restart.
    pub secret_ref: SecretKeySelector,
    /// `PersonalAccessToken` or `ServiceAccountKey` (the JSON key file).
    pub r#type: ConnectionCredentialType,
}

/// Kind of credential a connection uses.
#[derive(JsonSchema, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionCredentialType {
    /// A personal access token.
    PersonalAccessToken,
    /// A service-account key file (JSON), for the JWT-profile grant.
    ServiceAccountKey,
}

/// A connection to a ZITADEL instance for the `User`s of its own namespace.
#[derive(CustomResource, KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[allow(clippy::duplicated_attributes)]
#[kube(
    group = "zitadel-user-operator.dev",
    version = "v1alpha1",
    kind = "ZitadelConnection",
    namespaced,
    status = "ConnectionStatus",
    shortname = "zconn",
    category = "zitadel",
    doc = "A ZITADEL instance and credential the Users of this namespace may use.",
    printcolumn(name = "URL", type_ = "string", json_path = ".spec.url"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].reason"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
pub struct ZitadelConnectionSpec {
    /// The instance, credential and organizations.
    #[serde(flatten)]
    pub connection: ConnectionSettings,
}

/// A connection to a ZITADEL instance for the `User`s of the namespaces it selects.
#[derive(CustomResource, KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[allow(clippy::duplicated_attributes)]
#[kube(
    group = "zitadel-user-operator.dev",
    version = "v1alpha1",
    kind = "ClusterZitadelConnection",
    status = "ConnectionStatus",
    shortname = "czconn",
    category = "zitadel",
    doc = "A ZITADEL instance and credential the Users of the selected namespaces may use.",
    printcolumn(name = "URL", type_ = "string", json_path = ".spec.url"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].reason"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct ClusterZitadelConnectionSpec {
    /// The instance, credential and organizations.
    #[serde(flatten)]
    pub connection: ConnectionSettings,
    /// Namespaces (by label) whose `User`s may use this connection. Absent: none. `{}`: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_namespaces: Option<LabelSelector>,
}

/// Observed state of a connection.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready` once the credential authenticates against the instance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
}
