//! `bench`: runs the operator binary against the in-repo emulators and prints throughput, API
//! calls per user, the cost of a restart, steady-state cost and memory as Markdown. Timing never fails a run; it
//! exits non-zero when the run itself cannot complete or a correctness check fails.

mod args;
mod measure;
mod process;
mod ready;
mod report;
mod scenario;
mod users;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Args;
use crate::scenario::{Bench, Params};

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(error) = args.check() {
        eprintln!("bench: {error}");
        return ExitCode::from(2);
    }
    let params = Params {
        binary: args.operator_binary(),
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        args,
    };
    let results = match Bench::start(params).await {
        Ok(bench) => bench.run().await,
        Err(error) => Err(error),
    };
    match results {
        Ok(results) => {
            println!("{}", report::render(&results));
            if results.passed() {
                ExitCode::SUCCESS
            } else {
                eprintln!("bench failed: a check failed (see \"6. Checks\" in the report)");
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("bench failed: {}", chain(&error));
            ExitCode::FAILURE
        }
    }
}

/// `error` with its causes, on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}
