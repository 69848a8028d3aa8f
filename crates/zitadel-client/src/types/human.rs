//! Write-side parts of a human user shared by CreateUser and UpdateUser (contract §2.1, §4.1).

use serde::Serialize;

use super::user::Gender;
use crate::sensitive::Sensitive;

/// `SetHumanProfile` for CreateUser: given and family name are required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetHumanProfile {
    /// Given name, 1..200.
    pub given_name: String,
    /// Family name, 1..200.
    pub family_name: String,
    /// Nickname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// BCP-47 tag, at most 10 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// Gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
}

/// `SetHumanEmail`: the address plus the optional `verification` oneof.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetHumanEmail {
    /// The address, 1..200.
    pub email: String,
    /// How the address gets verified. `None` makes ZITADEL send a mail with its default URL
    /// (contract §14.8): an operator normally picks `ReturnCode` or `IsVerified(true)`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub verification: Option<EmailVerification>,
}

/// The e-mail `verification` oneof: serialises to exactly one member key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum EmailVerification {
    /// `"sendCode": {"urlTemplate": …}`: ZITADEL mails a code. Template placeholders `UserID`,
    /// `OrgID`, `Code` in Go template syntax.
    SendCode {
        /// Link template; `None` = ZITADEL's default URL.
        #[serde(skip_serializing_if = "Option::is_none")]
        url_template: Option<String>,
    },
    /// `"returnCode": {}`: the code comes back in the response (`emailCode`).
    ReturnCode {},
    /// `"isVerified": true|false`: mark the address verified without a code.
    IsVerified(bool),
}

/// `SetHumanPhone`: the number plus the optional `verification` oneof.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetHumanPhone {
    /// The number, at most 200. In UpdateUser, `""` with no verification removes the number.
    pub phone: String,
    /// How the number gets verified; `None` sends an SMS (if configured).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub verification: Option<PhoneVerification>,
}

/// The phone `verification` oneof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PhoneVerification {
    /// `"sendCode": {}`: ZITADEL sends an SMS.
    SendCode {},
    /// `"returnCode": {}`: the code comes back in the response (`phoneCode`).
    ReturnCode {},
    /// `"isVerified": true`: ZITADEL accepts only `true` here (contract §2.1).
    IsVerified(bool),
}

/// The `password_type` oneof: a cleartext password or a pre-computed hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PasswordType {
    /// `"password": {"password", "changeRequired"}`.
    Password(Password),
    /// `"hashedPassword": {"hash", "changeRequired"}`.
    HashedPassword(HashedPassword),
}

/// A cleartext initial password.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Password {
    /// The password, 1..200.
    pub password: Sensitive<String>,
    /// Force a change at next login.
    pub change_required: bool,
}

/// A password hash ZITADEL can verify (bcrypt, argon2, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HashedPassword {
    /// The encoded hash, 1..200.
    pub hash: Sensitive<String>,
    /// Force a change at next login.
    pub change_required: bool,
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn email(verification: Option<EmailVerification>) -> Value {
        serde_json::to_value(SetHumanEmail {
            email: "a@example.com".into(),
            verification,
        })
        .unwrap()
    }

    #[test]
    fn each_email_verification_serialises_to_exactly_one_member_key() {
        let template = "https://example.com/verify?userID={{.UserID}}&code={{.Code}}";
        assert_eq!(
            email(Some(EmailVerification::SendCode {
                url_template: Some(template.into())
            })),
            json!({"email": "a@example.com", "sendCode": {"urlTemplate": template}})
        );
        assert_eq!(
            email(Some(EmailVerification::SendCode { url_template: None })),
            json!({"email": "a@example.com", "sendCode": {}})
        );
        assert_eq!(
            email(Some(EmailVerification::ReturnCode {})),
            json!({"email": "a@example.com", "returnCode": {}})
        );
        assert_eq!(
            email(Some(EmailVerification::IsVerified(true))),
            json!({"email": "a@example.com", "isVerified": true})
        );
        assert_eq!(email(None), json!({"email": "a@example.com"}));
    }

    #[test]
    fn each_phone_verification_serialises_to_exactly_one_member_key() {
        let phone = |verification| {
            serde_json::to_value(SetHumanPhone {
                phone: "+41791234567".into(),
                verification,
            })
            .unwrap()
        };
        assert_eq!(
            phone(Some(PhoneVerification::SendCode {})),
            json!({"phone": "+41791234567", "sendCode": {}})
        );
        assert_eq!(
            phone(Some(PhoneVerification::ReturnCode {})),
            json!({"phone": "+41791234567", "returnCode": {}})
        );
        assert_eq!(
            phone(Some(PhoneVerification::IsVerified(true))),
            json!({"phone": "+41791234567", "isVerified": true})
        );
    }

    #[test]
    fn password_oneof_uses_the_member_name_as_key() {
        let password = PasswordType::Password(Password {
            password: "S3cret!".into(),
            change_required: true,
        });
        assert_eq!(
            serde_json::to_value(&password).unwrap(),
            json!({"password": {"password": "S3cret!", "changeRequired": true}})
        );
        let hashed = PasswordType::HashedPassword(HashedPassword {
            hash: "$2a$10$abc".into(),
            change_required: false,
        });
        assert_eq!(
            serde_json::to_value(&hashed).unwrap(),
            json!({"hashedPassword": {"hash": "$2a$10$abc", "changeRequired": false}})
        );
        assert!(!format!("{password:?}{hashed:?}").contains("S3cret"));
        assert!(!format!("{hashed:?}").contains("$2a$"));
    }
}
