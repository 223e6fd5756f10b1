//! `provider-sim`: see the library (`provider_sim`) for what it does and how to run it.

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match provider_sim::run(provider_sim::Cli::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("provider-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
