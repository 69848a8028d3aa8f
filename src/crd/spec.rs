//! `User.spec`: what the ZITADEL user should look like.
//!
//! Validation lives in the schema (enums, lengths, required fields) and in CEL rules. The
//! supported API servers (Kubernetes 1.30+) know `reason` and `fieldPath`; every string a rule
//! reads has a `maxLength`, so the API server's cost estimate accepts the CRD.

use std::collections::BTreeMap;

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::credentials::MachineCredentialsSpec;
use super::onboarding::{IdpLinkSpec, InviteSpec, PasskeyRegistrationSpec, TotpSpec};
use super::status::UserStatus;

/// Desired state of the ZITADEL user.
// `printcolumn(...)` repeats `type_` once per column by design of kube's derive.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[kube(
    group = "zitadel-user-operator.dev",
    version = "v1alpha1",
    kind = "User",
    namespaced,
    status = "UserStatus",
    shortname = "zuser",
    category = "zitadel",
    doc = "A ZITADEL user (human or machine) managed from Kubernetes.",
    printcolumn(name = "Type", type_ = "string", json_path = ".status.type"),
    printcolumn(
        name = "Organization",
        type_ = "string",
        json_path = ".spec.organizationId"
    ),
    printcolumn(name = "User ID", type_ = "string", json_path = ".status.userId"),
    printcolumn(name = "State", type_ = "string", json_path = ".status.state"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    validation = Rule::new(
        "!has(self.spec.userId) || has(oldSelf.spec.userId) || !has(self.status) || !has(self.status.userId) || self.spec.userId == self.status.userId"
    )
    .message("spec.userId may be added after creation only with the id this User already manages (status.userId)")
    .reason(Reason::FieldValueForbidden)
    .field_path(".spec.userId")
)]
#[x_kube(validation = Rule::new("has(self.human) != has(self.machine)")
    .message("exactly one of spec.human or spec.machine must be set"))]
#[x_kube(validation = Rule::new("has(self.human) == has(oldSelf.human)")
    .message("the user type cannot change: spec.human and spec.machine are fixed at creation"))]
#[x_kube(validation = Rule::new("!has(oldSelf.userId) || (has(self.userId) && self.userId == oldSelf.userId)")
    .message("spec.userId cannot be changed or removed once set"))]
#[x_kube(validation = Rule::new("has(self.connectionRef) == has(oldSelf.connectionRef)")
    .message("spec.connectionRef cannot be added or removed after creation"))]
#[serde(rename_all = "camelCase")]
pub struct UserSpec {
    /// The connection (ZITADEL instance and credential) to manage the user through: a
    /// `ZitadelConnection` of this namespace, or a `ClusterZitadelConnection` that allows this
    /// namespace. Absent: the `ClusterZitadelConnection` named `default`. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.connectionRef is immutable"))]
    pub connection_ref: Option<ConnectionRef>,

    /// ID of the ZITADEL organization the user belongs to. Immutable.
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.organizationId is immutable"))]
    #[schemars(length(min = 1, max = 200))]
    pub organization_id: String,

    /// ZITADEL user ID to create the user with. When absent the operator uses this resource's
    /// `metadata.uid`, which makes creation idempotent. Create-only: immutable once set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub user_id: Option<String>,

    /// Login name of the user. When absent ZITADEL's default applies: the email address for
    /// humans, the user ID for machines. Unique in the instance (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub username: Option<String>,

    /// Metadata entries of the ZITADEL user, as plain text (the operator base64-encodes them).
    /// Only keys listed here are managed: keys set in ZITADEL by others are left alone, and a key
    /// removed from this map is deleted from ZITADEL. The key `zitadel-user-operator.dev/owner`
    /// is reserved: the operator marks the users it manages with it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 64))]
    #[x_kube(validation = Rule::new("self.all(k, size(k) >= 1 && size(k) <= 200)")
        .message("metadata keys must be 1 to 200 characters long"))]
    #[x_kube(validation = Rule::new("!('zitadel-user-operator.dev/owner' in self)")
        .message("metadata key zitadel-user-operator.dev/owner is reserved for the operator"))]
    pub metadata: BTreeMap<String, String>,

    /// What happens to the ZITADEL user when this resource is deleted: `Delete` (default)
    /// removes it from ZITADEL, `Orphan` leaves it there.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,

    /// Take over an existing ZITADEL user that already has this `userId` or `username`, instead
    /// of reporting a conflict. The existing user must belong to `organizationId` and be of the
    /// same type (human or machine). Off by default: the operator never takes over a user
    /// silently.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopt_existing: bool,

    /// `Active` or `Inactive` (deactivated: cannot log in or get tokens). Absent: not managed.
    /// A user ZITADEL locked (lockout policy) stays locked: the operator never unlocks users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<DesiredState>,

    /// A human user. Exactly one of `human` and `machine` must be set; the choice is permanent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub human: Option<HumanSpec>,

    /// A machine user (service account). Exactly one of `human` and `machine` must be set; the
    /// choice is permanent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<MachineSpec>,
}

/// A connection a `User` names.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConnectionRef {
    /// `ZitadelConnection` (this namespace) or `ClusterZitadelConnection`.
    pub kind: ConnectionKind,
    /// Its name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// Kind of connection.
#[derive(JsonSchema, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnectionKind {
    /// A `ZitadelConnection` in the `User`'s namespace.
    ZitadelConnection,
    /// A `ClusterZitadelConnection`.
    ClusterZitadelConnection,
}

/// Whether the user may log in.
#[derive(JsonSchema, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DesiredState {
    /// Active (a user still in ZITADEL's `Initial` state counts as active).
    Active,
    /// Deactivated.
    Inactive,
}

/// What happens to the ZITADEL user when the `User` resource is deleted.
#[derive(JsonSchema, Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeletionPolicy {
    /// Delete the user in ZITADEL (a user already gone counts as deleted).
    #[default]
    Delete,
    /// Leave the user in ZITADEL.
    Orphan,
}

/// A human user.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HumanSpec {
    /// Name and language of the user.
    pub profile: ProfileSpec,
    /// Email address and how it gets verified.
    pub email: EmailSpec,
    /// Phone number and how it gets verified. Removing it removes the number in ZITADEL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneSpec>,
    /// Initial password, set only when the user is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordSpec>,
    /// Invite the person once the user exists: they set up their own authentication with the
    /// code. Done (`status.onboarding.invite: Completed`) once the user has an authentication
    /// method; ZITADEL refuses invites from then on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<InviteSpec>,
    /// Issue a passkey registration link once the user exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey_registration: Option<PasskeyRegistrationSpec>,
    /// Links to identities at external identity providers, set when the user is created.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub idp_links: Vec<IdpLinkSpec>,
    /// A TOTP second factor, set when the user is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<TotpSpec>,
}

/// Profile of a human user. Fields left out are not managed: ZITADEL keeps what it has.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSpec {
    /// Given (first) name.
    #[schemars(length(min = 1, max = 200))]
    pub given_name: String,
    /// Family (last) name.
    #[schemars(length(min = 1, max = 200))]
    pub family_name: String,
    /// Nickname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub nick_name: Option<String>,
    /// Name shown in ZITADEL's UIs; ZITADEL derives one from the names when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub display_name: Option<String>,
    /// Preferred language as a BCP-47 tag, for example `en` or `de-CH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 10))]
    pub preferred_language: Option<String>,
    /// Gender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
}

/// Gender of a human user.
#[derive(JsonSchema, Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    /// Not specified.
    Unspecified,
    /// Female.
    Female,
    /// Male.
    Male,
    /// Diverse.
    Diverse,
}

/// Email address of a human user.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!has(self.urlTemplate) || self.verification == 'SendCode'")
    .message("email.urlTemplate is only allowed with verification SendCode"))]
pub struct EmailSpec {
    /// The email address.
    #[schemars(length(min = 1, max = 200))]
    pub address: String,
    /// How the address is verified: `SendCode` (default: ZITADEL mails a code), `ReturnCode`
    /// (the operator stores the code in the user's Secret as `emailCode`, no mail is sent) or
    /// `Verified` (marked verified, no code).
    #[serde(default)]
    pub verification: EmailVerification,
    /// Link template for the verification mail, with the Go template placeholders `{{.UserID}}`,
    /// `{{.OrgID}}` and `{{.Code}}`. Only with `SendCode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub url_template: Option<String>,
}

/// How an email address is verified.
#[derive(JsonSchema, Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EmailVerification {
    /// ZITADEL sends a verification mail.
    #[default]
    SendCode,
    /// The code is returned to the operator and stored in the user's Secret; no mail is sent.
    ReturnCode,
    /// The address is marked verified.
    Verified,
}

/// Phone number of a human user.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PhoneSpec {
    /// The phone number, preferably in E.164 form (`+41791234567`).
    #[schemars(length(min = 1, max = 200))]
    pub number: String,
    /// How the number is verified: `SendCode` (default: ZITADEL texts a code), `ReturnCode`
    /// (stored in the user's Secret as `phoneCode`) or `Verified`.
    #[serde(default)]
    pub verification: PhoneVerification,
}

/// How a phone number is verified.
#[derive(JsonSchema, Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PhoneVerification {
    /// ZITADEL sends a verification SMS.
    #[default]
    SendCode,
    /// The code is returned to the operator and stored in the user's Secret; no SMS is sent.
    ReturnCode,
    /// The number is marked verified.
    Verified,
}

/// Initial password of a human user. Create-only: changing it later has no effect.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.secretRef) != (has(self.generate) && self.generate)")
    .message("password needs exactly one of secretRef or generate: true"))]
#[x_kube(validation = Rule::new("!(has(self.hashed) && self.hashed) || has(self.secretRef)")
    .message("password.hashed requires password.secretRef"))]
pub struct PasswordSpec {
    /// A key of a Secret in this namespace that holds the password (or its hash). The operator
    /// only reads this Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretKeySelector>,
    /// Let the operator generate a strong password and store it in the user's Secret as
    /// `password`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate: Option<bool>,
    /// The referenced Secret holds a password hash ZITADEL accepts (for example bcrypt) instead
    /// of a password.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hashed: bool,
    /// The user must change the password at the first login.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub change_required: bool,
}

/// A key of a Secret in the `User`'s namespace.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
pub struct SecretKeySelector {
    /// Name of the Secret.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Key in the Secret's data.
    #[schemars(length(min = 1, max = 253))]
    pub key: String,
}

/// A machine user (service account).
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MachineSpec {
    /// Display name of the machine user.
    #[schemars(length(min = 1, max = 200))]
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 500))]
    pub description: Option<String>,
    /// Type of access tokens ZITADEL issues to the user: `Bearer` (default, opaque) or `JWT`.
    #[serde(default)]
    pub access_token_type: AccessTokenType,
    /// Credentials to issue, keep in the user's Secret and rotate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<MachineCredentialsSpec>,
}

/// Type of access tokens issued to a machine user.
#[derive(JsonSchema, Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AccessTokenType {
    /// Opaque bearer tokens.
    #[default]
    Bearer,
    /// JSON Web Tokens.
    #[serde(rename = "JWT")]
    Jwt,
}
