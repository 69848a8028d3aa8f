//! UpdateUser request and response (contract §4.1): a partial update, every part optional.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::common::Metadata;
use super::human::{PasswordType, SetHumanEmail, SetHumanPhone};
use super::user::{AccessTokenType, Gender};
use crate::sensitive::Sensitive;

/// `UpdateUserRequest` (`PATCH /v2/users/{userId}`; the id goes in the path).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateUserRequest {
    /// New username; invalidates the user's tokens and sessions (contract §14.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The `user_type` oneof; must match the existing type.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<UpdateUserType>,
    /// Root-level metadata (v4.13+); an empty value deletes the entry.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<Metadata>,
}

/// The `user_type` oneof of UpdateUser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[expect(
    clippy::large_enum_variant,
    reason = "built once per call; boxing would only add noise where requests are built"
)]
pub enum UpdateUserType {
    /// `"human": {…}`.
    Human(UpdateHuman),
    /// `"machine": {…}`.
    Machine(UpdateMachine),
}

/// `UpdateUserRequest.Human`: every part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateHuman {
    /// Profile changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<UpdateHumanProfile>,
    /// New e-mail; verification follows the oneof.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<SetHumanEmail>,
    /// New phone; `{"phone": ""}` without verification removes it (with verification it is an
    /// InvalidArgument `USERv2-4f3d6`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<SetHumanPhone>,
    /// New password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<SetPassword>,
}

/// Profile of UpdateUser: each field 1..200 when present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateHumanProfile {
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Nickname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// BCP-47 tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// Gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
}

/// `SetPassword`: the new password or hash plus an optional proof of the old one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetPassword {
    /// `password{…}` or `hashedPassword{…}`.
    #[serde(flatten)]
    pub new_password: PasswordType,
    /// `currentPassword` or `verificationCode`; `None` = the caller's permission is used.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub verification: Option<PasswordVerification>,
}

/// The optional `verification` oneof of `SetPassword`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PasswordVerification {
    /// `"currentPassword": "…"`.
    CurrentPassword(Sensitive<String>),
    /// `"verificationCode": "…"` from a password reset.
    VerificationCode(Sensitive<String>),
}

/// `UpdateUserRequest.Machine`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMachine {
    /// Display name, at most 200.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description, at most 500.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Token type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_type: Option<AccessTokenType>,
}

/// `UpdateUserResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateUserResponse {
    /// When the change was applied.
    pub change_date: Option<Timestamp>,
    /// One-time e-mail code (only with `returnCode`).
    pub email_code: Option<Sensitive<String>>,
    /// One-time phone code (only with `returnCode`).
    pub phone_code: Option<Sensitive<String>>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::types::human::{EmailVerification, Password};

    #[test]
    fn an_empty_update_is_an_empty_object() {
        assert_eq!(
            serde_json::to_value(UpdateUserRequest::default()).unwrap(),
            json!({})
        );
    }

    #[test]
    fn a_human_update_carries_only_the_parts_that_are_set() {
        let request = UpdateUserRequest {
            username: Some("alice2".into()),
            user_type: Some(UpdateUserType::Human(UpdateHuman {
                profile: Some(UpdateHumanProfile {
                    display_name: Some("Alice D.".into()),
                    ..Default::default()
                }),
                email: Some(SetHumanEmail {
                    email: "alice@new.example".into(),
                    verification: Some(EmailVerification::IsVerified(true)),
                }),
                phone: Some(SetHumanPhone::default()),
                password: Some(SetPassword {
                    new_password: PasswordType::Password(Password {
                        password: "N3w!pw".into(),
                        change_required: false,
                    }),
                    verification: Some(PasswordVerification::CurrentPassword("0ld!pw".into())),
                }),
            })),
            metadata: vec![Metadata::new("gone", "")],
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({ "username": "alice2",
              "human": { "profile": {"displayName": "Alice D."},
                         "email": {"email": "alice@new.example", "isVerified": true},
                         "phone": {"phone": ""},
                         "password": {"password": {"password": "N3w!pw", "changeRequired": false},
                                      "currentPassword": "0ld!pw"} },
              "metadata": [{"key": "gone", "value": ""}] })
        );
        let debug = format!("{request:?}");
        assert!(
            !debug.contains("N3w!pw") && !debug.contains("0ld!pw"),
            "{debug}"
        );
    }

    #[test]
    fn a_machine_update_and_a_verification_code() {
        let request = UpdateUserRequest {
            user_type: Some(UpdateUserType::Machine(UpdateMachine {
                description: Some("deploys prod".into()),
                access_token_type: Some(AccessTokenType::Bearer),
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(request).unwrap(),
            json!({"machine": {"description": "deploys prod", "accessTokenType": "ACCESS_TOKEN_TYPE_BEARER"}})
        );
        let by_code = PasswordVerification::VerificationCode("123456".into());
        assert_eq!(
            serde_json::to_value(by_code).unwrap(),
            json!({"verificationCode": "123456"})
        );
    }

    #[test]
    fn the_response_tolerates_omitted_fields() {
        let response: UpdateUserResponse = serde_json::from_value(json!({})).unwrap();
        assert_eq!(response, UpdateUserResponse::default());
    }
}
