//! The user as read back by GetUserByID and ListUsers (contract §3.1).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::common::Details;
use super::wire::is_zero;

/// `zitadel.user.v2.User`. Every field defaults because protojson omits zero values (§1).
///
/// Only what the operator reads is decoded: `loginNames`, `preferredLoginName` and the
/// deprecated copies of `userId`, `state`, `username` and the login names inside `human` are
/// skipped. A resync holds a listing of every user of an organization for about one interval,
/// and those fields were half of each listed user's heap. It serialises as protojson does (zero
/// values left out), the compact form that listing keeps its users in until they are compared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct User {
    /// The instance-unique, immutable user id.
    #[serde(skip_serializing_if = "is_zero")]
    pub user_id: String,
    /// Sequence, dates and owning organisation (`details.resourceOwner`).
    #[serde(skip_serializing_if = "is_zero")]
    pub details: Details,
    /// Lifecycle state.
    #[serde(skip_serializing_if = "is_zero")]
    pub state: UserState,
    /// Current username.
    #[serde(skip_serializing_if = "is_zero")]
    pub username: String,
    /// Set for human users.
    #[serde(skip_serializing_if = "is_zero")]
    pub human: Option<HumanUser>,
    /// Set for machine users (service accounts).
    #[serde(skip_serializing_if = "is_zero")]
    pub machine: Option<MachineUser>,
}

impl User {
    /// The owning organisation id (contract §3.1: `details.resourceOwner`).
    pub fn organization_id(&self) -> &str {
        &self.details.resource_owner
    }

    /// Human or machine, from whichever oneof member the server sent.
    pub fn user_type(&self) -> Option<UserType> {
        match (&self.human, &self.machine) {
            (Some(_), _) => Some(UserType::Human),
            (None, Some(_)) => Some(UserType::Machine),
            (None, None) => None,
        }
    }
}

/// `zitadel.user.v2.UserState`. Unknown values decode as `Unspecified` so a newer server cannot
/// break decoding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserState {
    /// Active.
    #[serde(rename = "USER_STATE_ACTIVE")]
    Active,
    /// Deactivated (DeactivateUser).
    #[serde(rename = "USER_STATE_INACTIVE")]
    Inactive,
    /// Deleted.
    #[serde(rename = "USER_STATE_DELETED")]
    Deleted,
    /// Locked (LockUser or too many failed logins).
    #[serde(rename = "USER_STATE_LOCKED")]
    Locked,
    /// Created but not yet initialised (no password/verified login yet).
    #[serde(rename = "USER_STATE_INITIAL")]
    Initial,
    /// Not set (enum 0), or a value this client does not know (so a newer
    /// server cannot break decoding; `other` must be the last variant).
    #[default]
    #[serde(rename = "USER_STATE_UNSPECIFIED", other)]
    Unspecified,
}

/// The user type filter of ListUsers (`typeQuery.type`, contract §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserType {
    /// A human user.
    #[serde(rename = "TYPE_HUMAN")]
    Human,
    /// A machine user (service account).
    #[serde(rename = "TYPE_MACHINE")]
    Machine,
}

/// The human part of a user (`user.human`), without the deprecated copies of the user's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HumanUser {
    /// Names, language, gender.
    #[serde(skip_serializing_if = "is_zero")]
    pub profile: HumanProfile,
    /// E-mail address and verification flag.
    #[serde(skip_serializing_if = "is_zero")]
    pub email: HumanEmail,
    /// Phone number and verification flag (empty when none).
    #[serde(skip_serializing_if = "is_zero")]
    pub phone: HumanPhone,
    /// Whether the user must change the password at next login.
    #[serde(skip_serializing_if = "is_zero")]
    pub password_change_required: bool,
    /// When the password was last changed.
    #[serde(skip_serializing_if = "is_zero")]
    pub password_changed: Option<Timestamp>,
    /// When the user skipped MFA setup.
    #[serde(skip_serializing_if = "is_zero")]
    pub mfa_init_skipped: Option<Timestamp>,
}

/// `HumanProfile` as read back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HumanProfile {
    /// Given name.
    #[serde(skip_serializing_if = "is_zero")]
    pub given_name: String,
    /// Family name.
    #[serde(skip_serializing_if = "is_zero")]
    pub family_name: String,
    /// Nickname.
    #[serde(skip_serializing_if = "is_zero")]
    pub nick_name: String,
    /// Display name.
    #[serde(skip_serializing_if = "is_zero")]
    pub display_name: String,
    /// BCP-47 language tag.
    #[serde(skip_serializing_if = "is_zero")]
    pub preferred_language: String,
    /// Gender.
    #[serde(skip_serializing_if = "is_zero")]
    pub gender: Gender,
    /// Avatar URL.
    #[serde(skip_serializing_if = "is_zero")]
    pub avatar_url: String,
}

/// `HumanEmail` as read back (`isVerified:false` is omitted on the wire).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HumanEmail {
    /// Address.
    #[serde(skip_serializing_if = "is_zero")]
    pub email: String,
    /// Whether the address is verified.
    #[serde(skip_serializing_if = "is_zero")]
    pub is_verified: bool,
}

/// `HumanPhone` as read back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HumanPhone {
    /// Number (empty when none).
    #[serde(skip_serializing_if = "is_zero")]
    pub phone: String,
    /// Whether the number is verified.
    #[serde(skip_serializing_if = "is_zero")]
    pub is_verified: bool,
}

/// The machine part of a user (`user.machine`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MachineUser {
    /// Display name.
    #[serde(skip_serializing_if = "is_zero")]
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "is_zero")]
    pub description: String,
    /// Whether a client secret exists.
    #[serde(skip_serializing_if = "is_zero")]
    pub has_secret: bool,
    /// Token type; absent on the wire means `Bearer` (enum 0, contract §1).
    #[serde(skip_serializing_if = "is_zero")]
    pub access_token_type: AccessTokenType,
}

/// `zitadel.user.v2.Gender`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gender {
    /// Female.
    #[serde(rename = "GENDER_FEMALE")]
    Female,
    /// Male.
    #[serde(rename = "GENDER_MALE")]
    Male,
    /// Diverse.
    #[serde(rename = "GENDER_DIVERSE")]
    Diverse,
    /// Not set (enum 0), or a value this client does not know (so a newer
    /// server cannot break decoding; `other` must be the last variant).
    #[default]
    #[serde(rename = "GENDER_UNSPECIFIED", other)]
    Unspecified,
}

/// `zitadel.user.v2.AccessTokenType` of machine users.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessTokenType {
    /// Opaque bearer tokens (enum 0, the default; omitted on the wire).
    #[default]
    #[serde(rename = "ACCESS_TOKEN_TYPE_BEARER")]
    Bearer,
    /// JWT access tokens.
    #[serde(rename = "ACCESS_TOKEN_TYPE_JWT")]
    Jwt,
    /// A value this client does not know (a newer server). Requests never carry it (they are
    /// built from the `User` spec's types); a read user re-encoded for the resync listing
    /// writes it under a name no server sends, which decodes back to `Unknown`.
    #[serde(rename = "ACCESS_TOKEN_TYPE_NOT_KNOWN_TO_THIS_CLIENT", other)]
    Unknown,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_human_user_decodes_from_the_contract_shape() {
        let user: User = serde_json::from_value(json!({
            "userId": "app-alice",
            "details": {"sequence": "12", "changeDate": "2025-01-23T10:34:18.051Z",
                        "resourceOwner": "org1", "creationDate": "2025-01-23T10:34:18.051Z"},
            "state": "USER_STATE_ACTIVE",
            "username": "alice",
            "loginNames": ["alice@acme.example"],
            "preferredLoginName": "alice@acme.example",
            "human": {
                "userId": "app-alice", "state": "USER_STATE_ACTIVE", "username": "alice",
                "profile": {"givenName": "Alice", "familyName": "Doe", "gender": "GENDER_FEMALE"},
                "email": {"email": "alice@example.com", "isVerified": true},
                "phone": {},
                "passwordChanged": "2025-01-23T10:34:18.051Z"
            }
        }))
        .unwrap();
        assert_eq!(user.organization_id(), "org1");
        assert_eq!(user.details.sequence, 12);
        assert_eq!(user.state, UserState::Active);
        assert_eq!(user.user_type(), Some(UserType::Human));
        let human = user.human.unwrap();
        assert_eq!(human.profile.gender, Gender::Female);
        assert!(human.email.is_verified);
        assert!(!human.password_change_required);
        assert!(human.password_changed.is_some());
    }

    #[test]
    fn a_user_decodes_from_its_own_encoding_unchanged() {
        let listed = [
            json!({
                "userId": "app-alice",
                "details": {"sequence": "12", "changeDate": "2025-01-23T10:34:18.051Z",
                            "resourceOwner": "org1", "creationDate": "2025-01-23T10:34:18.051Z"},
                "state": "USER_STATE_LOCKED",
                "username": "alice",
                "human": {
                    "profile": {"givenName": "Alice", "familyName": "Doe", "nickName": "Al",
                                "displayName": "Alice Doe", "preferredLanguage": "de",
                                "gender": "GENDER_FEMALE", "avatarUrl": "https://a.example/a.png"},
                    "email": {"email": "alice@example.com", "isVerified": true},
                    "phone": {"phone": "+41791234567", "isVerified": true},
                    "passwordChangeRequired": true,
                    "passwordChanged": "2025-01-23T10:34:18.051Z",
                    "mfaInitSkipped": "2025-01-24T10:00:00Z"
                }
            }),
            json!({"userId": "newcomer", "human": {}}),
            json!({"userId": "bot", "machine": {"name": "CI bot", "description": "builds",
                   "hasSecret": true, "accessTokenType": "ACCESS_TOKEN_TYPE_JWT"}}),
            json!({"userId": "future", "machine": {"accessTokenType": "ACCESS_TOKEN_TYPE_QUANTUM"}}),
        ];
        for wire in listed {
            let user: User = serde_json::from_value(wire).unwrap();
            let encoded = serde_json::to_string(&user).unwrap();
            assert_eq!(
                serde_json::from_str::<User>(&encoded).unwrap(),
                user,
                "{encoded}"
            );
        }
    }

    #[test]
    fn a_users_encoding_leaves_zero_values_out_as_protojson_does() {
        let user: User = serde_json::from_value(json!({
            "userId": "bot", "state": "USER_STATE_UNSPECIFIED",
            "machine": {"name": "CI bot", "description": "", "hasSecret": false}
        }))
        .unwrap();
        assert_eq!(
            serde_json::to_value(&user).unwrap(),
            json!({"userId": "bot", "machine": {"name": "CI bot"}})
        );
    }

    #[test]
    fn a_machine_user_without_token_type_is_bearer() {
        let user: User = serde_json::from_value(json!({
            "userId": "bot", "machine": {"name": "CI bot"}
        }))
        .unwrap();
        let machine = user.machine.as_ref().unwrap();
        assert_eq!(user.user_type(), Some(UserType::Machine));
        assert_eq!(machine.access_token_type, AccessTokenType::Bearer);
        assert!(!machine.has_secret);
        assert_eq!(user.state, UserState::Unspecified);
    }

    #[test]
    fn unknown_enum_values_from_a_newer_server_are_tolerated() {
        let user: User = serde_json::from_value(json!({
            "state": "USER_STATE_HIBERNATING",
            "machine": {"accessTokenType": "ACCESS_TOKEN_TYPE_QUANTUM"},
            "brandNewField": {"x": 1}
        }))
        .unwrap();
        assert_eq!(user.state, UserState::Unspecified);
        assert_eq!(
            user.machine.unwrap().access_token_type,
            AccessTokenType::Unknown
        );
    }
}
