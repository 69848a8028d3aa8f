//! What one reconcile saw, before deciding anything: the ZITADEL user and the owned Secret.

use std::collections::BTreeMap;

use crate::secrets::SecretState;
use crate::zitadel::types::User as ZitadelUser;

use crate::names::OWNER_METADATA_KEY;

/// The inputs of [`super::plan::decide`].
#[derive(Debug)]
pub struct Observed {
    /// The ZITADEL side.
    pub zitadel: ZitadelSide,
    /// The Secret the `User` writes codes and generated credentials to.
    pub secret: SecretState,
}

/// The ZITADEL user as this reconcile found it.
#[derive(Debug)]
pub enum ZitadelSide {
    /// The status names no user: creation has not been confirmed yet.
    NotCreated,
    /// The status names a user that ZITADEL no longer has.
    Missing {
        /// The id from the status.
        user_id: String,
    },
    /// The user exists.
    Found(Box<FoundUser>),
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
