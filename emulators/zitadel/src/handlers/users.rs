//! GetUserByID, DeleteUser and the state transitions (§3.1, §5).

use axum::Extension;
use axum::extract::{Path, State as AxumState};
use jiff::Timestamp;
use serde_json::json;

use super::{AppState, Reply, object_details, reply, user_for};
use crate::auth::Caller;
use crate::errors::{ApiError, GrpcCode};
use crate::protojson::enums::UserState;
use crate::protojson::{timestamp, uint64};

/// GetUserByID: always reads the current state (ZITADEL triggers the projection first).
pub async fn get_user(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
) -> Reply {
    let user = user_for(&shared.lock(), &caller, &user_id)?;
    reply([("details", user.details()), ("user", user.to_json())])
}

/// DeleteUser: the user, its credentials and its username are gone at once.
pub async fn delete_user(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
) -> Reply {
    let mut state = shared.lock();
    let user = user_for(&state, &caller, &user_id)?;
    state.remove_user(&user_id);
    let details = json!({
        "sequence": uint64(state.sequence()),
        "changeDate": timestamp(Timestamp::now()),
        "resourceOwner": user.organization_id,
    });
    reply([("details", details)])
}

fn precondition(id: &'static str, key: &'static str) -> ApiError {
    ApiError::zitadel(GrpcCode::FailedPrecondition, id, key)
}

/// One of DeactivateUser / ReactivateUser / LockUser / UnlockUser, as the v2 user service runs
/// them: `DeactivateUserV2` etc. in internal/command/user_v2.go (the v1 commands in user.go use
/// other ids, e.g. `COMMAND-3NN8v`, and answer NotFound for deactivating an initial user).
struct Transition {
    /// The command's own NotFound id: it reads the user's events itself, so a missing user is
    /// not the query layer's `QUERY-Dfbg2`.
    not_found: &'static str,
    next: fn(UserState) -> Result<UserState, ApiError>,
}

/// DeactivateUserV2: initial and inactive users are refused; active and locked ones become
/// inactive.
const DEACTIVATE: Transition = Transition {
    not_found: "COMMAND-5gp2p62iin",
    next: deactivated,
};
/// ReactivateUserV2: only inactive users (a locked user is not inactive).
const REACTIVATE: Transition = Transition {
    not_found: "COMMAND-9hy5kzbuk6",
    next: reactivated,
};
/// LockUserV2: only active or initial users (not inactive or already locked ones).
const LOCK: Transition = Transition {
    not_found: "COMMAND-450yxuqrh1",
    next: locked,
};
/// UnlockUserV2: only locked users.
const UNLOCK: Transition = Transition {
    not_found: "COMMAND-x377t913pw",
    next: unlocked,
};

/// The state after DeactivateUser, or why it is refused.
fn deactivated(current: UserState) -> Result<UserState, ApiError> {
    match current {
        UserState::Initial => Err(precondition(
            "COMMAND-gvx4kct9r2",
            "Errors.User.CantDeactivateInitial",
        )),
        UserState::Inactive => Err(precondition(
            "COMMAND-5gunjw0cd7",
            "Errors.User.AlreadyInactive",
        )),
        _ => Ok(UserState::Inactive),
    }
}

fn reactivated(current: UserState) -> Result<UserState, ApiError> {
    match current {
        UserState::Inactive => Ok(UserState::Active),
        _ => Err(precondition(
            "COMMAND-s5qqcz97hf",
            "Errors.User.NotInactive",
        )),
    }
}

/// Also what the lockout policy does ([`crate::ZitadelEmulator::lock_user`]).
pub(crate) fn locked(current: UserState) -> Result<UserState, ApiError> {
    match current {
        UserState::Active | UserState::Initial => Ok(UserState::Locked),
        _ => Err(precondition(
            "COMMAND-lgws8wtsqf",
            "Errors.User.ShouldBeActiveOrInitial",
        )),
    }
}

fn unlocked(current: UserState) -> Result<UserState, ApiError> {
    match current {
        UserState::Locked => Ok(UserState::Active),
        _ => Err(precondition("COMMAND-olb9vb0oca", "Errors.User.NotLocked")),
    }
}

fn transition(shared: &AppState, caller: &Caller, user_id: &str, rule: &Transition) -> Reply {
    let mut state = shared.lock();
    let Some(mut user) = state.users.get(user_id).cloned() else {
        return Err(ApiError::zitadel(
            GrpcCode::NotFound,
            rule.not_found,
            "Errors.User.NotFound",
        ));
    };
    // The v2 commands check the state before the permission.
    let next = (rule.next)(user.state)?;
    caller.check_org(&user.organization_id)?;
    user.state = next;
    let user = state.commit_user(user);
    reply([("details", object_details(user))])
}

/// DeactivateUser: error if already inactive or still initial.
pub async fn deactivate_user(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
) -> Reply {
    transition(&shared, &caller, &user_id, &DEACTIVATE)
}

/// ReactivateUser: error if not inactive.
pub async fn reactivate_user(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
) -> Reply {
    transition(&shared, &caller, &user_id, &REACTIVATE)
}

/// LockUser: error if not active or initial (so also if already locked).
pub async fn lock_user(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
) -> Reply {
    transition(&shared, &caller, &user_id, &LOCK)
}

/// UnlockUser: error if not locked.
pub async fn unlock_user(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
) -> Reply {
    transition(&shared, &caller, &user_id, &UNLOCK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_refuse_to_repeat_themselves() {
        assert_eq!(
            deactivated(UserState::Inactive).unwrap_err().id(),
            Some("COMMAND-5gunjw0cd7")
        );
        assert_eq!(
            reactivated(UserState::Active).unwrap_err().id(),
            Some("COMMAND-s5qqcz97hf")
        );
        assert_eq!(
            locked(UserState::Locked).unwrap_err().id(),
            Some("COMMAND-lgws8wtsqf")
        );
        assert_eq!(
            unlocked(UserState::Active).unwrap_err().id(),
            Some("COMMAND-olb9vb0oca")
        );
    }

    #[test]
    fn transitions_reach_the_expected_state() {
        assert_eq!(deactivated(UserState::Locked), Ok(UserState::Inactive));
        assert_eq!(reactivated(UserState::Inactive), Ok(UserState::Active));
        assert_eq!(locked(UserState::Initial), Ok(UserState::Locked));
        assert_eq!(unlocked(UserState::Locked), Ok(UserState::Active));
    }

    #[test]
    fn initial_users_cannot_be_deactivated() {
        assert_eq!(
            deactivated(UserState::Initial).unwrap_err().id(),
            Some("COMMAND-gvx4kct9r2")
        );
    }
}
