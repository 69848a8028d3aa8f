//! The result of the act step: what to report and when to come back.

use crate::conditions::{Reason, Verdict};
use crate::crd::UserState;
use crate::zitadel;

use super::error::Error;

/// When the next reconcile should happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// After the resync interval (steady state, drift detection).
    Resync,
    /// Only when the spec changes: ZITADEL rejected this spec, retrying cannot help.
    SpecChange,
    /// After the conflict retry interval: a person may fix it outside Kubernetes.
    ConflictRetry,
}

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

/// What one reconcile achieved.
#[derive(Debug)]
pub struct Outcome {
    /// Readiness and why.
    pub verdict: Verdict,
    /// The ZITADEL user id, once known.
    pub user_id: Option<String>,
    /// The user's state in ZITADEL, when read.
    pub state: Option<UserState>,
    /// Whether the `User` owns a Secret (written now or before).
    pub owns_secret: bool,
    /// Metadata keys now managed in ZITADEL (`None`: unchanged from the status).
    pub managed_metadata_keys: Option<Vec<String>>,
    /// Events to publish.
    pub notes: Vec<Note>,
    /// When to come back, unless `error` is set.
    pub next: Next,
    /// An error to retry with per-object backoff; it overrides `next`.
    pub error: Option<Box<Error>>,
}

impl Outcome {
    /// An outcome with `verdict` and nothing else known.
    pub fn new(verdict: Verdict, next: Next) -> Self {
        Self {
            verdict,
            user_id: None,
            state: None,
            owns_secret: false,
            managed_metadata_keys: None,
            notes: Vec::new(),
            next,
            error: None,
        }
    }

    /// Blocked for a reason a person has to resolve; a warning event says so.
    pub fn blocked(verdict: Verdict) -> Self {
        let next = match verdict.reason {
            Reason::InvalidSpec | Reason::UserIdMismatch | Reason::UserDeletedInZitadel => {
                Next::SpecChange
            }
            _ => Next::ConflictRetry,
        };
        let note = Note::warning(verdict.reason.as_str(), verdict.message.clone());
        let mut outcome = Self::new(verdict, next);
        outcome.notes.push(note);
        outcome
    }

    /// A failure to retry with backoff.
    pub fn retry(verdict: Verdict, error: Error) -> Self {
        let mut outcome = Self::new(verdict, Next::ConflictRetry);
        outcome.error = Some(Box::new(error));
        outcome
    }

    /// The outcome of a failed ZITADEL call: retried with backoff when it may pass, blocked
    /// when ZITADEL rejected the request itself.
    pub fn zitadel_failure(error: zitadel::Error) -> Self {
        use zitadel::ErrorKind as Kind;
        let detail = error.to_string();
        match error.kind() {
            Kind::RateLimited => Self::retry(
                Verdict::not_ready(
                    Reason::RateLimited,
                    format!("ZITADEL rate-limited the operator: {detail}"),
                ),
                error.into(),
            ),
            Kind::Unauthenticated | Kind::Auth | Kind::Config => Self::retry(
                Verdict::not_ready(
                    Reason::ZitadelUnauthenticated,
                    format!(
                        "ZITADEL rejected the operator's credentials; check its PAT or key file: {detail}"
                    ),
                ),
                error.into(),
            ),
            Kind::PermissionDenied => Self::blocked(Verdict::not_ready(
                Reason::PermissionDenied,
                format!(
                    "the operator's ZITADEL identity lacks a permission (user.write/user.read/user.delete on the organization): {detail}"
                ),
            )),
            Kind::InvalidArgument
            | Kind::FailedPrecondition
            | Kind::UserIdTaken
            | Kind::NotFound
            | Kind::AlreadyExists
            | Kind::InvalidRequest
            | Kind::Api => Self::blocked(Verdict::not_ready(
                Reason::InvalidSpec,
                format!("ZITADEL rejected the spec; fix it and re-apply: {detail}"),
            )),
            Kind::Transient | Kind::Decode => Self::retry(
                Verdict::not_ready(
                    Reason::ZitadelUnavailable,
                    format!("ZITADEL is unavailable, retrying: {detail}"),
                ),
                error.into(),
            ),
        }
    }

    /// Sets the user id.
    pub fn with_user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }
}
