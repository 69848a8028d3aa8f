//! What a reconcile learned and did, recorded as it happens, so that a failure half-way still
//! reports everything that came before it (a user created before its Secret write failed keeps
//! its id and its `Created` event).

use std::time::Duration;

use crate::crd::{CredentialStatus, OnboardingStatus, User, UserState};

/// A Kubernetes event to publish: reason and note, never a credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Warning or normal.
    pub warning: bool,
    /// PascalCase reason.
    pub reason: &'static str,
    /// Human-readable text.
    pub note: String,
}

impl Note {
    /// A normal event.
    pub fn normal(reason: &'static str, note: impl Into<String>) -> Self {
        Self {
            warning: false,
            reason,
            note: note.into(),
        }
    }

    /// A warning event.
    pub fn warning(reason: &'static str, note: impl Into<String>) -> Self {
        Self {
            warning: true,
            reason,
            note: note.into(),
        }
    }
}

/// Facts of one reconcile; each `None` means "not learned, keep what the status says".
#[derive(Debug, Default)]
pub struct Progress {
    /// The ZITADEL user id, once known.
    pub user_id: Option<String>,
    /// The user's state in ZITADEL, when read.
    pub state: Option<UserState>,
    /// Whether the `User` owns a Secret (written now or before).
    pub owns_secret: bool,
    /// Metadata keys now managed in ZITADEL.
    pub managed_metadata_keys: Option<Vec<String>>,
    /// Machine credentials the Secret now accounts for.
    pub credentials: Option<Vec<CredentialStatus>>,
    /// Onboarding as it now stands.
    pub onboarding: Option<OnboardingStatus>,
    /// The reissue-annotation value now handled.
    pub reissued_for: Option<String>,
    /// The rotate-annotation value now handled.
    pub rotated_for: Option<String>,
    /// Something falls due (a rotation, a revocation) sooner than the next resync.
    pub due_in: Option<Duration>,
    /// Events to publish.
    pub notes: Vec<Note>,
}

impl Progress {
    /// Starts from what the status (or, while it is in flight, this process) knows.
    pub fn resume(user: &User, recently_created: Option<String>) -> Self {
        let user_id = user
            .status
            .as_ref()
            .and_then(|s| s.user_id.clone())
            .or(recently_created);
        Self {
            user_id,
            ..Self::default()
        }
    }
}
