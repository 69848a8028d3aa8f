//! Verification codes and links: SendEmailCode, ResendEmailCode, ResendPhoneCode, CreateInviteCode,
//! CreatePasskeyRegistrationLink (§7). Codes come back only for `returnCode`.

use axum::Extension;
use axum::extract::{Path, State as AxumState};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AppState, ProtoJson, Reply, object_details, reply, user_for};
use crate::auth::Caller;
use crate::errors::{ApiError, GrpcCode, not_human};
use crate::random;
use crate::state::users::{Human, PendingCode, UserKind};
use crate::validation;

/// Any of the delivery oneofs: `sendCode {urlTemplate?, applicationName?}` | `sendLink {urlTemplate?}`
/// | `returnCode {}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeliveryRequest {
    send_code: Option<Sender>,
    send_link: Option<Sender>,
    return_code: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Sender {
    url_template: Option<String>,
}

impl DeliveryRequest {
    /// Validates the oneof and the template; returns whether the code is to be returned.
    fn returns_code(&self, oneof: &str, template_fields: &[&str]) -> Result<bool, ApiError> {
        let sender = match (&self.send_code, &self.send_link) {
            (Some(_), Some(_)) => return Err(validation::oneof_conflict(oneof)),
            (sender, other) => sender.as_ref().or(other.as_ref()),
        };
        if sender.is_some() && self.return_code.is_some() {
            return Err(validation::oneof_conflict(oneof));
        }
        if let Some(template) = sender.and_then(|sender| sender.url_template.as_deref()) {
            validation::url_template(template, template_fields)?;
        }
        Ok(self.return_code.is_some())
    }
}

const CODE_TEMPLATE: &[&str] = &["UserID", "OrgID", "Code"];
const PASSKEY_TEMPLATE: &[&str] = &["UserID", "OrgID", "CodeID", "Code"];

/// Runs `change` on a human user the caller may write, then stores it; answers `details`
/// plus `code_field` when a code is returned.
fn with_human(
    shared: &AppState,
    caller: &Caller,
    user_id: &str,
    code_field: &'static str,
    change: impl FnOnce(&mut Human) -> Result<Option<Value>, ApiError>,
) -> Reply {
    let mut state = shared.lock();
    let mut user = user_for(&state, caller, user_id)?;
    let UserKind::Human(human) = &mut user.kind else {
        return Err(not_human());
    };
    let code = change(human)?;
    let user = state.commit_user(user);
    reply([
        ("details", object_details(user)),
        (code_field, code.unwrap_or(Value::Null)),
    ])
}

/// Issues a new code into `slot` (replacing the previous one); returns it if `returned`.
fn issue_into(slot: &mut Option<PendingCode>, returned: bool) -> Option<Value> {
    let (code, pending) = PendingCode::issue();
    *slot = Some(pending);
    returned.then_some(Value::String(code))
}

/// SendEmailCode: a new email verification code.
pub async fn send_email_code(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
    ProtoJson(request): ProtoJson<DeliveryRequest>,
) -> Reply {
    let returned = request.returns_code("SendEmailCodeRequest.Verification", CODE_TEMPLATE)?;
    with_human(&shared, &caller, &user_id, "verificationCode", |human| {
        Ok(issue_into(&mut human.email_code, returned))
    })
}

/// ResendEmailCode: only while a code is pending.
pub async fn resend_email_code(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
    ProtoJson(request): ProtoJson<DeliveryRequest>,
) -> Reply {
    let returned = request.returns_code("ResendEmailCodeRequest.Verification", CODE_TEMPLATE)?;
    with_human(&shared, &caller, &user_id, "verificationCode", |human| {
        if human.email_code.is_none() {
            return Err(ApiError::zitadel(
                GrpcCode::FailedPrecondition,
                "EMAIL-5w5ilin4yt",
                "Errors.User.Code.Empty",
            ));
        }
        Ok(issue_into(&mut human.email_code, returned))
    })
}

/// ResendPhoneCode: only while a phone code is pending.
pub async fn resend_phone_code(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
    ProtoJson(request): ProtoJson<DeliveryRequest>,
) -> Reply {
    let returned = request.returns_code("ResendPhoneCodeRequest.Verification", &[])?;
    with_human(&shared, &caller, &user_id, "verificationCode", |human| {
        if human.phone.is_none() || human.phone_code.is_none() {
            return Err(ApiError::zitadel(
                GrpcCode::FailedPrecondition,
                "PHONE-5xrra88eq8",
                "Errors.User.Code.Empty",
            ));
        }
        Ok(issue_into(&mut human.phone_code, returned))
    })
}

/// CreateInviteCode: a new invite code replaces (and so invalidates) the previous one. Refused
/// once the person can authenticate: ZITADEL's `CreateInviteCode` checks
/// `UserV2InviteWriteModel.CreationAllowed()`, which is `!AuthMethodSet` (see
/// [`Human::has_auth_method`]).
pub async fn create_invite_code(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
    ProtoJson(request): ProtoJson<DeliveryRequest>,
) -> Reply {
    let returned = request.returns_code("CreateInviteCodeRequest.Verification", CODE_TEMPLATE)?;
    let mut state = shared.lock();
    let mut user = user_for(&state, &caller, &user_id)?;
    // The invite write model only reduces human events, so for a machine user the command sees no
    // user at all.
    let UserKind::Human(human) = &mut user.kind else {
        return Err(ApiError::zitadel(
            GrpcCode::FailedPrecondition,
            "COMMAND-Wgvn4",
            "Errors.User.NotFound",
        ));
    };
    if human.has_auth_method() {
        return Err(ApiError::zitadel(
            GrpcCode::FailedPrecondition,
            "COMMAND-EF34g",
            "Errors.User.AlreadyInitialised",
        ));
    }
    let code = issue_into(&mut human.invite_code, returned);
    human.invite_codes_issued += 1;
    let user = state.commit_user(user);
    reply([
        ("details", object_details(user)),
        ("inviteCode", code.unwrap_or(Value::Null)),
    ])
}

/// CreatePasskeyRegistrationLink: with `returnCode`, `code: {id, code}`; with `sendLink`, details
/// only. Every link gets its own code id; earlier codes stay valid (ZITADEL keeps one
/// passwordless-init-code write model per code id).
pub async fn create_passkey_link(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
    ProtoJson(request): ProtoJson<DeliveryRequest>,
) -> Reply {
    let returned = request.returns_code(
        "CreatePasskeyRegistrationLinkRequest.Medium",
        PASSKEY_TEMPLATE,
    )?;
    with_human(&shared, &caller, &user_id, "code", |human| {
        let (id, code) = (random::numeric_id(), random::secret(12));
        human
            .passkey_codes
            .push((id.clone(), PendingCode::of(&code)));
        human.passkey_links_issued += 1;
        Ok(returned.then(|| json!({"id": id, "code": code})))
    })
}
