//! One reconcile of a `User`: observe → decide → act → report, behind the finalizer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::runtime::reflector::ObjectRef;
use kube::{Api, ResourceExt};
use tracing::{Instrument, field, info_span};

use super::backoff::jittered;
use super::cleanup::{delete_zitadel_user, release_zitadel_user};
use super::context::Context;
use super::convert::user_state;
use super::create::create;
use super::error::Error;
use super::observe::observe;
use super::observed::ZitadelSide;
use super::outcome::{Next, Note, Outcome};
use super::plan::{Plan, decide};
use super::report::{desired_status, publish, write_status};
use super::sync::sync;
use crate::conditions::{Reason, Verdict};
use crate::crd::{DeletionPolicy, User, UserState};
use crate::metrics::{ObjectKey, ReconcileResult};
use crate::names::FINALIZER;
use crate::secrets::{SecretState, Secrets};

/// Reconciles one `User`. Errors are retried by [`error_policy`] with per-object backoff.
pub async fn reconcile(user: Arc<User>, ctx: Arc<Context>) -> Result<Action, Error> {
    let namespace = user.namespace().ok_or(Error::NotNamespaced)?;
    let span = info_span!(
        "reconcile",
        namespace = %namespace,
        name = %user.name_any(),
        user_id = field::Empty,
    );
    if let Some(id) = user.status.as_ref().and_then(|s| s.user_id.as_deref()) {
        span.record("user_id", id);
    }
    async move {
        let timer = ctx.metrics.reconcile_started();
        let api: Api<User> = Api::namespaced(ctx.kube.clone(), &namespace);
        let secrets = Secrets::new(ctx.kube.clone(), &namespace);
        let blocked = AtomicBool::new(false);
        let result = finalizer(&api, FINALIZER, user, |event| async {
            match event {
                FinalizerEvent::Apply(user) => apply(&ctx, &api, &secrets, &user, &blocked).await,
                FinalizerEvent::Cleanup(user) => cleanup(&ctx, &api, &user).await,
            }
        })
        .await
        .map_err(|error| Error::Finalizer(Box::new(error)));
        timer.finish(match &result {
            Err(_) => ReconcileResult::Error,
            Ok(_) if blocked.load(Ordering::Relaxed) => ReconcileResult::Blocked,
            Ok(_) => ReconcileResult::Success,
        });
        result
    }
    .instrument(span)
    .await
}

/// Requeues a failed reconcile after the object's next backoff delay.
pub fn error_policy(user: Arc<User>, error: &Error, ctx: Arc<Context>) -> Action {
    let delay = ctx
        .backoff
        .next_delay(&ObjectRef::from_obj(user.as_ref()), error.retry_after());
    tracing::warn!(
        namespace = user.namespace().as_deref().unwrap_or_default(),
        name = %user.name_any(),
        error = %error,
        kind = error.metric_label(),
        retry_in_ms = delay.as_millis() as u64,
        "reconcile failed"
    );
    Action::requeue(delay)
}

/// Reconciles a live `User`. Sets `blocked` when it ends not ready without an error to retry.
async fn apply(
    ctx: &Context,
    api: &Api<User>,
    secrets: &Secrets,
    user: &User,
    blocked: &AtomicBool,
) -> Result<Action, Error> {
    let outcome = converge(ctx, secrets, user).await;
    if let Some(id) = &outcome.user_id {
        tracing::Span::current().record("user_id", id.as_str());
    }
    let status = desired_status(user, &outcome, jiff::Timestamp::now());
    if write_status(api, user, &status).await? {
        tracing::debug!(reason = outcome.verdict.reason.as_str(), "status updated");
    }
    publish(ctx, user, &outcome.notes).await;
    let state = status.state.map_or("Unknown", UserState::as_str);
    ctx.metrics
        .set_user(object_key(user), outcome.verdict.ready, state);
    if !outcome.verdict.ready {
        blocked.store(true, Ordering::Relaxed);
    }
    if let Some(error) = outcome.error {
        return Err(*error);
    }
    ctx.backoff.reset(&ObjectRef::from_obj(user));
    Ok(match outcome.next {
        Next::Resync => Action::requeue(jittered(ctx.settings.resync_interval)),
        Next::ConflictRetry => Action::requeue(ctx.settings.conflict_retry_interval),
        Next::SpecChange => Action::await_change(),
    })
}

/// Observe, decide and act until the user exists and matches the spec, or something stops it.
/// At most two rounds: create (or recover, or adopt), then sync the user just created.
async fn converge(ctx: &Context, secrets: &Secrets, user: &User) -> Outcome {
    let uid = user.uid().unwrap_or_default();
    let mut user_id = match user.status.as_ref().and_then(|s| s.user_id.clone()) {
        Some(id) => {
            ctx.recently_created.forget(&uid);
            Some(id)
        }
        None => ctx.recently_created.get(&uid),
    };
    let mut notes = Vec::new();
    for _round in 0..2 {
        let observed = match observe(&ctx.zitadel, secrets, user, user_id.as_deref()).await {
            Ok(observed) => observed,
            Err(Error::Zitadel(error)) => {
                return finish(Outcome::zitadel_failure(error), user_id, notes);
            }
            Err(error) => {
                let verdict = Verdict::not_ready(
                    Reason::SecretWriteFailed,
                    format!("reading the User's Secret failed: {error}"),
                );
                return finish(Outcome::retry(verdict, error), user_id, notes);
            }
        };
        let state = match &observed.zitadel {
            ZitadelSide::Found(found) => Some(user_state(found.user.state)),
            _ => None,
        };
        match decide(user, &observed) {
            Plan::Blocked(verdict) => {
                let mut outcome = Outcome::blocked(verdict);
                outcome.state = state;
                outcome.owns_secret = matches!(observed.secret, SecretState::Owned(_));
                return finish(outcome, user_id, notes);
            }
            Plan::Create(plan) => {
                match create(&ctx.zitadel, secrets, user, *plan, observed.secret).await {
                    Ok(created) => {
                        let note = created.note();
                        tracing::info!(
                            user_id = created.user_id(),
                            reason = note.reason,
                            "ZITADEL user is now managed"
                        );
                        notes.push(note);
                        ctx.recently_created.remember(&uid, created.user_id());
                        user_id = Some(created.into_user_id());
                    }
                    Err(outcome) => return finish(outcome, user_id, notes),
                }
            }
            Plan::Sync(plan) => {
                let mut outcome =
                    match sync(&ctx.zitadel, secrets, user, &plan, observed.secret).await {
                        Ok(secret) => {
                            let changed = plan.summary();
                            if !changed.is_empty() {
                                tracing::info!(?changed, "ZITADEL user updated");
                                notes.push(Note::normal(
                                    "Updated",
                                    format!("updated in ZITADEL: {}", changed.join(", ")),
                                ));
                            }
                            let mut outcome = Outcome::new(Verdict::ready(), Next::Resync);
                            outcome.owns_secret = matches!(secret, SecretState::Owned(_));
                            outcome.managed_metadata_keys =
                                Some(user.spec.metadata.keys().cloned().collect());
                            outcome
                        }
                        Err(outcome) => outcome,
                    };
                outcome.state = outcome.state.or(state);
                return finish(outcome, user_id, notes);
            }
        }
    }
    // Unreachable in practice: a second round always observes the user just created.
    let verdict = Verdict::not_ready(
        Reason::Creating,
        "waiting for the new ZITADEL user to be readable",
    );
    finish(Outcome::new(verdict, Next::ConflictRetry), user_id, notes)
}

fn finish(mut outcome: Outcome, user_id: Option<String>, mut notes: Vec<Note>) -> Outcome {
    if outcome.user_id.is_none() {
        outcome.user_id = user_id;
    }
    notes.append(&mut outcome.notes);
    outcome.notes = notes;
    outcome
}

async fn cleanup(ctx: &Context, api: &Api<User>, user: &User) -> Result<Action, Error> {
    ctx.metrics.forget_user(&object_key(user));
    ctx.recently_created.forget(&user.uid().unwrap_or_default());
    let orphan = user.spec.deletion_policy == DeletionPolicy::Orphan;
    let result = if orphan {
        release_zitadel_user(&ctx.zitadel, user).await
    } else {
        delete_zitadel_user(&ctx.zitadel, user).await
    };
    match result {
        Ok(handled) => {
            if let Some(id) = handled {
                let note = if orphan {
                    Note::normal(
                        "Orphaned",
                        format!("left ZITADEL user {id} in place (deletionPolicy: Orphan)"),
                    )
                } else {
                    Note::normal("Deleted", format!("deleted ZITADEL user {id}"))
                };
                tracing::info!(user_id = %id, reason = note.reason, "ZITADEL user released");
                publish(ctx, user, &[note]).await;
            }
            ctx.backoff.reset(&ObjectRef::from_obj(user));
            Ok(Action::await_change())
        }
        Err(error) => {
            let verdict = Verdict::not_ready(
                Reason::DeletionBlocked,
                format!(
                    "cleaning up the ZITADEL user failed; the User stays until it succeeds: {error}"
                ),
            );
            let outcome = Outcome::new(verdict, Next::ConflictRetry);
            let status = desired_status(user, &outcome, jiff::Timestamp::now());
            write_status(api, user, &status).await?;
            publish(
                ctx,
                user,
                &[Note::warning(
                    Reason::DeletionBlocked.as_str(),
                    outcome.verdict.message.clone(),
                )],
            )
            .await;
            Err(Error::Zitadel(error))
        }
    }
}

fn object_key(user: &User) -> ObjectKey {
    ObjectKey {
        namespace: user.namespace().unwrap_or_default(),
        name: user.name_any(),
    }
}
