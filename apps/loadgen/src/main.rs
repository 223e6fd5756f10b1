//! `loadgen`: the load generator and the raw SQLite loop behind `cargo xtask bench`
//! (docs/benchmarks.md). A tool of the project, kept out of the server binary.
//!
//! - `loadgen bench-load` drives a running server over HTTP the way players would
//!   (`load`);
//! - `loadgen bench-sqlite-ceiling` replays the captured statements of a round against a
//!   SQLite file with no server in between (`ceiling`);
//! - `loadgen bench-provider` plays a Hub88 provider's rounds through the seamless-wallet
//!   callbacks (`provider`).

mod api;
mod ceiling;
mod load;
mod provider;
mod tally;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "loadgen", about = "The load generator of `cargo xtask bench`")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[allow(clippy::enum_variant_names)] // the subcommands are `bench-…` by name
enum Command {
    /// Load generator for `cargo xtask bench` (see docs/benchmarks.md).
    BenchLoad(load::LoadArgs),
    /// The raw SQLite round loop `cargo xtask bench` compares the server with.
    BenchSqliteCeiling(ceiling::CeilingArgs),
    /// A Hub88 provider's game server playing rounds through the wallet callbacks.
    BenchProvider(provider::ProviderArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::BenchLoad(args) => load::run_load(args).await,
        Command::BenchSqliteCeiling(args) => ceiling::run_sqlite_ceiling(args).await,
        Command::BenchProvider(args) => provider::run_provider(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
