//! How a human gets in: invite codes, passkey registration links, and the create-only IdP links
//! and TOTP secret.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::spec::SecretKeySelector;

/// An invite: a one-time code with which the person sets up their own authentication.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("(!has(self.urlTemplate) && !has(self.applicationName)) || self.delivery == 'SendCode'")
    .message("invite.urlTemplate and invite.applicationName are only allowed with delivery SendCode"))]
pub struct InviteSpec {
    /// `ReturnCode` (default): the operator stores the code in the user's Secret as
    /// `inviteCode`; no mail is sent. `SendCode`: ZITADEL mails the invite.
    #[serde(default)]
    pub delivery: InviteDelivery,
    /// Link in the invite mail, with the Go template placeholders `{{.UserID}}`, `{{.OrgID}}`
    /// and `{{.Code}}`. Only with `SendCode`; ZITADEL's login UI when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 500))]
    pub url_template: Option<String>,
    /// Application name shown in the invite mail. Only with `SendCode`; `ZITADEL` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub application_name: Option<String>,
}

/// How an invite code reaches the person.
#[derive(JsonSchema, Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InviteDelivery {
    /// Stored in the user's Secret as `inviteCode`; no mail is sent.
    #[default]
    ReturnCode,
    /// ZITADEL mails the invite.
    SendCode,
}

/// A passkey registration link: lets the person register a passkey without a password.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!has(self.urlTemplate) || self.delivery == 'SendLink'")
    .message("passkeyRegistration.urlTemplate is only allowed with delivery SendLink"))]
#[x_kube(validation = Rule::new("!has(self.linkTemplate) || self.delivery == 'ReturnCode'")
    .message("passkeyRegistration.linkTemplate is only allowed with delivery ReturnCode"))]
pub struct PasskeyRegistrationSpec {
    /// `ReturnCode` (default): the operator stores `passkeyCodeId` and `passkeyCode` (and, with
    /// `linkTemplate`, `passkeyLink`) in the user's Secret. `SendLink`: ZITADEL mails the link.
    #[serde(default)]
    pub delivery: PasskeyDelivery,
    /// Link in the mail ZITADEL sends, with the placeholders `{{.UserID}}`, `{{.OrgID}}`,
    /// `{{.CodeID}}` and `{{.Code}}`. Only with `SendLink`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 500))]
    pub url_template: Option<String>,
    /// Link the operator builds and stores as `passkeyLink`, with the same placeholders as
    /// `urlTemplate`. Only with `ReturnCode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 500))]
    pub link_template: Option<String>,
}

/// How a passkey registration link reaches the person.
#[derive(JsonSchema, Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PasskeyDelivery {
    /// Code id and code are stored in the user's Secret; no mail is sent.
    #[default]
    ReturnCode,
    /// ZITADEL mails the link.
    SendLink,
}

/// The user's identity at an external identity provider. Create-only.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IdpLinkSpec {
    /// ZITADEL's id of the identity provider.
    #[schemars(length(min = 1, max = 200))]
    pub idp_id: String,
    /// The user's id at the identity provider.
    #[schemars(length(min = 1, max = 200))]
    pub user_id: String,
    /// The user's name at the identity provider.
    #[schemars(length(min = 1, max = 200))]
    pub user_name: String,
}

/// A TOTP (RFC 6238, HMAC-SHA1, 30 s) second factor, set when the user is created.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TotpSpec {
    /// A key of a Secret in this namespace holding the TOTP secret. The operator only reads it.
    pub secret_ref: SecretKeySelector,
}
