//! One reconcile of a `User`, in phases: establish the ZITADEL user (observe, decide, create or
//! claim), converge it (observe, decide, sync), then assess and report. Act steps record what
//! they did in [`Progress`]; [`assess`] alone decides condition and retry.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::runtime::reflector::ObjectRef;
use kube::{Api, Resource, ResourceExt};
use tracing::{Instrument, field, info_span};

use super::assess::{Assessment, assess};
use super::backoff::jittered;
use super::cached::CachedUser;
use super::cleanup::{delete_zitadel_user, release_zitadel_user};
use super::context::Context;
use super::convert::user_state;
use super::create::{Created, Creation, create};
use super::failure::{Blocker, Failure, InvalidObject};
use super::freshness::{Inputs, Next, settled};
use super::identity::Identity;
use super::lifecycle::{Lifecycle, converge_state};
use super::observe::{
    Listed, before_creation, holder, observe, observe_created, observe_listed, observe_secret,
};
use super::observed::{Established, Observed, Seen};
use super::plan::{claim, listing_in_line, look_up_holder, plan_create, plan_sync};
use super::progress::{Note, Progress};
use super::report::{publish, report, report_unchanged};
use super::sync::sync;
use crate::conditions::Retry;
use crate::crd::{DeletionPolicy, User};
use crate::metrics::{ObjectKey, ReconcileResult};
use crate::names::FINALIZER;
use crate::secrets::{SecretState, Secrets};
use crate::tenancy::connections::Connection;

/// Added to a due time, so the reconcile after it finds the deadline passed rather than a few
/// milliseconds ahead.
const DUE_SLACK: Duration = Duration::from_millis(500);

/// Reconciles one `User`, within the operator-wide concurrency bound. Every failure reaches
/// [`error_policy`] for its retry.
pub async fn reconcile(object: Arc<CachedUser>, ctx: Arc<Context>) -> Result<Action, Failure> {
    let meta = object.meta();
    let span = info_span!(
        "reconcile",
        namespace = meta.namespace.as_deref().unwrap_or_default(),
        name = meta.name.as_deref().unwrap_or_default(),
        user_id = field::Empty,
    );
    async {
        // The semaphore is never closed, so acquiring only waits.
        let _slot = ctx.reconcile_slots.acquire().await;
        let timer = ctx.metrics.reconcile_started();
        let result = match object.decode() {
            Ok(user) => reconcile_user(&ctx, user).await,
            Err(invalid) => {
                let failure = Failure::Invalid(InvalidObject::Schema(invalid));
                warn_invalid(&ctx, &object.object_ref(&()), &failure).await;
                Err(failure)
            }
        };
        timer.finish(match &result {
            Ok(_) => ReconcileResult::Success,
            Err(Failure::Blocked(_)) => ReconcileResult::Blocked,
            Err(failure) => ReconcileResult::Error {
                kind: failure.kind(),
            },
        });
        result
    }
    .instrument(span)
    .await
}

/// Requeues after a failure, as its assessment says.
pub fn error_policy(object: Arc<CachedUser>, failure: &Failure, ctx: Arc<Context>) -> Action {
    let assessment = assess(Err(failure));
    if let Some(uid) = &object.meta().uid {
        match object.meta().deletion_timestamp {
            Some(_) => ctx.freshness.forget(uid),
            None => ctx.freshness.failed(uid),
        }
    }
    let action = Action::requeue(requeue(&ctx, &object_ref(object.meta()), &assessment, None));
    tracing::warn!(
        namespace = object.meta().namespace.as_deref().unwrap_or_default(),
        name = object.meta().name.as_deref().unwrap_or_default(),
        error = %failure,
        kind = failure.kind(),
        reason = assessment.verdict.reason.as_str(),
        "reconcile did not reach Ready"
    );
    action
}

/// When to look at the object again after `assessment`, or sooner when something falls due in
/// `due_in` (a rotation, a revocation): the only place that decides.
fn requeue(
    ctx: &Context,
    object: &ObjectRef<User>,
    assessment: &Assessment,
    due_in: Option<Duration>,
) -> Duration {
    let settings = &ctx.settings;
    let delay = match assessment.verdict.reason.retry() {
        Retry::Backoff => return ctx.backoff.next_delay(object, assessment.retry_after),
        Retry::ConflictInterval => settings.conflict_retry_interval,
        Retry::Resync => {
            let resync = jittered(settings.resync_interval);
            due_in.map_or(resync, |due| resync.min(due + DUE_SLACK))
        }
    };
    ctx.backoff.reset(object);
    delay.max(assessment.retry_after.unwrap_or_default())
}

async fn reconcile_user(ctx: &Context, user: User) -> Result<Action, Failure> {
    let identity = match Identity::of(user.meta()) {
        Ok(identity) => identity,
        Err(error) => {
            let failure = Failure::from(error);
            warn_invalid(ctx, &user.object_ref(&()), &failure).await;
            return Err(failure);
        }
    };
    let api: Api<User> = Api::namespaced(ctx.kube.clone(), &identity.namespace);
    let dispatch = |event| async {
        match event {
            FinalizerEvent::Apply(user) => apply(ctx, &identity, &user).await,
            FinalizerEvent::Cleanup(user) => cleanup(ctx, &identity, &user).await,
        }
    };
    let mut user = Arc::new(user);
    if needs_finalizer(&user) {
        // The helper only adds the finalizer here (it calls nothing) and leaves the rest to the
        // reconcile its patch event would start. The patch has succeeded once it returns, so
        // this reconcile goes on with the finalizer in place: a new User costs one reconcile,
        // and finalizer changes are no reconcile trigger (see `trigger_fingerprint`).
        finalizer(&api, FINALIZER, user.clone(), dispatch)
            .await
            .map_err(Failure::from)?;
        Arc::make_mut(&mut user)
            .finalizers_mut()
            .push(FINALIZER.to_owned());
    }
    finalizer(&api, FINALIZER, user, dispatch)
        .await
        .map_err(Failure::from)
}

/// Whether `user` lives without the operator's finalizer: it is added before any ZITADEL call.
fn needs_finalizer(user: &User) -> bool {
    user.meta().deletion_timestamp.is_none() && !user.finalizers().iter().any(|f| f == FINALIZER)
}

/// Reconciles a live `User` and reports the result.
async fn apply(ctx: &Context, identity: &Identity, user: &User) -> Result<Action, Failure> {
    let in_flight = ctx.recently_created.get(&identity.uid);
    if user.status.as_ref().is_some_and(|s| s.user_id.is_some()) {
        ctx.recently_created.forget(&identity.uid);
    }
    let mut progress = Progress::resume(user, in_flight);
    // Every log line of the reconcile carries the user id, from the start when it is known.
    let record_user_id = |progress: &Progress| {
        if let Some(id) = &progress.user_id {
            tracing::Span::current().record("user_id", id.as_str());
        }
    };
    record_user_id(&progress);
    let admitted = ctx.connections.admit(user, &identity.namespace).await;
    let waits = match (&progress.user_id, &admitted) {
        (Some(_), Ok(admitted)) => waits_for_first_due(ctx, identity, user, &admitted.revision()),
        _ => false,
    };
    let result = match (waits, admitted) {
        (true, _) => Ok(Converged::Unchanged),
        (false, Ok(admitted)) => match ctx.connections.connect(&admitted).await {
            Ok(connection) => {
                let converged = converge(ctx, &connection, identity, user, &mut progress).await;
                if let Err(Failure::Zitadel(error)) = &converged {
                    ctx.connections.recheck_after(&connection, error);
                }
                converged
            }
            Err(error) => Err(Failure::Connection(error)),
        },
        (false, Err(error)) => Err(Failure::Connection(error)),
    };
    let inputs = match result {
        // Its due comparison comes from the resync wheel (`super::due_users`).
        Ok(Converged::Unchanged) => {
            report_unchanged(ctx, identity, user);
            return Ok(Action::await_change());
        }
        Ok(Converged::Compared(inputs)) => Ok(inputs),
        Err(failure) => Err(failure),
    };
    record_user_id(&progress);
    let assessment = assess(inputs.as_ref().map(drop));
    let reported = report(ctx, identity, user, &progress, &assessment.verdict).await;
    match (inputs, reported) {
        (Err(failure), reported) => {
            if let Err(error) = reported {
                tracing::warn!(%error, "could not write the status");
            }
            Err(failure)
        }
        (Ok(_), Err(error)) => Err(Failure::Status(error)),
        (Ok(inputs), Ok(())) => {
            let delay = requeue(ctx, &object_ref(user.meta()), &assessment, progress.due_in);
            if assessment.verdict.is_ready() {
                // The resync wheel (`super::due_users`) starts the next comparison when due: a
                // Ready `User` holds no requeue of its own in the controller's scheduler.
                ctx.freshness.compared(&identity.uid, inputs, delay);
                Ok(Action::await_change())
            } else {
                ctx.freshness.failed(&identity.uid);
                Ok(Action::requeue(delay))
            }
        }
    }
}

/// Whether a `User` Ready before this process started waits for its first comparison, which
/// is still ahead, on the admitted connection of revision `connection`: decided from the caches
/// alone. A connection that no longer admits it is not waited for.
fn waits_for_first_due(ctx: &Context, identity: &Identity, user: &User, connection: &str) -> bool {
    let trigger = super::trigger_fingerprint(user.meta());
    let resync = ctx.settings.resync_interval;
    ctx.freshness
        .first_due(&identity.uid, trigger, connection, settled(user), resync)
        .is_some()
}

/// How a converge ended.
enum Converged {
    /// ZITADEL was read and brought in line; the next comparison waits for a change to these.
    Compared(Inputs),
    /// Nothing can have changed since the last comparison: none was made, and none is due yet.
    Unchanged,
}

/// Establishes the ZITADEL user if the status does not name one yet, then brings it in line:
/// profile and metadata, state, onboarding codes, machine credentials.
async fn converge(
    ctx: &Context,
    connection: &Connection,
    identity: &Identity,
    user: &User,
    progress: &mut Progress,
) -> Result<Converged, Failure> {
    let zitadel = &connection.client;
    let secrets = Secrets::new(
        ctx.kube.clone(),
        &identity.namespace,
        ctx.own_secret_writes.clone(),
    );
    let (observed, seen) = match progress.user_id.clone() {
        Some(user_id) => {
            let secret = observe_secret(&secrets, user, &identity.uid).await?;
            let inputs = Inputs::of(user, &connection.revision, &secret);
            let next = ctx.freshness.next(&identity.uid, &inputs);
            match next {
                Next::WaitUntil(_) => return Ok(Converged::Unchanged),
                Next::Compare => (observe(zitadel, &user_id, secret).await?, Seen::Read),
                Next::Resync { since } => {
                    let listed = Listed {
                        rosters: &ctx.rosters,
                        revision: &connection.revision,
                        since,
                    };
                    observe_listed(zitadel, &listed, user, &identity.uid, &user_id, secret).await?
                }
            }
        }
        None => {
            let observed =
                match establish(ctx, connection, &secrets, identity, user, progress).await? {
                    Establishment::New(created) => {
                        observe_created(zitadel, &connection.root_metadata, created).await?
                    }
                    Establishment::Claimed(user_id) => {
                        let secret = observe_secret(&secrets, user, &identity.uid).await?;
                        observe(zitadel, &user_id, secret).await?
                    }
                };
            (observed, Seen::Established)
        }
    };
    let just_created = seen == Seen::Established;
    let planned = plan_sync(user, &identity.uid, &observed);
    let in_line = |plan: &_| listing_in_line(user, plan, &observed);
    let confirm = seen == Seen::Listed && !planned.as_ref().is_ok_and(in_line);
    let (mut observed, plan) = if confirm {
        // A listing lags behind writes (contract §14.4): what it shows out of line is read
        // from the user itself before anything is written.
        let Observed {
            user_id, secret, ..
        } = observed;
        let observed = observe(zitadel, &user_id, secret).await?;
        let plan = plan_sync(user, &identity.uid, &observed)?;
        (observed, plan)
    } else {
        (observed, planned?)
    };
    progress.owns_secret = matches!(observed.secret, SecretState::Owned(_));
    progress.state = observed.zitadel.as_ref().map(|f| user_state(f.user.state));
    let found = observed.zitadel.take().map(|found| found.user);
    let secret = sync(zitadel, &secrets, user, &plan, observed.secret).await?;
    progress.owns_secret = matches!(secret, SecretState::Owned(_));
    progress.managed_metadata_keys = Some(user.spec.metadata.keys().cloned().collect());
    let changed = plan.summary();
    if !changed.is_empty() {
        tracing::info!(?changed, "ZITADEL user updated");
        progress.notes.push(Note::normal(
            "Updated",
            format!("updated in ZITADEL: {}", changed.join(", ")),
        ));
    }
    // plan_sync fails when ZITADEL has no such user, so `found` is there.
    let Some(found) = found else {
        return Err(Blocker::UserDeletedInZitadel(plan.user_id.clone()).into());
    };
    converge_state(zitadel, user, &found, progress).await?;
    let lifecycle = Lifecycle {
        ctx,
        zitadel,
        secrets: &secrets,
        identity,
        user,
        found: &found,
    };
    let secret = if let Some(human) = &user.spec.human {
        let codes_pending = (plan.issue_email_code, plan.issue_phone_code);
        lifecycle
            .onboard(human, secret, codes_pending, just_created, progress)
            .await?
    } else {
        lifecycle.credentials(secret, progress).await?
    };
    progress.owns_secret = matches!(secret, SecretState::Owned(_));
    let inputs = Inputs::of(user, &connection.revision, &secret);
    Ok(Converged::Compared(inputs))
}

/// How [`establish`] came to a user id.
enum Establishment {
    /// CreateUser made the user just now.
    New(Box<Created>),
    /// CreateUser pointed at an existing user, recovered or adopted.
    Claimed(String),
}

/// Creates the ZITADEL user, or claims the existing one CreateUser points at.
async fn establish(
    ctx: &Context,
    connection: &Connection,
    secrets: &Secrets,
    identity: &Identity,
    user: &User,
    progress: &mut Progress,
) -> Result<Establishment, Failure> {
    let before = before_creation(secrets, user, &identity.uid).await?;
    let plan = plan_create(user, &identity.uid, &before)?;
    // Recorded the moment ZITADEL confirms, so a failed Secret write still reports the user.
    let created = |id: &str| {
        ctx.recently_created.remember(&identity.uid, id);
        record(&mut *progress, Established::Created(id.to_owned()));
    };
    let zitadel = &connection.client;
    let clash = match create(zitadel, secrets, user, plan, before.secret, created).await? {
        Creation::Created(created) => return Ok(Establishment::New(created)),
        Creation::Clashed(clash) => clash,
    };
    // Admission refused adoptExisting on connections that do not allow adoption; this keeps
    // the rule in the planner too.
    let allow_adoption = connection.allow_adoption;
    look_up_holder(user, &clash, allow_adoption)?;
    let taken = holder(zitadel, clash).await?;
    let claimed = claim(user, &identity.uid, &taken, allow_adoption)?;
    ctx.recently_created
        .remember(&identity.uid, claimed.user_id());
    let id = claimed.user_id().to_owned();
    record(progress, claimed);
    Ok(Establishment::Claimed(id))
}

fn record(progress: &mut Progress, established: Established) {
    let note = established.note();
    tracing::info!(
        user_id = established.user_id(),
        reason = note.reason,
        "ZITADEL user is now managed"
    );
    progress.user_id = Some(established.user_id().to_owned());
    progress.notes.push(note);
}

/// Deletes (or releases) the ZITADEL user of a deleted `User`; the finalizer stays until then.
async fn cleanup(ctx: &Context, identity: &Identity, user: &User) -> Result<Action, Failure> {
    ctx.metrics.forget_user(&ObjectKey {
        namespace: identity.namespace.clone(),
        name: identity.name.clone(),
    });
    ctx.recently_created.forget(&identity.uid);
    ctx.credential_checks.forget(&identity.uid);
    ctx.freshness.forget(&identity.uid);
    let orphan = user.spec.deletion_policy == DeletionPolicy::Orphan;
    let handled = match ctx.connections.for_user(user, &identity.namespace).await {
        // Without its connection the ZITADEL user cannot be cleaned up: the finalizer stays and
        // the status says why.
        Err(error) => Err(Failure::Connection(error)),
        Ok(connection) if orphan => release_zitadel_user(&connection.client, user, &identity.uid)
            .await
            .map_err(Failure::Cleanup),
        Ok(connection) => delete_zitadel_user(&connection.client, user, &identity.uid)
            .await
            .map_err(Failure::Cleanup),
    };
    match handled {
        Ok(None) => Ok(Action::await_change()),
        Ok(Some(id)) => {
            let note = if orphan {
                Note::normal(
                    "Orphaned",
                    format!("left ZITADEL user {id} in place (deletionPolicy: Orphan)"),
                )
            } else {
                Note::normal("Deleted", format!("deleted ZITADEL user {id}"))
            };
            tracing::info!(user_id = %id, reason = note.reason, "ZITADEL user released");
            publish(ctx, &user.object_ref(&()), &[note]).await;
            Ok(Action::await_change())
        }
        Err(failure) => {
            let verdict = assess(Err(&failure)).verdict;
            if let Err(error) = report(ctx, identity, user, &Progress::default(), &verdict).await {
                tracing::warn!(%error, "could not write the status");
            }
            Err(failure)
        }
    }
}

/// Tells the object's owner that it cannot be reconciled: an event where `kubectl describe`
/// shows it (its spec may not even deserialise, so no status is written).
async fn warn_invalid(ctx: &Context, reference: &ObjectReference, failure: &Failure) {
    let verdict = assess(Err(failure)).verdict;
    let note = Note::warning(verdict.reason.as_str(), verdict.message);
    publish(ctx, reference, &[note]).await;
}

fn object_ref(meta: &kube::api::ObjectMeta) -> ObjectRef<User> {
    let name = meta.name.as_deref().unwrap_or_default();
    match &meta.namespace {
        Some(namespace) => ObjectRef::new(name).within(namespace),
        None => ObjectRef::new(name),
    }
}
