use std::process::Command;

use clap::{Parser, error::ErrorKind};

use super::*;

const PROGRAM: &str = "zitadel-user-operator";

/// Minimal valid command line: the operator's namespace.
fn minimal_args() -> Vec<String> {
    [PROGRAM, "--namespace", "zitadel-system"]
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
            namespace: "zitadel-system".to_owned(),
            watch_namespaces: vec![],
            concurrency: 32,
            resync_interval: Duration::from_secs(600),
            credential_check_interval: Duration::from_secs(3600),
            metrics_addr: "0.0.0.0:8080".parse().unwrap(),
            leader_election: None,
            zitadel_rate_limit: DEFAULT_ZITADEL_RATE_LIMIT.with_max_in_flight(16),
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
        "--namespace=operators",
        "--watch-namespaces=team-a,team-b",
        "--concurrency=8",
        "--resync-interval=1h",
        "--credential-check-interval=30m",
        "--metrics-addr=127.0.0.1:9090",
        "--log-format=json",
        "--log-level=debug",
        "--leader-election",
        "--lease-name=my-lease",
        "--pod-name=operator-0",
        "--zitadel-qps=7.5",
        "--zitadel-burst=3",
        "--zitadel-max-in-flight=5",
    ])
    .unwrap();
    assert_eq!(args.log_format, LogFormat::Json);
    assert_eq!(args.log_level, "debug");

    let config = args.into_config().unwrap();
    assert_eq!(
        config,
        OperatorConfig {
            namespace: "operators".to_owned(),
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
            zitadel_rate_limit: RateLimit::new(7.5, 3).unwrap().with_max_in_flight(5),
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
            ("WATCH_NAMESPACES", "team-a, team-b"),
            ("RECONCILE_CONCURRENCY", "2"),
            ("RESYNC_INTERVAL", "5m"),
            ("CREDENTIAL_CHECK_INTERVAL", "2h"),
            ("METRICS_ADDR", "127.0.0.1:9191"),
            ("LOG_FORMAT", "json"),
            ("LOG_LEVEL", "warn"),
            ("LEADER_ELECTION", "true"),
            ("LEASE_NAME", "env-lease"),
            ("POD_NAMESPACE", "operators"),
            ("POD_NAME", "operator-1"),
            ("ZITADEL_QPS", "0.5"),
            ("ZITADEL_BURST", "2"),
            ("ZITADEL_MAX_IN_FLIGHT", "3"),
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
    assert_eq!(config.namespace, "operators");
    assert_eq!(config.credential_check_interval, Duration::from_secs(7200));
    assert_eq!(config.watch_namespaces, ["team-a", "team-b"]);
    assert_eq!(config.concurrency, 2);
    assert_eq!(config.resync_interval, Duration::from_secs(300));
    assert_eq!(config.metrics_addr, "127.0.0.1:9191".parse().unwrap());
    let leader = config.leader_election.unwrap();
    assert_eq!(leader.lease_name, "env-lease");
    assert_eq!(leader.lease_namespace, "operators");
    assert_eq!(leader.identity, "operator-1");
    assert_eq!(
        config.zitadel_rate_limit,
        RateLimit::new(0.5, 2).unwrap().with_max_in_flight(3)
    );
}

#[test]
fn the_operators_namespace_is_required() {
    let error = Args::try_parse_from([PROGRAM]).unwrap().into_config();
    assert!(matches!(error, Err(ConfigError::MissingNamespace)));
    let message = error.unwrap_err().to_string();
    assert!(
        message.contains("--namespace") && message.contains("POD_NAMESPACE"),
        "{message}"
    );
}

/// The credential check and resync intervals (`--credential-check-interval`,
/// `--resync-interval`) after parsing `value` for both.
fn durations_from(value: &str) -> Result<(Duration, Duration), ConfigError> {
    let config = config_with(&[
        &format!("--credential-check-interval={value}"),
        &format!("--resync-interval={value}"),
    ])?;
    Ok((config.credential_check_interval, config.resync_interval))
}

/// Asserts that both duration flags reject `value` at parse time, naming the flag.
fn assert_duration_syntax_rejected(value: &str) {
    for flag in ["--credential-check-interval", "--resync-interval"] {
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
        for flag in ["--credential-check-interval", "--resync-interval"] {
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
fn the_default_zitadel_rate_is_twenty_per_second_with_a_burst_of_forty() {
    assert_eq!(
        DEFAULT_ZITADEL_RATE_LIMIT,
        RateLimit::new(20.0, 40).unwrap()
    );
}

#[test]
fn the_zitadel_rate_must_be_greater_than_zero_naming_the_flag() {
    for value in ["0", "-1", "NaN", "inf"] {
        let error = config_with(&[&format!("--zitadel-qps={value}")]).unwrap_err();
        assert!(
            matches!(
                error,
                ConfigError::RateLimit {
                    flag: "--zitadel-qps",
                    ..
                }
            ),
            "{value}: {error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains("--zitadel-qps") && message.contains("greater than zero"),
            "{message}"
        );
    }
    let error = parse_with(&["--zitadel-qps=fast"]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ValueValidation);
}

#[test]
fn the_zitadel_burst_must_be_at_least_one() {
    for value in ["0", "-1", "1.5"] {
        let error = parse_with(&[&format!("--zitadel-burst={value}")]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ValueValidation, "{value}");
    }
    let config = config_with(&["--zitadel-burst=1"]).unwrap();
    assert_eq!(config.zitadel_rate_limit.burst(), 1);
}

#[test]
fn the_zitadel_requests_in_flight_must_be_at_least_one() {
    for value in ["0", "-1", "many"] {
        let error = parse_with(&[&format!("--zitadel-max-in-flight={value}")]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ValueValidation, "{value}");
    }
}

#[test]
fn leader_election_can_be_switched_off_explicitly() {
    let config = config_with(&["--leader-election=false"]).unwrap();
    assert_eq!(config.leader_election, None);
}

#[test]
fn the_lease_identity_falls_back_to_a_non_empty_default() {
    let config = config_with(&["--leader-election"]).unwrap();
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
    let message = config_with(&["--watch-namespaces=Bad"])
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("--watch-namespaces") && message.contains("Bad"),
        "{message}"
    );
}
