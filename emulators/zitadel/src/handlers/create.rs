//! CreateUser (`POST /v2/users/new`, §2.1).

use axum::Extension;
use axum::extract::State as AxumState;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::input::{
    HashedPasswordInput, MetadataInput, PasswordInput, SetEmail, SetPhone, Verification,
};
use super::input::{metadata_pairs, password_choice};
use super::{AppState, ProtoJson, Reply, reply};
use crate::auth::Caller;
use crate::errors::{ApiError, GrpcCode};
use crate::protojson::enums::{AccessTokenType, Gender, UserState};
use crate::protojson::timestamp;
use crate::random;
use crate::server::CREATE_USER_RPC;
use crate::state::metadata;
use crate::state::users::{
    Email, EmulatedUser, Human, IdpLink, Machine, PasswordInfo, PendingCode, Phone, Profile,
    UserKind,
};
use crate::validation::{self, length, optional_length, required};

/// `CreateUserRequest`.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateUserRequest {
    organization_id: String,
    user_id: Option<String>,
    username: Option<String>,
    human: Option<HumanInput>,
    machine: Option<MachineInput>,
    metadata: Vec<MetadataInput>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct HumanInput {
    profile: Option<ProfileInput>,
    email: Option<SetEmail>,
    phone: Option<SetPhone>,
    password: Option<PasswordInput>,
    hashed_password: Option<HashedPasswordInput>,
    idp_links: Vec<IdpLinkInput>,
    totp_secret: Option<String>,
    metadata: Vec<MetadataInput>,
}

/// `SetHumanProfile` (also used, all parts optional, by UpdateUser).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProfileInput {
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Nick name.
    pub nick_name: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Language tag.
    pub preferred_language: Option<String>,
    /// Gender.
    pub gender: Option<Gender>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct IdpLinkInput {
    idp_id: String,
    user_id: String,
    user_name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct MachineInput {
    name: String,
    description: Option<String>,
    access_token_type: AccessTokenType,
}

/// Codes to hand back in the response (only for `returnCode`).
#[derive(Default)]
struct ReturnedCodes {
    email: Option<String>,
    phone: Option<String>,
}

/// Creates a human or machine user.
pub async fn create_user(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    ProtoJson(request): ProtoJson<CreateUserRequest>,
) -> Reply {
    length(
        "CreateUserRequest.OrganizationId",
        &request.organization_id,
        1,
        200,
    )?;
    optional_length(
        "CreateUserRequest.UserId",
        request.user_id.as_deref(),
        1,
        200,
    )?;
    optional_length(
        "CreateUserRequest.Username",
        request.username.as_deref(),
        1,
        200,
    )?;
    let mut metadata = metadata_pairs("CreateUserRequest.Metadata", &request.metadata)?;
    let now = Timestamp::now();
    let (kind, codes) = match (&request.human, &request.machine) {
        (Some(_), Some(_)) => return Err(validation::oneof_conflict("CreateUserRequest.UserType")),
        (None, None) => {
            return Err(ApiError::validation(
                "invalid CreateUserRequest.UserType: value is required",
            ));
        }
        (Some(human), None) => {
            if !human.metadata.is_empty() {
                if !request.metadata.is_empty() {
                    return Err(ApiError::validation(
                        "invalid CreateUserRequest.Human.Metadata: use either the root or the deprecated human metadata",
                    ));
                }
                metadata = metadata_pairs("CreateUserRequest_Human.Metadata", &human.metadata)?;
            }
            build_human(human, now)?
        }
        (None, Some(machine)) => (build_machine(machine)?, ReturnedCodes::default()),
    };
    caller.check_org(&request.organization_id)?;

    let mut state = shared.lock();
    let user_id = match &request.user_id {
        Some(id) => id.clone(),
        None => unused_id(|id| state.users.contains_key(id)),
    };
    // The middleware counted the call; the path names no user, so it is counted for the user
    // here, also when the id is refused (a retried CreateUser).
    state.count_user_call(&user_id, CREATE_USER_RPC);
    if state.users.contains_key(&user_id) {
        return Err(id_reused(&kind));
    }
    // The emulator checks the organization on both paths (ZITADEL's machine path may not).
    if !state.orgs.contains_key(&request.organization_id) {
        return Err(ApiError::zitadel(
            GrpcCode::FailedPrecondition,
            "COMMAND-QXPGs",
            "Errors.Org.NotFound",
        ));
    }
    let username = match (&request.username, &kind) {
        (Some(username), _) => username.clone(),
        (None, UserKind::Human(human)) => human.email.email.clone(),
        (None, UserKind::Machine(_)) => user_id.clone(),
    };
    if state.username_taken(&username, None) {
        return Err(ApiError::zitadel(
            GrpcCode::AlreadyExists,
            "V3-DKcYh",
            "Errors.User.AlreadyExists",
        ));
    }
    let mut user = EmulatedUser {
        id: user_id,
        organization_id: request.organization_id.clone(),
        username,
        // Every user CreateUser makes is active, humans included, whatever their password or email
        // state: the v2 handler calls `AddUserHuman(…, allowInitMail=false)`, so
        // `addHumanCommandEmail` never writes the `HumanInitialCodeAddedEvent` (the only event that
        // makes the user projection say USER_STATE_INITIAL); `HumanAddedEvent` alone projects to
        // active (internal/command/user_v2_human.go, user_human.go, query/projection/user.go).
        // Initial users only come from the v1 APIs (simulate one with `update_user`).
        state: UserState::Active,
        kind,
        metadata: Default::default(),
        creation_date: now,
        change_date: now,
        sequence: 0,
    };
    metadata::merge(&mut user.metadata, metadata, now);
    let user = state.commit_user(user);
    reply([
        ("id", json!(user.id)),
        ("creationDate", timestamp(user.creation_date)),
        ("emailCode", codes.email.map_or(Value::Null, Value::String)),
        ("phoneCode", codes.phone.map_or(Value::Null, Value::String)),
    ])
}

fn id_reused(kind: &UserKind) -> ApiError {
    let id = match kind {
        UserKind::Human(_) => "COMMAND-7yiox1isql",
        UserKind::Machine(_) => "COMMAND-k2una",
    };
    ApiError::zitadel(
        GrpcCode::FailedPrecondition,
        id,
        "Errors.User.AlreadyExisting",
    )
}

/// A fresh snowflake-like id not used yet (bounded: collisions among 9e17 ids are negligible).
fn unused_id(taken: impl Fn(&str) -> bool) -> String {
    let mut id = random::numeric_id();
    for _ in 0..16 {
        if !taken(&id) {
            break;
        }
        id = random::numeric_id();
    }
    id
}

fn build_human(input: &HumanInput, now: Timestamp) -> Result<(UserKind, ReturnedCodes), ApiError> {
    const MSG: &str = "CreateUserRequest_Human";
    let profile_input = required(&format!("{MSG}.Profile"), input.profile.as_ref())?;
    let profile = new_profile(profile_input)?;
    let email_input = required(&format!("{MSG}.Email"), input.email.as_ref())?;
    let email_verification = email_input.verification("SetHumanEmail")?;
    let mut codes = ReturnedCodes::default();
    let email_code = email_verification
        .creates_code()
        .then(PendingCode::issue)
        .map(|(code, pending)| {
            if email_verification == Verification::Return {
                codes.email = Some(code);
            }
            pending
        });
    let mut phone_code = None;
    let phone = match &input.phone {
        Some(phone_input) if !phone_input.phone.is_empty() => {
            let verification = phone_input.verification("SetHumanPhone")?;
            if verification.creates_code() {
                let (code, pending) = PendingCode::issue();
                if verification == Verification::Return {
                    codes.phone = Some(code);
                }
                phone_code = Some(pending);
            }
            Some((
                Phone {
                    phone: phone_input.phone.clone(),
                    is_verified: !verification.creates_code(),
                },
                verification,
            ))
        }
        _ => None,
    };
    let change_required =
        password_choice(MSG, input.password.as_ref(), input.hashed_password.as_ref())?;
    for (index, link) in input.idp_links.iter().enumerate() {
        let field = format!("{MSG}.IdpLinks[{index}]");
        length(&format!("{field}.IdpId"), &link.idp_id, 1, 200)?;
        length(&format!("{field}.UserId"), &link.user_id, 1, 200)?;
        length(&format!("{field}.UserName"), &link.user_name, 1, 200)?;
    }
    optional_length(
        &format!("{MSG}.TotpSecret"),
        input.totp_secret.as_deref(),
        1,
        200,
    )?;
    let human = Human {
        profile,
        email: Email {
            email: email_input.email.clone(),
            is_verified: email_verification == Verification::Verified(true),
        },
        phone_code,
        phone: phone.map(|(phone, _)| phone),
        password: change_required.map(|change_required| PasswordInfo {
            change_required,
            changed: now,
        }),
        idp_links: input
            .idp_links
            .iter()
            .map(|link| IdpLink {
                idp_id: link.idp_id.clone(),
                user_id: link.user_id.clone(),
                user_name: link.user_name.clone(),
            })
            .collect(),
        totp_configured: input.totp_secret.is_some(),
        email_code,
        ..Human::default()
    };
    Ok((UserKind::Human(human), codes))
}

/// Validates a complete `SetHumanProfile` (given and family name required).
fn new_profile(input: &ProfileInput) -> Result<Profile, ApiError> {
    required("SetHumanProfile.GivenName", input.given_name.as_ref())?;
    required("SetHumanProfile.FamilyName", input.family_name.as_ref())?;
    let mut profile = Profile::default();
    apply_profile(&mut profile, input)?;
    Ok(profile)
}

/// Applies the parts of a profile that are present, validating each; an empty display name
/// becomes "given family" as in ZITADEL.
pub fn apply_profile(profile: &mut Profile, input: &ProfileInput) -> Result<(), ApiError> {
    const MSG: &str = "SetHumanProfile";
    optional_length(
        &format!("{MSG}.GivenName"),
        input.given_name.as_deref(),
        1,
        200,
    )?;
    optional_length(
        &format!("{MSG}.FamilyName"),
        input.family_name.as_deref(),
        1,
        200,
    )?;
    optional_length(
        &format!("{MSG}.NickName"),
        input.nick_name.as_deref(),
        0,
        200,
    )?;
    optional_length(
        &format!("{MSG}.DisplayName"),
        input.display_name.as_deref(),
        0,
        200,
    )?;
    optional_length(
        &format!("{MSG}.PreferredLanguage"),
        input.preferred_language.as_deref(),
        0,
        10,
    )?;
    let set = |field: &mut String, value: &Option<String>| {
        if let Some(value) = value {
            field.clone_from(value);
        }
    };
    set(&mut profile.given_name, &input.given_name);
    set(&mut profile.family_name, &input.family_name);
    set(&mut profile.nick_name, &input.nick_name);
    set(&mut profile.display_name, &input.display_name);
    set(&mut profile.preferred_language, &input.preferred_language);
    if let Some(gender) = input.gender {
        profile.gender = gender;
    }
    if profile.display_name.is_empty() {
        profile.display_name = format!("{} {}", profile.given_name, profile.family_name);
    }
    Ok(())
}

fn build_machine(input: &MachineInput) -> Result<UserKind, ApiError> {
    length("CreateUserRequest_Machine.Name", &input.name, 1, 200)?;
    optional_length(
        "CreateUserRequest_Machine.Description",
        input.description.as_deref(),
        1,
        500,
    )?;
    Ok(UserKind::Machine(Machine {
        name: input.name.clone(),
        description: input.description.clone().unwrap_or_default(),
        access_token_type: input.access_token_type,
        has_secret: false,
    }))
}
