//! Condition types and reasons, in one place, as kstatus (Flux, Helm `--wait`) and Argo CD health
//! checks read them.
//!
//! `Ready` is always present. `Reconciling` and `Stalled` follow kstatus' "abnormal-true"
//! convention: present only while true, so a healthy object shows a single condition.

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// The object matches its spec in ZITADEL.
pub const READY: &str = "Ready";
/// Work is under way: creating, or retrying after a transient failure.
pub const RECONCILING: &str = "Reconciling";
/// Progress needs a person: a spec error, a conflict, a missing or foreign Secret.
pub const STALLED: &str = "Stalled";

/// Why a `User` is (not) ready. `as_str` values are the condition and event reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The ZITADEL user matches the spec.
    Reconciled,
    /// The user is being created.
    Creating,
    /// ZITADEL did not answer or answered with a server error; retrying with backoff.
    ZitadelUnavailable,
    /// ZITADEL rate-limited the operator; retrying after the time it asked for.
    RateLimited,
    /// ZITADEL rejected the operator's credentials.
    ZitadelUnauthenticated,
    /// The operator's ZITADEL credentials lack a permission for this user or organization.
    PermissionDenied,
    /// ZITADEL rejected the spec (invalid value, unknown organization, ...).
    InvalidSpec,
    /// Another ZITADEL user already has this user id.
    UserIdTaken,
    /// Another ZITADEL user already has this username.
    UsernameTaken,
    /// The existing user cannot be adopted (other organization, other type, or another resource's).
    AdoptionRefused,
    /// `spec.userId` names another user than the one this resource created.
    UserIdMismatch,
    /// The ZITADEL user was deleted outside the operator.
    UserDeletedInZitadel,
    /// A Secret with the name the operator writes to exists and is not owned by this resource.
    SecretConflict,
    /// The Secret named in `spec.human.password.secretRef` or its key does not exist.
    PasswordSecretMissing,
    /// Deleting the ZITADEL user failed; the resource stays until it succeeds.
    DeletionBlocked,
    /// Reading or writing the `User`'s Secret failed; retried with backoff.
    SecretWriteFailed,
}

impl Reason {
    /// The reason as written into conditions and events.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Reconciled => "Reconciled",
            Reason::Creating => "Creating",
            Reason::ZitadelUnavailable => "ZitadelUnavailable",
            Reason::RateLimited => "RateLimited",
            Reason::ZitadelUnauthenticated => "ZitadelUnauthenticated",
            Reason::PermissionDenied => "PermissionDenied",
            Reason::InvalidSpec => "InvalidSpec",
            Reason::UserIdTaken => "UserIdTaken",
            Reason::UsernameTaken => "UsernameTaken",
            Reason::AdoptionRefused => "AdoptionRefused",
            Reason::UserIdMismatch => "UserIdMismatch",
            Reason::UserDeletedInZitadel => "UserDeletedInZitadel",
            Reason::SecretConflict => "SecretConflict",
            Reason::PasswordSecretMissing => "PasswordSecretMissing",
            Reason::DeletionBlocked => "DeletionBlocked",
            Reason::SecretWriteFailed => "SecretWriteFailed",
        }
    }

    /// Whether the operator makes progress on its own (`Reconciling`) rather than waiting for a
    /// person (`Stalled`).
    pub fn is_progressing(self) -> bool {
        matches!(
            self,
            Reason::Creating
                | Reason::ZitadelUnavailable
                | Reason::RateLimited
                | Reason::DeletionBlocked
                | Reason::SecretWriteFailed
        )
    }
}

/// The readiness verdict of one reconcile: the input for the condition list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Ready or not.
    pub ready: bool,
    /// Why.
    pub reason: Reason,
    /// What a person should know, never a credential.
    pub message: String,
}

impl Verdict {
    /// The ZITADEL user matches the spec.
    pub fn ready() -> Self {
        Self {
            ready: true,
            reason: Reason::Reconciled,
            message: "the ZITADEL user matches the spec".to_owned(),
        }
    }

    /// Not ready, for `reason`.
    pub fn not_ready(reason: Reason, message: impl Into<String>) -> Self {
        Self {
            ready: false,
            reason,
            message: message.into(),
        }
    }
}

/// The conditions for `verdict` at `generation`. A condition whose status is unchanged keeps
/// its `lastTransitionTime` from `previous`, so an unchanged verdict yields an identical list
/// and no status write.
pub fn conditions_for(
    verdict: &Verdict,
    generation: Option<i64>,
    previous: &[Condition],
    now: Timestamp,
) -> Vec<Condition> {
    let make = |type_: &str, status: bool| {
        let status = if status { "True" } else { "False" };
        let since = previous
            .iter()
            .find(|c| c.type_ == type_ && c.status == status)
            .map(|c| c.last_transition_time.clone())
            .unwrap_or(Time(now));
        Condition {
            type_: type_.to_owned(),
            status: status.to_owned(),
            reason: verdict.reason.as_str().to_owned(),
            message: verdict.message.clone(),
            observed_generation: generation,
            last_transition_time: since,
        }
    };
    let mut conditions = vec![make(READY, verdict.ready)];
    if !verdict.ready {
        let kind = if verdict.reason.is_progressing() {
            RECONCILING
        } else {
            STALLED
        };
        conditions.push(make(kind, true));
    }
    conditions
}

/// The `Ready` condition in `conditions`, if any.
pub fn ready_condition(conditions: &[Condition]) -> Option<&Condition> {
    conditions.iter().find(|c| c.type_ == READY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).expect("valid timestamp")
    }

    #[test]
    fn a_ready_verdict_yields_only_a_true_ready_condition() {
        let conditions = conditions_for(&Verdict::ready(), Some(3), &[], at(10));
        assert_eq!(conditions.len(), 1);
        assert_eq!(conditions[0].type_, READY);
        assert_eq!(conditions[0].status, "True");
        assert_eq!(conditions[0].reason, "Reconciled");
        assert_eq!(conditions[0].observed_generation, Some(3));
    }

    #[test]
    fn a_transient_failure_is_reconciling_and_a_spec_error_is_stalled() {
        let transient = Verdict::not_ready(Reason::ZitadelUnavailable, "timeout");
        let conditions = conditions_for(&transient, Some(1), &[], at(10));
        assert_eq!(conditions[1].type_, RECONCILING);
        assert_eq!(conditions[1].status, "True");

        let spec_error = Verdict::not_ready(Reason::InvalidSpec, "bad email");
        let conditions = conditions_for(&spec_error, Some(1), &[], at(10));
        assert_eq!(conditions[0].status, "False");
        assert_eq!(conditions[1].type_, STALLED);
        assert_eq!(conditions[1].reason, "InvalidSpec");
    }

    #[test]
    fn an_unchanged_verdict_keeps_its_transition_time_so_the_list_is_identical() {
        let first = conditions_for(&Verdict::ready(), Some(1), &[], at(10));
        let second = conditions_for(&Verdict::ready(), Some(1), &first, at(99));
        assert_eq!(first, second);
    }

    #[test]
    fn a_status_flip_moves_the_transition_time() {
        let ready = conditions_for(&Verdict::ready(), Some(1), &[], at(10));
        let failing = Verdict::not_ready(Reason::ZitadelUnavailable, "down");
        let now_failing = conditions_for(&failing, Some(1), &ready, at(20));
        assert_eq!(now_failing[0].last_transition_time, Time(at(20)));
    }
}
