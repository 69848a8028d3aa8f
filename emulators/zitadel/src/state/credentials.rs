//! Machine keys, personal access tokens and issued access tokens. Token values are never kept:
//! tokens are indexed by their SHA-256 digest.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use jiff::Timestamp;

use crate::random::token_digest;

/// What a caller may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every organization of the instance (IAM_OWNER-like).
    Instance,
    /// Only users of this organization (ORG_OWNER-like).
    Organization(String),
}

/// A machine key: only its public half is kept.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    /// Key id (`kid` of assertions).
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// Owner's organization; empty for the emulator's own service principals.
    pub organization_id: String,
    /// PKCS#1 PEM of the public key.
    pub public_key_pem: String,
    /// Created.
    pub creation_date: Timestamp,
    /// Expires.
    pub expiration_date: Timestamp,
}

/// A personal access token of an emulated machine user (without the token).
#[derive(Debug, Clone)]
pub struct PatRecord {
    /// Token id.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// Owner's organization.
    pub organization_id: String,
    /// Created.
    pub creation_date: Timestamp,
    /// Expires.
    pub expiration_date: Timestamp,
    digest: String,
}

/// A bearer token accepted by the API.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// The user (or service principal) the token authenticates.
    pub user_id: String,
    /// PAT or issued access token.
    pub kind: TokenKind,
}

/// Kinds of bearer tokens.
#[derive(Debug, Clone)]
pub enum TokenKind {
    /// A personal access token (`None`: the emulator's own, never expiring).
    Pat {
        /// Expiry.
        expiration_date: Option<Timestamp>,
    },
    /// An access token from the JWT-profile grant.
    Access {
        /// Expiry.
        expires_at: Instant,
        /// Whether the ZITADEL API audience scope was requested (else API calls are refused).
        api_audience: bool,
    },
}

/// All credentials of the instance.
#[derive(Debug, Default)]
pub struct Credentials {
    /// Service principals minted by the emulator itself; they are not users of any org.
    pub principals: BTreeMap<String, Scope>,
    /// Machine keys by key id.
    pub keys: BTreeMap<String, KeyRecord>,
    /// PATs of emulated users by token id.
    pub pats: BTreeMap<String, PatRecord>,
    tokens: HashMap<String, TokenRecord>,
    /// Digest of each machine user's client secret, by user id (the client-credentials grant
    /// checks against it; the secret itself is never kept).
    secrets: HashMap<String, String>,
}

impl Credentials {
    /// Accepts `token` for `record`.
    pub fn add_token(&mut self, token: &str, record: TokenRecord) {
        self.tokens.insert(token_digest(token), record);
    }

    /// Looks a bearer token up.
    pub fn token(&self, token: &str) -> Option<&TokenRecord> {
        self.tokens.get(&token_digest(token))
    }

    /// Stops accepting `token` (and forgets it as a PAT).
    pub fn revoke(&mut self, token: &str) {
        let digest = token_digest(token);
        self.tokens.remove(&digest);
        self.pats.retain(|_, pat| pat.digest != digest);
    }

    /// Stores a user's PAT and accepts its token.
    pub fn add_pat(
        &mut self,
        token: &str,
        id: String,
        user_id: String,
        organization_id: String,
        creation_date: Timestamp,
        expiration_date: Timestamp,
    ) {
        let kind = TokenKind::Pat {
            expiration_date: Some(expiration_date),
        };
        self.add_token(
            token,
            TokenRecord {
                user_id: user_id.clone(),
                kind,
            },
        );
        let digest = token_digest(token);
        self.pats.insert(
            id.clone(),
            PatRecord {
                id,
                user_id,
                organization_id,
                creation_date,
                expiration_date,
                digest,
            },
        );
    }

    /// Removes a PAT by id; its token stops working.
    pub fn remove_pat(&mut self, token_id: &str) -> Option<PatRecord> {
        let pat = self.pats.remove(token_id)?;
        self.tokens.remove(&pat.digest);
        Some(pat)
    }

    /// Invalidates every issued access token (PATs stay valid).
    pub fn expire_access_tokens(&mut self) {
        self.tokens
            .retain(|_, record| matches!(record.kind, TokenKind::Pat { .. }));
    }

    /// Invalidates the access tokens of one user (ZITADEL does so on a username change).
    pub fn expire_access_tokens_of(&mut self, user_id: &str) {
        self.tokens.retain(|_, record| {
            record.user_id != user_id || matches!(record.kind, TokenKind::Pat { .. })
        });
    }

    /// Accepts `secret` as the user's client secret, replacing any previous one.
    pub fn set_secret(&mut self, user_id: &str, secret: &str) {
        self.secrets
            .insert(user_id.to_owned(), token_digest(secret));
    }

    /// Forgets the user's client secret.
    pub fn remove_secret(&mut self, user_id: &str) {
        self.secrets.remove(user_id);
    }

    /// Whether the user has a client secret and `secret` is it; `None` when there is none.
    pub fn secret_matches(&self, user_id: &str, secret: &str) -> Option<bool> {
        self.secrets
            .get(user_id)
            .map(|digest| *digest == token_digest(secret))
    }

    /// Drops every credential of a deleted user.
    pub fn remove_user(&mut self, user_id: &str) {
        self.secrets.remove(user_id);
        self.keys.retain(|_, key| key.user_id != user_id);
        self.pats.retain(|_, pat| pat.user_id != user_id);
        self.tokens.retain(|_, record| record.user_id != user_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_pat() -> Credentials {
        let mut credentials = Credentials::default();
        let now = Timestamp::now();
        credentials.add_pat("tok", "pat-1".into(), "u1".into(), "o1".into(), now, now);
        credentials
    }

    #[test]
    fn removing_a_pat_stops_its_token() {
        let mut credentials = with_pat();
        assert!(credentials.token("tok").is_some());
        assert!(credentials.remove_pat("pat-1").is_some());
        assert!(credentials.token("tok").is_none());
    }

    #[test]
    fn revoking_a_pat_token_also_unlists_it() {
        let mut credentials = with_pat();
        credentials.revoke("tok");
        assert!(credentials.pats.is_empty());
    }

    #[test]
    fn expiring_access_tokens_keeps_pats() {
        let mut credentials = with_pat();
        let kind = TokenKind::Access {
            expires_at: Instant::now(),
            api_audience: true,
        };
        credentials.add_token(
            "access",
            TokenRecord {
                user_id: "u1".into(),
                kind,
            },
        );
        credentials.expire_access_tokens();
        assert!(credentials.token("access").is_none());
        assert!(credentials.token("tok").is_some());
    }
}
