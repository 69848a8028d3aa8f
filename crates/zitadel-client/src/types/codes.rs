//! Verification codes, invite codes and passkey registration links (contract §7).

use serde::{Deserialize, Serialize};

use super::common::Details;
use crate::sensitive::Sensitive;

/// Body of SendEmailCode / ResendEmailCode: the `verification` oneof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum CodeDelivery {
    /// `{"sendCode": {"urlTemplate": …}}`: ZITADEL mails the code.
    SendCode {
        /// Link template (`UserID`, `OrgID`, `Code`); `None` = default URL.
        #[serde(skip_serializing_if = "Option::is_none")]
        url_template: Option<String>,
    },
    /// `{"returnCode": {}}`: the code comes back as `verificationCode`.
    ReturnCode {},
}

/// Body of ResendPhoneCode: the `verification` oneof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PhoneCodeDelivery {
    /// `{"sendCode": {}}`: ZITADEL sends an SMS.
    SendCode {},
    /// `{"returnCode": {}}`: the code comes back as `verificationCode`.
    ReturnCode {},
}

/// Response of Send/ResendEmailCode and ResendPhoneCode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VerificationCodeResponse {
    /// Sequence and dates.
    pub details: Details,
    /// The one-time code, only with `returnCode`.
    pub verification_code: Option<Sensitive<String>>,
}

/// `CreateInviteCodeRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInviteCodeRequest {
    /// The `verification` oneof; `None` = mail with the default URL and app name "ZITADEL".
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub verification: Option<InviteCodeDelivery>,
}

/// The `verification` oneof of CreateInviteCode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum InviteCodeDelivery {
    /// `"sendCode": {"urlTemplate", "applicationName"}`.
    SendCode {
        /// Link template; `None` = default URL.
        #[serde(skip_serializing_if = "Option::is_none")]
        url_template: Option<String>,
        /// Application name shown in the mail; `None` = "ZITADEL".
        #[serde(skip_serializing_if = "Option::is_none")]
        application_name: Option<String>,
    },
    /// `"returnCode": {}`: the code comes back as `inviteCode`.
    ReturnCode {},
}

/// `CreateInviteCodeResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateInviteCodeResponse {
    /// Sequence and dates.
    pub details: Details,
    /// The one-time invite code, only with `returnCode`.
    pub invite_code: Option<Sensitive<String>>,
}

/// `CreatePasskeyRegistrationLinkRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyLinkRequest {
    /// The `medium` oneof; `None` = mail with the default URL.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub medium: Option<PasskeyLinkMedium>,
}

/// The `medium` oneof of CreatePasskeyRegistrationLink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum PasskeyLinkMedium {
    /// `"sendLink": {"urlTemplate"}` (placeholders `UserID, OrgID, CodeID, Code`).
    SendLink {
        /// Link template; `None` = default URL.
        #[serde(skip_serializing_if = "Option::is_none")]
        url_template: Option<String>,
    },
    /// `"returnCode": {}`: the response carries the code id and code.
    ReturnCode {},
}

/// `CreatePasskeyRegistrationLinkResponse`: there is no link field (contract §7); with
/// `returnCode` the caller builds the link from `code`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PasskeyLinkResponse {
    /// Sequence and dates.
    pub details: Details,
    /// Only with `returnCode`.
    pub code: Option<PasskeyRegistrationCode>,
}

/// The passkey registration code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PasskeyRegistrationCode {
    /// Code id (the `CodeID` placeholder).
    pub id: String,
    /// The one-time code.
    pub code: Sensitive<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn code_delivery_oneofs_serialise_to_one_member_key() {
        let send = CodeDelivery::SendCode {
            url_template: Some("https://x/{{.Code}}".into()),
        };
        assert_eq!(
            serde_json::to_value(send).unwrap(),
            json!({"sendCode": {"urlTemplate": "https://x/{{.Code}}"}})
        );
        assert_eq!(
            serde_json::to_value(CodeDelivery::ReturnCode {}).unwrap(),
            json!({"returnCode": {}})
        );
        assert_eq!(
            serde_json::to_value(PhoneCodeDelivery::SendCode {}).unwrap(),
            json!({"sendCode": {}})
        );
        assert_eq!(
            serde_json::to_value(PhoneCodeDelivery::ReturnCode {}).unwrap(),
            json!({"returnCode": {}})
        );
    }

    #[test]
    fn invite_and_passkey_requests_serialise_their_oneofs() {
        let invite = CreateInviteCodeRequest {
            verification: Some(InviteCodeDelivery::SendCode {
                url_template: None,
                application_name: Some("Acme".into()),
            }),
        };
        assert_eq!(
            serde_json::to_value(invite).unwrap(),
            json!({"sendCode": {"applicationName": "Acme"}})
        );
        assert_eq!(
            serde_json::to_value(CreateInviteCodeRequest::default()).unwrap(),
            json!({})
        );
        let passkey = PasskeyLinkRequest {
            medium: Some(PasskeyLinkMedium::SendLink {
                url_template: Some("https://x/{{.CodeID}}".into()),
            }),
        };
        assert_eq!(
            serde_json::to_value(passkey).unwrap(),
            json!({"sendLink": {"urlTemplate": "https://x/{{.CodeID}}"}})
        );
        let returned = PasskeyLinkRequest {
            medium: Some(PasskeyLinkMedium::ReturnCode {}),
        };
        assert_eq!(
            serde_json::to_value(returned).unwrap(),
            json!({"returnCode": {}})
        );
    }

    #[test]
    fn responses_keep_codes_out_of_debug() {
        let email: VerificationCodeResponse =
            serde_json::from_value(json!({"details": {}, "verificationCode": "C0DE42"})).unwrap();
        let invite: CreateInviteCodeResponse =
            serde_json::from_value(json!({"inviteCode": "INV1TE"})).unwrap();
        let passkey: PasskeyLinkResponse =
            serde_json::from_value(json!({"code": {"id": "cid", "code": "PASSK3Y"}})).unwrap();
        assert_eq!(email.verification_code.as_ref().unwrap().expose(), "C0DE42");
        assert_eq!(invite.invite_code.as_ref().unwrap().expose(), "INV1TE");
        assert_eq!(passkey.code.as_ref().unwrap().code.expose(), "PASSK3Y");
        let debug = format!("{email:?}{invite:?}{passkey:?}");
        for secret in ["C0DE42", "INV1TE", "PASSK3Y"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }

    #[test]
    fn a_send_link_response_has_no_code() {
        let passkey: PasskeyLinkResponse =
            serde_json::from_value(json!({"details": {"sequence": "3"}})).unwrap();
        assert_eq!(passkey.details.sequence, 3);
        assert!(passkey.code.is_none());
    }
}
