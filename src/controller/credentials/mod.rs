//! Machine credentials: a client secret, keys and personal access tokens, each held in the
//! `User`'s Secret exactly once, rotated before expiry and revoked when no longer wanted.
//! [`plan`] decides (pure), [`observe`] lists what ZITADEL has when the plan needs it, [`act`]
//! carries the plan out.

pub mod act;
pub mod observe;
pub mod plan;
