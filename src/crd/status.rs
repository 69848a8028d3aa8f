//! `User.status`: what the operator observed. Holds ids and names only, never a credential.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Observed state of a `User`.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// ID of the ZITADEL user this resource manages, once it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 200))]
    pub user_id: Option<String>,
    /// Organization the ZITADEL user belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// `Human` or `Machine`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<UserType>,
    /// State of the user as ZITADEL reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<UserState>,
    /// Name of the Secret (owned by this resource) that holds one-time codes and generated
    /// credentials, when there are any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
    /// Metadata keys the operator set in ZITADEL; a key that leaves `spec.metadata` is deleted
    /// from ZITADEL only if it is listed here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_metadata_keys: Vec<String>,
    /// `Ready`, `Reconciling` and `Stalled`, as kstatus (Flux, Helm) reads them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
}

/// Kind of ZITADEL user.
#[derive(JsonSchema, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserType {
    /// A person.
    Human,
    /// A service account.
    Machine,
}

/// State of a ZITADEL user (`USER_STATE_*`).
#[derive(JsonSchema, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserState {
    /// ZITADEL reported no state.
    Unspecified,
    /// Active.
    Active,
    /// Deactivated.
    Inactive,
    /// Deleted.
    Deleted,
    /// Locked, for example after too many failed logins.
    Locked,
    /// Created, waiting for the first login or email verification.
    Initial,
}

impl UserState {
    /// The state's name, as in the status and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            UserState::Unspecified => "Unspecified",
            UserState::Active => "Active",
            UserState::Inactive => "Inactive",
            UserState::Deleted => "Deleted",
            UserState::Locked => "Locked",
            UserState::Initial => "Initial",
        }
    }
}
