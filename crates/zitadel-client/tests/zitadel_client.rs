//! The typed ZITADEL client against the ZITADEL emulator: every call, and every error
//! classification end to end.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use support::{Env, TEST_REQUEST_TIMEOUT, human, machine, unused_local_url};
use zitadel_client::types::{
    AddKeyRequest, AddPatRequest, CodeDelivery, CreateInviteCodeRequest, CreateUserType,
    InviteCodeDelivery, KeyFilter, ListKeysRequest, ListPatsRequest, ListQuery,
    ListUserMetadataRequest, ListUsersRequest, Metadata, PasskeyLinkMedium, PasskeyLinkRequest,
    PatFilter, PhoneCodeDelivery, PhoneVerification, SearchQuery, SetHumanPhone, TextQueryMethod,
    UpdateHuman, UpdateHumanProfile, UpdateUserRequest, UpdateUserType, UserState, UserType,
};
use zitadel_client::{
    AccessCheck, Credentials, Error, ErrorKind, Limiters, RateLimit, Rpc, ZitadelClient,
};
use zitadel_emulator::{EmulatorConfig, Fault, GrpcCode as EmulatedCode};

fn in_a_year() -> Timestamp {
    Timestamp::now() + SignedDuration::from_hours(24 * 365)
}

// ---- users -------------------------------------------------------------------------------

#[tokio::test]
async fn a_created_human_reads_back_by_id() {
    let env = Env::start().await;
    let client = env.admin_client();

    let created = client
        .create_user(&human(&env.org_id, "alice"))
        .await
        .unwrap();
    assert_eq!(created.id, "alice");
    assert!(created.email_code.is_some(), "returnCode was requested");

    let user = client.get_user_by_id("alice").await.unwrap();
    assert_eq!(user.user_id, "alice");
    assert_eq!(user.username, "alice");
    assert_eq!(user.organization_id(), env.org_id);
    assert_eq!(user.user_type(), Some(UserType::Human));
    let human = user.human.unwrap();
    assert_eq!(human.profile.given_name, "Alice");
    assert_eq!(human.email.email, "alice@example.com");
    assert!(!human.email.is_verified);
}

#[tokio::test]
async fn a_created_machine_reads_back_with_its_token_type() {
    let env = Env::start().await;
    let client = env.admin_client();

    let created = client
        .create_user(&machine(&env.org_id, "ci-bot"))
        .await
        .unwrap();
    assert_eq!(created.id, "ci-bot");
    assert!(created.email_code.is_none());

    let user = client.get_user_by_id("ci-bot").await.unwrap();
    let machine = user.machine.unwrap();
    assert_eq!(machine.name, "CI bot");
    assert_eq!(machine.description, "deploys");
    assert_eq!(
        machine.access_token_type,
        zitadel_client::types::AccessTokenType::Jwt
    );
}

#[tokio::test]
async fn list_users_finds_a_username_ignoring_case_within_the_org() {
    let env = Env::start_with(EmulatorConfig {
        list_delay: Duration::ZERO,
        ..Default::default()
    })
    .await;
    let client = env.admin_client();
    client
        .create_user(&human(&env.org_id, "alice"))
        .await
        .unwrap();
    client
        .create_user(&machine(&env.org_id, "ci-bot"))
        .await
        .unwrap();

    let request = ListUsersRequest {
        query: Some(ListQuery {
            offset: 0,
            limit: 10,
            asc: true,
        }),
        sorting_column: None,
        queries: vec![
            SearchQuery::UserNameQuery {
                user_name: "ALICE".into(),
                method: TextQueryMethod::EqualsIgnoreCase,
            },
            SearchQuery::OrganizationIdQuery {
                organization_id: env.org_id.clone(),
            },
        ],
    };
    let found = client.list_users(&request).await.unwrap();
    assert_eq!(found.details.total_result, 1);
    assert_eq!(found.result.len(), 1);
    assert_eq!(found.result[0].user_id, "alice");

    let machines = ListUsersRequest {
        queries: vec![SearchQuery::TypeQuery {
            r#type: UserType::Machine,
        }],
        ..Default::default()
    };
    let ids: Vec<_> = client
        .list_users(&machines)
        .await
        .unwrap()
        .result
        .into_iter()
        .map(|user| user.user_id)
        .collect();
    assert!(ids.contains(&"ci-bot".to_owned()), "{ids:?}");
    assert!(!ids.contains(&"alice".to_owned()), "{ids:?}");
}

#[tokio::test]
async fn update_user_changes_username_and_profile() {
    let env = Env::start().await;
    let client = env.admin_client();
    client
        .create_user(&human(&env.org_id, "alice"))
        .await
        .unwrap();

    let update = UpdateUserRequest {
        username: Some("alice.doe".into()),
        user_type: Some(UpdateUserType::Human(UpdateHuman {
            profile: Some(UpdateHumanProfile {
                display_name: Some("Alice D.".into()),
                ..Default::default()
            }),
            ..Default::default()
        })),
        metadata: Vec::new(),
    };
    client.update_user("alice", &update).await.unwrap();

    let user = client.get_user_by_id("alice").await.unwrap();
    assert_eq!(user.username, "alice.doe");
    assert_eq!(user.human.unwrap().profile.display_name, "Alice D.");
}

#[tokio::test]
async fn a_deleted_user_is_not_found() {
    let env = Env::start().await;
    let client = env.admin_client();
    client
        .create_user(&human(&env.org_id, "alice"))
        .await
        .unwrap();

    client.delete_user("alice").await.unwrap();

    let err = client.get_user_by_id("alice").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(env.emulator.user("alice").is_none());
}

#[tokio::test]
async fn state_transitions_move_the_user_and_repeating_one_is_a_failed_precondition() {
    let env = Env::start().await;
    let client = env.admin_client();
    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();
    let state = async || client.get_user_by_id("bot").await.unwrap().state;

    client.deactivate_user("bot").await.unwrap();
    assert_eq!(state().await, UserState::Inactive);
    let again = client.deactivate_user("bot").await.unwrap_err();
    assert!(again.is_failed_precondition(), "{again}");
    assert!(!again.is_user_id_taken());
    assert_eq!(again.kind(), ErrorKind::FailedPrecondition);

    client.reactivate_user("bot").await.unwrap();
    assert_eq!(state().await, UserState::Active);
    client.lock_user("bot").await.unwrap();
    assert_eq!(state().await, UserState::Locked);
    client.unlock_user("bot").await.unwrap();
    assert_eq!(state().await, UserState::Active);
}

// ---- metadata ----------------------------------------------------------------------------

#[tokio::test]
async fn metadata_is_set_listed_and_deleted_by_keys_in_the_query() {
    let env = Env::start().await;
    let client = env.admin_client();
    client
        .create_user(&human(&env.org_id, "alice"))
        .await
        .unwrap();
    let odd_key = "k8s/uid & more";

    client
        .set_user_metadata(
            "alice",
            &[
                Metadata::new(odd_key, "abcd"),
                Metadata::new("team", "blue"),
            ],
        )
        .await
        .unwrap();
    let listed = client
        .list_user_metadata("alice", &ListUserMetadataRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.pagination.total_result, 2);
    let entry = listed.metadata.iter().find(|m| m.key == odd_key).unwrap();
    assert_eq!(entry.value, b"abcd");

    client
        .delete_user_metadata("alice", &[odd_key.to_owned()])
        .await
        .unwrap();
    let keys: Vec<_> = env.emulator.user_metadata("alice").into_keys().collect();
    assert_eq!(keys, ["team"]);

    let missing = client
        .delete_user_metadata("alice", &["never-set".to_owned()])
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
}

// ---- codes -------------------------------------------------------------------------------

#[tokio::test]
async fn email_and_phone_codes_come_back_when_asked_for() {
    let env = Env::start().await;
    let client = env.admin_client();
    let mut request = human(&env.org_id, "alice");
    if let CreateUserType::Human(human) = &mut request.user_type {
        human.phone = Some(SetHumanPhone {
            phone: "+41791234567".into(),
            verification: Some(PhoneVerification::ReturnCode {}),
        });
    }
    let created = client.create_user(&request).await.unwrap();
    assert!(created.phone_code.is_some());

    let sent = client
        .send_email_code("alice", &CodeDelivery::ReturnCode {})
        .await
        .unwrap();
    assert!(sent.verification_code.is_some());
    let resent = client
        .resend_email_code("alice", &CodeDelivery::ReturnCode {})
        .await
        .unwrap();
    assert!(resent.verification_code.is_some());
    let phone = client
        .resend_phone_code("alice", &PhoneCodeDelivery::ReturnCode {})
        .await
        .unwrap();
    assert!(phone.verification_code.is_some());
    let mailed = client
        .send_email_code("alice", &CodeDelivery::SendCode { url_template: None })
        .await
        .unwrap();
    assert!(mailed.verification_code.is_none());
}

#[tokio::test]
async fn invite_codes_and_passkey_links_return_codes() {
    let env = Env::start().await;
    let client = env.admin_client();
    client
        .create_user(&human(&env.org_id, "alice"))
        .await
        .unwrap();

    let invite = client
        .create_invite_code(
            "alice",
            &CreateInviteCodeRequest {
                verification: Some(InviteCodeDelivery::ReturnCode {}),
            },
        )
        .await
        .unwrap();
    assert!(
        invite
            .invite_code
            .is_some_and(|code| !code.expose().is_empty())
    );

    let passkey = client
        .create_passkey_registration_link(
            "alice",
            &PasskeyLinkRequest {
                medium: Some(PasskeyLinkMedium::ReturnCode {}),
            },
        )
        .await
        .unwrap();
    let code = passkey.code.unwrap();
    assert!(!code.id.is_empty() && !code.code.expose().is_empty());
}

// ---- machine credentials -----------------------------------------------------------------

#[tokio::test]
async fn a_machine_secret_is_added_and_removed() {
    let env = Env::start().await;
    let client = env.admin_client();
    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();

    let secret = client.add_secret("bot").await.unwrap();
    assert!(!secret.client_secret.expose().is_empty());
    assert!(
        client
            .get_user_by_id("bot")
            .await
            .unwrap()
            .machine
            .unwrap()
            .has_secret
    );

    client.remove_secret("bot").await.unwrap();
    assert!(
        !client
            .get_user_by_id("bot")
            .await
            .unwrap()
            .machine
            .unwrap()
            .has_secret
    );
}

#[tokio::test]
async fn machine_keys_are_added_listed_and_removed() {
    let env = Env::start().await;
    let client = env.admin_client();
    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();

    let key = client
        .add_key(
            "bot",
            &AddKeyRequest {
                expiration_date: in_a_year(),
                public_key: None,
            },
        )
        .await
        .unwrap();
    let key_file: serde_json::Value = serde_json::from_slice(key.key_content.expose()).unwrap();
    assert_eq!(key_file["keyId"], key.key_id.as_str());

    let by_user = ListKeysRequest {
        pagination: None,
        filters: vec![KeyFilter::UserIdFilter { id: "bot".into() }],
    };
    let listed = client.list_keys(&by_user).await.unwrap();
    assert_eq!(listed.result.len(), 1);
    assert_eq!(listed.result[0].id, key.key_id);

    client.remove_key("bot", &key.key_id).await.unwrap();
    assert!(client.list_keys(&by_user).await.unwrap().result.is_empty());
}

#[tokio::test]
async fn personal_access_tokens_are_added_listed_and_removed() {
    let env = Env::start().await;
    let client = env.admin_client();
    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();

    let pat = client
        .add_personal_access_token(
            "bot",
            &AddPatRequest {
                expiration_date: in_a_year(),
            },
        )
        .await
        .unwrap();
    assert!(!pat.token.expose().is_empty());

    let by_user = ListPatsRequest {
        pagination: None,
        filters: vec![PatFilter::UserIdFilter { id: "bot".into() }],
    };
    let listed = client.list_personal_access_tokens(&by_user).await.unwrap();
    assert_eq!(listed.result.len(), 1);
    assert_eq!(listed.result[0].id, pat.token_id);

    client
        .remove_personal_access_token("bot", &pat.token_id)
        .await
        .unwrap();
    let after = client.list_personal_access_tokens(&by_user).await.unwrap();
    assert!(after.result.is_empty());
}

// ---- connection check --------------------------------------------------------------------

/// A URL whose server answers every request with `response` (a raw HTTP/1.1 response) and
/// closes the connection: something other than ZITADEL at the configured address.
fn not_zitadel_url(response: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = [0_u8; 8192];
            // One read suffices: the client's small request arrives in one segment, and the
            // answer does not depend on it.
            let _ = std::io::Read::read(&mut stream, &mut request);
            let _ = std::io::Write::write_all(&mut stream, response.as_bytes());
        }
    });
    url
}

#[tokio::test]
async fn check_access_sees_the_users_of_an_org_with_one_list_call() {
    let env = Env::start_with(EmulatorConfig {
        list_delay: Duration::ZERO,
        ..Default::default()
    })
    .await;
    let client = env.admin_client();
    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();
    client
        .create_user(&machine(&env.org_id, "bot2"))
        .await
        .unwrap();
    env.emulator.reset_call_counts();

    assert_eq!(
        client.check_access(&env.org_id).await.unwrap(),
        AccessCheck::UsersVisible
    );
    assert_eq!(env.emulator.calls(Rpc::ListUsers.as_str()), 1);

    let own_org = ZitadelClient::new(env.config(Credentials::Pat(
        env.emulator.org_scoped_pat(&env.org_id).into(),
    )))
    .unwrap();
    assert_eq!(
        own_org.check_access(&env.org_id).await.unwrap(),
        AccessCheck::UsersVisible
    );
}

#[tokio::test]
async fn check_access_with_an_admin_pat_is_ok_for_an_empty_or_unknown_org() {
    let env = Env::start().await;
    let client = env.admin_client();

    assert_eq!(
        client.check_access(&env.org_id).await.unwrap(),
        AccessCheck::NoUsersVisible
    );
    // ListUsers only filters by organization: an unknown one is an empty list, not an error.
    assert_eq!(
        client.check_access("no-such-org").await.unwrap(),
        AccessCheck::NoUsersVisible
    );
}

#[tokio::test]
async fn check_access_with_a_bad_token_is_unauthenticated() {
    let env = Env::start().await;
    let client =
        ZitadelClient::new(env.config(Credentials::Pat("not-a-zitadel-token".into()))).unwrap();

    let err = client.check_access(&env.org_id).await.unwrap_err();

    assert!(err.is_unauthenticated(), "{err}");
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
}

#[tokio::test]
async fn check_access_on_another_org_sees_no_users_because_list_users_filters() {
    let env = Env::start_with(EmulatorConfig {
        list_delay: Duration::ZERO,
        ..Default::default()
    })
    .await;
    env.admin_client()
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();
    let other_org = env.emulator.create_organization("other");
    let client = ZitadelClient::new(env.config(Credentials::Pat(
        env.emulator.org_scoped_pat(&other_org).into(),
    )))
    .unwrap();

    // Not PermissionDenied: ListUsers drops users the caller may not read instead of refusing
    // (contract §3.2), so a missing permission looks like an empty organization.
    assert_eq!(
        client.check_access(&env.org_id).await.unwrap(),
        AccessCheck::NoUsersVisible
    );
}

#[tokio::test]
async fn check_access_reports_a_permission_denied_answer_as_such() {
    let env = Env::start().await;
    env.emulator.inject(
        Rpc::ListUsers.as_str(),
        Fault::Fail {
            times: 1,
            code: EmulatedCode::PermissionDenied,
        },
    );

    let err = env
        .admin_client()
        .check_access(&env.org_id)
        .await
        .unwrap_err();

    assert!(err.is_permission_denied(), "{err}");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
}

#[tokio::test]
async fn check_access_at_a_wrong_url_is_a_transport_or_decode_error() {
    let env = Env::start().await;
    let mut config = env.config(Credentials::Pat(env.admin_pat.clone().into()));

    config.base_url = unused_local_url();
    let err = ZitadelClient::new(config.clone())
        .unwrap()
        .check_access(&env.org_id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(err.is_transient());

    config.base_url = not_zitadel_url(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 13\r\n\
         connection: close\r\n\r\n<html></html>",
    );
    let err = ZitadelClient::new(config.clone())
        .unwrap()
        .check_access(&env.org_id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");

    config.base_url = not_zitadel_url(
        "HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot found",
    );
    let err = ZitadelClient::new(config)
        .unwrap()
        .check_access(&env.org_id)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api, "{err}");
    assert!(!err.is_not_found(), "a bare 404 is not ZITADEL's NotFound");
}

#[tokio::test]
async fn check_access_refuses_an_empty_org_id_without_a_request() {
    let env = Env::start().await;

    let err = env.admin_client().check_access("").await.unwrap_err();

    assert!(matches!(err, Error::InvalidRequest { .. }), "{err}");
    assert_eq!(env.emulator.calls(Rpc::ListUsers.as_str()), 0);
}

// ---- error classification ----------------------------------------------------------------

#[tokio::test]
async fn reusing_a_human_or_machine_user_id_is_user_id_taken() {
    let env = Env::start().await;
    let client = env.admin_client();
    for request in [human(&env.org_id, "alice"), machine(&env.org_id, "bot")] {
        client.create_user(&request).await.unwrap();
        let retry = CreateUserRequestExt::with_username(request, "fresh-name");
        let err = client.create_user(&retry).await.unwrap_err();
        assert!(err.is_user_id_taken(), "{err}");
        assert_eq!(err.http_status(), Some(400));
        assert_eq!(err.kind().as_str(), "user_id_taken");
    }
}

/// Changes only the username, so a repeat create collides on the id alone.
trait CreateUserRequestExt {
    fn with_username(self, username: &str) -> Self;
}

impl CreateUserRequestExt for zitadel_client::types::CreateUserRequest {
    fn with_username(mut self, username: &str) -> Self {
        self.username = Some(username.to_owned());
        self
    }
}

#[tokio::test]
async fn a_taken_username_is_username_taken() {
    let env = Env::start().await;
    let client = env.admin_client();
    client
        .create_user(&human(&env.org_id, "alice"))
        .await
        .unwrap();

    let mut clash = human(&env.org_id, "alice-2");
    clash.username = Some("ALICE".into());
    let err = client.create_user(&clash).await.unwrap_err();
    assert!(err.is_username_taken(), "{err}");
    assert!(!err.is_user_id_taken());
    assert_eq!(err.http_status(), Some(409));
    assert_eq!(err.error_id(), Some("V3-DKcYh"));
}

#[tokio::test]
async fn a_missing_user_is_not_found() {
    let env = Env::start().await;
    let err = env
        .admin_client()
        .get_user_by_id("nobody")
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.http_status(), Some(404));
    assert!(!err.is_transient());
}

#[tokio::test]
async fn an_empty_given_name_is_invalid_argument() {
    let env = Env::start().await;
    let mut request = human(&env.org_id, "alice");
    if let CreateUserType::Human(human) = &mut request.user_type {
        human.profile.given_name.clear();
    }
    let err = env.admin_client().create_user(&request).await.unwrap_err();
    assert!(err.is_invalid_argument(), "{err}");
    assert_eq!(err.kind().as_str(), "invalid_argument");
}

#[tokio::test]
async fn a_credential_of_another_org_is_permission_denied() {
    let env = Env::start().await;
    let other_org = env.emulator.create_organization("other");
    let pat = env.write_file("other.pat", &env.emulator.org_scoped_pat(&other_org));
    let client = ZitadelClient::new(env.config(Credentials::PatFile(pat))).unwrap();

    let err = client
        .create_user(&human(&env.org_id, "alice"))
        .await
        .unwrap_err();
    assert!(err.is_permission_denied(), "{err}");
    assert_eq!(err.http_status(), Some(403));
}

#[tokio::test]
async fn an_unknown_token_is_unauthenticated() {
    let env = Env::start().await;
    let pat = env.write_file("bogus.pat", "not-a-token");
    let client = ZitadelClient::new(env.config(Credentials::PatFile(pat))).unwrap();

    let err = client.get_user_by_id("alice").await.unwrap_err();
    assert!(err.is_unauthenticated(), "{err}");
    assert_eq!(err.kind().as_str(), "unauthenticated");
    assert!(!err.to_string().contains("not-a-token"));
}

#[tokio::test]
async fn rate_limiting_reports_retry_after_and_is_not_retried() {
    let env = Env::start().await;
    let client = env.admin_client();
    env.emulator.inject(
        Rpc::GetUserById.as_str(),
        Fault::RateLimited {
            times: 1,
            retry_after: Duration::from_secs(2),
        },
    );

    let err = client.get_user_by_id("alice").await.unwrap_err();
    assert!(err.is_rate_limited(), "{err}");
    assert!(err.is_transient());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(err.kind().as_str(), "rate_limited");
    assert_eq!(env.emulator.calls(Rpc::GetUserById.as_str()), 1);
}

// ---- the shared rate limiter ------------------------------------------------------------

#[tokio::test]
async fn a_429_to_one_client_pauses_the_calls_of_another_client_of_the_instance_until_retry_after()
{
    let env = Env::start().await;
    let limiters = Limiters::new(RateLimit::per_second(1000, 1000));
    let (throttled, throttled_seen) =
        env.observed_client(env.config(Credentials::PatFile(env.admin_pat_file())));
    let throttled = throttled.with_limiters(&limiters);
    // Another credential: ZITADEL limits the instance (or the IP), not one credential.
    let other_pat = env.emulator.admin_pat();
    let (other, other_seen) = env.observed_client(env.config(Credentials::Pat(other_pat.into())));
    let other = other.with_limiters(&limiters);
    let retry_after = Duration::from_secs(2);
    env.emulator.inject(
        Rpc::GetUserById.as_str(),
        Fault::RateLimited {
            times: 1,
            retry_after,
        },
    );

    let before = Instant::now();
    let err = throttled.get_user_by_id("alice").await.unwrap_err();
    // The throttled call fails as before: its caller's own retry policy stays in charge.
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(err.retry_after(), Some(retry_after));
    assert_eq!(throttled_seen.pauses(Rpc::GetUserById), [retry_after]);

    let waiting = tokio::spawn(async move { other.list_users(&ListUsersRequest::default()).await });
    tokio::time::sleep(retry_after / 4).await;
    let early_calls = env.emulator.calls(Rpc::ListUsers.as_str());
    // The pause began after `before`: while less than `retry_after` has passed since, nothing
    // may have reached ZITADEL.
    assert!(
        before.elapsed() >= retry_after || early_calls == 0,
        "ListUsers reached ZITADEL during the pause"
    );
    waiting.await.unwrap().unwrap();
    assert!(before.elapsed() >= retry_after);
    assert_eq!(env.emulator.calls(Rpc::ListUsers.as_str()), 1);
    let waits = other_seen.waits(Rpc::ListUsers);
    assert_eq!(waits.len(), 1);
    assert!(waits[0] >= retry_after / 2, "waited {waits:?}");
}

#[tokio::test]
async fn a_shared_limiter_caps_the_rate_of_all_clients_together() {
    let env = Env::start().await;
    let limiters = Limiters::new(RateLimit::per_second(10, 2));
    let one = env.admin_client().with_limiters(&limiters);
    let two = env.admin_client().with_limiters(&limiters);

    let before = Instant::now();
    let calls = (0..4).flat_map(|_| {
        [one.clone(), two.clone()]
            .map(|client| async move { client.list_users(&ListUsersRequest::default()).await })
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }

    // Eight requests at 10 per second with a burst of 2: the last one's turn comes six
    // intervals (600 ms) after the first; without the shared limiter all go at once.
    assert!(
        before.elapsed() >= Duration::from_millis(600),
        "{:?}",
        before.elapsed()
    );
    assert_eq!(env.emulator.calls(Rpc::ListUsers.as_str()), 8);
}

#[tokio::test]
async fn server_errors_are_transient_and_not_retried() {
    let env = Env::start().await;
    let client = env.admin_client();
    for code in [EmulatedCode::Unavailable, EmulatedCode::Internal] {
        env.emulator
            .inject(Rpc::ListUsers.as_str(), Fault::Fail { times: 1, code });
        let err = client
            .list_users(&ListUsersRequest::default())
            .await
            .unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert_eq!(err.kind(), ErrorKind::Transient);
    }
    assert_eq!(env.emulator.calls(Rpc::ListUsers.as_str()), 2);
}

#[tokio::test]
async fn a_hanging_server_hits_the_request_deadline() {
    let env = Env::start().await;
    let client = env.admin_client();
    env.emulator
        .inject(Rpc::GetUserById.as_str(), Fault::Hang { times: 1 });

    let started = Instant::now();
    let err = client.get_user_by_id("alice").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                rpc: Rpc::GetUserById,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.is_timeout() && err.is_transient());
    assert!(started.elapsed() < TEST_REQUEST_TIMEOUT * 4);
}

#[tokio::test]
async fn latency_below_the_deadline_is_tolerated() {
    let env = Env::start().await;
    let client = env.admin_client();
    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();
    env.emulator.inject(
        Rpc::GetUserById.as_str(),
        Fault::Latency {
            times: 1,
            delay: TEST_REQUEST_TIMEOUT / 5,
        },
    );
    assert_eq!(client.get_user_by_id("bot").await.unwrap().user_id, "bot");
}

#[tokio::test]
async fn a_lost_create_response_is_transient_while_the_user_exists() {
    let env = Env::start().await;
    let client = env.admin_client();
    env.emulator
        .inject(Rpc::CreateUser.as_str(), Fault::DropAfterApply { times: 1 });

    let request = human(&env.org_id, "alice");
    let err = client.create_user(&request).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert!(env.emulator.user("alice").is_some());

    // The reconciler's adopt path (contract §14.2): the repeat is user_id_taken, the read works.
    let repeat = client.create_user(&request).await.unwrap_err();
    assert!(repeat.is_user_id_taken(), "{repeat}");
    assert_eq!(
        client.get_user_by_id("alice").await.unwrap().user_id,
        "alice"
    );
}

#[tokio::test]
async fn invalid_ids_are_refused_before_sending() {
    let env = Env::start().await;
    let err = env.admin_client().get_user_by_id("..").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(env.emulator.calls(Rpc::GetUserById.as_str()), 0);
}

#[tokio::test]
async fn ids_with_slashes_stay_inside_their_path_segment() {
    let env = Env::start().await;
    let err = env.admin_client().get_user_by_id("a/b").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(env.emulator.calls(Rpc::GetUserById.as_str()), 1);
}

// ---- instance selection and observation --------------------------------------------------

#[tokio::test]
async fn the_instance_host_header_selects_the_instance() {
    let env = Env::start_with(EmulatorConfig {
        instance_domain: Some("auth.example.test".into()),
        ..Default::default()
    })
    .await;
    let without_host = env.admin_client();
    let err = without_host
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap_err();
    assert!(
        err.api().is_some(),
        "the server refuses an unknown instance: {err}"
    );
    assert!(env.emulator.user("bot").is_none());

    let mut config = env.config(Credentials::PatFile(env.admin_pat_file()));
    config.instance_host = Some("auth.example.test".into());
    let with_host = ZitadelClient::new(config).unwrap();
    with_host
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();
    assert_eq!(
        with_host.get_user_by_id("bot").await.unwrap().user_id,
        "bot"
    );
}

#[tokio::test]
async fn every_call_is_observed_once_with_its_outcome() {
    let env = Env::start().await;
    let (client, observer) =
        env.observed_client(env.config(Credentials::PatFile(env.admin_pat_file())));

    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();
    client.get_user_by_id("bot").await.unwrap();
    client.get_user_by_id("nobody").await.unwrap_err();

    assert_eq!(observer.outcomes(Rpc::CreateUser), ["ok"]);
    assert_eq!(observer.outcomes(Rpc::GetUserById), ["ok", "not_found"]);
    assert_eq!(
        observer.count(Rpc::Token),
        0,
        "a PAT needs no token request"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_transient_transport_error() {
    let env = Env::start().await;
    let mut config = env.config(Credentials::PatFile(env.admin_pat_file()));
    config.base_url = unused_local_url();
    let client = ZitadelClient::new(config).unwrap();

    let err = client.get_user_by_id("bot").await.unwrap_err();

    assert!(
        matches!(
            err,
            Error::Transport {
                rpc: Rpc::GetUserById,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert_eq!(err.kind().as_str(), "transient");
}
