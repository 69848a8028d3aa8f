//! The Secret each `User` owns for one-time codes and generated credentials.
//!
//! One Secret per `User`, named `<user>-zitadel`, labelled so the operator watches only its own
//! Secrets, and owned by the `User` (controller owner reference) so Kubernetes' garbage collector
//! removes it with the `User`. A Secret of that name that the `User` does not own is never
//! written: the caller reports a conflict instead.
//!
//! Writes use create and replace with the observed `resourceVersion` (not server-side apply
//! with force), so a Secret that changed owner or content since it was read is never clobbered.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Resource, ResourceExt};
use thiserror::Error;

use crate::crd::User;
use crate::names::{FIELD_MANAGER, MANAGED_BY_LABEL, USER_LABEL};
use crate::sensitive::Sensitive;

mod echoes;
mod ledger;

pub use echoes::OwnWrites;
pub use ledger::{
    HeldCredential, Issued, LEDGER_ANNOTATION, Ledger, OneTime, PendingCredential,
    RetiringCredential,
};

/// Key of the one-time email verification code (`verification: ReturnCode`).
pub const EMAIL_CODE_KEY: &str = "emailCode";
/// Key of the one-time phone verification code (`verification: ReturnCode`).
pub const PHONE_CODE_KEY: &str = "phoneCode";
/// Key of a password the operator generated (`password.generate: true`).
pub const PASSWORD_KEY: &str = "password";
/// Key of the invite code (`invite.delivery: ReturnCode`).
pub const INVITE_CODE_KEY: &str = "inviteCode";
/// Key of the passkey registration code's id (`passkeyRegistration.delivery: ReturnCode`).
pub const PASSKEY_CODE_ID_KEY: &str = "passkeyCodeId";
/// Key of the passkey registration code.
pub const PASSKEY_CODE_KEY: &str = "passkeyCode";
/// Key of the passkey registration link built from `passkeyRegistration.linkTemplate`.
pub const PASSKEY_LINK_KEY: &str = "passkeyLink";
/// Key of a machine user's client id (its username), beside [`CLIENT_SECRET_KEY`].
pub const CLIENT_ID_KEY: &str = "clientId";
/// Key of a machine user's client secret.
pub const CLIENT_SECRET_KEY: &str = "clientSecret";

/// Key of the key file of the machine key `name`.
pub fn key_file_key(name: &str) -> String {
    format!("{name}.json")
}

/// Key of the personal access token `name`.
pub fn token_key(name: &str) -> String {
    format!("{name}.token")
}

/// Errors writing or reading Secrets.
#[derive(Debug, Error)]
pub enum Error {
    /// The Secret exists and belongs to someone else.
    #[error("Secret {0} exists and is not owned by this User")]
    Foreign(String),
    /// The `User` lacks the metadata an owner reference needs (name, uid).
    #[error("the User has no uid or name yet")]
    NoOwnerReference,
    /// The ledger annotation does not parse: someone edited it.
    #[error(
        "annotation {annotation} on Secret {name} is not valid ({source}): restore it, or delete the Secret to have its credentials revoked and issued anew"
    )]
    CorruptLedger {
        /// Secret name.
        name: String,
        /// Annotation name.
        annotation: &'static str,
        /// Why it does not parse (never carries Secret data: the ledger holds none).
        #[source]
        source: serde_json::Error,
    },
    /// The Kubernetes API refused or failed.
    #[error("Kubernetes API error on Secret {name}: {source}")]
    Kube {
        /// Secret name.
        name: String,
        /// The API error (never carries Secret data).
        #[source]
        source: kube::Error,
    },
}

/// Name of the Secret the operator writes for `user`.
pub fn secret_name(user: &User) -> String {
    format!("{}-zitadel", user.name_any())
}

/// Label selector matching every Secret this operator owns (for the controller's watch).
pub fn owned_selector() -> String {
    format!("{MANAGED_BY_LABEL}={FIELD_MANAGER}")
}

/// What the operator found under the Secret name it writes to.
#[derive(Debug)]
pub enum SecretState {
    /// No such Secret.
    Absent,
    /// The Secret exists and this `User` owns it.
    Owned(OwnedSecret),
    /// The Secret exists and this `User` does not own it: never write it.
    Foreign,
}

impl SecretState {
    /// Classifies a fetched Secret for the `User` with uid `owner_uid`.
    pub fn classify(secret: Option<Secret>, owner_uid: &str) -> Self {
        match secret {
            None => SecretState::Absent,
            Some(secret) if is_controlled_by(&secret, owner_uid) => {
                SecretState::Owned(OwnedSecret(Box::new(secret)))
            }
            Some(_) => SecretState::Foreign,
        }
    }

    /// Whether the Secret holds a value under `key`.
    pub fn has(&self, key: &str) -> bool {
        matches!(self, SecretState::Owned(owned) if owned.get(key).is_some())
    }

    /// The value under `key`, if the Secret is ours and has it.
    pub fn get(&self, key: &str) -> Option<Sensitive<String>> {
        match self {
            SecretState::Owned(owned) => owned.get(key),
            _ => None,
        }
    }

    /// The Secret's ledger; empty when the Secret is absent or not ours.
    pub fn ledger(&self) -> Result<Ledger, Error> {
        let SecretState::Owned(OwnedSecret(secret)) = self else {
            return Ok(Ledger::default());
        };
        let annotation = secret.annotations().get(LEDGER_ANNOTATION);
        Ledger::parse(annotation.map(String::as_str)).map_err(|source| Error::CorruptLedger {
            name: secret.name_any(),
            annotation: LEDGER_ANNOTATION,
            source,
        })
    }
}

/// One write to a `User`'s Secret: values to set, keys to drop, and the ledger afterwards.
#[derive(Default)]
pub struct SecretChange {
    /// Keys and values to set.
    pub set: Vec<(String, Sensitive<String>)>,
    /// Keys to remove.
    pub remove: Vec<String>,
    /// The new ledger, when it changes.
    pub ledger: Option<Ledger>,
}

impl SecretChange {
    /// Sets `entries`.
    pub fn values(entries: &[(&str, Sensitive<String>)]) -> Self {
        Self {
            set: entries
                .iter()
                .map(|(key, value)| ((*key).to_owned(), value.clone()))
                .collect(),
            ..Self::default()
        }
    }

    /// Records `ledger` as well.
    pub fn with_ledger(mut self, ledger: Ledger) -> Self {
        self.ledger = Some(ledger);
        self
    }

    /// Applies the change to `secret`'s data and annotations; returns whether anything changed.
    fn apply_to(&self, secret: &mut Secret) -> bool {
        let data = secret.data.get_or_insert_with(BTreeMap::new);
        let mut changed = false;
        for (key, value) in &self.set {
            let bytes = ByteString(value.expose().as_bytes().to_vec());
            if data.get(key) != Some(&bytes) {
                data.insert(key.clone(), bytes);
                changed = true;
            }
        }
        for key in &self.remove {
            changed |= data.remove(key).is_some();
        }
        if let Some(ledger) = &self.ledger {
            let annotations = secret
                .metadata
                .annotations
                .get_or_insert_with(BTreeMap::new);
            let rendered = ledger.render();
            if annotations.get(LEDGER_ANNOTATION) != rendered.as_ref() {
                match rendered {
                    Some(value) => annotations.insert(LEDGER_ANNOTATION.to_owned(), value),
                    None => annotations.remove(LEDGER_ANNOTATION),
                };
                changed = true;
            }
        }
        changed
    }
}

fn is_controlled_by(secret: &Secret, owner_uid: &str) -> bool {
    secret
        .owner_references()
        .iter()
        .any(|owner| owner.uid == owner_uid && owner.controller == Some(true))
}

/// A Secret owned by the `User`. `Debug` shows keys only, never values.
pub struct OwnedSecret(Box<Secret>);

impl OwnedSecret {
    /// The resourceVersion it was read or written at.
    pub fn resource_version(&self) -> &str {
        self.0
            .metadata
            .resource_version
            .as_deref()
            .unwrap_or_default()
    }

    fn get(&self, key: &str) -> Option<Sensitive<String>> {
        let bytes = self.0.data.as_ref()?.get(key)?;
        String::from_utf8(bytes.0.clone()).ok().map(Sensitive::new)
    }
}

impl fmt::Debug for OwnedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&String> = self.0.data.iter().flat_map(|d| d.keys()).collect();
        f.debug_struct("OwnedSecret").field("keys", &keys).finish()
    }
}

/// Reads and writes the `User`'s Secrets in its namespace.
#[derive(Clone)]
pub struct Secrets {
    api: Api<Secret>,
    namespace: String,
    writes: Arc<OwnWrites>,
}

impl Secrets {
    /// Secrets of `namespace`; every write is recorded in `writes`.
    pub fn new(client: kube::Client, namespace: &str, writes: Arc<OwnWrites>) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            namespace: namespace.to_owned(),
            writes,
        }
    }

    /// The state of the Secret `user` (uid `owner_uid`) writes to: one GET.
    pub async fn observe(&self, user: &User, owner_uid: &str) -> Result<SecretState, Error> {
        let name = secret_name(user);
        let secret = self
            .api
            .get_opt(&name)
            .await
            .map_err(|source| Error::Kube { name, source })?;
        Ok(SecretState::classify(secret, owner_uid))
    }

    /// Reads one key of a Secret the user manages (never written by the operator). `None` when
    /// the Secret or the key does not exist.
    pub async fn read_key(
        &self,
        name: &str,
        key: &str,
    ) -> Result<Option<Sensitive<String>>, Error> {
        let secret = self.api.get_opt(name).await.map_err(|source| Error::Kube {
            name: name.to_owned(),
            source,
        })?;
        let value = secret
            .and_then(|s| s.data)
            .and_then(|mut data| data.remove(key));
        Ok(value
            .and_then(|bytes| String::from_utf8(bytes.0).ok())
            .map(Sensitive::new))
    }

    /// Adds `entries` to the `User`'s Secret, creating it if absent. Returns the new state.
    /// Writes nothing when every entry is already there with the same value.
    pub async fn store(
        &self,
        user: &User,
        current: SecretState,
        entries: &[(&str, Sensitive<String>)],
    ) -> Result<SecretState, Error> {
        self.write(user, current, &SecretChange::values(entries))
            .await
    }

    /// Applies `change` to the `User`'s Secret, creating it if absent. Returns the new state.
    /// Writes nothing when the change changes nothing.
    pub async fn write(
        &self,
        user: &User,
        current: SecretState,
        change: &SecretChange,
    ) -> Result<SecretState, Error> {
        let name = secret_name(user);
        let kube_error = |source| Error::Kube {
            name: name.clone(),
            source,
        };
        match current {
            SecretState::Foreign => Err(Error::Foreign(name)),
            SecretState::Absent => {
                let mut secret = new_secret(user, &name)?;
                if !change.apply_to(&mut secret) {
                    return Ok(SecretState::Absent);
                }
                let in_flight = self.writes.start(&self.namespace, &name);
                let created = self
                    .api
                    .create(&write_params(), &secret)
                    .await
                    .map_err(kube_error)?;
                in_flight.answered(&created.metadata);
                Ok(SecretState::Owned(OwnedSecret(Box::new(created))))
            }
            SecretState::Owned(OwnedSecret(mut secret)) => {
                if !change.apply_to(&mut secret) {
                    return Ok(SecretState::Owned(OwnedSecret(secret)));
                }
                // Replace carries the observed resourceVersion: a concurrent change is a 409,
                // retried from a fresh read, never overwritten.
                let in_flight = self.writes.start(&self.namespace, &name);
                let replaced = self
                    .api
                    .replace(&name, &write_params(), &secret)
                    .await
                    .map_err(kube_error)?;
                in_flight.answered(&replaced.metadata);
                Ok(SecretState::Owned(OwnedSecret(Box::new(replaced))))
            }
        }
    }
}

/// Writes name the operator's one field manager, so `managedFields` tell who wrote what.
fn write_params() -> PostParams {
    PostParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PostParams::default()
    }
}

fn new_secret(user: &User, name: &str) -> Result<Secret, Error> {
    let owner = user
        .controller_owner_ref(&())
        .ok_or(Error::NoOwnerReference)?;
    let labels = BTreeMap::from([
        (MANAGED_BY_LABEL.to_owned(), FIELD_MANAGER.to_owned()),
        (USER_LABEL.to_owned(), user.name_any()),
    ]);
    Ok(Secret {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: user.namespace(),
            labels: Some(labels),
            owner_references: Some(vec![owner]),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".to_owned()),
        data: Some(BTreeMap::new()),
        ..Secret::default()
    })
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

    use super::*;

    fn secret_owned_by(uid: &str, controller: bool) -> Secret {
        Secret {
            metadata: ObjectMeta {
                name: Some("alice-zitadel".to_owned()),
                owner_references: Some(vec![OwnerReference {
                    uid: uid.to_owned(),
                    controller: Some(controller),
                    ..OwnerReference::default()
                }]),
                ..ObjectMeta::default()
            },
            data: Some(BTreeMap::from([(
                EMAIL_CODE_KEY.to_owned(),
                ByteString(b"ABC123".to_vec()),
            )])),
            ..Secret::default()
        }
    }

    #[test]
    fn a_secret_controlled_by_the_user_is_owned() {
        let state = SecretState::classify(Some(secret_owned_by("uid-1", true)), "uid-1");
        assert!(matches!(state, SecretState::Owned(_)));
        assert!(state.has(EMAIL_CODE_KEY));
        assert!(!state.has(PHONE_CODE_KEY));
    }

    #[test]
    fn a_secret_of_another_owner_or_without_controller_flag_is_foreign() {
        let other = SecretState::classify(Some(secret_owned_by("uid-2", true)), "uid-1");
        assert!(matches!(other, SecretState::Foreign));
        let not_controller = SecretState::classify(Some(secret_owned_by("uid-1", false)), "uid-1");
        assert!(matches!(not_controller, SecretState::Foreign));
        assert!(
            !not_controller.has(EMAIL_CODE_KEY),
            "a foreign Secret's data is never read"
        );
    }

    #[test]
    fn debug_of_an_owned_secret_shows_keys_but_never_values() {
        let state = SecretState::classify(Some(secret_owned_by("uid-1", true)), "uid-1");
        let debug = format!("{state:?}");
        assert!(debug.contains(EMAIL_CODE_KEY));
        assert!(!debug.contains("ABC123"));
    }
}
