//! The bucket on tokio's paused clock: time only moves when every task waits, so the turns come
//! out exactly as computed, without a wall clock in the assertions.

use std::sync::Arc;
use std::sync::Mutex as StdMutex;

use super::*;
use crate::auth::Credentials;
use crate::client::{ClientConfig, ZitadelClient};

const MS: Duration = Duration::from_millis(1);

fn limiter(qps: f64, burst: u32) -> RateLimiter {
    RateLimiter::new(RateLimit::new(qps, burst).unwrap())
}

/// Starts `callers` tasks that each acquire once; returns when each got its turn, sorted, as
/// offsets from now.
async fn turns_of(limiter: &RateLimiter, callers: usize) -> Vec<Duration> {
    let started = Instant::now();
    let turns = Arc::new(StdMutex::new(Vec::new()));
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let limiter = limiter.clone();
            let turns = Arc::clone(&turns);
            tokio::spawn(async move {
                limiter.acquire().await;
                turns.lock().unwrap().push(started.elapsed());
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let mut turns = turns.lock().unwrap().clone();
    turns.sort_unstable();
    turns
}

/// Whether `actual` is `expected`, give or take the timer's millisecond resolution.
fn about(actual: Duration, expected: Duration) -> bool {
    actual + MS >= expected && actual <= expected + 2 * MS
}

#[test]
fn a_rate_must_be_positive_and_finite_and_a_burst_at_least_one() {
    for qps in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-300] {
        assert!(
            matches!(RateLimit::new(qps, 1), Err(RateLimitError::Qps { .. })),
            "{qps}"
        );
    }
    assert_eq!(RateLimit::new(1.0, 0), Err(RateLimitError::Burst));
    let slow = RateLimit::new(0.5, 1).unwrap();
    assert_eq!((slow.qps(), slow.burst()), (0.5, 1));
    assert_eq!(slow.interval, Duration::from_secs(2));
}

#[test]
fn a_whole_rate_per_second_is_the_same_limit_and_never_below_one() {
    assert_eq!(
        RateLimit::per_second(20, 40),
        RateLimit::new(20.0, 40).unwrap()
    );
    assert_eq!(RateLimit::per_second(3, 1), RateLimit::new(3.0, 1).unwrap());
    assert_eq!(RateLimit::per_second(0, 0), RateLimit::new(1.0, 1).unwrap());
}

#[tokio::test(start_paused = true)]
async fn an_idle_limiter_lets_a_burst_through_at_once_and_then_spaces_requests_at_the_rate() {
    let limiter = limiter(10.0, 3);
    for _ in 0..3 {
        assert_eq!(limiter.acquire().await, Duration::ZERO);
    }
    assert!(about(limiter.acquire().await, 100 * MS));
    assert!(about(limiter.acquire().await, 100 * MS));
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_never_get_more_than_the_burst_plus_the_rate() {
    let (qps, burst, callers) = (5.0, 2, 12);
    let limiter = limiter(qps, burst);
    let turns = turns_of(&limiter, callers).await;

    let interval = Duration::from_millis(200);
    // The burst at once, then one turn per interval: turn k at (k - burst + 1) intervals.
    for (k, turn) in turns.iter().enumerate() {
        let slots = u32::try_from(k + 1).unwrap().saturating_sub(burst);
        assert!(about(*turn, interval * slots), "turn {k} at {turn:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_rate_recovers_the_burst_after_a_quiet_period() {
    let limiter = limiter(10.0, 2);
    limiter.acquire().await;
    limiter.acquire().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(limiter.acquire().await, Duration::ZERO);
    assert_eq!(limiter.acquire().await, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_pause_holds_back_every_caller_until_it_ends_and_then_resumes_without_a_burst() {
    let limiter = limiter(100.0, 10);
    assert_eq!(
        limiter.pause(Some(Duration::from_secs(2))),
        Duration::from_secs(2)
    );

    let turns = turns_of(&limiter, 5).await;

    for (k, turn) in turns.iter().enumerate() {
        let expected = Duration::from_secs(2) + 10 * MS * u32::try_from(k).unwrap();
        assert!(about(*turn, expected), "turn {k} at {turn:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_pause_that_begins_while_a_caller_waits_for_its_turn_sends_it_to_the_end_of_the_pause() {
    let limiter = limiter(1.0, 1);
    limiter.acquire().await;
    let started = Instant::now();
    // Its turn would come a second from now.
    let waiter = tokio::spawn({
        let limiter = limiter.clone();
        async move { limiter.acquire().await }
    });
    tokio::time::sleep(500 * MS).await;
    limiter.pause(Some(Duration::from_secs(3)));

    let waited = waiter.await.unwrap();
    assert!(about(waited, Duration::from_millis(3500)), "{waited:?}");
    assert!(about(started.elapsed(), Duration::from_millis(3500)));
}

#[tokio::test(start_paused = true)]
async fn a_throttled_answer_without_retry_after_pauses_for_the_default() {
    let limiter = limiter(100.0, 10);
    assert_eq!(limiter.pause(None), DEFAULT_THROTTLE_PAUSE);
    assert!(about(limiter.acquire().await, DEFAULT_THROTTLE_PAUSE));
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_of_hours_pauses_every_caller_for_the_maximum_only() {
    let limiter = limiter(100.0, 10);
    let day = Duration::from_secs(24 * 3600);
    assert_eq!(limiter.pause(Some(day)), MAX_THROTTLE_PAUSE);
    assert!(about(limiter.acquire().await, MAX_THROTTLE_PAUSE));
}

#[tokio::test(start_paused = true)]
async fn a_shorter_pause_does_not_cut_a_running_one_short() {
    let limiter = limiter(100.0, 10);
    limiter.pause(Some(Duration::from_secs(5)));
    limiter.pause(Some(Duration::from_secs(1)));
    assert!(about(limiter.acquire().await, Duration::from_secs(5)));
}

#[tokio::test(start_paused = true)]
async fn clones_share_one_budget() {
    let limiter = limiter(10.0, 1);
    let clone = limiter.clone();
    assert!(limiter.is_shared_with(&clone));
    assert_eq!(limiter.acquire().await, Duration::ZERO);
    assert!(about(clone.acquire().await, 100 * MS));
    clone.pause(Some(Duration::from_secs(1)));
    assert!(about(limiter.acquire().await, Duration::from_secs(1)));
}

/// Starts `callers` tasks that each enter `limiter` and hold their place for `answer` (ZITADEL's
/// latency); returns the most that held a place at once and when the last one was answered.
async fn in_flight_of(
    limiter: &RateLimiter,
    callers: usize,
    answer: Duration,
) -> (usize, Duration) {
    let started = Instant::now();
    let (now, most) = (Arc::new(StdMutex::new(0)), Arc::new(StdMutex::new(0)));
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let (limiter, now, most) = (limiter.clone(), Arc::clone(&now), Arc::clone(&most));
            tokio::spawn(async move {
                let (_, _place) = limiter.enter().await;
                {
                    let mut now = now.lock().unwrap();
                    *now += 1;
                    let mut most = most.lock().unwrap();
                    *most = (*most).max(*now);
                }
                tokio::time::sleep(answer).await;
                *now.lock().unwrap() -= 1;
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let most = *most.lock().unwrap();
    (most, started.elapsed())
}

#[tokio::test(start_paused = true)]
async fn no_more_requests_than_the_cap_await_their_answer_at_once() {
    let limiter = RateLimiter::new(RateLimit::per_second(1000, 1000).with_max_in_flight(4));
    let (most, done) = in_flight_of(&limiter, 12, 100 * MS).await;
    assert_eq!(most, 4);
    // Three rounds of four: each waits for the answers of the round before.
    assert!(about(done, 300 * MS), "done at {done:?}");
}

#[tokio::test(start_paused = true)]
async fn without_a_cap_every_caller_with_a_turn_goes_at_once() {
    let limiter = limiter(1000.0, 1000);
    assert_eq!(limiter.limit().max_in_flight(), None);
    let (most, done) = in_flight_of(&limiter, 12, 100 * MS).await;
    assert_eq!(most, 12);
    assert!(about(done, 100 * MS), "done at {done:?}");
}

#[test]
fn a_cap_below_one_counts_as_one() {
    let limit = RateLimit::per_second(10, 1).with_max_in_flight(0);
    assert_eq!(limit.max_in_flight(), Some(1));
}

fn client(base_url: &str, instance_host: Option<&str>, pat: &str) -> ZitadelClient {
    let config = ClientConfig {
        instance_host: instance_host.map(str::to_owned),
        ..ClientConfig::new(base_url, Credentials::Pat(pat.into()))
    };
    ZitadelClient::new(config).unwrap()
}

#[test]
fn clients_of_one_instance_share_a_limiter_whatever_their_credential_or_url_spelling() {
    let limiters = Limiters::new(RateLimit::new(10.0, 1).unwrap());
    let first = limiters.for_client(&client("https://zitadel.example.com", None, "a"));
    for (url, pat) in [
        ("https://zitadel.example.com/", "b"),
        ("HTTPS://Zitadel.Example.com:443", "a"),
    ] {
        let other = limiters.for_client(&client(url, None, pat));
        assert!(first.is_shared_with(&other), "{url}");
    }
    assert_eq!(limiters.instances(), 1);
}

#[test]
fn another_url_or_instance_host_is_another_instance_with_its_own_limiter() {
    let limiters = Limiters::new(RateLimit::new(10.0, 1).unwrap());
    let base = limiters.for_client(&client("http://zitadel.svc:8080", None, "a"));
    let tenant_a = limiters.for_client(&client("http://zitadel.svc:8080", Some("a.example"), "a"));
    let tenant_b = limiters.for_client(&client("http://zitadel.svc:8080", Some("b.example"), "a"));
    let tenant_a_again =
        limiters.for_client(&client("http://zitadel.svc:8080", Some("A.example"), "b"));
    let elsewhere = limiters.for_client(&client("http://other.svc:8080", None, "a"));

    assert!(!base.is_shared_with(&tenant_a));
    assert!(!tenant_a.is_shared_with(&tenant_b));
    assert!(tenant_a.is_shared_with(&tenant_a_again));
    assert!(!base.is_shared_with(&elsewhere));
    assert_eq!(limiters.instances(), 4);
    assert_eq!(base.limit(), limiters.limit());
}

#[test]
fn the_limiter_of_an_instance_no_client_uses_any_more_is_forgotten() {
    let limiters = Limiters::new(RateLimit::new(10.0, 1).unwrap());
    let kept = limiters.for_client(&client("https://one.example.com", None, "a"));
    drop(limiters.for_client(&client("https://two.example.com", None, "a")));
    assert_eq!(limiters.instances(), 1);
    let _three = limiters.for_client(&client("https://three.example.com", None, "a"));
    assert_eq!(
        limiters.by_instance.lock().unwrap().len(),
        2,
        "two was pruned"
    );
    drop(kept);
}

#[test]
fn debug_of_the_registry_shows_no_url() {
    let limiters = Limiters::new(RateLimit::new(10.0, 1).unwrap());
    let _kept = limiters.for_client(&client("https://hunter2.example.com", None, "a"));
    let shown = format!("{limiters:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("instances: 1"), "{shown}");
}
