//! The `User` controller: watches, the reconcile pipeline and its wiring.
//!
//! Pipeline per object (one file each): [`observe`] reads ZITADEL and the owned Secret,
//! [`plan`] decides purely, [`create`], [`sync`] and [`cleanup`] act and record what they did in
//! [`progress`], [`assess`] turns the result into condition and retry, [`report`] writes status
//! and events only when they change. [`reconcile`] strings the phases together behind a
//! finalizer.

mod assess;
mod backoff;
mod cached;
mod cleanup;
mod context;
mod convert;
mod create;
mod created;
mod credentials;
mod failure;
mod freshness;
mod identity;
mod lifecycle;
mod observe;
mod observed;
mod onboarding;
pub mod plan;
mod progress;
mod reconcile;
mod report;
mod roster;
mod state;
mod sync;
mod triggers;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Secret;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{Config as ControllerConfig, Controller};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kube::{Api, Resource};

pub use backoff::Backoff;
pub use cached::CachedUser;
pub use context::{Context, CredentialChecks, RecentlyCreated, Settings};
pub use failure::{Blocker, Failure, InvalidObject, Refusal};
pub use freshness::Freshness;
pub use identity::{Identity, IdentityError};
pub use progress::Note;
pub use reconcile::{error_policy, reconcile};
pub use report::publish;
pub use roster::Rosters;
use triggers::{Triggers, trigger_fingerprint};

use crate::secrets::owned_selector;

/// The watch scopes for `namespaces`: each of them, or all namespaces (`None`) when empty.
pub fn scopes(namespaces: &[String]) -> Vec<Option<String>> {
    if namespaces.is_empty() {
        vec![None]
    } else {
        namespaces.iter().cloned().map(Some).collect()
    }
}

/// How often readiness re-checks whether the watch caches have synced.
const READINESS_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// Reconciles `User`s in `namespaces` (all namespaces when empty), with at most `concurrency`
/// reconciles per namespace queued for the operator-wide bound in [`Context::reconcile_slots`],
/// until `shutdown` completes. `on_synced` runs once every watch cache
/// has its initial list (readiness).
pub async fn run(
    ctx: Arc<Context>,
    namespaces: Vec<String>,
    concurrency: u16,
    shutdown: impl Future<Output = ()> + Send + Sync + Clone + 'static,
    on_synced: impl Fn() + Send + Sync + 'static,
) {
    let scopes = scopes(&namespaces);
    let on_synced = Arc::new(on_synced);
    let pending = Arc::new(std::sync::atomic::AtomicUsize::new(scopes.len()));
    let controllers = scopes.into_iter().map(|namespace| {
        // A stored object that no longer deserialises (older schema, hand edit) reaches the
        // reconciler as an error to report instead of breaking the watch for its whole scope:
        // the cache decodes only metadata (see `CachedUser`).
        let (users, secrets): (Api<CachedUser>, Api<PartialObjectMeta<Secret>>) =
            match namespace.as_deref() {
                Some(ns) => (
                    Api::namespaced(ctx.kube.clone(), ns),
                    Api::namespaced(ctx.kube.clone(), ns),
                ),
                None => (Api::all(ctx.kube.clone()), Api::all(ctx.kube.clone())),
            };
        let (on_synced, pending) = (on_synced.clone(), pending.clone());
        run_scope(
            ctx.clone(),
            users,
            secrets,
            concurrency,
            shutdown.clone(),
            move || {
                if pending.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
                    on_synced();
                }
            },
        )
    });
    futures::future::join_all(controllers).await;
}

async fn run_scope(
    ctx: Arc<Context>,
    users: Api<CachedUser>,
    secrets: Api<PartialObjectMeta<Secret>>,
    concurrency: u16,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
    on_synced: impl FnOnce() + Send + 'static,
) {
    let (reader, writer) = reflector::store();
    let mut seen = Triggers::default();
    let triggers = watcher(users, watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .try_filter(move |event| futures::future::ready(seen.admit(event)))
        .applied_objects();
    let synced = reader.clone();
    // The store's readiness wakes only its most recent waiter, and the Controller waits on the
    // same store: a single await here would never wake. Polling re-registers the waker.
    let readiness = async move {
        loop {
            match tokio::time::timeout(READINESS_POLL, synced.wait_until_ready()).await {
                Ok(Ok(())) => return on_synced(),
                Ok(Err(_writer_dropped)) => return,
                Err(_still_syncing) => {}
            }
        }
    };
    // A connection or namespace change may admit or refuse any User: look at them all again.
    let connection_changes = ctx.connections.changes();
    let due = due_users(reader.clone(), ctx.clone());
    // Each owned Secret's changes reconcile its User, except the echo of the operator's own
    // write (see `OwnWrites`). Metadata is all the mapping to the owner needs.
    let own_writes = ctx.own_secret_writes.clone();
    let secret_changes = watcher(
        secrets,
        watcher::Config::default().labels(&owned_selector()),
    )
    .default_backoff()
    .touched_objects()
    .try_filter(move |secret| own_writes.is_echo(&secret.metadata).map(|echo| !echo));
    let controller = Controller::for_stream(triggers, reader)
        .owns_stream(secret_changes)
        .reconcile_all_on(connection_changes)
        .reconcile_on(due)
        .with_config(ControllerConfig::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            if let Err(error) = result {
                tracing::debug!(%error, "controller event");
            }
        });
    tokio::join!(readiness, controller);
}

/// The longest and shortest time between two looks of the resync wheel ([`due_users`]).
const WHEEL_TICK: (Duration, Duration) = (Duration::from_millis(50), Duration::from_secs(1));

/// The resync wheel: every tick (a twentieth of the resync interval, within [`WHEEL_TICK`]),
/// the `User`s of `store` whose next comparison [`Freshness`] has due. A Ready `User` has no
/// requeue of its own: kube-runtime's scheduler would hold entries for each (about 870 bytes,
/// 8.7 MB of the heap at 10,000 `User`s, measured with heaptrack) for the whole resync interval.
/// Failed reconciles keep their own requeue and backoff.
fn due_users(
    store: reflector::Store<CachedUser>,
    ctx: Arc<Context>,
) -> impl futures::Stream<Item = reflector::ObjectRef<CachedUser>> + Send + 'static {
    let (shortest, longest) = WHEEL_TICK;
    let tick = (ctx.settings.resync_interval / 20).clamp(shortest, longest);
    let mut ticks = tokio::time::interval(tick);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    futures::stream::unfold(ticks, |mut ticks| async move {
        ticks.tick().await;
        Some(((), ticks))
    })
    .flat_map(move |()| {
        let users = store.state();
        let with_uid = users
            .iter()
            .filter_map(|user| Some((user.meta().uid.as_deref()?, user)));
        let due: Vec<_> = ctx
            .freshness
            .take_due(std::time::Instant::now(), with_uid)
            .into_iter()
            .map(|user| reflector::ObjectRef::from_obj(&**user))
            .collect();
        futures::stream::iter(due)
    })
}
