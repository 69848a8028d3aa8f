//! What ZITADEL holds right after a successful CreateUser, known from the request itself, so
//! the reconcile that created a user does not read it back (GetUserByID + ListUserMetadata).
//!
//! This mirrors ZITADEL's own defaults (`internal/command/user_v2_human.go` and
//! `user_v2_machine.go`): a human created through the v2 API without an init mail is
//! `USER_STATE_ACTIVE`, as is a machine; an empty display name becomes "given family"; the
//! access token type defaults to Bearer; a machine starts without a client secret.

use std::collections::BTreeMap;

use super::observed::FoundUser;
use crate::zitadel::types::{self as wire, Details, HumanEmail, HumanPhone, HumanProfile};

/// The user `request` created under `id` and `username`, with `metadata` as ZITADEL stored it.
pub fn as_created(
    request: &wire::CreateUserRequest,
    id: &str,
    username: &str,
    metadata: BTreeMap<String, Vec<u8>>,
) -> FoundUser {
    let (human, machine) = match &request.user_type {
        wire::CreateUserType::Human(human) => (Some(human_as_created(human)), None),
        wire::CreateUserType::Machine(machine) => (None, Some(machine_as_created(machine))),
    };
    FoundUser {
        user: wire::User {
            user_id: id.to_owned(),
            details: Details {
                resource_owner: request.organization_id.clone(),
                ..Details::default()
            },
            state: wire::UserState::Active,
            username: username.to_owned(),
            human,
            machine,
        },
        metadata,
    }
}

fn human_as_created(human: &wire::CreateHuman) -> wire::HumanUser {
    let profile = &human.profile;
    let display_name = profile
        .display_name
        .clone()
        .unwrap_or_else(|| format!("{} {}", profile.given_name, profile.family_name));
    let phone = human
        .phone
        .as_ref()
        .map_or_else(HumanPhone::default, |p| HumanPhone {
            phone: p.phone.clone(),
            is_verified: p.verification == Some(wire::PhoneVerification::IsVerified(true)),
        });
    let password_change_required = match &human.password {
        Some(wire::PasswordType::Password(password)) => password.change_required,
        Some(wire::PasswordType::HashedPassword(hashed)) => hashed.change_required,
        None => false,
    };
    wire::HumanUser {
        profile: HumanProfile {
            given_name: profile.given_name.clone(),
            family_name: profile.family_name.clone(),
            nick_name: profile.nick_name.clone().unwrap_or_default(),
            display_name,
            preferred_language: profile.preferred_language.clone().unwrap_or_default(),
            gender: profile.gender.unwrap_or_default(),
            avatar_url: String::new(),
        },
        email: HumanEmail {
            email: human.email.email.clone(),
            is_verified: human.email.verification
                == Some(wire::EmailVerification::IsVerified(true)),
        },
        phone,
        password_change_required,
        ..wire::HumanUser::default()
    }
}

fn machine_as_created(machine: &wire::CreateMachine) -> wire::MachineUser {
    wire::MachineUser {
        name: machine.name.clone(),
        description: machine.description.clone().unwrap_or_default(),
        has_secret: false,
        access_token_type: machine.access_token_type.unwrap_or_default(),
    }
}
