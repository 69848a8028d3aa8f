//! Verification codes, invite codes and passkey links (contract §7). Returned codes are
//! one-time secrets (§14.1).

use reqwest::Method;

use crate::client::ZitadelClient;
use crate::error::Error;
use crate::rpc::Rpc;
use crate::transport::Endpoint;
use crate::types::{
    CodeDelivery, CreateInviteCodeRequest, CreateInviteCodeResponse, PasskeyLinkRequest,
    PasskeyLinkResponse, PhoneCodeDelivery, VerificationCodeResponse,
};

impl ZitadelClient {
    /// `SendEmailCode` (`POST …/email/send`).
    pub async fn send_email_code(
        &self,
        user_id: &str,
        delivery: &CodeDelivery,
    ) -> Result<VerificationCodeResponse, Error> {
        let endpoint = Endpoint::user(
            Rpc::SendEmailCode,
            Method::POST,
            user_id,
            &["email", "send"],
        );
        self.call(endpoint, Some(delivery)).await
    }

    /// `ResendEmailCode` (`POST …/email/resend`).
    pub async fn resend_email_code(
        &self,
        user_id: &str,
        delivery: &CodeDelivery,
    ) -> Result<VerificationCodeResponse, Error> {
        let endpoint = Endpoint::user(
            Rpc::ResendEmailCode,
            Method::POST,
            user_id,
            &["email", "resend"],
        );
        self.call(endpoint, Some(delivery)).await
    }

    /// `ResendPhoneCode` (`POST …/phone/resend`).
    pub async fn resend_phone_code(
        &self,
        user_id: &str,
        delivery: &PhoneCodeDelivery,
    ) -> Result<VerificationCodeResponse, Error> {
        let endpoint = Endpoint::user(
            Rpc::ResendPhoneCode,
            Method::POST,
            user_id,
            &["phone", "resend"],
        );
        self.call(endpoint, Some(delivery)).await
    }

    /// `CreateInviteCode` (`POST …/invite_code`): replaces and invalidates a previous code.
    pub async fn create_invite_code(
        &self,
        user_id: &str,
        req: &CreateInviteCodeRequest,
    ) -> Result<CreateInviteCodeResponse, Error> {
        let endpoint = Endpoint::user(
            Rpc::CreateInviteCode,
            Method::POST,
            user_id,
            &["invite_code"],
        );
        self.call(endpoint, Some(req)).await
    }

    /// `CreatePasskeyRegistrationLink` (`POST …/passkeys/registration_link`); needs
    /// `user.passkey.write` (§11).
    pub async fn create_passkey_registration_link(
        &self,
        user_id: &str,
        req: &PasskeyLinkRequest,
    ) -> Result<PasskeyLinkResponse, Error> {
        let endpoint = Endpoint::user(
            Rpc::CreatePasskeyRegistrationLink,
            Method::POST,
            user_id,
            &["passkeys", "registration_link"],
        );
        self.call(endpoint, Some(req)).await
    }
}
