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
        _ => Err(precondition("COMMAND-6M0sf", "Errors.User.NotInactive")),
    }
}

fn locked(current: UserState) -> Result<UserState, ApiError> {
    match current {
        UserState::Active | UserState::Initial => Ok(UserState::Locked),
        _ => Err(precondition(
            "COMMAND-3NN8v",
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

fn transition(
    shared: &AppState,
    caller: &Caller,
    user_id: &str,
    next: fn(UserState) -> Result<UserState, ApiError>,
) -> Reply {
    let mut state = shared.lock();
    let mut user = user_for(&state, caller, user_id)?;
    user.state = next(user.state)?;
    let user = state.commit_user(user);
    reply([("details", object_details(user))])
}

/// DeactivateUser: error if already inactive (or still initial, like ZITADEL).
pub async fn deactivate_user(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
) -> Reply {
    transition(&shared, &caller, &user_id, deactivated)
}

/// ReactivateUser: error if not inactive.
pub async fn reactivate_user(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
) -> Reply {
    transition(&shared, &caller, &user_id, reactivated)
}

/// LockUser: error if not active or initial (so also if already locked).
pub async fn lock_user(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
) -> Reply {
    transition(&shared, &caller, &user_id, locked)
}

/// UnlockUser: error if not locked.
pub async fn unlock_user(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
) -> Reply {
    transition(&shared, &caller, &user_id, unlocked)
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
            Some("COMMAND-6M0sf")
        );
        assert_eq!(
            locked(UserState::Locked).unwrap_err().id(),
            Some("COMMAND-3NN8v")
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
