//! `acmetocasino`: the platform server and its admin commands.

use acmetocasino::config::{Config, DEFAULT_BIND};
use acmetocasino::server;
use acmetocasino::state::AppState;
use clap::{Parser, Subcommand};
use pam_core::{Role, StaffRegistration};
use std::io::Read;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "acmetocasino", version, about = "AcmeToCasino online-casino backend platform")]
struct Cli {
    /// Listen address (overrides ACMETOCASINO_BIND; default 127.0.0.1:8090).
    #[arg(long, global = true)]
    bind: Option<String>,
    /// Serve with N simulated players in the background, for demos (0: none).
    #[arg(long, env = "ACMETOCASINO_SIMULATE", value_name = "N")]
    simulate: Option<usize>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the pages (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Administrative tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Drive a running platform with simulated players through its HTTP API.
    Simulate(acmetocasino::simulator::cli::SimulateArgs),
    /// Exit 0 when the server on this machine is ready (or, with --live, up): for
    /// container health checks. Asks ACMETOCASINO_BIND (or --bind), on 127.0.0.1 when
    /// it listens on every address.
    Healthcheck {
        /// Ask `/api/v2/health/live` instead of `/api/v2/health/ready`.
        #[arg(long)]
        live: bool,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a staff account (operator, compliance or admin).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// operator, compliance or admin
        #[arg(long)]
        role: String,
        /// Read the password from standard input (its first line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // A client of some platform: it needs no server configuration or data directory.
    let command = match cli.command {
        Some(Command::Simulate(args)) => return acmetocasino::simulator::cli::main(args).await,
        Some(Command::Healthcheck { live }) => {
            let bind = cli.bind.or_else(|| std::env::var("ACMETOCASINO_BIND").ok()).unwrap_or(DEFAULT_BIND.into());
            return healthcheck(&bind, live).await;
        }
        other => other.unwrap_or(Command::Serve),
    };
    let mut config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Some(bind) = cli.bind {
        config.bind = bind;
    }
    acmetocasino::telemetry::init_logging(&config.log_filter, config.log_format);
    let result = match command {
        Command::Serve => serve(config, cli.simulate).await,
        Command::Simulate(_) | Command::Healthcheck { .. } => Err("this command reads no server configuration".into()),
        Command::Migrate => server::open_database(&config).await.map(|_| ()).map_err(|e| e.to_string()),
        Command::Admin { command: AdminCommand::Create { username, email, role, password_stdin: _ } } => {
            create_staff(config, username, email, role).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config, simulate: Option<usize>) -> Result<(), String> {
    let db = server::open_database(&config).await.map_err(|e| e.to_string())?;
    server::first_admin_hint(&db).await;
    let state = AppState::new(&config, db).map_err(|e| e.to_string())?;
    let listener = std::net::TcpListener::bind(&config.bind).map_err(|e| format!("binding {}: {e}", config.bind))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let state = actix_web::web::Data::new(state);
    let running = server::start(&config, state.clone(), listener).map_err(|e| e.to_string())?;
    let shown = if config.bind == DEFAULT_BIND { format!("http://{DEFAULT_BIND}") } else { config.bind.clone() };
    tracing::info!(address = %shown, mode = ?config.mode, redis = config.redis_url.is_some(), "AcmeToCasino is serving");
    // Demo mode: simulated players against this very server until it shuts down.
    let population = simulate.filter(|n| *n > 0).map(|n| {
        let url = acmetocasino::simulator::local_url(address);
        acmetocasino::simulator::spawn_population(url, n)
    });
    let served = server::serve_until_signal(running, state, &config).await.map_err(|e| e.to_string());
    drop(population);
    served
}

async fn healthcheck(bind: &str, live: bool) -> ExitCode {
    let port = bind.rsplit_once(':').map_or("8090", |(_, port)| port);
    let host = match bind.rsplit_once(':').map(|(host, _)| host) {
        Some("" | "0.0.0.0" | "[::]") | None => "127.0.0.1",
        Some(host) => host,
    };
    let url = format!("http://{host}:{port}/api/v2/health/{}", if live { "live" } else { "ready" });
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(3)).build();
    match client.map(|c| c.get(&url)) {
        Ok(request) => match request.send().await {
            Ok(r) if r.status().is_success() => ExitCode::SUCCESS,
            Ok(r) => {
                eprintln!("{url}: {}", r.status());
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("{url}: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn create_staff(config: Config, username: String, email: String, role: String) -> Result<(), String> {
    let role = Role::parse(&role).filter(|r| r.is_staff()).ok_or("--role must be operator, compliance or admin")?;
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).map_err(|e| format!("reading the password: {e}"))?;
    let password = input.lines().next().unwrap_or_default().to_owned();
    let db = server::open_database(&config).await.map_err(|e| e.to_string())?;
    let state = AppState::new(&config, db).map_err(|e| e.to_string())?;
    let account = state
        .pam
        .create_staff(StaffRegistration { username, email, password, role })
        .await
        .map_err(|e| e.to_string())?;
    println!("created {} account {} ({})", account.role, account.username.as_str(), account.id);
    Ok(())
}
