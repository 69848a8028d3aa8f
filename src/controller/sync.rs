//! Act, update: apply a [`SyncPlan`] to an existing user. Codes ZITADEL returns go to the
//! Secret right after the call that returned them.

use super::failure::Failure;
use super::plan::SyncPlan;
use crate::crd::User;
use crate::secrets::{EMAIL_CODE_KEY, PHONE_CODE_KEY, SecretState, Secrets};
use crate::sensitive::Sensitive;
use crate::zitadel::types::{CodeDelivery, PhoneCodeDelivery, VerificationCodeResponse};
use crate::zitadel::{self, ZitadelClient};

/// Applies `plan`; returns the Secret's state afterwards.
pub async fn sync(
    zitadel: &ZitadelClient,
    secrets: &Secrets,
    user: &User,
    plan: &SyncPlan,
    mut secret: SecretState,
) -> Result<SecretState, Failure> {
    let id = plan.user_id.as_str();
    if let Some(update) = &plan.update {
        let response = zitadel.update_user(id, update).await?;
        let codes = [
            (EMAIL_CODE_KEY, response.email_code),
            (PHONE_CODE_KEY, response.phone_code),
        ];
        secret = store_codes(secrets, user, secret, codes).await?;
    }
    if !plan.set_metadata.is_empty() {
        zitadel.set_user_metadata(id, &plan.set_metadata).await?;
    }
    if !plan.delete_metadata.is_empty() {
        match zitadel
            .delete_user_metadata(id, &plan.delete_metadata)
            .await
        {
            // Someone removed a key since it was read: the goal is reached all the same.
            Err(error) if !error.is_not_found() => return Err(error.into()),
            _ => {}
        }
    }
    if plan.issue_email_code {
        let call = zitadel.send_email_code(id, &CodeDelivery::ReturnCode {});
        secret = reissue(secrets, user, secret, EMAIL_CODE_KEY, call).await?;
    }
    if plan.issue_phone_code {
        let call = zitadel.resend_phone_code(id, &PhoneCodeDelivery::ReturnCode {});
        secret = reissue(secrets, user, secret, PHONE_CODE_KEY, call).await?;
    }
    Ok(secret)
}

/// Requests a new code (ZITADEL replaces the previous one) and stores it under `key`.
async fn reissue(
    secrets: &Secrets,
    user: &User,
    secret: SecretState,
    key: &'static str,
    call: impl Future<Output = Result<VerificationCodeResponse, zitadel::Error>>,
) -> Result<SecretState, Failure> {
    let response = call.await?;
    store_codes(secrets, user, secret, [(key, response.verification_code)]).await
}

/// Stores the codes ZITADEL returned (absent ones skipped) in the `User`'s Secret.
pub(super) async fn store_codes<const N: usize>(
    secrets: &Secrets,
    user: &User,
    secret: SecretState,
    codes: [(&'static str, Option<Sensitive<String>>); N],
) -> Result<SecretState, Failure> {
    let codes: Vec<_> = codes
        .into_iter()
        .filter_map(|(key, code)| code.map(|code| (key, code)))
        .collect();
    if codes.is_empty() {
        return Ok(secret);
    }
    Ok(secrets.store(user, secret, &codes).await?)
}
