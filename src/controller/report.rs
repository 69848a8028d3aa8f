//! Report: status, events and the per-user gauge from a reconcile's progress and assessment.
//!
//! The status is computed in full, compared with the current one, and written (server-side
//! apply, one field manager) only when it differs: a status write is itself a watch event, and
//! a steady state must write nothing.

use crate::events::Occurrence;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::ObjectReference;
use kube::api::{Patch, PatchParams};
use kube::{Api, Resource};
use serde_json::json;

use super::context::Context;
use super::identity::Identity;
use super::progress::{Note, Progress};
use crate::conditions::{Verdict, conditions_for, ready_condition};
use crate::crd::{User, UserState, UserStatus, UserType};
use crate::metrics::ObjectKey;
use crate::names::FIELD_MANAGER;
use crate::secrets::secret_name;

/// Longest event note the API server accepts (`events.k8s.io/v1`: 1 kB).
const MAX_NOTE_BYTES: usize = 1024;

/// Writes status, publishes events and updates the gauge for one reconcile of `user`.
pub async fn report(
    ctx: &Context,
    identity: &Identity,
    user: &User,
    progress: &Progress,
    verdict: &Verdict,
) -> Result<(), kube::Error> {
    let status = desired_status(user, progress, verdict, Timestamp::now());
    let api: Api<User> = Api::namespaced(ctx.kube.clone(), &identity.namespace);
    write_status(&api, user, &status).await?;
    publish(ctx, &user.object_ref(&()), &notes(progress, verdict)).await;
    set_gauge(ctx, identity, verdict.is_ready(), status.state);
    Ok(())
}

/// Updates the gauge of a `User` whose reconcile compared nothing: its status stands (after a
/// start, this is how the gauge learns about a settled `User` before its first comparison).
pub fn report_unchanged(ctx: &Context, identity: &Identity, user: &User) {
    let status = user.status.as_ref();
    let ready = status
        .and_then(|s| ready_condition(&s.conditions))
        .is_some_and(|c| c.status == "True");
    set_gauge(ctx, identity, ready, status.and_then(|s| s.state));
}

fn set_gauge(ctx: &Context, identity: &Identity, ready: bool, state: Option<UserState>) {
    ctx.metrics.set_user(
        ObjectKey {
            namespace: identity.namespace.clone(),
            name: identity.name.clone(),
        },
        ready,
        state.map_or("Unknown", UserState::as_str),
    );
}

/// The status `progress` and `verdict` yield for `user` at `now`.
pub fn desired_status(
    user: &User,
    progress: &Progress,
    verdict: &Verdict,
    now: Timestamp,
) -> UserStatus {
    let current = user.status.clone().unwrap_or_default();
    let generation = user.meta().generation;
    UserStatus {
        observed_generation: generation,
        user_id: progress.user_id.clone().or(current.user_id),
        organization_id: Some(user.spec.organization_id.clone()),
        r#type: Some(if user.spec.human.is_some() {
            UserType::Human
        } else {
            UserType::Machine
        }),
        state: progress.state.or(current.state),
        secret_name: (progress.owns_secret || current.secret_name.is_some())
            .then(|| secret_name(user)),
        managed_metadata_keys: progress
            .managed_metadata_keys
            .clone()
            .unwrap_or(current.managed_metadata_keys),
        credentials: progress.credentials.clone().unwrap_or(current.credentials),
        onboarding: progress.onboarding.clone().or(current.onboarding),
        reissued_for: progress.reissued_for.clone().or(current.reissued_for),
        rotated_for: progress.rotated_for.clone().or(current.rotated_for),
        conditions: conditions_for(verdict, generation, &current.conditions, now),
    }
}

/// Applies `desired` as the status of `user` unless it already is.
async fn write_status(api: &Api<User>, user: &User, desired: &UserStatus) -> kube::Result<()> {
    if user.status.as_ref() == Some(desired) {
        return Ok(());
    }
    let patch = json!({
        "apiVersion": User::api_version(&()),
        "kind": User::kind(&()),
        "status": desired,
    });
    // Forced: the operator is the status' only writer, and an apply drops fields it no longer
    // sets (a resolved Stalled condition, say) without the nulls a merge patch needs.
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let name = user.meta().name.as_deref().unwrap_or_default();
    api.patch_status(name, &params, &Patch::Apply(&patch))
        .await
        .map(drop)
}

/// The events of this reconcile: what it did, and a warning when it ends not ready. A repeated
/// warning becomes a series of one event (`kubectl describe` shows "x5 over 4m").
fn notes(progress: &Progress, verdict: &Verdict) -> Vec<Note> {
    let mut notes = progress.notes.clone();
    if !verdict.is_ready() {
        notes.push(Note::warning(
            verdict.reason.as_str(),
            verdict.message.clone(),
        ));
    }
    notes
}

/// Publishes `notes` as events on the object `reference` points to. Best effort: an event that
/// cannot be written is logged, never a reason to fail the reconcile.
pub async fn publish(ctx: &Context, reference: &ObjectReference, notes: &[Note]) {
    for note in notes {
        let occurrence = Occurrence {
            warning: note.warning,
            reason: note.reason,
            note: truncate(&note.note, MAX_NOTE_BYTES),
            action: "Reconcile",
        };
        if let Err(error) = ctx.events.publish(&occurrence, reference).await {
            tracing::warn!(%error, reason = note.reason, "could not publish an event");
        }
    }
}

/// `text` cut to at most `max` bytes on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conditions::Reason;
    use crate::fixtures::UserBuilder;

    fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_000).expect("valid timestamp")
    }

    fn knowing(user_id: &str) -> Progress {
        Progress {
            user_id: Some(user_id.to_owned()),
            ..Progress::default()
        }
    }

    #[test]
    fn reporting_the_same_result_twice_yields_the_same_status() {
        let mut user = UserBuilder::human("alice").stored().build();
        let progress = knowing("42");
        user.status = Some(desired_status(&user, &progress, &Verdict::ready(), now()));
        let later = Timestamp::from_second(1_800_000_999).expect("valid timestamp");
        assert_eq!(
            user.status,
            Some(desired_status(&user, &progress, &Verdict::ready(), later))
        );
    }

    #[test]
    fn a_failure_keeps_the_known_user_id_and_metadata_keys() {
        let mut user = UserBuilder::human("alice").stored().build();
        let mut ready = knowing("42");
        ready.managed_metadata_keys = Some(vec!["team".to_owned()]);
        user.status = Some(desired_status(&user, &ready, &Verdict::ready(), now()));
        let down = Verdict::new(Reason::ZitadelUnavailable, "down");
        let status = desired_status(&user, &Progress::default(), &down, now());
        assert_eq!(status.user_id.as_deref(), Some("42"));
        assert_eq!(status.managed_metadata_keys, ["team"]);
        assert_eq!(status.conditions[0].status, "False");
    }

    #[test]
    fn a_result_that_is_not_ready_is_also_a_warning_event() {
        let down = Verdict::new(Reason::ZitadelUnavailable, "down");
        let published = notes(&knowing("42"), &down);
        assert!(published[0].warning);
        assert_eq!(published[0].reason, "ZitadelUnavailable");
        assert!(notes(&knowing("42"), &Verdict::ready()).is_empty());
    }

    #[test]
    fn a_long_event_note_is_cut_to_the_api_limit_on_a_character_boundary() {
        let long = "é".repeat(MAX_NOTE_BYTES);
        let cut = truncate(&long, MAX_NOTE_BYTES);
        assert!(cut.len() <= MAX_NOTE_BYTES);
        assert_eq!(cut.len(), MAX_NOTE_BYTES);
        assert_eq!(truncate("short", MAX_NOTE_BYTES), "short");
        assert_eq!(truncate(&"é".repeat(3), 5), "éé");
    }
}
