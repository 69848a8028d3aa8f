//! End-to-end: one rate limit per ZITADEL instance. A 429 that one object's call gets pauses the
//! calls of every other object to that ZITADEL, also through another connection, until the
//! `Retry-After` has passed; `/metrics` shows the pause and the waits. Against the emulators only
//! (they inject the 429 and count the calls).

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use support::e2e::{CREDENTIAL_SECRET, Harness, Options, pat_connection};
use zitadel_emulator::Fault;
use zitadel_user_operator::crd::ConnectionKind;
use zitadel_user_operator::fixtures::UserBuilder;

/// A `ZitadelConnection` of the test namespace to the same ZITADEL as the harness's `default`.
const SECOND: &str = "second";

/// The value of the sample `name{labels}` in the operator's `/metrics`.
async fn sample(harness: &Harness, name: &str, labels: &str) -> Option<f64> {
    let url = format!("http://{}/metrics", harness.metrics_addr);
    let text = reqwest::get(url).await.ok()?.text().await.ok()?;
    let prefix = format!("zitadel_user_operator_{name}{{{labels}}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn a_429_for_one_user_holds_back_another_users_calls_through_another_connection_until_retry_after()
 {
    let mut harness = Harness::environment(Options::default()).await;
    let namespace = harness.namespace.clone();
    let settings = pat_connection(harness.zitadel_url(), CREDENTIAL_SECRET, &[&harness.org_id]);
    harness.apply_connection(&namespace, SECOND, settings).await;
    harness.start_operator();
    harness.wait_connection_ready().await;
    harness
        .wait_connection_reason(Some(&namespace), SECOND, "Connected")
        .await;
    let zitadel = &harness.emulators().zitadel;
    let retry_after = Duration::from_secs(3);
    zitadel.inject(
        "CreateUser",
        Fault::RateLimited {
            times: 1,
            retry_after,
        },
    );

    // Whatever happens to alice's CreateUser happens after this instant, so the pause ends
    // `retry_after` after it at the earliest.
    let before = Instant::now();
    harness.create(UserBuilder::human("alice").build()).await;
    harness
        .eventually("alice's CreateUser to be throttled", || async {
            (zitadel.calls("CreateUser") == 1).then_some(())
        })
        .await;
    // bob's first call, his CreateUser, goes through the other connection's client.
    let bob = UserBuilder::human("bob")
        .connection(ConnectionKind::ZitadelConnection, SECOND)
        .build();
    harness.create(bob).await;

    // Until the pause is over neither alice's retry nor bob's create may reach ZITADEL. Each
    // count is read before the clock: a read taken while less than `retry_after` has passed
    // since `before` was taken during the pause.
    harness
        .eventually("alice and bob to be created", || async {
            let creates = zitadel.calls("CreateUser");
            let elapsed = before.elapsed();
            assert!(
                creates <= 1 || elapsed >= retry_after,
                "{creates} CreateUser calls {elapsed:?} after the first was throttled for {retry_after:?}"
            );
            (creates >= 3).then_some(())
        })
        .await;
    // alice's reconcile still saw its own error and retried on its own schedule.
    harness.wait_ready("alice").await;
    harness.wait_ready("bob").await;
    assert_eq!(zitadel.calls("CreateUser"), 3);

    // The pause is counted for the connection whose call was throttled; bob's connection shows
    // its wait. Labels name connections only, never the ZITADEL URL.
    let pauses = sample(
        &harness,
        "zitadel_limiter_pauses_total",
        r#"connection="ClusterZitadelConnection/default""#,
    )
    .await;
    assert_eq!(pauses, Some(1.0));
    let bob_waited = sample(
        &harness,
        "zitadel_limiter_wait_seconds_sum",
        &format!(r#"connection="ZitadelConnection/{namespace}/{SECOND}""#),
    )
    .await
    .expect("bob's connection reports its limiter waits");
    assert!(bob_waited > 0.0, "bob's create waited {bob_waited} s");
}
