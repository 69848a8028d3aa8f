use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;
use zitadel_emulator::{Fault, GrpcCode, UserState};

use crate::common::{Fixture, b64, future, machine_request, with};

#[tokio::test]
async fn calls_are_counted_per_rpc_including_failures() {
    let fx = Fixture::start().await;
    fx.emulator.inject(
        "ListUsers",
        Fault::Fail {
            times: 1,
            code: GrpcCode::Internal,
        },
    );
    fx.list(json!({})).await;
    fx.list(json!({})).await;
    fx.get("/v2/users/nobody").await;
    assert_eq!(fx.emulator.calls("ListUsers"), 2);
    assert_eq!(fx.emulator.call_counts().get("GetUserByID"), Some(&1));
    fx.emulator.reset_call_counts();
    assert_eq!(fx.emulator.calls("ListUsers"), 0);
}

#[tokio::test]
async fn calls_are_counted_per_user_they_name() {
    let fx = Fixture::start().await;
    let body = with(machine_request(&fx.org), "userId", json!("u1"));
    fx.create_ok(body.clone()).await;
    fx.create(body).await.assert_error(400, 9, "COMMAND-k2una");
    fx.get("/v2/users/u1").await.ok();
    fx.post("/v2/users/u1/metadata/search", json!({}))
        .await
        .ok();
    fx.post(
        "/v2/users/keys/search",
        json!({"filters": [{"userIdFilter": {"id": "u1"}}]}),
    )
    .await
    .ok();
    fx.get("/v2/users/nobody").await;
    fx.list(json!({})).await.ok();
    let by_user = fx.emulator.call_counts_by_user();
    let u1: Vec<(&str, usize)> = by_user["u1"]
        .iter()
        .map(|(rpc, count)| (rpc.as_str(), *count))
        .collect();
    assert_eq!(
        u1,
        [
            ("CreateUser", 2),
            ("GetUserByID", 1),
            ("ListKeys", 1),
            ("ListUserMetadata", 1)
        ],
        "a refused CreateUser still names its user"
    );
    assert_eq!(by_user["nobody"].get("GetUserByID"), Some(&1));
    assert_eq!(by_user.len(), 2, "ListUsers names no user");
    fx.emulator.reset_call_counts();
    assert!(fx.emulator.call_counts_by_user().is_empty());
}

#[tokio::test]
async fn the_peak_of_concurrent_calls_counts_calls_that_overlapped() {
    let fx = Fixture::start().await;
    fx.emulator.inject(
        "GetUserByID",
        Fault::Latency {
            times: 2,
            delay: Duration::from_millis(200),
        },
    );
    fx.get("/v2/users/nobody").await;
    assert_eq!(fx.emulator.peak_concurrent_calls(), 1, "one call at a time");
    tokio::join!(fx.get("/v2/users/a"), fx.get("/v2/users/b"));
    assert_eq!(fx.emulator.peak_concurrent_calls(), 2);
    fx.emulator.reset_call_counts();
    assert_eq!(fx.emulator.peak_concurrent_calls(), 0);
}

#[tokio::test]
async fn held_users_are_shown_as_get_user_would_return_them() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    assert_eq!(fx.emulator.user(&id), Some(fx.user(&id).await));
    assert_eq!(fx.emulator.users().len(), 1);
}

#[tokio::test]
async fn credential_ids_are_inspectable() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let added = fx
        .post(
            &format!("/v2/users/{id}/pats"),
            json!({"expirationDate": future()}),
        )
        .await;
    assert_eq!(
        fx.emulator.user_pat_ids(&id),
        vec![added.ok()["tokenId"].as_str().unwrap().to_owned()]
    );
}

#[tokio::test]
async fn deleting_behind_the_operators_back_makes_the_user_not_found() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    assert!(fx.emulator.delete_user(&id));
    assert!(!fx.emulator.delete_user(&id));
    fx.get(&format!("/v2/users/{id}"))
        .await
        .assert_error(404, 5, "QUERY-Dfbg2");
}

#[tokio::test]
async fn drift_made_behind_the_operators_back_is_visible_through_the_api() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    fx.emulator.update_user(&id, |user| {
        user.username = "drifted".into();
        user.state = UserState::Locked;
        if let zitadel_emulator::UserKind::Human(human) = &mut user.kind {
            human.profile.given_name = "Eve".into();
        }
    });
    fx.emulator.set_user_metadata(&id, "k", b"v");
    let user = fx.user(&id).await;
    assert_eq!(
        (user["username"].as_str(), user["state"].as_str()),
        (Some("drifted"), Some("USER_STATE_LOCKED"))
    );
    assert_eq!(user["human"]["profile"]["givenName"], "Eve");
    let listed = fx
        .post(&format!("/v2/users/{id}/metadata/search"), json!({}))
        .await;
    assert_eq!(listed.ok()["metadata"][0]["value"], b64(b"v"));
}

#[test]
fn the_binary_prints_where_it_listens_and_writes_the_pat_file_privately() {
    use std::os::unix::fs::PermissionsExt;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pat_file = std::env::temp_dir().join(format!("zitadel-emulator-pat-{port}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_zitadel-emulator"))
        .args([
            "--port",
            &port.to_string(),
            "--org-id",
            "org-1",
            "--list-delay-ms",
            "0",
            "--pat-file",
        ])
        .arg(&pat_file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let stdout = child.stdout.take().unwrap();
    // The line arrives once the server is up; the read is bounded by the child being killed below.
    let reader =
        std::thread::spawn(move || BufReader::new(stdout).read_line(&mut line).map(|_| line));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !reader.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let line = reader.join().unwrap().unwrap();
    let pat = std::fs::read_to_string(&pat_file).unwrap();
    let mode = std::fs::metadata(&pat_file).unwrap().permissions().mode() & 0o777;
    std::fs::remove_file(&pat_file).unwrap();
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    assert!(line.contains("org-1"), "{line}");
    assert!(
        !pat.is_empty() && !line.contains(&pat),
        "the PAT is never printed"
    );
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn user_secret_is_set_follows_add_and_remove_secret() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    assert!(!fx.emulator.user_secret_is_set(&id));
    fx.add_secret(&id).await;
    assert!(fx.emulator.user_secret_is_set(&id));
    fx.delete(&format!("/v2/users/{id}/secret")).await.ok();
    assert!(!fx.emulator.user_secret_is_set(&id));
}

#[tokio::test]
async fn the_lockout_policy_locks_an_active_user_and_its_pat_stops_working() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    let reply = fx
        .post(
            &format!("/v2/users/{id}/pats"),
            json!({"expirationDate": future()}),
        )
        .await;
    let token = reply.ok()["token"].as_str().unwrap().to_owned();
    assert!(fx.emulator.lock_user(&id));
    assert_eq!(fx.user(&id).await["state"], "USER_STATE_LOCKED");
    assert!(!fx.emulator.lock_user(&id), "already locked");
    fx.send(
        reqwest::Method::POST,
        "/v2/users",
        Some(&token),
        Some(json!({})),
    )
    .await
    .assert_error(401, 16, "AUTH-7fs1e");
}

#[tokio::test]
async fn simulated_person_actions_need_an_existing_human() {
    let fx = Fixture::start().await;
    let bot = fx.machine("bot").await;
    assert!(!fx.emulator.complete_invite(&bot));
    assert!(!fx.emulator.register_passkey("nobody"));
    assert!(!fx.emulator.lock_user("nobody"));
}
