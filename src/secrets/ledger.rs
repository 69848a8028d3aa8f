//! The ledger kept beside the values in a `User`'s Secret (annotation [`LEDGER_ANNOTATION`]).
//!
//! ZITADEL shows a credential's value once and cannot list it again, so the operator must know,
//! durably, which credentials it holds and which calls it started but never saw answered. The
//! ledger lives on the Secret rather than in the status because it is written in the same request
//! as the values it describes: a credential is held exactly when its value and its id landed
//! together. Ids and dates only, never a value.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::crd::CredentialKind;

pub use crate::names::LEDGER_ANNOTATION;

/// Everything the Secret records besides its values.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Ledger {
    /// Credentials whose value is in the Secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldCredential>,
    /// Credentials a rotation replaced, still valid until their `revoke_at`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retiring: Vec<RetiringCredential>,
    /// Credential calls started and not known to have been answered: if ZITADEL executed one,
    /// the credential it made is an orphan nobody holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<PendingCredential>,
    /// For each one-time code or link: when it was last issued, and under which
    /// reissue-annotation value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub issued: BTreeMap<OneTime, Issued>,
    /// ZITADEL refused an invite because the user has an authentication method.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub invite_completed: bool,
}

/// A credential whose value is in the Secret.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HeldCredential {
    /// Kind.
    pub kind: CredentialKind,
    /// Name in the spec.
    pub name: String,
    /// ZITADEL's id (none for a client secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When ZITADEL made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// When it expires (none for a client secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// The rotate-annotation value it was issued under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_for: Option<String>,
}

/// A rotated-out credential, revoked at `revoke_at`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RetiringCredential {
    /// Kind (a key or a personal access token).
    pub kind: CredentialKind,
    /// Name in the spec.
    pub name: String,
    /// ZITADEL's id.
    pub id: String,
    /// When it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// When the operator revokes it.
    pub revoke_at: Timestamp,
}

/// A credential call in flight. The expiration date the operator requested is the credential's
/// fingerprint: ListKeys / ListPersonalAccessTokens return it, so an orphan is recognised
/// without ever having seen its id.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PendingCredential {
    /// Kind.
    pub kind: CredentialKind,
    /// Name in the spec.
    pub name: String,
    /// The requested expiration date (none for a client secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Timestamp>,
}

/// When a one-time code or link was issued.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    /// The reissue-annotation value at the time (empty when there was none).
    #[serde(rename = "for", default, skip_serializing_if = "String::is_empty")]
    pub for_value: String,
    /// When.
    pub at: Timestamp,
}

/// A one-time code or link the operator issues.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub enum OneTime {
    /// Email verification code.
    EmailCode,
    /// Phone verification code.
    PhoneCode,
    /// Invite code.
    Invite,
    /// Passkey registration link.
    PasskeyLink,
}

impl Ledger {
    /// The ledger in `annotation`; an absent one is empty.
    pub fn parse(annotation: Option<&str>) -> Result<Self, serde_json::Error> {
        annotation.map_or(Ok(Self::default()), serde_json::from_str)
    }

    /// The annotation value; `None` when there is nothing to record.
    pub fn render(&self) -> Option<String> {
        (self != &Self::default()).then(|| {
            // Serialising plain data with string keys cannot fail.
            serde_json::to_string(self).unwrap_or_default()
        })
    }

    /// The held credential `kind`/`name`.
    pub fn held(&self, kind: CredentialKind, name: &str) -> Option<&HeldCredential> {
        self.held.iter().find(|c| c.kind == kind && c.name == name)
    }

    /// Whether ZITADEL's credential `id` is one the Secret accounts for (held or retiring).
    pub fn accounts_for(&self, id: &str) -> bool {
        self.held.iter().any(|c| c.id.as_deref() == Some(id))
            || self.retiring.iter().any(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_or_empty_ledger_renders_as_no_annotation() {
        let ledger = Ledger::parse(None).unwrap();
        assert_eq!(ledger, Ledger::default());
        assert_eq!(ledger.render(), None);
    }

    #[test]
    fn a_ledger_survives_a_round_trip_through_its_annotation() {
        let ledger = Ledger {
            held: vec![HeldCredential {
                kind: CredentialKind::Key,
                name: "default".to_owned(),
                id: Some("k1".to_owned()),
                created_at: Some(Timestamp::UNIX_EPOCH),
                expires_at: Some(Timestamp::UNIX_EPOCH),
                rotated_for: Some("2026-12-01".to_owned()),
            }],
            pending: vec![PendingCredential {
                kind: CredentialKind::PersonalAccessToken,
                name: "ci".to_owned(),
                expiration: Some(Timestamp::UNIX_EPOCH),
            }],
            issued: BTreeMap::from([(
                OneTime::Invite,
                Issued {
                    for_value: String::new(),
                    at: Timestamp::UNIX_EPOCH,
                },
            )]),
            ..Ledger::default()
        };
        let rendered = ledger.render().unwrap();
        assert_eq!(Ledger::parse(Some(&rendered)).unwrap(), ledger);
        assert!(ledger.accounts_for("k1"));
        assert!(!ledger.accounts_for("k2"));
    }

    #[test]
    fn a_corrupt_ledger_is_an_error_not_an_empty_ledger() {
        assert!(Ledger::parse(Some("{not json")).is_err());
    }
}
