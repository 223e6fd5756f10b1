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
        Command::Serve => serve(config).await,
        Command::Healthcheck { .. } => Err("this command reads no server configuration".into()),
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

async fn serve(config: Config) -> Result<(), String> {
    let db = server::open_database(&config).await.map_err(|e| e.to_string())?;
    server::first_admin_hint(&db).await;
    let state = AppState::new(&config, db).map_err(|e| e.to_string())?;
    let listener = std::net::TcpListener::bind(&config.bind).map_err(|e| format!("binding {}: {e}", config.bind))?;
    let state = actix_web::web::Data::new(state);
    let running = server::start(&config, state.clone(), listener).map_err(|e| e.to_string())?;
    let shown = if config.bind == DEFAULT_BIND { format!("http://{DEFAULT_BIND}") } else { config.bind.clone() };
    tracing::info!(address = %shown, mode = ?config.mode, redis = config.redis_url.is_some(), "AcmeToCasino is serving");
    server::serve_until_signal(running, state, &config).await.map_err(|e| e.to_string())
}

async fn healthcheck(bind: &str, live: bool) -> ExitCode {
    let port = bind.rsplit_once(':').map_or("8090", |(_, port)| port);
    let host = match bind.rsplit_once(':').map(|(host, _)| host) {
        Some("" | "0.0.0.0" | "[::]") | None => "127.0.0.1",
        Some(host) => host,
    };
    let path = format!("/api/v2/health/{}", if live { "live" } else { "ready" });
    let asked = tokio::time::timeout(std::time::Duration::from_secs(3), status_of(host, port, &path)).await;
    match asked {
        Ok(Ok(200..=299)) => ExitCode::SUCCESS,
        Ok(Ok(status)) => {
            eprintln!("http://{host}:{port}{path}: {status}");
            ExitCode::FAILURE
        }
        Ok(Err(e)) => {
            eprintln!("http://{host}:{port}{path}: {e}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("http://{host}:{port}{path}: no answer within 3 s");
            ExitCode::FAILURE
        }
    }
}

/// The status code of `GET path` on our own server: one HTTP/1.0 request (the server
/// closes the connection after it), so the binary needs no HTTP client library.
async fn status_of(host: &str, port: &str, path: &str) -> std::io::Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(format!("{host}:{port}")).await?;
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n").as_bytes()).await?;
    let mut head = Vec::new();
    stream.take(1024).read_to_end(&mut head).await?;
    // "HTTP/1.1 200 OK": the second word.
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not an HTTP answer: {line:.40}")))
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
