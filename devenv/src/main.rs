//! `cargo run -p devenv`: the emulators, the CRD and the operator on loopback, for trying the
//! operator without a cluster. Prints what to type next; Ctrl-C stops everything.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use devenv::{DevEnv, Options};
use zitadel_user_operator::shutdown::shutdown_signal;

/// Local Kubernetes and ZITADEL emulators with the operator running against them.
#[derive(Parser)]
struct Args {
    /// Port of the Kubernetes API emulator.
    #[arg(long, default_value_t = 16443)]
    kube_port: u16,
    /// Port of the ZITADEL emulator.
    #[arg(long, default_value_t = 18080)]
    zitadel_port: u16,
    /// Directory for the kubeconfig and the PAT file.
    #[arg(long, default_value = ".dev")]
    dir: PathBuf,
    /// Serve the emulators only; run the operator yourself (the command is printed).
    #[arg(long)]
    no_operator: bool,
    /// Log filter of the operator.
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    log_level: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let format = zitadel_user_operator::telemetry::LogFormat::Text;
    if let Err(error) = zitadel_user_operator::telemetry::init(format, &args.log_level) {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    let options = Options {
        kube_port: args.kube_port,
        zitadel_port: args.zitadel_port,
        dir: args.dir,
        list_delay: Duration::from_secs(1),
    };
    let env = match DevEnv::start(&options).await {
        Ok(env) => env,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let kubeconfig = env.kubeconfig.display();
    println!(
        "Kubernetes API emulator: {}   (export KUBECONFIG={kubeconfig})",
        env.kube.url()
    );
    println!(
        "ZITADEL emulator:        {}   (organization {})",
        env.zitadel.url(),
        devenv::EXAMPLES_ORG_ID
    );
    println!("PAT for the operator:    {}", env.pat_file.display());
    println!();
    if args.no_operator {
        println!(
            "Run the operator:  ZITADEL_URL={} ZITADEL_PAT_FILE={} KUBECONFIG={kubeconfig} cargo run",
            env.zitadel.url(),
            env.pat_file.display()
        );
    }
    println!(
        "Then:  KUBECONFIG={kubeconfig} kubectl apply -f examples/ && KUBECONFIG={kubeconfig} kubectl get users"
    );
    println!("Ctrl-C stops everything.");
    let result = if args.no_operator {
        shutdown_signal().await;
        Ok(())
    } else {
        env.run_operator(env.operator_config(), shutdown_signal())
            .await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
