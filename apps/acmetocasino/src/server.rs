//! Composition: the application, its middleware, and starting the HTTP server.

use crate::config::Config;
use crate::db::Db;
use crate::error::{ApiError, PROBLEM_JSON};
use crate::extract::{self, MAX_BODY_BYTES};
use crate::state::{AppState, StartupError};
use crate::{http, pages, telemetry};
use actix_web::body::MessageBody;
use actix_web::dev::{ServerHandle, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers, Next, from_fn};
use actix_web::{App, HttpServer, ResponseError, web};
use paperclip::actix::OpenApiExt;
use paperclip::v2::models::{DefaultApiRaw, Info, Tag};
use std::net::TcpListener;
use std::time::Duration;

fn spec() -> DefaultApiRaw {
    let tag = |name: &str, description: &str| Tag {
        name: name.into(),
        description: Some(description.into()),
        external_docs: None,
    };
    DefaultApiRaw {
        info: Info {
            title: "AcmeToCasino API".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: Some(
                "Online-casino backend: player accounts and auth, an event-sourced wallet, and the \
                 platform endpoints. Money is always an integer of minor units (`1050` = 10.50) with \
                 the wallet's ISO 4217 `currency`. Errors are RFC 9457 problem documents \
                 (`application/problem+json`) with a stable `code`. Every response carries \
                 `X-Correlation-ID`."
                    .into(),
            ),
            ..Default::default()
        },
        tags: vec![
            tag("PAM", "Player account management"),
            tag("Auth", "Sign-in, token rotation and sign-out"),
            tag("Staff", "Back-office accounts"),
            tag("Wallet", "The event-sourced wallet"),
            tag("Platform", "Health and statistics"),
        ],
        ..Default::default()
    }
}

/// Turns any error response that is not yet a problem document (unknown route,
/// wrong method, framework errors) into one, keeping its status.
fn problem_fallback<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // Our own JSON answers (problem documents, and health's 503 body) pass unchanged.
    let ours = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.starts_with(PROBLEM_JSON.as_bytes()) || v.starts_with(b"application/json")
    });
    if ours {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let path = res.request().path().to_owned();
    let err = match res.status() {
        StatusCode::NOT_FOUND => ApiError::NotFound(format!("no route for {path}")),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::MethodNotAllowed(format!("{} is not allowed on {path}", res.request().method()))
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::validation("body", format!("must be at most {MAX_BODY_BYTES} bytes"))
        }
        s if s.is_client_error() => ApiError::validation("request", s.canonical_reason().unwrap_or("bad request")),
        s => ApiError::Internal(format!("unhandled {s} on {path}")),
    };
    let (req, _) = res.into_parts();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, err.error_response()).map_into_right_body()))
}

/// Routes whose answers carry credentials or personal data without a token yet.
const AUTH_PATHS: &[&str] = &["/api/v2/auth/", "/api/v2/pam/login", "/api/v2/pam/register", "/api/v2/players"];

/// Middleware: sign-in, registration and token answers, and every answer to a request
/// that carried a token, are `Cache-Control: no-store`, errors included, so no shared
/// or browser cache keeps tokens or one player's data.
async fn no_store(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let private = req.headers().contains_key(header::AUTHORIZATION)
        || AUTH_PATHS.iter().any(|p| if p.ends_with('/') { req.path().starts_with(p) } else { req.path() == *p });
    let mut res = next.call(req).await?;
    if private {
        res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

async fn not_found(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    ApiError::NotFound(format!("no route for {}", req.path())).error_response()
}

/// The whole application: API (documented), pages, metrics, middleware.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .app_data(extract::path_config())
        .app_data(extract::query_config())
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .route("/", web::get().to(pages::index))
        .route("/api/v2/docs", web::get().to(pages::swagger))
        .route("/api/v2/redoc", web::get().to(pages::redoc))
        .route("/api/v2/ws", web::get().to(http::ws::ws))
        .route("/metrics", web::get().to(http::metrics))
        .route("/static/{path:.*}", web::get().to(pages::asset))
        .route("/{page:[A-Za-z0-9_-]+\\.html}", web::get().to(pages::page))
        .wrap_api_with_spec(spec())
        .with_json_spec_v3_at("/api/v2/openapi.json")
        .service(paperclip::actix::web::scope("/api/v2").configure(http::routes))
        .build()
        .default_service(web::to(not_found))
        .wrap(ErrorHandlers::new().default_handler(problem_fallback))
        .wrap(from_fn(no_store))
        .wrap(DefaultHeaders::new().add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")))
        .wrap(from_fn(telemetry::observe))
}

/// Connects to the database and applies migrations (needs a multi-thread runtime).
pub async fn open_database(config: &Config) -> Result<Db, StartupError> {
    let db = Db::connect(&config.database_url, config.db_pool_size).map_err(|e| StartupError(e.to_string()))?;
    let applied = db.migrate().await.map_err(|e| StartupError(e.to_string()))?;
    tracing::info!(database = %config.database_display(), backend = db.kind().as_str(), applied, "database ready");
    let Some(read_url) = &config.database_read_url else { return Ok(db) };
    let db = db.with_replica(read_url, config.db_pool_size).map_err(|e| StartupError(e.to_string()))?;
    tracing::info!(replica = %crate::config::masked_url(read_url), "reads that tolerate lag go to the replica");
    Ok(db)
}

/// A running server.
pub struct Running {
    pub port: u16,
    pub handle: ServerHandle,
    pub server: actix_web::dev::Server,
}

/// How long an idle client connection stays open: longer than a reverse proxy keeps its
/// idle connections to us (`keepalive_timeout` 60 s in deploy/nginx.conf), so that the
/// proxy, not we, closes them. A request the proxy writes to a connection we are
/// closing at that moment fails, and a `POST` is never retried.
const KEEP_ALIVE: Duration = Duration::from_secs(75);

/// Starts serving on `listener` with the given state. Signals are not handled here:
/// see [`serve_until_signal`].
pub fn start(config: &Config, state: web::Data<AppState>, listener: TcpListener) -> Result<Running, StartupError> {
    let port = listener.local_addr().map_err(|e| StartupError(e.to_string()))?.port();
    // Other instances' domain events reach this one's WebSocket clients through Redis.
    state.events.spawn_redis_listener();
    let server = HttpServer::new(move || build_app(state.clone()))
        .workers(config.workers)
        .keep_alive(KEEP_ALIVE)
        .shutdown_timeout(config.shutdown_grace.as_secs())
        .disable_signals()
        .listen(listener)
        .map_err(|e| StartupError(e.to_string()))?
        .run();
    Ok(Running { port, handle: server.handle(), server })
}

/// Serves until SIGTERM (or SIGINT), then shuts down gracefully: `/health/ready`
/// answers `503` at once; after `shutdown_delay` the listener closes, and with it every
/// idle connection; requests in flight — rounds included — may finish within
/// `shutdown_grace` (each answered with `Connection: close`), after which the rest are
/// cut (an unfinished round's transaction rolls back); then the pools are closed.
pub async fn serve_until_signal(running: Running, state: web::Data<AppState>, config: &Config) -> std::io::Result<()> {
    let (delay, grace) = (config.shutdown_delay, config.shutdown_grace);
    let handle = running.handle.clone();
    let draining = state.clone();
    let on_signal = tokio::spawn(async move {
        let signal = match termination_signal().await {
            Ok(name) => name,
            Err(e) => {
                tracing::error!(cause = %e, "cannot listen for SIGTERM/SIGINT; stop the server with SIGKILL");
                return;
            }
        };
        draining.begin_draining();
        tracing::info!(
            signal,
            delay_s = delay.as_secs(),
            grace_s = grace.as_secs(),
            "shutting down: not ready any more"
        );
        tokio::time::sleep(delay).await;
        tracing::info!("no longer accepting connections; letting requests in flight finish");
        handle.stop(true).await;
    });
    let served = running.server.await;
    on_signal.abort();
    state.close_pools();
    tracing::info!("stopped; database and Redis pools closed");
    served
}

/// The first SIGTERM or SIGINT, by name.
async fn termination_signal() -> std::io::Result<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

/// Prints how to create the first admin when there is none.
pub async fn first_admin_hint(db: &Db) {
    if let Ok(c) = db.counts().await
        && c.admins == 0
    {
        tracing::warn!(
            "no admin account yet: create one with `acmetocasino admin create --username admin \
             --email admin@example.com --role admin --password-stdin` (reads the password from stdin)"
        );
    }
}
