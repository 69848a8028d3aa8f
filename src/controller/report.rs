//! Report: status, events and metrics from an [`Outcome`].
//!
//! The status is computed in full, compared with the current one, and written only when it
//! differs: a status write is itself a watch event, and a steady state must write nothing.

use jiff::Timestamp;
use kube::api::{Patch, PatchParams};
use kube::runtime::events::{Event as KubeEvent, EventType};
use kube::{Api, Resource, ResourceExt};
use serde_json::{Map, Value, json};

use super::context::Context;
use super::outcome::{Note, Outcome};
use crate::conditions::conditions_for;
use crate::crd::{User, UserStatus, UserType};
use crate::secrets::secret_name;

/// The status `outcome` yields for `user` at `now`.
pub fn desired_status(user: &User, outcome: &Outcome, now: Timestamp) -> UserStatus {
    let current = user.status.clone().unwrap_or_default();
    let generation = user.meta().generation;
    UserStatus {
        observed_generation: generation,
        user_id: outcome.user_id.clone().or(current.user_id),
        organization_id: Some(user.spec.organization_id.clone()),
        r#type: Some(if user.spec.human.is_some() {
            UserType::Human
        } else {
            UserType::Machine
        }),
        state: outcome.state.or(current.state),
        secret_name: (outcome.owns_secret || current.secret_name.is_some())
            .then(|| secret_name(user)),
        managed_metadata_keys: outcome
            .managed_metadata_keys
            .clone()
            .unwrap_or(current.managed_metadata_keys),
        conditions: conditions_for(&outcome.verdict, generation, &current.conditions, now),
    }
}

/// Writes `desired` as the status of `user` unless it already is. Returns whether it wrote.
pub async fn write_status(
    api: &Api<User>,
    user: &User,
    desired: &UserStatus,
) -> Result<bool, kube::Error> {
    let current = user.status.clone().unwrap_or_default();
    if current == *desired {
        return Ok(false);
    }
    let patch = json!({ "status": merge_patch(&current, desired) });
    api.patch_status(
        &user.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await?;
    Ok(true)
}

/// A JSON merge patch from `current` to `desired`: fields that disappear become `null`, since
/// a merge patch leaves absent fields untouched.
fn merge_patch(current: &UserStatus, desired: &UserStatus) -> Value {
    let to_map = |status: &UserStatus| match serde_json::to_value(status) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let mut patch = to_map(desired);
    for key in to_map(current).keys() {
        patch.entry(key.clone()).or_insert(Value::Null);
    }
    Value::Object(patch)
}

/// Publishes `notes` as events on `user`. Best effort: an event that cannot be written is
/// logged, never a reason to fail the reconcile.
pub async fn publish(ctx: &Context, user: &User, notes: &[Note]) {
    let reference = user.object_ref(&());
    for note in notes {
        let event = KubeEvent {
            type_: if note.warning {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: note.reason.to_owned(),
            note: Some(note.note.clone()),
            action: "Reconcile".to_owned(),
            secondary: None,
        };
        if let Err(error) = ctx.recorder.publish(&event, &reference).await {
            tracing::warn!(%error, reason = note.reason, "could not publish an event");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conditions::{Reason, Verdict};
    use crate::controller::outcome::Next;
    use crate::controller::test_fixtures::human;

    fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_000).expect("valid timestamp")
    }

    #[test]
    fn reporting_the_same_outcome_twice_yields_the_same_status() {
        let mut user = human("alice");
        let outcome = Outcome::new(Verdict::ready(), Next::Resync).with_user_id("42");
        user.status = Some(desired_status(&user, &outcome, now()));
        let later = Timestamp::from_second(1_800_000_999).expect("valid timestamp");
        assert_eq!(user.status, Some(desired_status(&user, &outcome, later)));
    }

    #[test]
    fn a_failure_keeps_the_known_user_id_and_metadata_keys() {
        let mut user = human("alice");
        let mut ready = Outcome::new(Verdict::ready(), Next::Resync).with_user_id("42");
        ready.managed_metadata_keys = Some(vec!["team".to_owned()]);
        user.status = Some(desired_status(&user, &ready, now()));
        let failed = Outcome::new(
            Verdict::not_ready(Reason::ZitadelUnavailable, "down"),
            Next::ConflictRetry,
        );
        let status = desired_status(&user, &failed, now());
        assert_eq!(status.user_id.as_deref(), Some("42"));
        assert_eq!(status.managed_metadata_keys, ["team"]);
        assert_eq!(status.conditions[0].status, "False");
    }

    #[test]
    fn a_merge_patch_nulls_fields_that_disappear() {
        let current = UserStatus {
            secret_name: Some("s".to_owned()),
            ..UserStatus::default()
        };
        let patch = merge_patch(&current, &UserStatus::default());
        assert_eq!(patch["secretName"], Value::Null);
    }
}
