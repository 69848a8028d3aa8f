//! Act, onboarding: issue each planned code or link and store it with its ledger entry in one
//! Secret write, so a code is recorded as issued exactly when its value is stored.

use jiff::Timestamp;

use super::plan::{Issue, OnboardingPlan, passkey_link};
use crate::controller::failure::Failure;
use crate::controller::progress::Note;
use crate::crd::User;
use crate::secrets::{
    EMAIL_CODE_KEY, INVITE_CODE_KEY, Issued, Ledger, OneTime, PASSKEY_CODE_ID_KEY,
    PASSKEY_CODE_KEY, PASSKEY_LINK_KEY, PHONE_CODE_KEY, SecretChange, SecretState, Secrets,
};
use crate::sensitive::Sensitive;
use crate::zitadel::types::{
    CodeDelivery, CreateInviteCodeRequest, InviteCodeDelivery, PasskeyLinkMedium,
    PasskeyLinkRequest, PhoneCodeDelivery,
};
use crate::zitadel::{self, ZitadelClient};

/// ZITADEL's refusal of an invite for a user that has an authentication method.
const ALREADY_INITIALISED: &str = "COMMAND-EF34g";

/// Where a person's codes are issued and stored.
pub struct Target<'a> {
    /// ZITADEL.
    pub zitadel: &'a ZitadelClient,
    /// The namespace's Secrets.
    pub secrets: &'a Secrets,
    /// The `User`.
    pub user: &'a User,
    /// The ZITADEL user id.
    pub user_id: &'a str,
    /// Its organization (the `OrgID` of a passkey link).
    pub org_id: &'a str,
    /// The reissue annotation's value, recorded on every code issued.
    pub reissue: Option<&'a str>,
}

/// Carries out `plan`; returns the Secret and its ledger afterwards. Events go to `notes`.
pub async fn apply(
    target: &Target<'_>,
    plan: OnboardingPlan,
    mut secret: SecretState,
    mut ledger: Ledger,
    notes: &mut Vec<Note>,
) -> Result<(SecretState, Ledger), Failure> {
    let Target {
        zitadel,
        secrets,
        user,
        user_id,
        org_id,
        reissue,
    } = *target;
    let issued = |ledger: &mut Ledger, what: OneTime| {
        ledger.issued.insert(
            what,
            Issued {
                for_value: reissue.unwrap_or_default().to_owned(),
                at: Timestamp::now(),
            },
        );
    };
    if !plan.record_issued.is_empty() || plan.invite_completed {
        for what in &plan.record_issued {
            issued(&mut ledger, *what);
        }
        if plan.invite_completed {
            ledger.invite_completed = true;
            notes.push(completed_note());
        }
        let change = SecretChange::default().with_ledger(ledger.clone());
        secret = secrets.write(user, secret, &change).await?;
    }
    for issue in &plan.issue {
        let mut change = SecretChange::default();
        match issue_one(zitadel, (user_id, org_id), issue).await {
            Ok(values) => {
                change.set = values;
                issued(&mut ledger, issue.one_time());
                notes.push(Note::normal("CodeIssued", issued_text(issue, reissue)));
            }
            Err(error) if error.error_id() == Some(ALREADY_INITIALISED) => {
                ledger.invite_completed = true;
                notes.push(completed_note());
            }
            Err(error) => return Err(error.into()),
        }
        change.ledger = Some(ledger.clone());
        secret = secrets.write(user, secret, &change).await?;
    }
    Ok((secret, ledger))
}

fn completed_note() -> Note {
    Note::normal(
        "OnboardingCompleted",
        "the user has an authentication method, so no more invites are needed; onboarding is complete",
    )
}

/// Issues one code; returns the Secret entries to store (none when ZITADEL delivers it).
async fn issue_one(
    zitadel: &ZitadelClient,
    (user_id, org_id): (&str, &str),
    issue: &Issue,
) -> Result<Vec<(String, Sensitive<String>)>, zitadel::Error> {
    let entry = |key: &str, value: Sensitive<String>| (key.to_owned(), value);
    Ok(match issue {
        Issue::Invite(delivery) => {
            let request = CreateInviteCodeRequest {
                verification: Some(delivery.clone()),
            };
            let response = zitadel.create_invite_code(user_id, &request).await?;
            response
                .invite_code
                .map(|code| entry(INVITE_CODE_KEY, code))
                .into_iter()
                .collect()
        }
        Issue::PasskeyLink(medium, template) => {
            let request = PasskeyLinkRequest {
                medium: Some(medium.clone()),
            };
            let response = zitadel
                .create_passkey_registration_link(user_id, &request)
                .await?;
            let Some(code) = response.code else {
                return Ok(Vec::new());
            };
            let mut values = Vec::new();
            if let Some(template) = template {
                let link = passkey_link(template, user_id, org_id, &code.id, code.code.expose());
                values.push(entry(PASSKEY_LINK_KEY, Sensitive::new(link)));
            }
            values.push(entry(PASSKEY_CODE_ID_KEY, Sensitive::new(code.id)));
            values.push(entry(PASSKEY_CODE_KEY, code.code));
            values
        }
        Issue::EmailCode(delivery) => {
            let response = zitadel.send_email_code(user_id, delivery).await?;
            response
                .verification_code
                .map(|code| entry(EMAIL_CODE_KEY, code))
                .into_iter()
                .collect()
        }
        Issue::PhoneCode(delivery) => {
            let response = zitadel.resend_phone_code(user_id, delivery).await?;
            response
                .verification_code
                .map(|code| entry(PHONE_CODE_KEY, code))
                .into_iter()
                .collect()
        }
    })
}

fn issued_text(issue: &Issue, reissue: Option<&str>) -> String {
    let what = match issue {
        Issue::Invite(_) => "invite code",
        Issue::PasskeyLink(..) => "passkey registration link",
        Issue::EmailCode(_) => "email verification code",
        Issue::PhoneCode(_) => "phone verification code",
    };
    let stored = match issue {
        Issue::Invite(InviteCodeDelivery::SendCode { .. })
        | Issue::PasskeyLink(PasskeyLinkMedium::SendLink { .. }, _)
        | Issue::EmailCode(CodeDelivery::SendCode { .. })
        | Issue::PhoneCode(PhoneCodeDelivery::SendCode {}) => "ZITADEL sends it",
        _ => "it is in the Secret",
    };
    match reissue {
        Some(value) => format!("issued a new {what} (reissue {value:?}); {stored}"),
        None => format!("issued the {what}; {stored}"),
    }
}
