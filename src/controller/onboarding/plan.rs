//! Decide, onboarding: which one-time codes and links to issue now. Pure.
//!
//! Each code is issued once, and again once per reissue-annotation value; the Secret's ledger
//! records, per code, the value it was issued under. A crash between two codes re-issues only
//! the one in flight (its value was never stored), not those already recorded.

use crate::controller::convert::status_time;
use crate::crd::{
    EmailVerification, HumanSpec, InviteDelivery, InviteProgress, OnboardingStatus,
    PasskeyDelivery, PhoneVerification,
};
use crate::secrets::{Ledger, OneTime};
use crate::zitadel::types::User as ZitadelUser;
use crate::zitadel::types::{
    CodeDelivery, InviteCodeDelivery, PasskeyLinkMedium, PhoneCodeDelivery,
};

/// A code or link to issue, with how ZITADEL delivers it.
#[derive(Debug, Clone, PartialEq)]
pub enum Issue {
    /// CreateInviteCode.
    Invite(InviteCodeDelivery),
    /// CreatePasskeyRegistrationLink; with `ReturnCode`, the template of the link to store.
    PasskeyLink(PasskeyLinkMedium, Option<String>),
    /// SendEmailCode.
    EmailCode(CodeDelivery),
    /// ResendPhoneCode.
    PhoneCode(PhoneCodeDelivery),
}

impl Issue {
    /// The ledger entry it updates.
    pub fn one_time(&self) -> OneTime {
        match self {
            Issue::Invite(_) => OneTime::Invite,
            Issue::PasskeyLink(..) => OneTime::PasskeyLink,
            Issue::EmailCode(_) => OneTime::EmailCode,
            Issue::PhoneCode(_) => OneTime::PhoneCode,
        }
    }
}

/// What onboarding needs now.
#[derive(Debug, Default, PartialEq)]
pub struct OnboardingPlan {
    /// Codes and links to issue, in this order.
    pub issue: Vec<Issue>,
    /// Codes ZITADEL issued at creation, to record under the current reissue value so they are
    /// not issued a second time for it.
    pub record_issued: Vec<OneTime>,
    /// The user has set a password since: onboarding by invite is complete.
    pub invite_completed: bool,
}

/// Plans onboarding of `human`, whose ZITADEL user is `found`.
///
/// `reissue` is the reissue annotation's value; `codes_pending` says the sync step already
/// issues the email and phone codes (a code missing from the Secret), so they are not asked for
/// twice; `just_created` says CreateUser issued the verification codes in this reconcile.
pub fn plan_onboarding(
    human: &HumanSpec,
    found: &ZitadelUser,
    ledger: &Ledger,
    reissue: Option<&str>,
    codes_pending: (bool, bool),
    just_created: bool,
) -> OnboardingPlan {
    let wanted = |what: OneTime| match ledger.issued.get(&what) {
        None => true,
        Some(issued) => reissue.is_some_and(|value| issued.for_value != value),
    };
    // Verification codes are issued by CreateUser (or the sync step), so only a reissue request
    // asks for them here; and only while they are of use.
    let reissued = |what: OneTime| reissue.is_some() && wanted(what);
    let mut plan = OnboardingPlan::default();

    // A password is the authentication method GetUserByID shows (`passwordChanged`); passkeys
    // and IdP links are not shown there, and ZITADEL's refusal of the next invite reveals them.
    let has_password = found
        .human
        .as_ref()
        .is_some_and(|h| h.password_changed.is_some());
    if human.invite.is_some() && !ledger.invite_completed && has_password {
        plan.invite_completed = true;
    } else if let Some(invite) = &human.invite
        && !ledger.invite_completed
        && wanted(OneTime::Invite)
    {
        plan.issue.push(Issue::Invite(match invite.delivery {
            InviteDelivery::ReturnCode => InviteCodeDelivery::ReturnCode {},
            InviteDelivery::SendCode => InviteCodeDelivery::SendCode {
                url_template: invite.url_template.clone(),
                application_name: invite.application_name.clone(),
            },
        }));
    }
    if let Some(passkey) = &human.passkey_registration
        && wanted(OneTime::PasskeyLink)
    {
        plan.issue.push(match passkey.delivery {
            PasskeyDelivery::ReturnCode => Issue::PasskeyLink(
                PasskeyLinkMedium::ReturnCode {},
                passkey.link_template.clone(),
            ),
            PasskeyDelivery::SendLink => Issue::PasskeyLink(
                PasskeyLinkMedium::SendLink {
                    url_template: passkey.url_template.clone(),
                },
                None,
            ),
        });
    }

    let email_unverified = human.email.verification != EmailVerification::Verified
        && found.human.as_ref().is_some_and(|h| !h.email.is_verified);
    if email_unverified && reissued(OneTime::EmailCode) {
        if just_created || codes_pending.0 {
            plan.record_issued.push(OneTime::EmailCode);
        } else {
            plan.issue
                .push(Issue::EmailCode(match human.email.verification {
                    EmailVerification::ReturnCode => CodeDelivery::ReturnCode {},
                    _ => CodeDelivery::SendCode {
                        url_template: human.email.url_template.clone(),
                    },
                }));
        }
    }
    let phone_unverified = human.phone.as_ref().is_some_and(|p| {
        p.verification != PhoneVerification::Verified
            && found.human.as_ref().is_some_and(|h| !h.phone.is_verified)
    });
    if phone_unverified && reissued(OneTime::PhoneCode) {
        if just_created || codes_pending.1 {
            plan.record_issued.push(OneTime::PhoneCode);
        } else {
            let returned = human
                .phone
                .as_ref()
                .is_some_and(|p| p.verification == PhoneVerification::ReturnCode);
            plan.issue.push(Issue::PhoneCode(if returned {
                PhoneCodeDelivery::ReturnCode {}
            } else {
                PhoneCodeDelivery::SendCode {}
            }));
        }
    }
    plan
}

/// Builds the passkey link from `template` (placeholders `{{.UserID}}`, `{{.OrgID}}`,
/// `{{.CodeID}}`, `{{.Code}}`, as ZITADEL's own templates).
pub fn passkey_link(
    template: &str,
    user_id: &str,
    org_id: &str,
    code_id: &str,
    code: &str,
) -> String {
    template
        .replace("{{.UserID}}", user_id)
        .replace("{{.OrgID}}", org_id)
        .replace("{{.CodeID}}", code_id)
        .replace("{{.Code}}", code)
}

/// The onboarding status `ledger` yields for `human`; `None` when nothing is configured.
pub fn onboarding_status(human: &HumanSpec, ledger: &Ledger) -> Option<OnboardingStatus> {
    let invite = human.invite.as_ref().and_then(|_| {
        if ledger.invite_completed {
            Some(InviteProgress::Completed)
        } else {
            ledger
                .issued
                .contains_key(&OneTime::Invite)
                .then_some(InviteProgress::Issued)
        }
    });
    let passkey_link_issued_at = human
        .passkey_registration
        .as_ref()
        .and_then(|_| ledger.issued.get(&OneTime::PasskeyLink))
        .map(|issued| status_time(issued.at));
    (invite.is_some() || passkey_link_issued_at.is_some()).then_some(OnboardingStatus {
        invite,
        passkey_link_issued_at,
    })
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::fixtures::{UserBuilder, zitadel_user_for};
    use crate::secrets::Issued;

    fn human(builder: UserBuilder) -> (HumanSpec, ZitadelUser) {
        let user = builder.build();
        let found = zitadel_user_for(&user, "u1");
        (user.spec.human.expect("a human"), found)
    }

    fn unverified(mut found: ZitadelUser) -> ZitadelUser {
        if let Some(human) = found.human.as_mut() {
            human.email.is_verified = false;
        }
        found
    }

    fn issued_for(entries: &[(OneTime, &str)]) -> Ledger {
        Ledger {
            issued: entries
                .iter()
                .map(|(what, value)| {
                    let issued = Issued {
                        for_value: (*value).to_owned(),
                        at: Timestamp::UNIX_EPOCH,
                    };
                    (*what, issued)
                })
                .collect(),
            ..Ledger::default()
        }
    }

    /// Plans with no codes pending from the sync step.
    fn plan(
        spec: &HumanSpec,
        found: &ZitadelUser,
        ledger: &Ledger,
        reissue: Option<&str>,
        just_created: bool,
    ) -> OnboardingPlan {
        plan_onboarding(spec, found, ledger, reissue, (false, false), just_created)
    }

    fn kinds(plan: &OnboardingPlan) -> Vec<OneTime> {
        plan.issue.iter().map(Issue::one_time).collect()
    }

    #[test]
    fn an_invite_and_a_passkey_link_are_issued_once() {
        let (spec, found) = human(
            UserBuilder::human("alice")
                .invite(InviteDelivery::ReturnCode)
                .passkey_registration(None),
        );
        let first = plan(&spec, &found, &Ledger::default(), None, true);
        assert_eq!(kinds(&first), [OneTime::Invite, OneTime::PasskeyLink]);
        let done = issued_for(&[(OneTime::Invite, ""), (OneTime::PasskeyLink, "")]);
        let again = plan(&spec, &found, &done, None, false);
        assert_eq!(again, OnboardingPlan::default());
    }

    #[test]
    fn a_completed_onboarding_never_asks_for_an_invite_again_not_even_on_reissue() {
        let (spec, found) = human(UserBuilder::human("alice").invite(InviteDelivery::SendCode));
        let completed = Ledger {
            invite_completed: true,
            ..issued_for(&[(OneTime::Invite, "")])
        };
        let plan = plan(&spec, &found, &completed, Some("2"), false);
        assert_eq!(plan, OnboardingPlan::default());
    }

    #[test]
    fn a_password_set_since_the_invite_completes_onboarding_without_a_call() {
        let (spec, mut found) =
            human(UserBuilder::human("alice").invite(InviteDelivery::ReturnCode));
        if let Some(human) = found.human.as_mut() {
            human.password_changed = Some(Timestamp::UNIX_EPOCH);
        }
        let ledger = issued_for(&[(OneTime::Invite, "")]);
        let plan = plan(&spec, &found, &ledger, Some("r1"), false);
        assert!(plan.invite_completed);
        assert!(
            plan.issue.is_empty(),
            "no invite for a user who has a password"
        );
    }

    #[test]
    fn a_new_reissue_value_reissues_the_codes_still_of_use_once() {
        let (spec, found) = human(
            UserBuilder::human("alice")
                .email("alice@acme.example", EmailVerification::ReturnCode)
                .invite(InviteDelivery::ReturnCode),
        );
        let found = unverified(found);
        let ledger = issued_for(&[(OneTime::Invite, "")]);
        let first = plan(&spec, &found, &ledger, Some("r1"), false);
        assert_eq!(kinds(&first), [OneTime::Invite, OneTime::EmailCode]);
        assert_eq!(
            first.issue[1],
            Issue::EmailCode(CodeDelivery::ReturnCode {})
        );

        let done = issued_for(&[(OneTime::Invite, "r1"), (OneTime::EmailCode, "r1")]);
        let again = plan(&spec, &found, &done, Some("r1"), false);
        assert_eq!(again, OnboardingPlan::default(), "once per value");
    }

    #[test]
    fn a_verified_email_gets_no_new_code_on_reissue() {
        let (spec, found) =
            human(UserBuilder::human("alice").email("a@acme.example", EmailVerification::SendCode));
        let plan = plan(&spec, &found, &Ledger::default(), Some("r1"), false);
        assert_eq!(plan, OnboardingPlan::default());
    }

    #[test]
    fn codes_issued_at_creation_count_for_the_reissue_value_present_then() {
        let (spec, found) = human(
            UserBuilder::human("alice").email("a@acme.example", EmailVerification::ReturnCode),
        );
        let found = unverified(found);
        let plan = plan(&spec, &found, &Ledger::default(), Some("r1"), true);
        assert!(plan.issue.is_empty());
        assert_eq!(plan.record_issued, [OneTime::EmailCode]);
    }

    #[test]
    fn a_passkey_link_is_built_from_its_template() {
        let link = passkey_link(
            "https://login.example/p?u={{.UserID}}&o={{.OrgID}}&i={{.CodeID}}&c={{.Code}}",
            "u1",
            "o1",
            "i1",
            "c1",
        );
        assert_eq!(link, "https://login.example/p?u=u1&o=o1&i=i1&c=c1");
    }

    #[test]
    fn the_status_says_completed_once_zitadel_refused_an_invite() {
        let (spec, _) = human(UserBuilder::human("alice").invite(InviteDelivery::ReturnCode));
        assert_eq!(onboarding_status(&spec, &Ledger::default()), None);
        let issued = issued_for(&[(OneTime::Invite, "")]);
        let status = onboarding_status(&spec, &issued).unwrap();
        assert_eq!(status.invite, Some(InviteProgress::Issued));
        let completed = Ledger {
            invite_completed: true,
            ..issued
        };
        let status = onboarding_status(&spec, &completed).unwrap();
        assert_eq!(status.invite, Some(InviteProgress::Completed));
    }
}
