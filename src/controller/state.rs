//! `spec.state`: deactivate or reactivate the user. Decide ([`plan_state`], pure) and act
//! ([`apply_state`]).
//!
//! ZITADEL's transitions are not idempotent (contract §14.5): each fails when the user is
//! already where it would go. The plan reads the state first; the act treats a refusal whose
//! re-read shows the target state as done, which covers a lost response and a concurrent change.
//! A user ZITADEL locked (lockout policy) is left alone: unlocking is a person's decision.

use super::failure::{Blocker, Failure};
use super::progress::Note;
use crate::crd::DesiredState;
use crate::zitadel::types::UserState;
use crate::zitadel::{self, ZitadelClient};

/// A state change to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// DeactivateUser.
    Deactivate,
    /// ReactivateUser.
    Reactivate,
}

/// The transition that brings a user in `actual` to `desired`, if any.
pub fn plan_state(
    desired: Option<DesiredState>,
    actual: UserState,
    user_id: &str,
) -> Result<Option<Transition>, Blocker> {
    match (desired, actual) {
        (Some(DesiredState::Inactive), UserState::Active) => Ok(Some(Transition::Deactivate)),
        (Some(DesiredState::Inactive), UserState::Initial) => {
            Err(Blocker::CannotDeactivateInitial(user_id.to_owned()))
        }
        (Some(DesiredState::Active), UserState::Inactive) => Ok(Some(Transition::Reactivate)),
        // Not managed, already there, locked (never unlocked by the operator), or a state the
        // operator cannot act on.
        _ => Ok(None),
    }
}

/// Makes `transition`; returns the state the user is in afterwards and the event.
pub async fn apply_state(
    zitadel: &ZitadelClient,
    user_id: &str,
    transition: Transition,
) -> Result<(UserState, Note), Failure> {
    let (call, target) = match transition {
        Transition::Deactivate => (zitadel.deactivate_user(user_id).await, UserState::Inactive),
        Transition::Reactivate => (zitadel.reactivate_user(user_id).await, UserState::Active),
    };
    match call {
        Ok(()) => Ok((target, note(transition, user_id))),
        Err(error) if error.is_failed_precondition() => {
            already_there(zitadel, user_id, target, error).await?;
            Ok((target, note(transition, user_id)))
        }
        Err(error) => Err(error.into()),
    }
}

/// Whether a refused transition left the user where it should be anyway.
async fn already_there(
    zitadel: &ZitadelClient,
    user_id: &str,
    target: UserState,
    refusal: zitadel::Error,
) -> Result<(), Failure> {
    let user = zitadel.get_user_by_id(user_id).await?;
    if user.state == target {
        Ok(())
    } else {
        Err(refusal.into())
    }
}

fn note(transition: Transition, user_id: &str) -> Note {
    match transition {
        Transition::Deactivate => Note::normal(
            "Deactivated",
            format!("deactivated ZITADEL user {user_id} (spec.state: Inactive)"),
        ),
        Transition::Reactivate => Note::normal(
            "Reactivated",
            format!("reactivated ZITADEL user {user_id} (spec.state: Active)"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_active_user_is_deactivated_when_the_spec_says_inactive() {
        let plan = plan_state(Some(DesiredState::Inactive), UserState::Active, "u");
        assert_eq!(plan, Ok(Some(Transition::Deactivate)));
    }

    #[test]
    fn an_inactive_user_is_reactivated_when_the_spec_says_active() {
        let plan = plan_state(Some(DesiredState::Active), UserState::Inactive, "u");
        assert_eq!(plan, Ok(Some(Transition::Reactivate)));
    }

    #[test]
    fn a_locked_user_is_never_touched() {
        for desired in [
            None,
            Some(DesiredState::Active),
            Some(DesiredState::Inactive),
        ] {
            assert_eq!(plan_state(desired, UserState::Locked, "u"), Ok(None));
        }
    }

    #[test]
    fn an_initial_user_counts_as_active_and_cannot_be_deactivated() {
        assert_eq!(
            plan_state(Some(DesiredState::Active), UserState::Initial, "u"),
            Ok(None)
        );
        assert_eq!(
            plan_state(Some(DesiredState::Inactive), UserState::Initial, "u"),
            Err(Blocker::CannotDeactivateInitial("u".to_owned()))
        );
    }

    #[test]
    fn without_spec_state_nothing_changes() {
        for actual in [UserState::Active, UserState::Inactive, UserState::Initial] {
            assert_eq!(plan_state(None, actual, "u"), Ok(None));
        }
    }
}
