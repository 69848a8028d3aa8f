//! One request rate per ZITADEL instance: a token bucket that every HTTP request of the clients
//! sharing it waits on, and that a throttled answer pauses for all of them.
//!
//! ZITADEL Cloud limits by client IP, not by credential or object (its rate-limit policy: the
//! gRPC, REST and OAuth APIs take 50 requests per second averaged over a minute, and a longer
//! excess bans the IP for a minute). So every connection to one instance, and the client rebuilt
//! after a credential rotation, must spend one budget: [`Limiters`] hands them the same
//! [`RateLimiter`], and a 429 seen by one of them holds back all of them instead of letting the
//! others run into the same wall.
//!
//! The bucket is the generic cell rate algorithm (GCRA, "virtual scheduling"): it keeps the time
//! the next request would be due if requests were spaced exactly `1 / qps` apart, and lets a
//! request go up to `(burst - 1) / qps` earlier than that. It needs one timestamp instead of a
//! token count and a refill clock, and a caller learns at once when its turn comes, so it sleeps
//! exactly that long instead of polling.
//!
//! A rate alone does not bound how many requests wait for an answer at once: when ZITADEL slows
//! down, every turn handed out piles onto it. An optional cap on requests in flight
//! ([`RateLimit::with_max_in_flight`]) keeps that bounded per instance, however many reconciles
//! run, so the operator can run more reconciles than it sends ZITADEL requests: their
//! Kubernetes work overlaps the ZITADEL calls of the others.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

// tokio's clock, so `tokio::time::pause()` drives the bucket in tests.
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use crate::client::ZitadelClient;
use crate::rpc::{CallObserver, Rpc};

/// How long a throttled answer without a usable `Retry-After` pauses the limiter.
///
/// One second: ZITADEL Cloud's limits are averaged per second (over a minute), so one second is
/// the shortest pause that lets its window move on, and it is the reconciler's own first
/// backoff step, so the failed object's retry does not come before the pause ends either. Longer
/// would stall every other object for a limit that may already have passed; each further 429
/// pauses again.
pub const DEFAULT_THROTTLE_PAUSE: Duration = Duration::from_secs(1);

/// The longest pause one throttled answer imposes on every caller, whatever its `Retry-After`.
///
/// Five minutes, the reconciler's longest backoff: a misread or hostile header must not stall
/// every object of an instance for hours. The failed object itself still honours the full
/// `Retry-After` (it is part of its error).
pub const MAX_THROTTLE_PAUSE: Duration = Duration::from_secs(300);

/// A request rate: `qps` requests per second on average, up to `burst` at once after a quiet
/// period, and optionally at most `max_in_flight` awaiting their answer at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    qps: f64,
    burst: u32,
    max_in_flight: Option<u32>,
    /// `1 / qps`: the spacing of requests once the burst is spent.
    interval: Duration,
    /// `(burst - 1) * interval`: how far ahead of its due time a request may go.
    tolerance: Duration,
}

// `qps` is never NaN (`RateLimit::new` refuses it), so equality is reflexive.
impl Eq for RateLimit {}

/// Why a [`RateLimit`] cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RateLimitError {
    /// The rate is zero, negative, not a number, or so small that the spacing of two requests is
    /// no representable duration.
    #[error("the rate must be a number of requests per second greater than zero, got {qps}")]
    Qps {
        /// The rejected rate.
        qps: f64,
    },
    /// The burst is zero: no request could ever go.
    #[error("the burst must be at least 1")]
    Burst,
}

impl RateLimit {
    /// `qps` requests per second (fractions allowed: `0.5` is one every two seconds), up to
    /// `burst` at once.
    ///
    /// # Errors
    /// [`RateLimitError`] when `qps` is not a positive, finite rate or `burst` is zero.
    pub fn new(qps: f64, burst: u32) -> Result<Self, RateLimitError> {
        if burst == 0 {
            return Err(RateLimitError::Burst);
        }
        let refused = RateLimitError::Qps { qps };
        if !(qps.is_finite() && qps > 0.0) {
            return Err(refused);
        }
        let interval = Duration::try_from_secs_f64(qps.recip()).map_err(|_| refused.clone())?;
        let tolerance = interval.checked_mul(burst - 1).ok_or(refused)?;
        Ok(Self {
            qps,
            burst,
            max_in_flight: None,
            interval,
            tolerance,
        })
    }

    /// `qps` whole requests per second, up to `burst` at once; either below 1 counts as 1. The
    /// infallible form, for constants such as a default.
    pub const fn per_second(qps: u32, burst: u32) -> Self {
        let qps = if qps == 0 { 1 } else { qps };
        let burst = if burst == 0 { 1 } else { burst };
        let interval = Duration::from_nanos(1_000_000_000 / qps as u64);
        Self {
            qps: qps as f64,
            burst,
            max_in_flight: None,
            interval,
            tolerance: interval.saturating_mul(burst - 1),
        }
    }

    /// Requests per second.
    pub const fn qps(&self) -> f64 {
        self.qps
    }

    /// Requests that may go at once after a quiet period.
    pub const fn burst(&self) -> u32 {
        self.burst
    }

    /// The same rate, with at most `max` requests (below 1 counts as 1) sent and not yet
    /// answered at any time; a request past the cap waits for an answer before its turn.
    pub const fn with_max_in_flight(self, max: u32) -> Self {
        Self {
            max_in_flight: Some(if max == 0 { 1 } else { max }),
            ..self
        }
    }

    /// Requests that may await their answer at once; `None` when only the rate limits them.
    pub const fn max_in_flight(&self) -> Option<u32> {
        self.max_in_flight
    }
}

/// A token bucket shared by every clone: [`acquire`](Self::acquire) before each request,
/// [`pause`](Self::pause) on a throttled answer.
#[derive(Clone)]
pub struct RateLimiter {
    bucket: Arc<Bucket>,
}

struct Bucket {
    limit: RateLimit,
    state: Mutex<State>,
    /// A permit per request in flight, when the limit caps them.
    in_flight: Option<Semaphore>,
}

/// A request's place among those in flight to one instance: hold it until the answer is read.
/// Dropping it lets the next waiting request go. Without a cap it holds nothing.
#[must_use = "the place is given back as soon as it is dropped"]
pub struct InFlight<'a> {
    _permit: Option<SemaphorePermit<'a>>,
}

impl fmt::Debug for InFlight<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InFlight").finish_non_exhaustive()
    }
}

struct State {
    /// GCRA's theoretical arrival time: when the next request is due at the exact rate.
    due: Instant,
    /// No request goes before this (the last throttled answer's `Retry-After`).
    paused_until: Option<Instant>,
}

impl State {
    /// Takes the next slot at or after `now` and returns when it comes.
    fn reserve(&mut self, now: Instant, limit: &RateLimit) -> Instant {
        let earliest = self.paused_until.map_or(now, |until| until.max(now));
        let due = self.due.max(earliest);
        // Going up to `tolerance` before the due time is what lets a burst through.
        let at = if due > earliest + limit.tolerance {
            due - limit.tolerance
        } else {
            earliest
        };
        self.due = due + limit.interval;
        at
    }

    fn is_paused(&self, now: Instant) -> bool {
        self.paused_until.is_some_and(|until| until > now)
    }
}

impl RateLimiter {
    /// A limiter of its own, idle (a full burst available).
    pub fn new(limit: RateLimit) -> Self {
        Self {
            bucket: Arc::new(Bucket {
                limit,
                state: Mutex::new(State {
                    due: Instant::now(),
                    paused_until: None,
                }),
                in_flight: limit.max_in_flight.map(|max| {
                    Semaphore::new(usize::try_from(max).unwrap_or(Semaphore::MAX_PERMITS))
                }),
            }),
        }
    }

    /// The rate it enforces.
    pub fn limit(&self) -> RateLimit {
        self.bucket.limit
    }

    /// Whether `other` is (a clone of) this limiter: whether they share one budget.
    pub fn is_shared_with(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.bucket, &other.bucket)
    }

    /// Waits for a place among the requests in flight (when the limit caps them) and then for
    /// this caller's turn; returns how long that took and the place, to hold until the answer is
    /// read.
    ///
    /// The place comes first, so a turn is only taken by a request that can go at once and the
    /// rate's spacing survives the wait for an answer. Places are handed out in the order
    /// callers arrive, like turns.
    pub async fn enter(&self) -> (Duration, InFlight<'_>) {
        let started = Instant::now();
        let permit = match &self.bucket.in_flight {
            // The semaphore is never closed, so acquiring only fails in theory; going without
            // a place then is the behaviour of an uncapped limit.
            Some(places) => places.acquire().await.ok(),
            None => None,
        };
        self.acquire().await;
        (started.elapsed(), InFlight { _permit: permit })
    }

    /// Waits for this caller's turn and returns how long that took (zero when a token was free).
    /// Takes no place among the requests in flight: [`enter`](Self::enter) does both.
    ///
    /// Turns are handed out in the order callers arrive; a pause that begins while a caller
    /// sleeps sends it back to wait for a new turn after the pause. A turn whose future is
    /// dropped is spent all the same: that only ever slows the rate down, never speeds it up.
    pub async fn acquire(&self) -> Duration {
        let started = Instant::now();
        loop {
            let at = self.lock().reserve(Instant::now(), &self.bucket.limit);
            if at > Instant::now() {
                tokio::time::sleep_until(at).await;
            }
            // The pause may have begun after this turn was taken: sending now would go into the
            // ZITADEL that just asked everyone to wait.
            let now = Instant::now();
            if !self.lock().is_paused(now) {
                return now.saturating_duration_since(started);
            }
        }
    }

    /// Holds back every caller for `retry_after` ([`DEFAULT_THROTTLE_PAUSE`] without one, at
    /// most [`MAX_THROTTLE_PAUSE`]); returns the pause applied. A pause never shortens one
    /// already running.
    ///
    /// After the pause requests resume at the plain rate, without a burst: every caller that
    /// waited would otherwise fire at once into the ZITADEL that has just throttled them.
    pub fn pause(&self, retry_after: Option<Duration>) -> Duration {
        let pause = retry_after
            .unwrap_or(DEFAULT_THROTTLE_PAUSE)
            .min(MAX_THROTTLE_PAUSE);
        let tolerance = self.bucket.limit.tolerance;
        let mut state = self.lock();
        let until = Instant::now() + pause;
        let until = state
            .paused_until
            .map_or(until, |running| running.max(until));
        state.paused_until = Some(until);
        // The first turn after the pause comes at `until` exactly, the next ones an interval
        // apart (see `State::reserve`).
        state.due = state.due.max(until + tolerance);
        pause
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is two timestamps, valid after any panic: a poisoned lock is still usable.
        self.bucket
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limit", &self.bucket.limit)
            .finish_non_exhaustive()
    }
}

/// Which ZITADEL a client talks to: its canonical base URL and instance host. Internal only:
/// the URL is never shown in `Debug`, logs or metrics.
#[derive(Clone, PartialEq, Eq, Hash)]
struct InstanceKey {
    base_url: String,
    instance_host: Option<String>,
}

/// One [`RateLimiter`] per ZITADEL instance, all with the same [`RateLimit`].
///
/// An instance is its base URL (as the client normalises it: lower-case host, no default port,
/// no trailing slash) plus the `x-zitadel-instance-host` it sends, so two connections to one
/// instance, or a client rebuilt with a rotated credential, get the same limiter. Two URLs
/// that reach the same instance through different routes (a public domain and an in-cluster
/// Service) are two instances to this registry.
pub struct Limiters {
    limit: RateLimit,
    /// Weak, so the limiter of an instance no client uses any more goes away: tenants creating
    /// and deleting connections to ever new URLs cannot grow the map.
    by_instance: Mutex<HashMap<InstanceKey, Weak<Bucket>>>,
}

impl Limiters {
    /// A registry handing out limiters of `limit`.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            by_instance: Mutex::new(HashMap::new()),
        }
    }

    /// The rate of every limiter it hands out.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// The limiter of the instance `client` talks to, shared with every other client of it that
    /// still exists.
    pub fn for_client(&self, client: &ZitadelClient) -> RateLimiter {
        let inner = &client.inner;
        let key = InstanceKey {
            base_url: inner.base_url.as_str().trim_end_matches('/').to_owned(),
            instance_host: inner
                .instance_host
                .as_ref()
                .map(|host| String::from_utf8_lossy(host.as_bytes()).to_ascii_lowercase()),
        };
        self.get(key)
    }

    fn get(&self, key: InstanceKey) -> RateLimiter {
        let mut by_instance = self
            .by_instance
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(bucket) = by_instance.get(&key).and_then(Weak::upgrade) {
            return RateLimiter { bucket };
        }
        by_instance.retain(|_, bucket| bucket.strong_count() > 0);
        let limiter = RateLimiter::new(self.limit);
        by_instance.insert(key, Arc::downgrade(&limiter.bucket));
        limiter
    }

    /// How many instances have a limiter in use.
    pub fn instances(&self) -> usize {
        self.by_instance
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|bucket| bucket.strong_count() > 0)
            .count()
    }
}

impl fmt::Debug for Limiters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the keys: they are URLs.
        f.debug_struct("Limiters")
            .field("limit", &self.limit)
            .field("instances", &self.instances())
            .finish()
    }
}

/// What one API call passes to every HTTP request it makes (the API request, its retry after a
/// 401, a token request): the limiter to wait on, the observer to tell, and the time waited so
/// far, which the call's observed duration leaves out: it is the operator's queue, not ZITADEL's
/// latency.
pub(crate) struct Gate<'a> {
    limiter: Option<&'a RateLimiter>,
    pub(crate) observer: &'a dyn CallObserver,
    waited_nanos: AtomicU64,
}

impl<'a> Gate<'a> {
    pub(crate) fn new(limiter: Option<&'a RateLimiter>, observer: &'a dyn CallObserver) -> Self {
        Self {
            limiter,
            observer,
            waited_nanos: AtomicU64::new(0),
        }
    }

    /// Waits for the limiter before one HTTP request of `rpc`; the place it returns is held
    /// until the answer is read.
    pub(crate) async fn wait(&self, rpc: Rpc) -> InFlight<'a> {
        let Some(limiter) = self.limiter else {
            return InFlight { _permit: None };
        };
        let (waited, in_flight) = limiter.enter().await;
        let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
        self.waited_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.observer.limiter_waited(rpc, waited);
        in_flight
    }

    /// `rpc` was throttled: pauses every caller of the limiter.
    pub(crate) fn throttled(&self, rpc: Rpc, retry_after: Option<Duration>) {
        if let Some(limiter) = self.limiter {
            let pause = limiter.pause(retry_after);
            self.observer.limiter_paused(rpc, pause);
        }
    }

    /// Time spent waiting for the limiter so far.
    pub(crate) fn waited(&self) -> Duration {
        Duration::from_nanos(self.waited_nanos.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests;
