//! What a reconcile saw, before deciding anything.

use std::collections::BTreeMap;

use super::progress::Note;
use crate::names::OWNER_METADATA_KEY;
use crate::secrets::SecretState;
use crate::sensitive::Sensitive;
use crate::zitadel::types::User as ZitadelUser;

/// Inputs of creation: the Secret the codes go to and the initial password, if the spec names a
/// Secret for it.
#[derive(Debug)]
pub struct BeforeCreation {
    /// The `User`'s own Secret.
    pub secret: SecretState,
    /// The value under `spec.human.password.secretRef`; `None` when the Secret or key is absent.
    pub given_password: Option<Sensitive<String>>,
    /// The value under `spec.human.totp.secretRef`; `None` when the Secret or key is absent.
    pub given_totp: Option<Sensitive<String>>,
}

/// CreateUser said the user already exists: which value clashed and who holds it.
#[derive(Debug)]
pub enum Taken {
    /// The user id is used; the holder is read with GetUserByID.
    UserId {
        /// The id.
        user_id: String,
        /// The user with that id; `None` when ZITADEL has none (a deleted user may hold it).
        holder: Option<Box<FoundUser>>,
    },
    /// The username is used; the holder is searched with ListUsers.
    Username {
        /// The username.
        username: String,
        /// Who holds it.
        holder: Holder,
    },
}

/// The holder of a taken username.
#[derive(Debug)]
pub enum Holder {
    /// ListUsers does not show it yet (it lags behind writes, contract §14.4).
    NotSearchable,
    /// Found by search, gone when read.
    Gone,
    /// The user.
    Found(Box<FoundUser>),
}

/// The managed ZITADEL user and the `User`'s Secret.
#[derive(Debug)]
pub struct Observed {
    /// The id the `User` manages.
    pub user_id: String,
    /// The user; `None` when ZITADEL no longer has it.
    pub zitadel: Option<Box<FoundUser>>,
    /// The Secret the `User` writes codes and generated credentials to.
    pub secret: SecretState,
}

/// Where a reconcile's view of the ZITADEL user comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Created or claimed in this reconcile.
    Established,
    /// Read by id.
    Read,
    /// Taken from a listing of the organization (a resync); it may lag behind writes.
    Listed,
}

/// A ZITADEL user and its metadata.
#[derive(Debug, Clone)]
pub struct FoundUser {
    /// As GetUserByID returned it.
    pub user: ZitadelUser,
    /// Every metadata entry, decoded from base64.
    pub metadata: BTreeMap<String, Vec<u8>>,
}

impl FoundUser {
    /// The uid of the resource that owns this user, if marked.
    pub fn owner(&self) -> Option<&str> {
        self.metadata
            .get(OWNER_METADATA_KEY)
            .and_then(|v| std::str::from_utf8(v).ok())
    }
}

/// How the ZITADEL user came to be managed by this resource; each carries the user id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Established {
    /// CreateUser succeeded.
    Created(String),
    /// An earlier CreateUser of ours had succeeded; its response was lost.
    Recovered(String),
    /// An existing user was adopted (`spec.adoptExisting`).
    Adopted(String),
}

impl Established {
    /// The ZITADEL user id.
    pub fn user_id(&self) -> &str {
        match self {
            Established::Created(id) | Established::Recovered(id) | Established::Adopted(id) => id,
        }
    }

    /// The event that tells the user how the ZITADEL user came to be managed.
    pub fn note(&self) -> Note {
        let id = self.user_id();
        match self {
            Established::Created(_) => {
                Note::normal("Created", format!("created ZITADEL user {id}"))
            }
            Established::Recovered(_) => Note::normal(
                "Created",
                format!(
                    "found ZITADEL user {id}, created by an earlier attempt whose response was lost"
                ),
            ),
            Established::Adopted(_) => Note::normal(
                "Adopted",
                format!("adopted existing ZITADEL user {id} (spec.adoptExisting)"),
            ),
        }
    }
}
