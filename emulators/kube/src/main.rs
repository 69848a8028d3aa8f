//! `kube-emulator`: run the Kubernetes API emulator as a process, e.g. for `kubectl`.
//!
//! `cargo run -p kube-emulator -- --port 6443 --kubeconfig ./kubeconfig`

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use clap::Parser;
use kube_emulator::{KubeEmulator, KubeEmulatorConfig};

/// Command line options.
#[derive(Debug, Parser)]
#[command(about = "Emulated Kubernetes API server on 127.0.0.1 (plain HTTP, no auth)")]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 6443)]
    port: u16,
    /// Write a kubeconfig for the emulator here.
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// Default namespace of the kubeconfig context.
    #[arg(long, default_value = "default")]
    namespace: String,
    /// Watch history length (changes kept for resuming watches).
    #[arg(long, default_value_t = 1000)]
    history_limit: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let config = KubeEmulatorConfig {
        bind: SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)),
        history_limit: args.history_limit,
        ..KubeEmulatorConfig::default()
    };
    let emulator = KubeEmulator::start(config).await?;
    if let Some(path) = &args.kubeconfig {
        emulator.write_kubeconfig(path, &args.namespace)?;
        println!("kubeconfig written to {}", path.display());
    }
    println!("kube emulator serving at {}", emulator.url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
