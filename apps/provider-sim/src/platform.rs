//! The platform's own API as the provider and its players use it: staff sign-in,
//! provider registration, players signing up, passing KYC, depositing and launching
//! games, and the reconciliation report.

use serde_json::{Value, json};
use simulator::error_chain;
use std::time::Duration;

/// A client of one platform instance.
#[derive(Debug, Clone)]
pub struct Platform {
    http: reqwest::Client,
    base: String,
}

/// A non-2xx answer or a transport failure, as text.
pub type Refusal = String;

/// How often a rate-limited call is tried again, and the longest wait worth it.
const RATE_LIMIT_RETRIES: u32 = 20;
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(5);

impl Platform {
    /// `base_url` such as `http://127.0.0.1:8090`; `timeout` bounds every call (a
    /// callback's timeout is what makes the provider retry).
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, String> {
        let base = base_url.trim().trim_end_matches('/').to_owned();
        if !base.starts_with("http://") {
            return Err(format!("the platform URL must start with http:// (got {base_url:?})"));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self { http, base })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The full URL of `path` below `/api/v2`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v2{path}", self.base)
    }

    /// A JSON call below `/api/v2`: the 2xx body, or what went wrong.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Value, Refusal> {
        // Sign-ins and registrations are rate limited (Argon2 is expensive): a
        // short `retry_after` is waited out, a long one is an answer.
        for _ in 0..RATE_LIMIT_RETRIES {
            match self.call_once(method.clone(), path, token, body).await {
                Err((Some(wait), _)) if wait <= MAX_RATE_LIMIT_WAIT => tokio::time::sleep(wait).await,
                other => return other.map_err(|(wait, e)| with_hint(wait, e)),
            }
        }
        self.call_once(method, path, token, body).await.map_err(|(wait, e)| with_hint(wait, e))
    }

    /// One call; a refusal carries the wait a `429` asked for.
    async fn call_once(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Value, (Option<Duration>, Refusal)> {
        let mut req = self.http.request(method.clone(), self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| (None, format!("{method} {path}: {}", error_chain(&e))))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| (None, format!("{method} {path}: {}", error_chain(&e))))?;
        let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        if status.is_success() {
            return Ok(value);
        }
        let wait = (status == reqwest::StatusCode::TOO_MANY_REQUESTS)
            .then(|| value.get("retry_after").and_then(Value::as_u64).unwrap_or(1))
            .map(|secs| Duration::from_secs(secs.max(1)));
        Err((wait, format!("{method} {path}: {status}: {}", String::from_utf8_lossy(&bytes))))
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Result<Value, Refusal> {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    /// Signs in; the access token.
    pub async fn login(&self, username: &str, password: &str) -> Result<String, Refusal> {
        let answer = self.post("/auth/login", None, &json!({"username": username, "password": password})).await?;
        text(&answer, "access_token").ok_or_else(|| "login: no access_token in the answer".into())
    }
}

/// A rate-limit refusal says how to run a platform for simulations.
fn with_hint(wait: Option<Duration>, refusal: Refusal) -> Refusal {
    match wait {
        Some(_) => format!(
            "{refusal} (every simulated player signs up and in from one address: run the platform with \
             ACMETOCASINO_LOGIN_LIMIT_PER_IP and ACMETOCASINO_REGISTRATION_LIMIT_PER_IP raised)"
        ),
        None => refusal,
    }
}

/// A string field of an answer.
pub fn text(v: &Value, field: &str) -> Option<String> {
    v.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// A simulated player, signed in, funded and holding a launch token for one game.
#[derive(Debug, Clone)]
pub struct Player {
    /// The platform's player id: what the provider's calls name as `user`/`userId`.
    pub id: String,
    pub currency: String,
    pub launch_token: String,
    /// The provider's code of the launched game.
    pub game_code: String,
}

const PASSWORD: &str = "simulated provider player";
/// Below the 2,000.00 a player may deposit before KYC.
pub const DEPOSIT: i64 = 100_000;

/// Signs a new player up, funds them, gets KYC approved (auto-decided, or by `staff`)
/// and launches `game_slug`.
pub async fn new_player(
    platform: &Platform,
    staff: Option<&str>,
    username: &str,
    game_slug: &str,
    game_code: &str,
) -> Result<Player, Refusal> {
    let body = json!({
        "username": username,
        "email": format!("{username}@provider-sim.example"),
        "password": PASSWORD,
        "date_of_birth": "1985-04-12",
        "country": "MT",
        "currency": "EUR",
    });
    let player = platform.post("/players", None, &body).await?;
    let id = text(&player, "id").ok_or("register: no id in the answer")?;
    let currency = text(&player, "currency").unwrap_or_else(|| "EUR".into());
    let token = platform.login(username, PASSWORD).await?;
    let deposit = json!({"amount": DEPOSIT, "idempotency_key": format!("{username}-deposit")});
    platform.post("/wallet/deposit", Some(&token), &deposit).await?;
    let docs = json!({
        "document_type": "passport",
        "document_number": format!("P{}", &uuid::Uuid::new_v4().simple().to_string()[..7]),
        "issuing_country": "MT",
        "expires_on": "2035-01-01",
        "full_name": format!("Provider Sim {username}"),
        "address": "1 Simulation Street, Test Town",
    });
    let kyc = platform.post(&format!("/compliance/kyc/{id}/submit"), Some(&token), &docs).await?;
    if text(&kyc, "status").as_deref() != Some("approved") {
        let staff = staff.ok_or("KYC is pending and no admin login was given to approve it")?;
        let decision = json!({"decision": "approve", "reason": "provider-sim player"});
        platform.post(&format!("/compliance/kyc/{id}/verify"), Some(staff), &decision).await?;
    }
    let launch = platform.post("/gal/launch", Some(&token), &json!({"game_slug": game_slug})).await?;
    let launch_token = text(&launch, "launch_token").ok_or("launch: no launch_token in the answer")?;
    Ok(Player { id, currency, launch_token, game_code: game_code.to_owned() })
}
