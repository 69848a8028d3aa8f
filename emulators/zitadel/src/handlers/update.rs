//! UpdateUser (`PATCH /v2/users/{userId}`, §4.1): a partial update; a no-op succeeds unchanged.

use axum::Extension;
use axum::extract::{Path, State as AxumState};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

use super::create::{ProfileInput, apply_profile};
use super::input::{
    HashedPasswordInput, MetadataInput, PasswordInput, SetEmail, SetPhone, Verification,
};
use super::input::{metadata_pairs, password_choice};
use super::{AppState, ProtoJson, Reply, reply, user_for};
use crate::auth::Caller;
use crate::errors::{ApiError, GrpcCode, not_human, not_machine};
use crate::protojson::enums::{AccessTokenType, UserState};
use crate::protojson::timestamp;
use crate::state::metadata;
use crate::state::users::{Human, Machine, PasswordInfo, PendingCode, Phone, UserKind};
use crate::validation::{self, length, optional_length, required};

/// `UpdateUserRequest` (the user id comes from the path).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateUserRequest {
    username: Option<String>,
    human: Option<HumanUpdate>,
    machine: Option<MachineUpdate>,
    metadata: Vec<MetadataInput>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct HumanUpdate {
    profile: Option<ProfileInput>,
    email: Option<SetEmail>,
    phone: Option<SetPhone>,
    password: Option<SetPasswordInput>,
}

/// `SetPassword`. The emulator keeps no passwords, so `currentPassword` / `verificationCode`
/// are accepted without being checked.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct SetPasswordInput {
    password: Option<PasswordInput>,
    hashed_password: Option<HashedPasswordInput>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct MachineUpdate {
    name: Option<String>,
    description: Option<String>,
    access_token_type: Option<AccessTokenType>,
}

/// Codes to return (only for `returnCode`).
#[derive(Default)]
struct ReturnedCodes {
    email: Option<String>,
    phone: Option<String>,
}

/// Applies a partial update.
pub async fn update_user(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
    ProtoJson(request): ProtoJson<UpdateUserRequest>,
) -> Reply {
    optional_length(
        "UpdateUserRequest.Username",
        request.username.as_deref(),
        1,
        200,
    )?;
    let metadata_updates = metadata_pairs("UpdateUserRequest.Metadata", &request.metadata)?;
    if request.human.is_some() && request.machine.is_some() {
        return Err(validation::oneof_conflict("UpdateUserRequest.UserType"));
    }
    let now = Timestamp::now();
    let mut state = shared.lock();
    let before = user_for(&state, &caller, &user_id)?;
    let mut user = before.clone();
    let mut codes = ReturnedCodes::default();

    let new_username = request
        .username
        .filter(|username| *username != user.username);
    if let Some(username) = new_username.clone() {
        if state.username_taken(&username, Some(&user.id)) {
            return Err(ApiError::zitadel(
                GrpcCode::AlreadyExists,
                "V3-DKcYh",
                "Errors.User.AlreadyExists",
            ));
        }
        user.username = username;
    }
    match (&mut user.kind, &request.human, &request.machine) {
        (UserKind::Human(human), Some(update), None) => {
            let activates = update_human(human, update, &mut codes, now)?;
            if activates && user.state == UserState::Initial {
                user.state = UserState::Active;
            }
        }
        (UserKind::Machine(machine), None, Some(update)) => update_machine(machine, update)?,
        (UserKind::Machine(_), Some(_), _) => return Err(not_human()),
        (UserKind::Human(_), _, Some(_)) => return Err(not_machine()),
        _ => {}
    }
    metadata::merge(&mut user.metadata, metadata_updates, now);

    let change_date = if user == before {
        before.change_date
    } else {
        state.commit_user(user).change_date
    };
    if new_username.is_some() {
        // "Active tokens and sessions are invalidated when the username is changed."
        state.credentials.expire_access_tokens_of(&user_id);
    }
    reply([
        ("changeDate", timestamp(change_date)),
        ("emailCode", codes.email.map_or(Value::Null, Value::String)),
        ("phoneCode", codes.phone.map_or(Value::Null, Value::String)),
    ])
}

/// Returns whether the change completes initialisation (verified email or a password).
fn update_human(
    human: &mut Human,
    update: &HumanUpdate,
    codes: &mut ReturnedCodes,
    now: Timestamp,
) -> Result<bool, ApiError> {
    let mut activates = false;
    if let Some(profile) = &update.profile {
        apply_profile(&mut human.profile, profile)?;
    }
    if let Some(email) = &update.email {
        let verification = email.verification("SetHumanEmail")?;
        if verification == Verification::Verified(true) {
            // ZITADEL writes an email-verified event only for a new or not yet verified address,
            // and that event also voids a pending invite code.
            if email.email != human.email.email || !human.email.is_verified {
                human.invite_code = None;
            }
            human.email.email.clone_from(&email.email);
            human.email.is_verified = true;
            human.email_code = None;
            activates = true;
        } else if email.email != human.email.email {
            human.email.email.clone_from(&email.email);
            human.email.is_verified = false;
            let (code, pending) = PendingCode::issue();
            human.email_code = Some(pending);
            if verification == Verification::Return {
                codes.email = Some(code);
            }
        }
    }
    if let Some(phone) = &update.phone {
        update_phone(human, phone, codes)?;
    }
    if let Some(password) = &update.password {
        let change_required = password_choice(
            "SetPassword",
            password.password.as_ref(),
            password.hashed_password.as_ref(),
        )?;
        let change_required = required("SetPassword.PasswordType", change_required)?;
        human.password = Some(PasswordInfo {
            change_required,
            changed: now,
        });
        activates = true;
    }
    Ok(activates)
}

fn update_phone(
    human: &mut Human,
    phone: &SetPhone,
    codes: &mut ReturnedCodes,
) -> Result<(), ApiError> {
    let any_verification =
        phone.send_code.is_some() || phone.return_code.is_some() || phone.is_verified.is_some();
    if phone.phone.is_empty() {
        if any_verification {
            return Err(ApiError::zitadel(
                GrpcCode::InvalidArgument,
                "USERv2-4f3d6",
                "Errors.User.Phone.VerifyingRemovalIsNotSupported",
            ));
        }
        human.phone = None;
        human.phone_code = None;
        return Ok(());
    }
    let verification = phone.verification("SetHumanPhone")?;
    let unchanged = human
        .phone
        .as_ref()
        .is_some_and(|current| current.phone == phone.phone);
    if unchanged && verification == Verification::Default {
        return Ok(());
    }
    let is_verified = !verification.creates_code();
    human.phone = Some(Phone {
        phone: phone.phone.clone(),
        is_verified,
    });
    human.phone_code = None;
    if !is_verified {
        let (code, pending) = PendingCode::issue();
        human.phone_code = Some(pending);
        if verification == Verification::Return {
            codes.phone = Some(code);
        }
    }
    Ok(())
}

fn update_machine(machine: &mut Machine, update: &MachineUpdate) -> Result<(), ApiError> {
    optional_length(
        "UpdateUserRequest_Machine.Name",
        update.name.as_deref(),
        1,
        200,
    )?;
    if let Some(description) = &update.description {
        length("UpdateUserRequest_Machine.Description", description, 0, 500)?;
    }
    if let Some(name) = &update.name {
        machine.name.clone_from(name);
    }
    if let Some(description) = &update.description {
        machine.description.clone_from(description);
    }
    if let Some(access_token_type) = update.access_token_type {
        machine.access_token_type = access_token_type;
    }
    Ok(())
}
