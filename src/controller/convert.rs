//! Translation between the CRD's vocabulary and ZITADEL's wire types.

use crate::crd;
use crate::zitadel::types as wire;

pub fn gender(gender: crd::Gender) -> wire::Gender {
    match gender {
        crd::Gender::Unspecified => wire::Gender::Unspecified,
        crd::Gender::Female => wire::Gender::Female,
        crd::Gender::Male => wire::Gender::Male,
        crd::Gender::Diverse => wire::Gender::Diverse,
    }
}

pub fn access_token_type(token_type: crd::AccessTokenType) -> wire::AccessTokenType {
    match token_type {
        crd::AccessTokenType::Bearer => wire::AccessTokenType::Bearer,
        crd::AccessTokenType::Jwt => wire::AccessTokenType::Jwt,
    }
}

pub fn user_state(state: wire::UserState) -> crd::UserState {
    match state {
        wire::UserState::Unspecified => crd::UserState::Unspecified,
        wire::UserState::Active => crd::UserState::Active,
        wire::UserState::Inactive => crd::UserState::Inactive,
        wire::UserState::Deleted => crd::UserState::Deleted,
        wire::UserState::Locked => crd::UserState::Locked,
        wire::UserState::Initial => crd::UserState::Initial,
    }
}

pub fn email_verification(email: &crd::EmailSpec) -> wire::EmailVerification {
    match email.verification {
        crd::EmailVerification::SendCode => wire::EmailVerification::SendCode {
            url_template: email.url_template.clone(),
        },
        crd::EmailVerification::ReturnCode => wire::EmailVerification::ReturnCode {},
        crd::EmailVerification::Verified => wire::EmailVerification::IsVerified(true),
    }
}

pub fn phone_verification(verification: crd::PhoneVerification) -> wire::PhoneVerification {
    match verification {
        crd::PhoneVerification::SendCode => wire::PhoneVerification::SendCode {},
        crd::PhoneVerification::ReturnCode => wire::PhoneVerification::ReturnCode {},
        crd::PhoneVerification::Verified => wire::PhoneVerification::IsVerified(true),
    }
}

/// `at` as a status timestamp. `metav1.Time` is serialised to whole seconds, so finer precision
/// would make every computed status differ from the stored one and write it on every reconcile.
pub fn status_time(at: jiff::Timestamp) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::Time {
    let seconds = jiff::Timestamp::from_second(at.as_second()).unwrap_or(at);
    k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(seconds)
}
