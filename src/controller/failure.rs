//! Why a reconcile did not end with a ready user: one enum for every step, each variant wrapping
//! its source. [`super::assess`] turns a failure into condition, message and retry.

use kube::runtime::finalizer;
use thiserror::Error;

use super::identity::IdentityError;
use crate::tenancy::connections::ConnectionError;
use crate::{secrets, zitadel};

/// Why a reconcile did not end with a ready user.
#[derive(Debug, Error)]
pub enum Failure {
    /// The planner found a reason not to go on (a conflict, a refusal, a missing input).
    #[error(transparent)]
    Blocked(#[from] Blocker),
    /// A ZITADEL call failed.
    #[error("ZITADEL: {0}")]
    Zitadel(#[from] zitadel::Error),
    /// Deleting or releasing the ZITADEL user of a deleted `User` failed.
    #[error("cleaning up the ZITADEL user: {0}")]
    Cleanup(#[source] zitadel::Error),
    /// Reading or writing a Secret failed.
    #[error(transparent)]
    Secret(#[from] secrets::Error),
    /// Writing the `User`'s status failed.
    #[error("writing the status: {0}")]
    Status(#[source] kube::Error),
    /// Adding or removing the finalizer failed.
    #[error("updating the finalizer: {0}")]
    Finalizer(#[source] kube::Error),
    /// The stored object cannot be reconciled.
    #[error(transparent)]
    Invalid(#[from] InvalidObject),
    /// The `User` may not use its connection, or the connection is not usable.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
}

/// A stored `User` the operator cannot work with. Only objects that bypassed the CRD's schema
/// (stored under an older schema, or hand-edited in etcd) get here.
#[derive(Debug, Error)]
pub enum InvalidObject {
    /// The object does not deserialise as a `User` of this version.
    #[error("the stored User does not match this operator's schema: {0}")]
    Schema(#[source] serde_json::Error),
    /// Its namespace, name or uid is missing.
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl Failure {
    /// A short, stable label for `reconcile_errors_total{kind}`: a bounded set, no ids.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Blocked(_) => "blocked",
            Failure::Zitadel(error) => error.kind().as_str(),
            Failure::Cleanup(_) => "cleanup",
            Failure::Secret(_) => "secret",
            Failure::Status(_) => "status",
            Failure::Finalizer(_) => "finalizer",
            Failure::Invalid(_) => "invalid_object",
            Failure::Connection(_) => "connection",
        }
    }
}

/// kube-runtime's finalizer helper wraps our failures; unwrap them at the boundary so that
/// metrics and conditions see what really failed.
impl From<finalizer::Error<Failure>> for Failure {
    fn from(error: finalizer::Error<Failure>) -> Self {
        match error {
            finalizer::Error::ApplyFailed(failure) | finalizer::Error::CleanupFailed(failure) => {
                failure
            }
            finalizer::Error::AddFinalizer(error) | finalizer::Error::RemoveFinalizer(error) => {
                Failure::Finalizer(error)
            }
            finalizer::Error::UnnamedObject => IdentityError::MissingName.into(),
            // Our finalizer name is a constant; kube only rejects an empty one.
            finalizer::Error::InvalidFinalizer => IdentityError::MissingName.into(),
        }
    }
}

impl From<IdentityError> for Failure {
    fn from(error: IdentityError) -> Self {
        Failure::Invalid(error.into())
    }
}

/// What the planner refuses to do, and why. The display text is the condition message: it says
/// what a person can do about it, and never carries a credential.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Blocker {
    /// The Secret the operator writes to belongs to someone else.
    #[error(
        "Secret {0} exists and is not owned by this User; the operator never overwrites it. \
         Rename or delete that Secret so the operator can store one-time codes and credentials there."
    )]
    SecretConflict(String),
    /// The Secret or key a `secretRef` of the spec names does not exist.
    #[error("{field}: Secret {name} with key {key} does not exist in this namespace; create it")]
    SecretRefMissing {
        /// The spec field.
        field: &'static str,
        /// Secret name.
        name: String,
        /// Key in the Secret.
        key: String,
    },
    /// The managed ZITADEL user was deleted outside the operator.
    #[error(
        "ZITADEL user {0} no longer exists: it was deleted outside the operator, which does \
         not recreate it on its own. Delete and re-apply this User to create a new ZITADEL user."
    )]
    UserDeletedInZitadel(String),
    /// The user id belongs to a user this resource did not create.
    #[error(
        "ZITADEL user {0} already exists and was not created by this User. Choose another \
         spec.userId, or set spec.adoptExisting: true to manage that user."
    )]
    UserIdTaken(String),
    /// ZITADEL reports the id as taken but has no such user (a deleted user may still hold it).
    #[error(
        "ZITADEL reports user id {0} as taken but returns no such user (a deleted user may \
         still hold it); choose another spec.userId"
    )]
    UserIdHeldByDeletedUser(String),
    /// The username belongs to another user.
    #[error(
        "username {0} is already used by another ZITADEL user (usernames are unique \
         across the instance, ignoring case). Choose another spec.username, or set \
         spec.adoptExisting: true to manage that user."
    )]
    UsernameTaken(String),
    /// The username is taken by a user that is gone by the time it is read.
    #[error("username {0} is taken by a user that no longer exists; retrying later")]
    UsernameHolderGone(String),
    /// The username is taken, but ZITADEL's search index does not show its holder yet
    /// (ListUsers lags behind writes, contract §14.4).
    #[error("username {0} is taken but its user is not searchable yet; retrying")]
    UsernameHolderNotSearchable(String),
    /// `spec.adoptExisting` asks for a takeover the operator's administrator has not allowed.
    #[error(
        "spec.adoptExisting is set, but this operator does not adopt existing ZITADEL users: an \
         adoption takes over an account (its email, its deletion), so the operator's \
         administrator must allow it with --allow-adoption (chart value allowAdoption: true). \
         Until then, choose another {0}."
    )]
    AdoptionNotAllowed(&'static str),
    /// The existing user cannot be managed by this resource.
    #[error("{0}")]
    NotAdoptable(#[from] Refusal),
    /// A duration in the spec does not parse (the CRD's pattern admits what this rejects only
    /// when the CRD is out of date).
    #[error(
        "spec.machine.credentials: {field} {value:?} is not a positive duration such as 8760h or 1h30m"
    )]
    InvalidDuration {
        /// The field.
        field: &'static str,
        /// What it says.
        value: String,
    },
    /// `spec.state: Inactive` for a user ZITADEL cannot deactivate yet.
    #[error(
        "ZITADEL cannot deactivate user {0} while it is in state Initial (it has not finished \
         its first login or verification); the operator deactivates it once it leaves Initial"
    )]
    CannotDeactivateInitial(String),
}

/// Why an existing ZITADEL user cannot be managed by this resource.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Refusal {
    /// It belongs to another organization.
    #[error(
        "ZITADEL user {user_id} belongs to organization {actual}, not to spec.organizationId {wanted}"
    )]
    OtherOrganization {
        /// The user.
        user_id: String,
        /// Its organization.
        actual: String,
        /// `spec.organizationId`.
        wanted: String,
    },
    /// It is a human where the spec declares a machine, or the other way round.
    #[error("ZITADEL user {user_id} is a {actual} user; this User declares the other type")]
    OtherType {
        /// The user.
        user_id: String,
        /// `human` or `machine`.
        actual: &'static str,
    },
    /// Another `User` resource's owner marker is on it.
    #[error(
        "ZITADEL user {user_id} is managed by another User resource (uid {owner}); two resources \
         must not manage one user"
    )]
    OwnedByAnother {
        /// The user.
        user_id: String,
        /// The other resource's uid.
        owner: String,
    },
}
