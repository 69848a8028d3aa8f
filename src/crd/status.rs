//! `User.status`: what the operator observed. Holds ids and names only, never a credential.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
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
    /// Machine credentials whose values are in the Secret, and rotated ones still valid during
    /// their grace period. Ids and dates only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<CredentialStatus>,
    /// How far onboarding (invite, passkey link) has come.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onboarding: Option<OnboardingStatus>,
    /// The value of the `zitadel-user-operator.dev/reissue` annotation whose codes and links were
    /// issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reissued_for: Option<String>,
    /// The value of the `zitadel-user-operator.dev/rotate` annotation for which every credential
    /// was rotated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_for: Option<String>,
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

/// One machine credential. Never holds its value.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CredentialStatus {
    /// `ClientSecret`, `Key` or `PersonalAccessToken`.
    pub kind: CredentialKind,
    /// Name from the spec (`clientSecret` for the client secret).
    pub name: String,
    /// ZITADEL's id of the key or token (a client secret has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When ZITADEL issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
    /// When it stops working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Time>,
    /// Set on a credential a rotation replaced: when the operator revokes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_at: Option<Time>,
}

/// Kind of machine credential.
#[derive(
    JsonSchema, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord,
)]
pub enum CredentialKind {
    /// The client secret (client-credentials grant).
    ClientSecret,
    /// A key (JWT-profile grant).
    Key,
    /// A personal access token.
    PersonalAccessToken,
}

/// Onboarding of a human.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OnboardingStatus {
    /// `Issued` while an invite code waits to be used; `Completed` once the user has an
    /// authentication method (ZITADEL then refuses invites, and the operator stops asking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<InviteProgress>,
    /// When the latest passkey registration link was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey_link_issued_at: Option<Time>,
}

/// Where an invite stands.
#[derive(JsonSchema, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InviteProgress {
    /// An invite code was issued and the user has no authentication method yet.
    Issued,
    /// The user has an authentication method: no invite is needed any more.
    Completed,
}
