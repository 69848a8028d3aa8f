//! One-time codes and links for people: invites, passkey registration links, and verification
//! codes issued again on request (the reissue annotation). [`plan`] decides (pure), [`act`]
//! issues and stores.

pub mod act;
pub mod plan;
