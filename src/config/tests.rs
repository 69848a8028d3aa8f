use std::process::Command;

use clap::{Parser, error::ErrorKind};

use super::*;

const PROGRAM: &str = "zitadel-user-operator";

/// Minimal valid command line: a URL and one credential file.
fn minimal_args() -> Vec<String> {
    [
        PROGRAM,
        "--zitadel-url",
        "https://zitadel.example.com/",
        "--zitadel-pat-file",
        "/var/run/zitadel/pat",
    ]
    .map(String::from)
    .to_vec()
}

/// Parses the minimal command line plus `extra` flags.
fn parse_with(extra: &[&str]) -> Result<Args, clap::Error> {
    let mut args = minimal_args();
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    Args::try_parse_from(args)
}

/// Parses and validates the minimal command line plus `extra` flags.
fn config_with(extra: &[&str]) -> Result<OperatorConfig, ConfigError> {
    parse_with(extra)
        .unwrap_or_else(|e| panic!("flags {extra:?} should parse: {e}"))
        .into_config()
}

#[test]
fn a_minimal_command_line_gets_the_documented_defaults() {
    let config = config_with(&[]).unwrap();
    assert_eq!(
        config,
        OperatorConfig {
            zitadel: ClientConfig::new(
                "https://zitadel.example.com",
                Credentials::PatFile("/var/run/zitadel/pat".into())
            ),
            watch_namespaces: vec![],
            concurrency: 4,
            resync_interval: Duration::from_secs(600),
            credential_check_interval: Duration::from_secs(3600),
            metrics_addr: "0.0.0.0:8080".parse().unwrap(),
            leader_election: None,
            allow_adoption: false,
        }
    );
    let args = parse_with(&[]).unwrap();
    assert_eq!(args.log_format, LogFormat::Text);
    assert_eq!(args.log_level, "info");
}

#[test]
fn every_option_can_be_given_as_a_flag() {
    let args = Args::try_parse_from([
        PROGRAM,
        "--zitadel-url=http://127.0.0.1:8081",
        "--zitadel-key-file=/keys/sa.json",
        "--zitadel-instance-host=id.example.com",
        "--zitadel-issuer=https://issuer.example.com",
        "--zitadel-timeout=1500ms",
        "--watch-namespaces=team-a,team-b",
        "--concurrency=8",
        "--resync-interval=1h",
        "--credential-check-interval=30m",
        "--metrics-addr=127.0.0.1:9090",
        "--log-format=json",
        "--log-level=debug",
        "--leader-election",
        "--allow-adoption",
        "--lease-name=my-lease",
        "--lease-namespace=operators",
        "--pod-name=operator-0",
    ])
    .unwrap();
    assert_eq!(args.log_format, LogFormat::Json);
    assert_eq!(args.log_level, "debug");

    let config = args.into_config().unwrap();
    assert_eq!(
        config,
        OperatorConfig {
            zitadel: ClientConfig {
                instance_host: Some("id.example.com".to_owned()),
                issuer: Some("https://issuer.example.com".to_owned()),
                request_timeout: Duration::from_millis(1500),
                ..ClientConfig::new(
                    "http://127.0.0.1:8081",
                    Credentials::KeyFile("/keys/sa.json".into())
                )
            },
            watch_namespaces: vec!["team-a".to_owned(), "team-b".to_owned()],
            concurrency: 8,
            resync_interval: Duration::from_secs(3600),
            credential_check_interval: Duration::from_secs(1800),
            metrics_addr: "127.0.0.1:9090".parse().unwrap(),
            leader_election: Some(LeaderElectionSettings {
                lease_name: "my-lease".to_owned(),
                lease_namespace: "operators".to_owned(),
                identity: "operator-0".to_owned(),
                timing: LeaseTiming::default(),
            }),
            allow_adoption: true,
        }
    );
}

/// Marks the child process of [`every_option_can_be_given_as_an_environment_variable`].
const ENV_CHILD_MARKER: &str = "ZITADEL_USER_OPERATOR_CONFIG_ENV_CHILD";

#[test]
fn every_option_can_be_given_as_an_environment_variable() {
    if std::env::var_os(ENV_CHILD_MARKER).is_some() {
        assert_config_from_environment();
        return;
    }
    // Mutating the environment of the multi-threaded test process races with every other test
    // (which is why `set_var` is unsafe), so this test re-runs itself in a child process that
    // starts with exactly these variables.
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "config::tests::every_option_can_be_given_as_an_environment_variable",
            "--test-threads=1",
            "--nocapture",
        ])
        .env_clear()
        .envs([
            (ENV_CHILD_MARKER, "1"),
            ("ZITADEL_URL", "https://zitadel.example.com"),
            ("ZITADEL_KEY_FILE", "/keys/sa.json"),
            ("ZITADEL_INSTANCE_HOST", "id.example.com"),
            ("ZITADEL_ISSUER", "https://issuer.example.com"),
            ("ZITADEL_TIMEOUT", "3s"),
            ("WATCH_NAMESPACES", "team-a, team-b"),
            ("RECONCILE_CONCURRENCY", "2"),
            ("RESYNC_INTERVAL", "5m"),
            ("METRICS_ADDR", "127.0.0.1:9191"),
            ("LOG_FORMAT", "json"),
            ("LOG_LEVEL", "warn"),
            ("LEADER_ELECTION", "true"),
            ("ALLOW_ADOPTION", "true"),
            ("LEASE_NAME", "env-lease"),
            ("POD_NAMESPACE", "operators"),
            ("POD_NAME", "operator-1"),
        ])
        .output()
        .unwrap();
    assert!(
        child.status.success(),
        "the child process failed: {}\n{}{}",
        child.status,
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
}

fn assert_config_from_environment() {
    let args = Args::try_parse_from([PROGRAM]).unwrap();
    assert_eq!(args.log_format, LogFormat::Json);
    assert_eq!(args.log_level, "warn");
    let config = args.into_config().unwrap();
    assert_eq!(
        config.zitadel,
        ClientConfig {
            instance_host: Some("id.example.com".to_owned()),
            issuer: Some("https://issuer.example.com".to_owned()),
            request_timeout: Duration::from_secs(3),
            ..ClientConfig::new(
                "https://zitadel.example.com",
                Credentials::KeyFile("/keys/sa.json".into())
            )
        }
    );
    assert_eq!(config.watch_namespaces, ["team-a", "team-b"]);
    assert_eq!(config.concurrency, 2);
    assert_eq!(config.resync_interval, Duration::from_secs(300));
    assert_eq!(config.metrics_addr, "127.0.0.1:9191".parse().unwrap());
    assert!(config.allow_adoption);
    let leader = config.leader_election.unwrap();
    assert_eq!(leader.lease_name, "env-lease");
    assert_eq!(leader.lease_namespace, "operators");
    assert_eq!(leader.identity, "operator-1");
}

#[test]
fn both_credential_files_are_rejected() {
    let error = parse_with(&["--zitadel-key-file", "/keys/sa.json"]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ArgumentConflict);
}

#[test]
fn a_missing_credential_file_is_rejected() {
    let error =
        Args::try_parse_from([PROGRAM, "--zitadel-url", "https://z.example.com"]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::MissingRequiredArgument);
}

#[test]
fn a_missing_zitadel_url_is_rejected() {
    let error = Args::try_parse_from([PROGRAM, "--zitadel-pat-file", "/pat"]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::MissingRequiredArgument);
}

#[test]
fn a_zitadel_url_that_is_not_http_is_rejected() {
    for url in [
        "zitadel.example.com",
        "ftp://zitadel.example.com",
        "https://",
    ] {
        let args =
            Args::try_parse_from([PROGRAM, "--zitadel-url", url, "--zitadel-pat-file=/p"]).unwrap();
        assert!(
            matches!(args.into_config(), Err(ConfigError::InvalidZitadelUrl(_))),
            "{url} should be rejected"
        );
    }
}

#[test]
fn a_zitadel_url_with_credentials_is_rejected_without_echoing_them() {
    let args = Args::try_parse_from([
        PROGRAM,
        "--zitadel-url=https://admin:hunter2@zitadel.example.com",
        "--zitadel-pat-file=/p",
    ])
    .unwrap();
    let error = args.into_config().unwrap_err();
    assert!(matches!(error, ConfigError::CredentialsInUrl));
    assert!(!format!("{error} {error:?}").contains("hunter2"));
}

/// The timeout and the resync interval (`--zitadel-timeout`, `--resync-interval`) after
/// parsing `value` for both.
fn durations_from(value: &str) -> Result<(Duration, Duration), ConfigError> {
    let config = config_with(&[
        &format!("--zitadel-timeout={value}"),
        &format!("--resync-interval={value}"),
    ])?;
    Ok((config.zitadel.request_timeout, config.resync_interval))
}

/// Asserts that both duration flags reject `value` at parse time, naming the flag.
fn assert_duration_syntax_rejected(value: &str) {
    for flag in ["--zitadel-timeout", "--resync-interval"] {
        let error = parse_with(&[&format!("{flag}={value}")]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ValueValidation, "{flag}={value}");
        let message = error.to_string();
        assert!(
            message.contains(flag) && message.contains("e.g. `500ms`"),
            "{message}"
        );
    }
}

#[test]
fn durations_accept_one_number_and_a_unit_as_documented() {
    for (value, expected) in [
        ("250ms", Duration::from_millis(250)),
        ("10s", Duration::from_secs(10)),
        ("10m", Duration::from_secs(600)),
        ("2h", Duration::from_secs(7_200)),
    ] {
        assert_eq!(
            durations_from(value).unwrap(),
            (expected, expected),
            "{value}"
        );
    }
}

#[test]
fn durations_accept_compound_and_spelled_out_units() {
    for (value, expected) in [
        ("1m30s", Duration::from_secs(90)),
        ("1h 30m", Duration::from_secs(5_400)),
        ("2 minutes", Duration::from_secs(120)),
        ("1.5s", Duration::from_millis(1_500)),
    ] {
        assert_eq!(
            durations_from(value).unwrap(),
            (expected, expected),
            "{value}"
        );
    }
}

#[test]
fn surrounding_whitespace_around_a_duration_is_ignored() {
    let five = Duration::from_secs(5);
    assert_eq!(durations_from(" 5s\n").unwrap(), (five, five));
}

#[test]
fn a_duration_without_a_unit_or_with_an_unknown_one_is_rejected() {
    for value in ["10", "", "s", "10x", "ten minutes"] {
        assert_duration_syntax_rejected(value);
    }
}

#[test]
fn zero_and_negative_durations_are_rejected_naming_the_flag() {
    for value in ["0s", "0ms", "-5s", "-1m30s"] {
        for flag in ["--zitadel-timeout", "--resync-interval"] {
            let error = config_with(&[&format!("{flag}={value}")]).unwrap_err();
            assert!(
                matches!(error, ConfigError::NotPositive { flag: f, .. } if f == flag),
                "{flag}={value}: {error:?}"
            );
            let message = error.to_string();
            assert!(
                message.contains(flag) && message.contains("greater than zero"),
                "{message}"
            );
        }
    }
    let message = config_with(&["--resync-interval=-5s"])
        .unwrap_err()
        .to_string();
    assert!(message.contains("got `-5s`"), "{message}");
}

#[test]
fn watched_namespaces_are_trimmed_deduplicated_and_empty_entries_dropped() {
    let config = config_with(&["--watch-namespaces= team-a,,team-b ,team-a,"]).unwrap();
    assert_eq!(config.watch_namespaces, ["team-a", "team-b"]);
}

#[test]
fn an_empty_namespace_list_watches_all_namespaces() {
    let config = config_with(&["--watch-namespaces="]).unwrap();
    assert!(config.watch_namespaces.is_empty());
}

#[test]
fn an_invalid_namespace_name_is_rejected() {
    for name in ["Team-A", "-team", "team_a", &"a".repeat(64)] {
        let flag = format!("--watch-namespaces=ok,{name}");
        assert!(
            matches!(config_with(&[&flag]), Err(ConfigError::InvalidNamespace(n)) if n == name),
            "{name} should be rejected"
        );
    }
}

#[test]
fn concurrency_must_be_at_least_one() {
    let error = parse_with(&["--concurrency=0"]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ValueValidation);
}

#[test]
fn leader_election_requires_the_lease_namespace() {
    assert!(matches!(
        config_with(&["--leader-election"]),
        Err(ConfigError::MissingLeaseNamespace)
    ));
}

#[test]
fn leader_election_can_be_switched_off_explicitly() {
    let config = config_with(&["--leader-election=false", "--lease-namespace=ops"]).unwrap();
    assert_eq!(config.leader_election, None);
}

#[test]
fn adoption_is_off_unless_allowed_explicitly() {
    assert!(!config_with(&[]).unwrap().allow_adoption);
    assert!(config_with(&["--allow-adoption"]).unwrap().allow_adoption);
    assert!(
        config_with(&["--allow-adoption=true"])
            .unwrap()
            .allow_adoption
    );
    assert!(
        !config_with(&["--allow-adoption=false"])
            .unwrap()
            .allow_adoption
    );
}

#[test]
fn the_lease_identity_falls_back_to_a_non_empty_default() {
    let config = config_with(&["--leader-election", "--lease-namespace=ops"]).unwrap();
    let leader = config.leader_election.unwrap();
    assert_eq!(leader.lease_name, "zitadel-user-operator");
    assert!(!leader.identity.is_empty());
}

#[test]
fn random_identities_differ() {
    assert_ne!(random_identity(), random_identity());
}

#[test]
fn configuration_errors_name_the_offending_flag() {
    let message = config_with(&["--leader-election"]).unwrap_err().to_string();
    assert!(message.contains("--lease-namespace"), "{message}");
    let message = config_with(&["--watch-namespaces=Bad"])
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("--watch-namespaces") && message.contains("Bad"),
        "{message}"
    );
}
