//! `zitadel-user-operator`: parse the configuration, set up logging, run until SIGTERM or Ctrl-C.
//!
//! TLS: nothing crypto-related is installed here. The workspace builds kube and reqwest with the
//! same rustls provider (aws-lc-rs), so rustls picks it as the process default by itself; with
//! two providers compiled in, building a kube `Client` would panic instead.

use std::{error::Error, process::ExitCode};

use clap::Parser;
use zitadel_user_operator::{config::Args, operator, shutdown::shutdown_signal, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    // clap prints usage errors itself and exits with status 2.
    let args = Args::parse();
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
