//! Who a `User` object is, parsed once when a reconcile starts. Its uid becomes the default
//! ZITADEL user id and the owner marker, so an object without one must stop here instead of
//! turning into an empty id further down.

use kube::api::ObjectMeta;
use thiserror::Error;

/// Namespace, name and uid of a `User`, each present and non-empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.uid`.
    pub uid: String,
}

/// A part of the identity is missing.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum IdentityError {
    /// `User` is namespaced; only a broken object has no namespace.
    #[error("the User has no metadata.namespace")]
    MissingNamespace,
    /// No name.
    #[error("the User has no metadata.name")]
    MissingName,
    /// No uid: the API server always sets one, so the object did not come from it.
    #[error(
        "the User has no metadata.uid, from which the operator derives the ZITADEL user id and owner marker"
    )]
    MissingUid,
}

impl Identity {
    /// Parses the identity from an object's metadata.
    pub fn of(meta: &ObjectMeta) -> Result<Self, IdentityError> {
        let present = |value: &Option<String>, missing| {
            value
                .as_ref()
                .filter(|v| !v.is_empty())
                .cloned()
                .ok_or(missing)
        };
        Ok(Self {
            namespace: present(&meta.namespace, IdentityError::MissingNamespace)?,
            name: present(&meta.name, IdentityError::MissingName)?,
            uid: present(&meta.uid, IdentityError::MissingUid)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(namespace: &str, name: &str, uid: &str) -> ObjectMeta {
        let some = |v: &str| Some(v.to_owned());
        ObjectMeta {
            namespace: some(namespace),
            name: some(name),
            uid: some(uid),
            ..ObjectMeta::default()
        }
    }

    #[test]
    fn a_complete_object_yields_its_identity() {
        let identity = Identity::of(&meta("team", "alice", "u-1")).expect("complete");
        assert_eq!(identity.uid, "u-1");
        assert_eq!(identity.namespace, "team");
    }

    #[test]
    fn an_empty_uid_is_refused_rather_than_becoming_an_empty_user_id() {
        assert_eq!(
            Identity::of(&meta("team", "alice", "")),
            Err(IdentityError::MissingUid)
        );
        let no_namespace = ObjectMeta {
            namespace: None,
            ..meta("", "alice", "u-1")
        };
        assert_eq!(
            Identity::of(&no_namespace),
            Err(IdentityError::MissingNamespace)
        );
    }
}
