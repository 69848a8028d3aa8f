//! CreateUser request and response (contract §2.1).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::common::Metadata;
use super::human::{PasswordType, SetHumanEmail, SetHumanPhone, SetHumanProfile};
use super::user::AccessTokenType;
use crate::sensitive::Sensitive;

/// `CreateUserRequest` (`POST /v2/users/new`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateUserRequest {
    /// Target organisation, required in practice.
    pub organization_id: String,
    /// Instance-unique, immutable id; generated when `None`. A deterministic id makes create
    /// idempotent: a repeat is a FailedPrecondition (contract §14.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Username; defaults to the e-mail (human) or the user id (machine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The required `user_type` oneof.
    #[serde(flatten)]
    pub user_type: CreateUserType,
    /// Root-level metadata; honoured only by v4.13+ servers, silently dropped by older ones
    /// (contract §14.6), so prefer a separate SetUserMetadata.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<Metadata>,
}

/// The `user_type` oneof of CreateUser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[expect(
    clippy::large_enum_variant,
    reason = "built once per call; boxing would only add noise where requests are built"
)]
pub enum CreateUserType {
    /// `"human": {…}`.
    Human(CreateHuman),
    /// `"machine": {…}`.
    Machine(CreateMachine),
}

/// `CreateUserRequest.Human`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateHuman {
    /// Required profile.
    pub profile: SetHumanProfile,
    /// Required e-mail.
    pub email: SetHumanEmail,
    /// Optional phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<SetHumanPhone>,
    /// Optional `password_type` oneof.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordType>,
    /// Links to external identity providers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub idp_links: Vec<IdpLink>,
    /// RFC 6238 TOTP secret (HMAC-SHA1, 30 s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<Sensitive<String>>,
}

/// An `IDPLink`: the user's identity at an external IdP.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdpLink {
    /// ZITADEL's id of the IdP.
    pub idp_id: String,
    /// The user's id at the IdP.
    pub user_id: String,
    /// The user's name at the IdP.
    pub user_name: String,
}

/// `CreateUserRequest.Machine`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMachine {
    /// Display name, 1..200.
    pub name: String,
    /// Description, 1..500.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Token type; `None` = the server default (bearer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_type: Option<AccessTokenType>,
}

/// `CreateUserResponse`: codes are present only when `returnCode` was chosen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateUserResponse {
    /// The user id (the requested one or a generated one).
    pub id: String,
    /// Creation time.
    pub creation_date: Option<Timestamp>,
    /// One-time e-mail verification code (contract §14.1: persist it at once).
    pub email_code: Option<Sensitive<String>>,
    /// One-time phone verification code.
    pub phone_code: Option<Sensitive<String>>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::types::human::{EmailVerification, Password};

    fn alice() -> CreateUserRequest {
        CreateUserRequest {
            organization_id: "3363".into(),
            user_id: Some("app-alice".into()),
            username: Some("alice".into()),
            user_type: CreateUserType::Human(CreateHuman {
                profile: SetHumanProfile {
                    given_name: "Alice".into(),
                    family_name: "Doe".into(),
                    preferred_language: Some("en".into()),
                    ..Default::default()
                },
                email: SetHumanEmail {
                    email: "alice@example.com".into(),
                    verification: Some(EmailVerification::ReturnCode {}),
                },
                password: Some(PasswordType::Password(Password {
                    password: "S3cret!pw".into(),
                    change_required: true,
                })),
                ..Default::default()
            }),
            metadata: vec![Metadata::new("k8s-uid", "abcd")],
        }
    }

    #[test]
    fn a_human_create_request_matches_the_contract_example() {
        assert_eq!(
            serde_json::to_value(alice()).unwrap(),
            json!({ "organizationId": "3363", "userId": "app-alice", "username": "alice",
              "human": { "profile": {"givenName": "Alice", "familyName": "Doe", "preferredLanguage": "en"},
                         "email": {"email": "alice@example.com", "returnCode": {}},
                         "password": {"password": "S3cret!pw", "changeRequired": true} },
              "metadata": [{"key": "k8s-uid", "value": "YWJjZA=="}] })
        );
    }

    #[test]
    fn a_machine_create_request_matches_the_contract_example() {
        let request = CreateUserRequest {
            organization_id: "3363".into(),
            user_id: None,
            username: Some("ci-bot".into()),
            user_type: CreateUserType::Machine(CreateMachine {
                name: "CI bot".into(),
                description: Some("deploys".into()),
                access_token_type: Some(AccessTokenType::Jwt),
            }),
            metadata: vec![],
        };
        assert_eq!(
            serde_json::to_value(request).unwrap(),
            json!({ "organizationId": "3363", "username": "ci-bot",
              "machine": {"name": "CI bot", "description": "deploys", "accessTokenType": "ACCESS_TOKEN_TYPE_JWT"} })
        );
    }

    #[test]
    fn human_extras_use_their_contract_names() {
        let request = CreateUserRequest {
            user_type: CreateUserType::Human(CreateHuman {
                phone: Some(SetHumanPhone {
                    phone: "+41791234567".into(),
                    verification: None,
                }),
                idp_links: vec![IdpLink {
                    idp_id: "idp1".into(),
                    user_id: "ext1".into(),
                    user_name: "alice@idp".into(),
                }],
                totp_secret: Some("JBSWY3DPEHPK3PXP".into()),
                ..Default::default()
            }),
            ..alice()
        };
        let json = serde_json::to_value(&request).unwrap();
        let human = &json["human"];
        assert_eq!(human["phone"], json!({"phone": "+41791234567"}));
        assert_eq!(
            human["idpLinks"],
            json!([{"idpId": "idp1", "userId": "ext1", "userName": "alice@idp"}])
        );
        assert_eq!(human["totpSecret"], "JBSWY3DPEHPK3PXP");
        assert!(human.get("password").is_none());
        assert!(!format!("{request:?}").contains("JBSWY3DPEHPK3PXP"));
    }

    #[test]
    fn debug_of_a_create_request_hides_the_password() {
        assert!(!format!("{:?}", alice()).contains("S3cret"));
    }

    #[test]
    fn the_response_keeps_codes_but_hides_them_from_debug() {
        let response: CreateUserResponse = serde_json::from_value(
            json!({"id": "app-alice", "creationDate": "2026-01-02T03:04:05Z", "emailCode": "XTA6BC"}),
        )
        .unwrap();
        assert_eq!(response.id, "app-alice");
        assert_eq!(response.email_code.as_ref().unwrap().expose(), "XTA6BC");
        assert_eq!(response.phone_code, None);
        assert!(!format!("{response:?}").contains("XTA6BC"));
    }
}
