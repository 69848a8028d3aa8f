//! Command-line flags and environment variables, and their conversion into [`OperatorConfig`].
//!
//! Every option is both a flag and an environment variable so the same binary runs from a shell
//! and from a Helm-rendered Deployment. [`Args`] is the raw input; [`OperatorConfig`] is the
//! validated form the library works with.

use std::{net::SocketAddr, path::Path, time::Duration};

use clap::{ArgAction, Parser};
use jiff::SignedDuration;
use jiff::fmt::friendly::{Direction, SpanParser, SpanPrinter};

use crate::leader::{LeaderElectionSettings, LeaseTiming};
use crate::telemetry::LogFormat;
use crate::zitadel::{RateLimit, RateLimitError};

/// Lease holder identity length when neither `--pod-name` nor a hostname is available.
const RANDOM_IDENTITY_LEN: usize = 16;

/// Default of `--zitadel-qps` and `--zitadel-burst`: 20 requests per second to one ZITADEL
/// instance, across all connections to it, up to 40 at once after a quiet spell.
///
/// The rate: ZITADEL Cloud's rate-limit policy (February 2025) allows its gRPC, REST and OAuth
/// APIs 50 requests per second per client IP, averaged over a minute, and bans the IP for a
/// minute when that is exceeded over three minutes; the earlier policy (April 2024) allowed 10.
/// Self-hosted ZITADEL has no request rate limit of its own: it answers 429 only for a blocked
/// instance or an exhausted request quota, and whatever proxy fronts it may limit on top. 20
/// keeps well below the Cloud limit while other workloads share the cluster's egress IP, and
/// still covers a 10-minute resync of 6 000 to 12 000 users (one or two reads each). Lower it
/// for the older Cloud limit or a strict proxy; raise it for a self-hosted instance sized for
/// more.
///
/// The burst: two seconds' worth of the rate, so a burst of edits (a `kubectl apply` of many
/// Users, a restart's first resync) starts without queueing, while a full burst followed by the
/// steady rate stays far under Cloud's 50 per second averaged over a minute.
pub const DEFAULT_ZITADEL_RATE_LIMIT: RateLimit = RateLimit::per_second(20, 40);

/// Default of `--zitadel-max-in-flight`: 16 requests to one ZITADEL instance awaiting their
/// answer at once.
///
/// At the default 20 requests per second, 16 in flight only bind once ZITADEL takes longer than
/// 800 ms to answer: then they keep a slow ZITADEL from being handed ever more concurrent work.
/// With a higher rate (a self-hosted instance) they are what bounds ZITADEL's load. The
/// benchmark (`bench/README.md`) measured 32 reconciles over 16 requests in flight within 1.2x
/// of the latency bound, where 16 reconciles without a cap took 1.5x: a reconcile also waits
/// for Kubernetes, and the spare reconciles keep every ZITADEL place busy meanwhile.
pub const DEFAULT_ZITADEL_MAX_IN_FLIGHT: u32 = 16;

/// Command-line flags; each also reads the environment variable named in its help.
#[derive(Debug, Clone, Parser)]
#[command(name = "zitadel-user-operator", version, about)]
pub struct Args {
    /// Comma-separated namespaces to watch; empty watches all namespaces.
    #[arg(
        long,
        env = "WATCH_NAMESPACES",
        default_value = "",
        value_name = "NS[,NS...]"
    )]
    pub watch_namespaces: String,

    /// How many `User` objects are reconciled at the same time. The ZITADEL rate limit and
    /// `--zitadel-max-in-flight`, not this, cap what ZITADEL is asked: twice the default cap
    /// lets reconciles waiting for Kubernetes overlap the others' ZITADEL calls.
    #[arg(
        long = "concurrency",
        env = "RECONCILE_CONCURRENCY",
        default_value_t = 32,
        value_parser = clap::value_parser!(u16).range(1..)
    )]
    pub concurrency: u16,

    /// How often every `User` is reconciled even without a change, e.g. `10m`, `1h`.
    #[arg(
        long,
        env = "RESYNC_INTERVAL",
        default_value = "10m",
        value_name = "DURATION",
        value_parser = parse_duration
    )]
    pub resync_interval: SignedDuration,

    /// How often the operator lists a machine user's keys and tokens to find any deleted in
    /// ZITADEL behind its back (they are recreated), e.g. `1h`. Each user's first check after a
    /// start comes at a random point within the interval, so a restart causes no burst.
    #[arg(
        long,
        env = "CREDENTIAL_CHECK_INTERVAL",
        default_value = "1h",
        value_name = "DURATION",
        value_parser = parse_duration
    )]
    pub credential_check_interval: SignedDuration,

    /// Address of the `/metrics`, `/healthz` and `/readyz` HTTP server.
    #[arg(long, env = "METRICS_ADDR", default_value = "0.0.0.0:8080")]
    pub metrics_addr: SocketAddr,

    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Log filter in `tracing` EnvFilter syntax, e.g. `info,zitadel_user_operator=debug`.
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Run only while holding a Lease, so several replicas can run for availability.
    // `Set` with an optional value accepts `--leader-election`, `--leader-election=false` and
    // `LEADER_ELECTION=true|false`; a plain `SetTrue` flag could not be switched off explicitly.
    #[arg(
        long,
        env = "LEADER_ELECTION",
        action = ArgAction::Set,
        num_args = 0..=1,
        default_value_t = false,
        default_missing_value = "true"
    )]
    pub leader_election: bool,

    /// Name of the Lease used for leader election.
    #[arg(long, env = "LEASE_NAME", default_value = "zitadel-user-operator")]
    pub lease_name: String,

    /// The operator's own namespace (the Pod's): where its Lease and the credential Secrets of
    /// `ClusterZitadelConnection`s live.
    #[arg(long, env = "POD_NAMESPACE")]
    pub namespace: Option<String>,

    /// Lease holder identity; defaults to the hostname (the Pod name) or a random id.
    #[arg(long, env = "POD_NAME")]
    pub pod_name: Option<String>,

    /// Requests per second to each ZITADEL instance (fractions allowed), shared by every
    /// connection to it; a 429 from ZITADEL pauses them all for its `Retry-After`.
    #[arg(
        long,
        env = "ZITADEL_QPS",
        default_value_t = DEFAULT_ZITADEL_RATE_LIMIT.qps(),
        value_name = "QPS"
    )]
    pub zitadel_qps: f64,

    /// Requests to each ZITADEL instance that may go at once after a quiet spell.
    #[arg(
        long,
        env = "ZITADEL_BURST",
        default_value_t = DEFAULT_ZITADEL_RATE_LIMIT.burst(),
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub zitadel_burst: u32,

    /// Requests to each ZITADEL instance that may await their answer at once, across every
    /// connection to it; further requests wait for an answer before they go.
    #[arg(
        long,
        env = "ZITADEL_MAX_IN_FLIGHT",
        default_value_t = DEFAULT_ZITADEL_MAX_IN_FLIGHT,
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub zitadel_max_in_flight: u32,
}

/// Validated operator configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorConfig {
    /// The operator's namespace: its Lease and the credential Secrets of cluster connections.
    pub namespace: String,
    /// Namespaces to watch; empty means all namespaces.
    pub watch_namespaces: Vec<String>,
    /// Maximum number of concurrent reconciles (at least 1).
    pub concurrency: u16,
    /// Interval after which a healthy `User` is reconciled again.
    pub resync_interval: Duration,
    /// Interval between checks that a machine user's keys and tokens still exist in ZITADEL.
    pub credential_check_interval: Duration,
    /// Listen address of the metrics and health server.
    pub metrics_addr: SocketAddr,
    /// Leader election, when enabled.
    pub leader_election: Option<LeaderElectionSettings>,
    /// The request rate to each ZITADEL instance and its requests in flight (`--zitadel-qps`,
    /// `--zitadel-burst`, `--zitadel-max-in-flight`).
    pub zitadel_rate_limit: RateLimit,
}

/// Why the flags and environment do not form a valid configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A watched namespace is not a valid namespace name.
    #[error(
        "--watch-namespaces entry `{0}` is not a valid namespace name (lowercase letters, digits and `-`, at most 63 characters)"
    )]
    InvalidNamespace(String),
    /// A duration flag is zero or negative: a zero resync interval would reconcile in a hot
    /// loop, a zero timeout would fail every ZITADEL request.
    #[error(
        "{flag} must be greater than zero, got `{}` (e.g. `10s`, `1m30s`, `10m`)",
        print_duration(value)
    )]
    NotPositive {
        /// The offending flag, e.g. `--resync-interval`.
        flag: &'static str,
        /// The rejected value.
        value: SignedDuration,
    },
    /// The operator must know its own namespace.
    #[error("--namespace (POD_NAMESPACE) is required: the operator's own namespace")]
    MissingNamespace,
    /// The Lease name is empty.
    #[error("--lease-name must not be empty when leader election is enabled")]
    EmptyLeaseName,
    /// `--zitadel-qps` or `--zitadel-burst` is not a usable rate.
    #[error("{flag} is not a usable ZITADEL rate limit: {source}")]
    RateLimit {
        /// `--zitadel-qps` or `--zitadel-burst`.
        flag: &'static str,
        /// What is wrong with it.
        #[source]
        source: RateLimitError,
    },
}

impl Args {
    /// Validates the flags and converts them into the library's configuration.
    ///
    /// # Errors
    /// [`ConfigError`] naming the offending flag.
    pub fn into_config(self) -> Result<OperatorConfig, ConfigError> {
        let namespace = non_empty(self.namespace).ok_or(ConfigError::MissingNamespace)?;
        let leader_election = if self.leader_election {
            Some(leader_election_settings(
                self.lease_name,
                namespace.clone(),
                self.pod_name,
            )?)
        } else {
            None
        };
        Ok(OperatorConfig {
            namespace,
            watch_namespaces: parse_namespaces(&self.watch_namespaces)?,
            concurrency: self.concurrency,
            resync_interval: positive(self.resync_interval, "--resync-interval")?,
            credential_check_interval: positive(
                self.credential_check_interval,
                "--credential-check-interval",
            )?,
            metrics_addr: self.metrics_addr,
            leader_election,
            zitadel_rate_limit: rate_limit(self.zitadel_qps, self.zitadel_burst)?
                .with_max_in_flight(self.zitadel_max_in_flight),
        })
    }
}

fn rate_limit(qps: f64, burst: u32) -> Result<RateLimit, ConfigError> {
    RateLimit::new(qps, burst).map_err(|source| ConfigError::RateLimit {
        flag: match source {
            RateLimitError::Qps { .. } => "--zitadel-qps",
            RateLimitError::Burst => "--zitadel-burst",
        },
        source,
    })
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Why a duration flag does not parse. Zero and negative values parse; [`positive`] rejects
/// them with the flag's name, which a value parser does not know.
#[derive(Debug, thiserror::Error)]
#[error(
    "`{input}` is not a duration: use a number and a unit (ms, s, m, h), e.g. `500ms`, `10s`, `1m30s`, `1h`"
)]
struct DurationError {
    input: String,
    #[source]
    source: jiff::Error,
}

/// Parses jiff's friendly duration format (`10s`, `1m30s`, `2 hours`); surrounding whitespace,
/// as a Helm value or an environment file may carry, is ignored.
fn parse_duration(input: &str) -> Result<SignedDuration, DurationError> {
    // Friendly format only: ISO 8601 (`PT10S`) would be a second syntax to document.
    static PARSER: SpanParser = SpanParser::new();
    PARSER
        .parse_duration(input.trim())
        .map_err(|source| DurationError {
            input: input.to_owned(),
            source,
        })
}

/// `-5s` rather than the default printer's `5s ago`, so the message echoes what was written.
fn print_duration(value: &SignedDuration) -> String {
    static PRINTER: SpanPrinter = SpanPrinter::new().direction(Direction::Sign);
    PRINTER.duration_to_string(value)
}

fn positive(value: SignedDuration, flag: &'static str) -> Result<Duration, ConfigError> {
    match Duration::try_from(value) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(ConfigError::NotPositive { flag, value }),
    }
}

fn parse_namespaces(raw: &str) -> Result<Vec<String>, ConfigError> {
    let mut namespaces = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !is_dns1123_label(name) {
            return Err(ConfigError::InvalidNamespace(name.to_owned()));
        }
        if !namespaces.iter().any(|n| n == name) {
            namespaces.push(name.to_owned());
        }
    }
    Ok(namespaces)
}

/// Namespace names are RFC 1123 labels.
fn is_dns1123_label(name: &str) -> bool {
    name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

fn leader_election_settings(
    lease_name: String,
    lease_namespace: String,
    pod_name: Option<String>,
) -> Result<LeaderElectionSettings, ConfigError> {
    let lease_name = lease_name.trim().to_owned();
    if lease_name.is_empty() {
        return Err(ConfigError::EmptyLeaseName);
    }
    let identity = non_empty(pod_name)
        .or_else(hostname)
        .unwrap_or_else(random_identity);
    Ok(LeaderElectionSettings {
        lease_name,
        lease_namespace,
        identity,
        timing: LeaseTiming::default(),
    })
}

/// The hostname, which Kubernetes sets to the Pod name.
fn hostname() -> Option<String> {
    non_empty(std::env::var("HOSTNAME").ok())
        .or_else(|| non_empty(std::fs::read_to_string(Path::new("/etc/hostname")).ok()))
}

fn random_identity() -> String {
    use rand::{Rng, distr::Alphanumeric};
    let suffix: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(RANDOM_IDENTITY_LEN)
        .map(char::from)
        .collect();
    format!("zitadel-user-operator-{}", suffix.to_ascii_lowercase())
}

#[cfg(test)]
mod tests;
