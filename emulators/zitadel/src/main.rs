//! `zitadel-emulator`: runs the emulator as a standalone server for local use.

use std::fs::OpenOptions;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use zitadel_emulator::{EmulatorConfig, ZitadelEmulator};

/// An emulator of ZITADEL's v2 user API on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Port to listen on (127.0.0.1).
    #[arg(long, default_value_t = 8081)]
    port: u16,
    /// Organization ids to create (repeatable).
    #[arg(long = "org-id")]
    org_ids: Vec<String>,
    /// How far ListUsers lags behind writes, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    list_delay_ms: u64,
    /// Delay every answer (token endpoint and errors included) by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Require this instance domain (Host or x-zitadel-instance-host); issuer becomes https://<domain>.
    #[arg(long)]
    instance_domain: Option<String>,
    /// Write an instance-admin PAT to this file (mode 0600).
    #[arg(long)]
    pat_file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let config = EmulatorConfig {
        bind: SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)),
        list_delay: Duration::from_millis(args.list_delay_ms),
        latency: Duration::from_millis(args.latency_ms),
        instance_domain: args.instance_domain,
        ..EmulatorConfig::default()
    };
    let emulator = ZitadelEmulator::start(config).await?;
    for org_id in &args.org_ids {
        emulator.create_organization_with_id(org_id, org_id);
    }
    let pat_note = match &args.pat_file {
        Some(path) => {
            let mut file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(path)?;
            file.write_all(emulator.admin_pat().as_bytes())?;
            format!("admin PAT written to {}", path.display())
        }
        None => "no PAT file requested".to_owned(),
    };
    println!(
        "zitadel-emulator listening on {} (issuer {}), organizations [{}], {pat_note}",
        emulator.url(),
        emulator.issuer(),
        args.org_ids.join(", ")
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
