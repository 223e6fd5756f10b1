//! `simulator`: simulated players against a running platform, through its HTTP API.

use clap::Parser;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "simulator",
    version,
    about = "Simulated players driving an AcmeToCasino platform through its HTTP API"
)]
struct Cli {
    #[command(flatten)]
    args: simulator::cli::SimulateArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // `--endless` logs a summary line a minute (RUST_LOG overrides the level).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr).init();
    simulator::cli::main(cli.args).await
}
