//! Command-line flags of the benchmark.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::users::Mix;

/// Measures the operator binary against the in-repo emulators and prints the numbers.
#[derive(Debug, Clone, Parser)]
#[command(name = "bench", about)]
pub struct Args {
    /// How many `User`s to create at once (half ReturnCode humans with a Secret, a quarter
    /// machines, a quarter humans with metadata; see `--machine-credentials`).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    pub users: u32,

    /// Share of the users that are machine users with one personal access token, one key and a
    /// client secret, in percent (`50` or `50%`); the others keep the default mix's
    /// proportions.
    #[arg(long, default_value_t = 0, value_name = "PERCENT", value_parser = parse_percent)]
    pub machine_credentials: u8,

    /// The operator's reconcile concurrency (`RECONCILE_CONCURRENCY`, its default).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,

    /// The operator's cap on ZITADEL requests awaiting their answer (`ZITADEL_MAX_IN_FLIGHT`,
    /// its default).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    pub zitadel_max_in_flight: u16,

    /// The operator's ZITADEL rate limit in calls per second (`ZITADEL_QPS`, burst the same).
    /// High by default so the benchmark measures the operator, not its limiter; pass the
    /// operator's default (20) to see a production-like run.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub zitadel_qps: u32,

    /// The operator's resync interval in the steady-state phase, in milliseconds.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..))]
    pub resync_ms: u64,

    /// How many resync intervals the steady-state phase lasts.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub resyncs: u32,

    /// Delay of every ZITADEL answer in milliseconds: the emulator waits this long before it
    /// handles each request (token endpoint and errors included), standing in for the network
    /// and ZITADEL's own work. 0 answers as fast as the emulator can.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub zitadel_latency_ms: u64,

    /// The operator's resync interval in the restart-storm phase, in seconds: long, so that no
    /// resync falls into its window and the window shows what a start itself costs.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    pub restart_resync_s: u64,

    /// How long the restart-storm phase is measured, from the operator's start, in seconds
    /// (longer if the new User takes longer to become Ready).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub restart_window_s: u64,

    /// The operator binary; defaults to `zitadel-user-operator` next to this binary
    /// (`target/release/` under `cargo run --release`).
    #[arg(long, value_name = "PATH")]
    pub operator_binary: Option<PathBuf>,

    /// How long the users may take to become Ready (and the operator to start or stop), in
    /// seconds, before the run fails.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_s: u64,
}

impl Args {
    /// The user mix the flags ask for.
    pub fn mix(&self) -> Mix {
        Mix {
            credentials_percent: self.machine_credentials,
        }
    }

    /// How many ZITADEL calls can be in flight at once: the fewer of the reconciles and the
    /// operator's cap (a reconcile makes its calls one after the other).
    pub fn zitadel_calls_in_flight(&self) -> u16 {
        self.concurrency.min(self.zitadel_max_in_flight)
    }

    /// The steady-state resync interval.
    pub fn resync(&self) -> Duration {
        Duration::from_millis(self.resync_ms)
    }

    /// The ZITADEL emulator's delay of every answer.
    pub fn zitadel_latency(&self) -> Duration {
        Duration::from_millis(self.zitadel_latency_ms)
    }

    /// The restart-storm phase's resync interval.
    pub fn restart_resync(&self) -> Duration {
        Duration::from_secs(self.restart_resync_s)
    }

    /// The restart-storm phase's window.
    pub fn restart_window(&self) -> Duration {
        Duration::from_secs(self.restart_window_s)
    }

    /// Flags that parse but cannot be measured together: a restart window as long as its resync
    /// interval would count resyncs as the cost of the start.
    pub fn check(&self) -> Result<(), String> {
        if self.restart_window_s >= self.restart_resync_s {
            return Err(format!(
                "--restart-window-s {} must be shorter than --restart-resync-s {}, or resyncs \
                 fall into the restart window",
                self.restart_window_s, self.restart_resync_s
            ));
        }
        Ok(())
    }

    /// The bound on every wait of the run.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_s)
    }

    /// The operator binary to run: the flag, else the sibling of this executable.
    pub fn operator_binary(&self) -> PathBuf {
        if let Some(path) = &self.operator_binary {
            return path.clone();
        }
        std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(OPERATOR_BINARY)))
            .unwrap_or_else(|| PathBuf::from("target/release").join(OPERATOR_BINARY))
    }
}

/// File name of the operator binary cargo builds.
const OPERATOR_BINARY: &str = "zitadel-user-operator";

/// A percentage from 0 to 100, with or without a trailing `%`.
fn parse_percent(value: &str) -> Result<u8, String> {
    let number = value.strip_suffix('%').unwrap_or(value).trim();
    match number.parse::<u8>() {
        Ok(percent) if percent <= 100 => Ok(percent),
        _ => Err(format!("`{value}` is not a percentage from 0 to 100")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(flags: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("bench").chain(flags.iter().copied()))
    }

    #[test]
    fn defaults_describe_a_short_run_of_two_hundred_users() {
        let args = parse(&[]).expect("no flags is valid");
        assert_eq!(args.users, 200);
        assert_eq!((args.concurrency, args.zitadel_max_in_flight), (32, 16));
        assert_eq!(args.zitadel_calls_in_flight(), 16);
        assert_eq!(args.resync(), Duration::from_millis(500));
        assert!(args.operator_binary().ends_with("zitadel-user-operator"));
        assert_eq!(args.mix().credentials_percent, 0);
        assert_eq!(args.zitadel_latency(), Duration::ZERO);
        assert_eq!(args.restart_resync(), Duration::from_secs(600));
        assert_eq!(args.restart_window(), Duration::from_secs(60));
        assert_eq!(args.check(), Ok(()));
    }

    #[test]
    fn the_zitadel_latency_is_given_in_milliseconds() {
        let args = parse(&["--zitadel-latency-ms", "20"]).expect("valid flags");
        assert_eq!(args.zitadel_latency(), Duration::from_millis(20));
        assert!(parse(&["--zitadel-latency-ms", "-1"]).is_err());
    }

    #[test]
    fn a_restart_window_must_be_shorter_than_the_restart_resync() {
        let args = |flags: &[&str]| parse(flags).expect("valid flags");
        assert!(
            args(&["--restart-window-s", "10", "--restart-resync-s", "11"])
                .check()
                .is_ok()
        );
        let error = args(&["--restart-window-s", "600"])
            .check()
            .expect_err("a window as long as the resync interval");
        assert!(error.contains("--restart-resync-s 600"), "{error}");
        assert!(parse(&["--restart-window-s", "0"]).is_err());
    }

    #[test]
    fn the_credentials_share_is_a_percentage_with_or_without_its_sign() {
        let share = |flag| parse(&["--machine-credentials", flag]).map(|a| a.machine_credentials);
        assert_eq!(share("50").ok(), Some(50));
        assert_eq!(share("100%").ok(), Some(100));
        assert!(share("101").is_err());
        assert!(share("-1").is_err());
        assert!(share("half").is_err());
    }

    #[test]
    fn an_explicit_operator_binary_wins() {
        let args = parse(&["--operator-binary", "/opt/op"]).expect("valid flags");
        assert_eq!(args.operator_binary(), PathBuf::from("/opt/op"));
    }

    #[test]
    fn zero_users_or_zero_concurrency_are_rejected() {
        assert!(parse(&["--users", "0"]).is_err());
        assert!(parse(&["--concurrency", "0"]).is_err());
    }
}
