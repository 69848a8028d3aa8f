//! The user aggregate as the emulator holds it, and its GetUserByID JSON rendering (§3.1).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::metadata::MetadataEntry;
use crate::protojson::enums::{AccessTokenType, Gender, UserState};
use crate::protojson::{self, message, timestamp, uint64};

/// One user held by the emulator. Public so tests can change ZITADEL "behind the operator's
/// back" through [`crate::ZitadelEmulator::update_user`]. Holds no credential values.
#[derive(Debug, Clone, PartialEq)]
pub struct EmulatedUser {
    /// Instance-unique, immutable id.
    pub id: String,
    /// The owning organization (`details.resourceOwner`).
    pub organization_id: String,
    /// Instance-unique (case-insensitively) username; also the only login name.
    pub username: String,
    /// Lifecycle state.
    pub state: UserState,
    /// Human or machine data.
    pub kind: UserKind,
    /// Metadata by key.
    pub metadata: BTreeMap<String, MetadataEntry>,
    /// When the user was created.
    pub creation_date: Timestamp,
    /// When the user last changed.
    pub change_date: Timestamp,
    /// Instance event sequence of the last change.
    pub sequence: u64,
}

/// Human or machine.
// Users live in a map of at most a few thousand entries; boxing would only add noise to every
// match in the handlers.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum UserKind {
    /// A person.
    Human(Human),
    /// A service account.
    Machine(Machine),
}

/// Human user data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Human {
    /// Names, language, gender.
    pub profile: Profile,
    /// The email address and whether it is verified.
    pub email: Email,
    /// The phone number, if any.
    pub phone: Option<Phone>,
    /// Password facts (never the password or its hash).
    pub password: Option<PasswordInfo>,
    /// Linked external identities.
    pub idp_links: Vec<IdpLink>,
    /// Whether a TOTP secret was imported.
    pub totp_configured: bool,
    /// Passkeys registered (the emulator keeps no WebAuthn data, only how many).
    pub passkeys: usize,
    /// The outstanding email verification code, if any.
    pub email_code: Option<PendingCode>,
    /// The outstanding phone verification code, if any.
    pub phone_code: Option<PendingCode>,
    /// The outstanding invite code, if any: a new one replaces the previous one.
    pub invite_code: Option<PendingCode>,
    /// Outstanding passkey registration codes as `(code id, code)`, oldest first. Unlike invite
    /// codes they do not replace each other: ZITADEL keeps one code per id until it is used or
    /// expires.
    pub passkey_codes: Vec<(String, PendingCode)>,
    /// Successful CreateInviteCode calls (returned or sent).
    pub invite_codes_issued: usize,
    /// Successful CreatePasskeyRegistrationLink calls (returned or sent).
    pub passkey_links_issued: usize,
}

impl Human {
    /// Whether the person can already authenticate, as ZITADEL's invite write model
    /// (`UserV2InviteWriteModel.AuthMethodSet`) decides it: a password or hash (at creation or
    /// later), an IdP link, or a verified passkey. A verified email and an imported TOTP secret do
    /// not count (TOTP is a second factor; email verification only voids a pending invite code).
    pub fn has_auth_method(&self) -> bool {
        self.password.is_some() || !self.idp_links.is_empty() || self.passkeys > 0
    }
}

/// An outstanding verification code. Only its digest is kept (ZITADEL keeps codes encrypted),
/// enough for tests to check that a code a client stored is the one currently valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCode(String);

impl PendingCode {
    /// Issues a new code, which replaces any previous one: the code to return (or "send") and
    /// what the user keeps.
    pub fn issue() -> (String, Self) {
        let code = crate::random::code();
        let pending = Self::of(&code);
        (code, pending)
    }

    /// Keeps `code` (for codes not in the 6-character verification shape, like passkey codes).
    pub fn of(code: &str) -> Self {
        Self(crate::random::token_digest(code))
    }

    /// Whether `code` is this code.
    pub fn matches(&self, code: &str) -> bool {
        self.0 == crate::random::token_digest(code)
    }
}

/// `zitadel.user.v2.HumanProfile`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Profile {
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Nick name.
    pub nick_name: String,
    /// Display name (ZITADEL defaults it to "given family").
    pub display_name: String,
    /// BCP-47 language tag.
    pub preferred_language: String,
    /// Gender.
    pub gender: Gender,
}

/// `zitadel.user.v2.HumanEmail`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Email {
    /// Address.
    pub email: String,
    /// Verified?
    pub is_verified: bool,
}

/// `zitadel.user.v2.HumanPhone`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Phone {
    /// Number.
    pub phone: String,
    /// Verified?
    pub is_verified: bool,
}

/// What is known about a user's password without keeping it.
#[derive(Debug, Clone, PartialEq)]
pub struct PasswordInfo {
    /// The user must change it at next login.
    pub change_required: bool,
    /// When it was set.
    pub changed: Timestamp,
}

/// A link to an external identity provider account.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IdpLink {
    /// Identity provider id.
    pub idp_id: String,
    /// User id at the provider.
    pub user_id: String,
    /// User name at the provider.
    pub user_name: String,
}

/// Machine user data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Machine {
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Access token type.
    pub access_token_type: AccessTokenType,
    /// Whether a client secret exists (the secret itself is never kept).
    pub has_secret: bool,
}

impl EmulatedUser {
    /// The human data, if this is a human.
    pub fn human(&self) -> Option<&Human> {
        match &self.kind {
            UserKind::Human(human) => Some(human),
            UserKind::Machine(_) => None,
        }
    }

    /// The machine data, if this is a machine.
    pub fn machine(&self) -> Option<&Machine> {
        match &self.kind {
            UserKind::Machine(machine) => Some(machine),
            UserKind::Human(_) => None,
        }
    }

    /// The email address, for humans.
    pub fn email(&self) -> Option<&str> {
        self.human().map(|human| human.email.email.as_str())
    }

    /// `details` (`zitadel.object.v2.Details`) of the user's last change.
    pub fn details(&self) -> Value {
        message(Map::from_iter([
            ("sequence".to_owned(), uint64(self.sequence)),
            ("changeDate".to_owned(), timestamp(self.change_date)),
            ("resourceOwner".to_owned(), json!(self.organization_id)),
            ("creationDate".to_owned(), timestamp(self.creation_date)),
        ]))
    }

    /// The `user` object of a GetUserByID / ListUsers response.
    pub fn to_json(&self) -> Value {
        // The emulator has no org domains: the username is the only login name (see the report).
        let login_names = json!([self.username]);
        let mut user = Map::from_iter([
            ("userId".to_owned(), json!(self.id)),
            ("details".to_owned(), self.details()),
            ("state".to_owned(), json!(self.state.name())),
            ("username".to_owned(), json!(self.username)),
            ("loginNames".to_owned(), login_names.clone()),
            ("preferredLoginName".to_owned(), json!(self.username)),
        ]);
        match &self.kind {
            UserKind::Human(human) => {
                let mut rendered = Map::from_iter([
                    ("userId".to_owned(), json!(self.id)),
                    ("state".to_owned(), json!(self.state.name())),
                    ("username".to_owned(), json!(self.username)),
                    ("loginNames".to_owned(), login_names),
                    ("preferredLoginName".to_owned(), json!(self.username)),
                ]);
                rendered.extend(human_json(human));
                user.insert("human".to_owned(), Value::Object(rendered));
            }
            UserKind::Machine(machine) => {
                user.insert(
                    "machine".to_owned(),
                    json!({
                        "name": machine.name,
                        "description": machine.description,
                        "hasSecret": machine.has_secret,
                        "accessTokenType": machine.access_token_type.name(),
                    }),
                );
            }
        }
        message(user)
    }
}

fn human_json(human: &Human) -> Map<String, Value> {
    let profile = &human.profile;
    let phone = human.phone.clone().unwrap_or_default();
    let mut fields = Map::from_iter([
        (
            "profile".to_owned(),
            json!({
                "givenName": profile.given_name,
                "familyName": profile.family_name,
                "nickName": profile.nick_name,
                "displayName": profile.display_name,
                "preferredLanguage": profile.preferred_language,
                "gender": profile.gender.name(),
            }),
        ),
        (
            "email".to_owned(),
            json!({"email": human.email.email, "isVerified": human.email.is_verified}),
        ),
        (
            "phone".to_owned(),
            json!({"phone": phone.phone, "isVerified": phone.is_verified}),
        ),
    ]);
    if let Some(password) = &human.password {
        fields.insert(
            "passwordChangeRequired".to_owned(),
            json!(password.change_required),
        );
        fields.insert(
            "passwordChanged".to_owned(),
            protojson::timestamp(password.changed),
        );
    }
    fields
}
