//! `zitadel-user-operator`: parse the configuration, set up logging, run until SIGTERM or Ctrl-C.
//! `zitadel-user-operator validate ...` instead checks manifests offline and exits.
//!
//! TLS: nothing crypto-related is installed here. The workspace builds kube and reqwest with the
//! same rustls provider (aws-lc-rs), so rustls picks it as the process default by itself; with
//! two providers compiled in, building a kube `Client` would panic instead.

use std::{error::Error, ffi::OsStr, process::ExitCode};

use clap::{CommandFactory, FromArgMatches, Parser};
use zitadel_user_operator::validate::{self, ValidateArgs};
use zitadel_user_operator::{config::Args, operator, shutdown::shutdown_signal, telemetry};

/// Appended to the operator's `--help`: the one subcommand, which the flags parser does not
/// know about (its credentials group is required, which a subcommand must not need).
const SUBCOMMANDS_HELP: &str = "\
Subcommands:
  validate [FILE|DIR|-]...  Check manifests offline against the CRDs this binary ships
                            (see `zitadel-user-operator validate --help`)";

fn main() -> ExitCode {
    if std::env::args_os().nth(1).as_deref() == Some(OsStr::new("validate")) {
        return run_validate();
    }
    run_operator()
}

/// The `validate` subcommand: synchronous, no runtime, no logging; the report is the output.
fn run_validate() -> ExitCode {
    // clap prints usage errors itself and exits with status 2.
    let args = ValidateArgs::parse_from(std::env::args_os().skip(1));
    let code = validate::run(
        &args,
        &validate::shipped_crds(),
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}

#[tokio::main]
async fn run_operator() -> ExitCode {
    // clap prints usage errors itself and exits with status 2.
    let mut command = Args::command().after_help(SUBCOMMANDS_HELP);
    let matches = command.get_matches_mut();
    let args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(error) => error.format(&mut command).exit(),
    };
    if let Err(error) = telemetry::init(args.log_format, &args.log_level) {
        return fail(&error);
    }
    let config = match args.into_config() {
        Ok(config) => config,
        Err(error) => return fail(&error),
    };
    // In-cluster service account, else `KUBECONFIG` / `~/.kube/config`.
    let kube_config = match kube::Config::infer().await {
        Ok(kube_config) => kube_config,
        Err(error) => return fail(&error),
    };
    let kube = match operator::kube_client(kube_config) {
        Ok(kube) => kube,
        Err(error) => return fail(&error),
    };
    match operator::run(kube, config, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

/// Reports `error` with its causes on one line and returns a failure exit code.
fn fail(error: &dyn Error) -> ExitCode {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Some errors (kube's among them) already include their source in their message.
        if !line.contains(&cause_text) {
            line.push_str(": ");
            line.push_str(&cause_text);
        }
        source = cause.source();
    }
    // Both: the log line for log collectors (possibly JSON), the plain line for a human.
    tracing::error!(error = %line, "exiting");
    eprintln!("error: {line}");
    ExitCode::FAILURE
}
