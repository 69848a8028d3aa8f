//! The steps after the profile: `spec.state`, a person's onboarding codes and links, a
//! machine's credentials. Each observes what it needs, plans (pure, in its own module) and acts.

use jiff::Timestamp;
use kube::ResourceExt;

use super::context::Context;
use super::convert::user_state;
use super::credentials;
use super::credentials::plan::{
    CredentialFacts, credential_statuses, needs_listing, plan_credentials, rotated_for,
};
use super::failure::{Blocker, Failure};
use super::identity::Identity;
use super::onboarding;
use super::onboarding::plan::{OnboardingPlan, onboarding_status, plan_onboarding};
use super::progress::{Note, Progress};
use super::state::{apply_state, plan_state};
use crate::crd::{HumanSpec, User, UserState};
use crate::names::{REISSUE_ANNOTATION, ROTATE_ANNOTATION};
use crate::secrets::{SecretState, Secrets, secret_name};
use crate::zitadel::ZitadelClient;
use crate::zitadel::types::{User as ZitadelUser, UserState as WireUserState};

/// Moves the user to `spec.state`, and says so when ZITADEL locked it.
pub async fn converge_state(
    zitadel: &ZitadelClient,
    user: &User,
    found: &ZitadelUser,
    progress: &mut Progress,
) -> Result<(), Failure> {
    let was = user.status.as_ref().and_then(|s| s.state);
    if found.state == WireUserState::Locked && was != Some(UserState::Locked) {
        progress.notes.push(Note::warning(
            "Locked",
            format!(
                "ZITADEL locked user {} (lockout policy); the operator never unlocks users: unlock it in ZITADEL",
                found.user_id
            ),
        ));
    }
    if let Some(transition) = plan_state(user.spec.state, found.state, &found.user_id)? {
        let (state, note) = apply_state(zitadel, &found.user_id, transition).await?;
        tracing::info!(reason = note.reason, "user state changed");
        progress.state = Some(user_state(state));
        progress.notes.push(note);
    }
    Ok(())
}

/// The steps after the profile: a person's codes and links, a machine's credentials.
pub struct Lifecycle<'a> {
    /// Shared state.
    pub ctx: &'a Context,
    /// The client of the `User`'s connection.
    pub zitadel: &'a ZitadelClient,
    /// The namespace's Secrets.
    pub secrets: &'a Secrets,
    /// The `User`'s identity.
    pub identity: &'a Identity,
    /// The `User`.
    pub user: &'a User,
    /// Its ZITADEL user, as just read.
    pub found: &'a ZitadelUser,
}

impl Lifecycle<'_> {
    /// Issues invites, passkey links and re-requested codes.
    pub async fn onboard(
        &self,
        human: &HumanSpec,
        secret: SecretState,
        codes_pending: (bool, bool),
        just_created: bool,
        progress: &mut Progress,
    ) -> Result<SecretState, Failure> {
        let reissue = annotation(self.user, REISSUE_ANNOTATION);
        let ledger = secret.ledger()?;
        let plan = plan_onboarding(
            human,
            self.found,
            &ledger,
            reissue,
            codes_pending,
            just_created,
        );
        let (secret, ledger) = if plan == OnboardingPlan::default() {
            (secret, ledger)
        } else {
            check_writable(self.user, &secret)?;
            let target = onboarding::act::Target {
                zitadel: self.zitadel,
                secrets: self.secrets,
                user: self.user,
                user_id: &self.found.user_id,
                org_id: &self.user.spec.organization_id,
                reissue,
            };
            onboarding::act::apply(&target, plan, secret, ledger, &mut progress.notes).await?
        };
        progress.onboarding = onboarding_status(human, &ledger);
        progress.reissued_for = reissue.map(str::to_owned);
        Ok(secret)
    }

    /// Issues, rotates, recreates and revokes machine credentials.
    pub async fn credentials(
        &self,
        secret: SecretState,
        progress: &mut Progress,
    ) -> Result<SecretState, Failure> {
        let spec = self
            .user
            .spec
            .machine
            .as_ref()
            .and_then(|m| m.credentials.clone())
            .unwrap_or_default();
        let ledger = secret.ledger()?;
        let reported = self
            .user
            .status
            .as_ref()
            .map(|s| s.credentials.as_slice())
            .unwrap_or_default();
        let settings = &self.ctx.settings;
        let checks = &self.ctx.credential_checks;
        let uid = &self.identity.uid;
        let check_due = checks.due(uid, settings.credential_check_interval);
        let listed = if needs_listing(&spec, &ledger, check_due) {
            let listed = credentials::observe::list(self.zitadel, &self.found.user_id).await?;
            checks.checked(uid, settings.credential_check_interval);
            Some(listed)
        } else {
            None
        };
        let rotate_for = annotation(self.user, ROTATE_ANNOTATION);
        let facts = CredentialFacts {
            ledger: &ledger,
            secret_exists: !matches!(secret, SecretState::Absent),
            reported,
            has_client_secret: self.found.machine.as_ref().is_some_and(|m| m.has_secret),
            listed: listed.as_deref(),
            rotate_for,
            now: Timestamp::now(),
        };
        let plan = plan_credentials(&spec, &facts)?;
        progress.due_in = plan.due_in;
        let (secret, ledger) = if plan.is_noop() {
            (secret, ledger)
        } else {
            check_writable(self.user, &secret)?;
            let target = credentials::act::Target {
                zitadel: self.zitadel,
                secrets: self.secrets,
                user: self.user,
                user_id: &self.found.user_id,
                username: &self.found.username,
                rotate_for,
            };
            let (secret, ledger) =
                credentials::act::apply(&target, plan, secret, ledger, &mut progress.notes).await?;
            // What was just issued falls due too (its rotation): planned again on the new
            // ledger, so the requeue does not wait for a reconcile that compares nothing.
            let after = CredentialFacts {
                ledger: &ledger,
                secret_exists: true,
                reported,
                has_client_secret: true,
                listed: None,
                rotate_for,
                now: Timestamp::now(),
            };
            progress.due_in = plan_credentials(&spec, &after)?.due_in;
            (secret, ledger)
        };
        progress.credentials = Some(credential_statuses(&ledger));
        progress.rotated_for = rotated_for(&ledger, rotate_for);
        Ok(secret)
    }
}

fn annotation<'a>(user: &'a User, name: &str) -> Option<&'a str> {
    user.annotations().get(name).map(String::as_str)
}

fn check_writable(user: &User, secret: &SecretState) -> Result<(), Blocker> {
    match secret {
        SecretState::Foreign => Err(Blocker::SecretConflict(secret_name(user))),
        _ => Ok(()),
    }
}
