//! Assess: the one place that turns the result of a reconcile into what the `User` shows and
//! when it is looked at again. "What does failure X produce?" is answered by reading `assess`
//! and the reason table in [`crate::conditions`].

use std::time::Duration;

use super::failure::{Blocker, Failure};
use crate::conditions::{Reason, Verdict};
use crate::secrets;
use crate::tenancy::admission::Refusal;
use crate::tenancy::connections::ConnectionError;
use crate::zitadel::{self, ErrorKind};

/// The verdict of one reconcile and how soon to retry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    /// Reason and message of the conditions; the reason fixes condition and retry policy.
    pub verdict: Verdict,
    /// The earliest retry a server asked for (`Retry-After`).
    pub retry_after: Option<Duration>,
}

/// Assesses the result of a reconcile.
pub fn assess(result: Result<(), &Failure>) -> Assessment {
    let failure = match result {
        Ok(()) => {
            return Assessment {
                verdict: Verdict::ready(),
                retry_after: None,
            };
        }
        Err(failure) => failure,
    };
    let (reason, message) = match failure {
        Failure::Blocked(blocker) => (blocker_reason(blocker), blocker.to_string()),
        Failure::Zitadel(error) => zitadel_verdict(error),
        Failure::Cleanup(error) => (
            Reason::DeletionBlocked,
            format!(
                "cleaning up the ZITADEL user failed; the User stays until it succeeds: {error}"
            ),
        ),
        Failure::Connection(error) => (connection_reason(error), error.to_string()),
        // Only a person can repair an edited ledger: a conflict, not an outage.
        Failure::Secret(error @ secrets::Error::CorruptLedger { .. }) => {
            (Reason::SecretConflict, error.to_string())
        }
        Failure::Secret(error) => (
            Reason::KubernetesUnavailable,
            format!(
                "reading or writing a Secret failed; retrying (a one-time code that could not be stored is issued again): {error}"
            ),
        ),
        Failure::Status(error) | Failure::Finalizer(error) => (
            Reason::KubernetesUnavailable,
            format!("the Kubernetes API failed; retrying: {error}"),
        ),
        Failure::Invalid(invalid) => (
            Reason::InvalidObject,
            format!(
                "{invalid}; the operator cannot manage this object. Re-apply it with the current \
                 CRD (kubectl apply) so the API server validates it."
            ),
        ),
    };
    Assessment {
        verdict: Verdict::new(reason, message),
        retry_after: match failure {
            Failure::Zitadel(error) | Failure::Cleanup(error) => error.retry_after(),
            _ => None,
        },
    }
}

fn connection_reason(error: &ConnectionError) -> Reason {
    match error {
        ConnectionError::Refused(Refusal::NotFound(..)) => Reason::ConnectionNotFound,
        ConnectionError::Refused(_) => Reason::ConnectionRefused,
        ConnectionError::Kube { .. } => Reason::KubernetesUnavailable,
        ConnectionError::SecretMissing { .. }
        | ConnectionError::InvalidTimeout { .. }
        | ConnectionError::Client { .. } => Reason::ConnectionNotReady,
    }
}

fn blocker_reason(blocker: &Blocker) -> Reason {
    match blocker {
        Blocker::SecretConflict(_) => Reason::SecretConflict,
        Blocker::SecretRefMissing { .. } => Reason::SecretRefMissing,
        Blocker::UserDeletedInZitadel(_) => Reason::UserDeletedInZitadel,
        Blocker::UserIdTaken(_) | Blocker::UserIdHeldByDeletedUser(_) => Reason::UserIdTaken,
        Blocker::UsernameTaken(_) | Blocker::UsernameHolderGone(_) => Reason::UsernameTaken,
        Blocker::UsernameHolderNotSearchable(_) => Reason::Creating,
        Blocker::AdoptionNotAllowed(_) | Blocker::NotAdoptable(_) => Reason::AdoptionRefused,
        Blocker::InvalidDuration { .. } => Reason::InvalidSpec,
        Blocker::CannotDeactivateInitial(_) => Reason::StateUnreachable,
    }
}

fn zitadel_verdict(error: &zitadel::Error) -> (Reason, String) {
    let (reason, what) = match error.kind() {
        ErrorKind::RateLimited => (Reason::RateLimited, "ZITADEL rate-limited the operator"),
        ErrorKind::Unauthenticated | ErrorKind::Auth | ErrorKind::Config => (
            Reason::ZitadelUnauthenticated,
            "ZITADEL rejected the operator's credentials; check its PAT or key file",
        ),
        ErrorKind::PermissionDenied => (
            Reason::PermissionDenied,
            "the operator's ZITADEL identity lacks a permission (user.write/user.read/user.delete on the organization)",
        ),
        // CreateUser's conflicts are observations the planner judges; an AlreadyExists that
        // gets here came from UpdateUser, whose only unique field is the username.
        ErrorKind::AlreadyExists => (
            Reason::UsernameTaken,
            "ZITADEL refused the new username: another user already has it; choose another spec.username",
        ),
        ErrorKind::NotFound => (
            Reason::ZitadelNotFound,
            "ZITADEL no longer finds the user (deleted since it was read?); reading it again",
        ),
        ErrorKind::InvalidArgument
        | ErrorKind::FailedPrecondition
        | ErrorKind::UserIdTaken
        | ErrorKind::InvalidRequest => (
            Reason::InvalidSpec,
            "ZITADEL rejected the spec; fix it and re-apply",
        ),
        // A bare 404 or 405 from a proxy, or a body that is not ZITADEL's, says nothing about
        // the spec: it may pass, so it is retried like an outage.
        ErrorKind::Transient | ErrorKind::Decode | ErrorKind::Api => (
            Reason::ZitadelUnavailable,
            "ZITADEL is unavailable, retrying",
        ),
    };
    (reason, format!("{what}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conditions::{Health, Retry};
    use crate::controller::identity::IdentityError;
    use crate::zitadel::{ApiError, GrpcCode, Rpc};

    fn api_error(status: u16, code: Option<GrpcCode>) -> Failure {
        Failure::Zitadel(zitadel::Error::Api(ApiError {
            rpc: Rpc::UpdateUser,
            status,
            code,
            error_id: None,
            message: None,
            retry_after: None,
        }))
    }

    fn reason_of(failure: Failure) -> Reason {
        assess(Err(&failure)).verdict.reason
    }

    #[test]
    fn success_is_ready_and_resynced() {
        let assessment = assess(Ok(()));
        assert!(assessment.verdict.is_ready());
        assert_eq!(assessment.verdict.reason.retry(), Retry::Resync);
    }

    #[test]
    fn a_zitadel_not_found_during_sync_is_read_again_with_backoff_not_an_invalid_spec() {
        let reason = reason_of(api_error(404, Some(GrpcCode::NotFound)));
        assert_eq!(reason, Reason::ZitadelNotFound);
        assert_eq!(reason.health(), Health::Reconciling);
        assert_eq!(reason.retry(), Retry::Backoff);
    }

    #[test]
    fn an_edited_ledger_stalls_as_a_conflict_a_person_must_resolve() {
        let corrupt = crate::secrets::Ledger::parse(Some("{")).unwrap_err();
        let failure = Failure::Secret(secrets::Error::CorruptLedger {
            name: "bot-zitadel".to_owned(),
            annotation: crate::secrets::LEDGER_ANNOTATION,
            source: corrupt,
        });
        let verdict = assess(Err(&failure)).verdict;
        assert_eq!(verdict.reason, Reason::SecretConflict);
        assert_eq!(verdict.reason.health(), Health::Stalled);
        assert!(
            verdict.message.contains("delete the Secret"),
            "{}",
            verdict.message
        );
    }

    #[test]
    fn a_bare_proxy_404_is_retried_like_an_outage() {
        let reason = reason_of(api_error(404, None));
        assert_eq!(reason, Reason::ZitadelUnavailable);
        assert_eq!(reason.retry(), Retry::Backoff);
    }

    #[test]
    fn an_undecodable_body_is_retried_like_an_outage() {
        let failure = Failure::Zitadel(zitadel::Error::Decode {
            rpc: Rpc::GetUserById,
            status: 200,
            failure: zitadel::DecodeFailure::MissingField("user"),
        });
        assert_eq!(reason_of(failure), Reason::ZitadelUnavailable);
    }

    #[test]
    fn a_rejected_spec_stalls_but_is_looked_at_again_every_resync() {
        let reason = reason_of(api_error(400, Some(GrpcCode::InvalidArgument)));
        assert_eq!(reason, Reason::InvalidSpec);
        assert_eq!(reason.health(), Health::Stalled);
        assert_eq!(reason.retry(), Retry::Resync);
    }

    #[test]
    fn a_username_clash_on_update_is_reported_as_username_taken() {
        assert_eq!(
            reason_of(api_error(409, Some(GrpcCode::AlreadyExists))),
            Reason::UsernameTaken
        );
    }

    #[test]
    fn a_rate_limit_keeps_the_servers_retry_after() {
        let failure = Failure::Zitadel(zitadel::Error::Api(ApiError {
            rpc: Rpc::CreateUser,
            status: 429,
            code: Some(GrpcCode::ResourceExhausted),
            error_id: None,
            message: None,
            retry_after: Some(Duration::from_secs(7)),
        }));
        let assessment = assess(Err(&failure));
        assert_eq!(assessment.verdict.reason, Reason::RateLimited);
        assert_eq!(assessment.retry_after, Some(Duration::from_secs(7)));
    }

    #[test]
    fn an_adoption_the_administrator_has_not_allowed_says_how_to_allow_it() {
        let refused = Blocker::AdoptionNotAllowed("spec.username").into();
        let assessment = assess(Err(&refused));
        assert_eq!(assessment.verdict.reason, Reason::AdoptionRefused);
        assert!(assessment.verdict.message.contains("--allow-adoption"));
        assert!(assessment.verdict.message.contains("allowAdoption: true"));
    }

    #[test]
    fn an_object_without_uid_is_an_invalid_object() {
        let reason = reason_of(IdentityError::MissingUid.into());
        assert_eq!(reason, Reason::InvalidObject);
        assert_eq!(reason.health(), Health::Stalled);
    }
}
