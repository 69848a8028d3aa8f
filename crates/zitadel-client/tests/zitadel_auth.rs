//! Authentication of the ZITADEL client against the emulator: PAT files (rotation, re-read
//! after a 401), the JWT profile (caching, shared refresh, refresh before expiry and after a
//! 401, audience and token-endpoint failures, a throttled token endpoint) and in-memory PATs and
//! keys.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use support::{Env, machine, unused_local_url};
use zitadel_client::types::ListUsersRequest;
use zitadel_client::{
    AuthError, Credentials, Error, ErrorKind, Limiters, RateLimit, Rpc, ZitadelClient,
};
use zitadel_emulator::{EmulatorConfig, Fault};

/// Rewrites `path` with `content` padded to `len` bytes and restores `modified`, so the cheap
/// stat check cannot see the change and only a 401 can trigger the re-read.
fn replace_invisibly(path: &Path, content: &str, len: usize, modified: SystemTime) {
    assert!(content.len() <= len, "the padded length must fit the token");
    std::fs::write(path, format!("{content:<len$}")).unwrap();
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
}

// ---- PAT ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_rotated_pat_file_is_used_from_the_next_call_on() {
    let env = Env::start().await;
    let pat_file = env.admin_pat_file();
    let client = ZitadelClient::new(env.config(Credentials::PatFile(pat_file.clone()))).unwrap();
    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();

    // A token scoped to another organisation cannot see the user: a 403 proves the new file
    // content was sent, without any 401 in between.
    let other_org = env.emulator.create_organization("other");
    std::fs::write(&pat_file, env.emulator.org_scoped_pat(&other_org)).unwrap();
    let err = client.get_user_by_id("bot").await.unwrap_err();
    assert!(err.is_permission_denied() || err.is_not_found(), "{err}");

    std::fs::write(&pat_file, env.emulator.admin_pat()).unwrap();
    assert_eq!(client.get_user_by_id("bot").await.unwrap().user_id, "bot");
}

#[tokio::test]
async fn after_a_401_the_pat_file_is_re_read_and_the_call_retried_once() {
    let env = Env::start().await;
    let admin_pat = &env.admin_pat;
    let padded_len = 512;
    let pat_file = env.write_file("rotating.pat", &format!("{admin_pat:<padded_len$}"));
    let (client, observer) =
        env.observed_client(env.config(Credentials::PatFile(pat_file.clone())));
    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();
    let modified = std::fs::metadata(&pat_file).unwrap().modified().unwrap();

    let replacement = env.emulator.org_scoped_pat(&env.org_id);
    replace_invisibly(&pat_file, &replacement, padded_len, modified);
    env.emulator.revoke_token(admin_pat);
    env.emulator.reset_call_counts();

    let user = client.get_user_by_id("bot").await.unwrap();
    assert_eq!(user.user_id, "bot");
    assert_eq!(
        env.emulator.calls(Rpc::GetUserById.as_str()),
        2,
        "one 401, one retry"
    );
    assert_eq!(observer.outcomes(Rpc::GetUserById), ["ok"]);
}

#[tokio::test]
async fn a_401_with_an_unchanged_pat_file_is_not_retried() {
    let env = Env::start().await;
    let client = env.admin_client();
    env.emulator.revoke_token(&env.admin_pat);

    let err = client.get_user_by_id("bot").await.unwrap_err();
    assert!(err.is_unauthenticated(), "{err}");
    assert_eq!(env.emulator.calls(Rpc::GetUserById.as_str()), 1);
}

#[tokio::test]
async fn a_missing_pat_file_is_an_auth_error() {
    let env = Env::start().await;
    let config = env.config(Credentials::PatFile("/nonexistent/zitadel.pat".into()));
    let err = ZitadelClient::new(config)
        .unwrap()
        .get_user_by_id("bot")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::TokenFileUnreadable { .. })),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(!err.is_transient());
}

// ---- JWT profile -------------------------------------------------------------------------

#[tokio::test]
async fn a_jwt_profile_token_is_requested_once_and_reused() {
    let env = Env::start().await;
    let (client, observer) = env.observed_client(env.config(Credentials::KeyFile(env.key_file())));

    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();
    for _ in 0..3 {
        client.get_user_by_id("bot").await.unwrap();
    }

    assert_eq!(observer.outcomes(Rpc::Token), ["ok"]);
    assert_eq!(observer.count(Rpc::GetUserById), 3);
}

#[tokio::test]
async fn concurrent_first_calls_share_one_token_request() {
    let env = Env::start().await;
    let (client, observer) = env.observed_client(env.config(Credentials::KeyFile(env.key_file())));

    let calls = (0..8).map(|_| {
        let client = client.clone();
        async move { client.get_user_by_id("nobody").await }
    });
    let results = futures::future::join_all(calls).await;

    assert!(
        results
            .iter()
            .all(|r| r.as_ref().is_err_and(Error::is_not_found))
    );
    assert_eq!(observer.count(Rpc::Token), 1);
}

#[tokio::test]
async fn a_short_lived_token_is_refreshed_before_use_instead_of_after_a_401() {
    let env = Env::start_with(EmulatorConfig {
        access_token_lifetime: Duration::from_secs(5),
        ..Default::default()
    })
    .await;
    let (client, observer) = env.observed_client(env.config(Credentials::KeyFile(env.key_file())));

    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();
    client.get_user_by_id("bot").await.unwrap();

    // 5 s is inside the 60 s refresh margin: each call refreshes first and never meets a 401.
    assert_eq!(observer.outcomes(Rpc::Token), ["ok", "ok"]);
    assert_eq!(env.emulator.calls(Rpc::CreateUser.as_str()), 1);
    assert_eq!(env.emulator.calls(Rpc::GetUserById.as_str()), 1);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_after_a_401_and_the_call_retried_once() {
    let env = Env::start().await;
    let (client, observer) = env.observed_client(env.config(Credentials::KeyFile(env.key_file())));
    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();
    env.emulator.expire_access_tokens();
    env.emulator.reset_call_counts();

    assert_eq!(client.get_user_by_id("bot").await.unwrap().user_id, "bot");

    assert_eq!(observer.outcomes(Rpc::Token), ["ok", "ok"]);
    assert_eq!(observer.outcomes(Rpc::GetUserById), ["ok"]);
    assert_eq!(
        env.emulator.calls(Rpc::GetUserById.as_str()),
        2,
        "one 401, one retry"
    );
}

#[tokio::test]
async fn the_assertion_audience_is_the_instance_issuer_behind_an_internal_url() {
    let env = Env::start_with(EmulatorConfig {
        instance_domain: Some("auth.example.test".into()),
        ..Default::default()
    })
    .await;
    let mut config = env.config(Credentials::KeyFile(env.key_file()));
    config.instance_host = Some("auth.example.test".into());
    assert_eq!(config.effective_issuer(), env.emulator.issuer());
    let (client, observer) = env.observed_client(config);

    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();

    assert_eq!(observer.outcomes(Rpc::Token), ["ok"]);
}

#[tokio::test]
async fn a_wrong_audience_is_reported_as_a_configuration_suspect_auth_error() {
    let env = Env::start().await;
    let mut config = env.config(Credentials::KeyFile(env.key_file()));
    config.issuer = Some("https://wrong.example.test".into());
    let (client, observer) = env.observed_client(config);

    let err = client.get_user_by_id("bot").await.unwrap_err();

    let Error::Auth(auth) = &err else {
        panic!("expected an auth error, got {err}")
    };
    assert!(auth.is_config_suspect(), "{auth}");
    assert!(
        matches!(auth, AuthError::TokenEndpointServerError { .. }),
        "ZITADEL answers a rejected assertion with a 5xx (contract §10.2): {auth}"
    );
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(observer.outcomes(Rpc::Token), ["auth"]);
    assert_eq!(env.emulator.calls(Rpc::GetUserById.as_str()), 0);
}

#[tokio::test]
async fn an_invalid_key_file_is_an_auth_error_without_its_content() {
    let env = Env::start().await;
    let key_file = env.write_file("key.json", r#"{"keyId": "k", "key": "SECRETBITS"}"#);
    let client = ZitadelClient::new(env.config(Credentials::KeyFile(key_file))).unwrap();

    let err = client.get_user_by_id("bot").await.unwrap_err();

    assert!(
        matches!(err, Error::Auth(AuthError::KeyFileInvalid { .. })),
        "{err}"
    );
    assert!(!format!("{err} {err:?}").contains("SECRETBITS"));
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_transient() {
    let env = Env::start().await;
    let mut config = env.config(Credentials::KeyFile(env.key_file()));
    config.base_url = unused_local_url();
    let client = ZitadelClient::new(config).unwrap();

    let err = client.get_user_by_id("bot").await.unwrap_err();

    assert!(err.is_transient(), "{err}");
    assert_eq!(err.kind(), ErrorKind::Transient);
}

#[tokio::test]
async fn a_429_from_the_token_endpoint_is_rate_limited_and_pauses_the_api_calls_too() {
    let env = Env::start().await;
    let limiters = Limiters::new(RateLimit::per_second(1000, 1000));
    let (keyed, observer) = env.observed_client(env.config(Credentials::KeyFile(env.key_file())));
    let keyed = keyed.with_limiters(&limiters);
    let with_pat = env.admin_client().with_limiters(&limiters);
    let retry_after = Duration::from_secs(2);
    env.emulator.inject(
        Rpc::Token.as_str(),
        Fault::RateLimited {
            times: 1,
            retry_after,
        },
    );

    let before = Instant::now();
    let err = keyed.get_user_by_id("bot").await.unwrap_err();

    let Error::Auth(auth) = &err else {
        panic!("expected an auth error, got {err}")
    };
    assert!(
        matches!(auth, AuthError::TokenEndpointRateLimited { .. }),
        "{auth}"
    );
    assert!(
        !auth.is_config_suspect(),
        "a throttle is no configuration problem"
    );
    assert!(err.is_rate_limited() && err.is_transient());
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(retry_after));
    assert_eq!(observer.outcomes(Rpc::Token), ["rate_limited"]);
    assert_eq!(observer.pauses(Rpc::Token), [retry_after]);
    // The same ZITADEL throttled the operator: an API call through another client waits too.
    with_pat
        .list_users(&ListUsersRequest::default())
        .await
        .unwrap();
    assert!(before.elapsed() >= retry_after, "{:?}", before.elapsed());
}

// ---- in-memory credentials ---------------------------------------------------------------

#[tokio::test]
async fn an_in_memory_pat_authenticates() {
    let env = Env::start().await;
    let client =
        ZitadelClient::new(env.config(Credentials::Pat(format!("{}\n", env.admin_pat).into())))
            .unwrap();

    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();
    assert_eq!(client.get_user_by_id("bot").await.unwrap().user_id, "bot");
}

#[tokio::test]
async fn a_wrong_in_memory_pat_is_unauthenticated_without_a_retry() {
    let env = Env::start().await;
    let client = ZitadelClient::new(env.config(Credentials::Pat("wrong-token".into()))).unwrap();

    let err = client.get_user_by_id("bot").await.unwrap_err();

    assert!(err.is_unauthenticated(), "{err}");
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(env.emulator.calls(Rpc::GetUserById.as_str()), 1);
}

#[tokio::test]
async fn an_in_memory_key_gets_a_token_through_the_jwt_profile() {
    let env = Env::start().await;
    let key = Credentials::Key(env.emulator.service_account_key().into());
    let (client, observer) = env.observed_client(env.config(key));

    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();
    client.get_user_by_id("bot").await.unwrap();

    assert_eq!(observer.outcomes(Rpc::Token), ["ok"]);
    assert_eq!(env.emulator.calls("Token"), 1);
}

#[tokio::test]
async fn an_in_memory_key_is_used_again_for_a_new_token_after_a_401() {
    let env = Env::start().await;
    let key = Credentials::Key(env.emulator.service_account_key().into());
    let (client, observer) = env.observed_client(env.config(key));
    client
        .create_user(&machine(&env.org_id, "bot"))
        .await
        .unwrap();
    env.emulator.expire_access_tokens();

    assert_eq!(client.get_user_by_id("bot").await.unwrap().user_id, "bot");

    assert_eq!(observer.outcomes(Rpc::Token), ["ok", "ok"]);
}

#[tokio::test]
async fn unusable_in_memory_credentials_fail_when_the_client_is_built() {
    let env = Env::start().await;

    let blank = ZitadelClient::new(env.config(Credentials::Pat(" \n".into())));
    assert!(
        matches!(blank, Err(Error::Auth(AuthError::TokenEmpty))),
        "{blank:?}"
    );

    let broken = r#"{"keyId": "k", "key": "SECRETBITS", "userId": "u"}"#;
    let err = ZitadelClient::new(env.config(Credentials::Key(broken.into()))).unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::KeySigning(_))),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(!format!("{err} {err:?}").contains("SECRETBITS"));
    assert_eq!(env.emulator.calls("Token"), 0);
}
