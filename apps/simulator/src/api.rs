//! The platform's HTTP API as the bots see it: JSON in, a classified answer out.

use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

/// What one request came back with.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// A 2xx answer and its JSON body (`Null` when empty).
    Ok(Value),
    /// A 4xx problem document: the platform refused the request.
    Refused { status: u16, code: String, detail: String },
    /// No answer, or a 5xx: `kind` is `transport` or `<status> <code>`.
    Failed { kind: String, detail: String },
}

/// A client of one platform instance.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    /// `base_url` such as `http://127.0.0.1:8090` (plain HTTP: the simulator drives a
    /// local or in-cluster instance, not a TLS front end).
    pub(crate) fn new(base_url: &str) -> Result<Self, String> {
        let base = base_url.trim().trim_end_matches('/').to_owned();
        let rest = base.strip_prefix("http://").ok_or_else(|| {
            format!("the platform URL must start with http:// (got {base_url:?}); TLS front ends are not supported")
        })?;
        if rest.is_empty() {
            return Err(format!("the platform URL {base_url:?} has no host"));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(30))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self { http, base })
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// `path` below `/api/v2`, e.g. `/gal/play`.
    pub(crate) async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Reply {
        let mut req = self.http.request(method, format!("{}/api/v2{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Reply::Failed { kind: "transport".into(), detail: error_chain(&e) },
        };
        let status = resp.status().as_u16();
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => return Reply::Failed { kind: "transport".into(), detail: error_chain(&e) },
        };
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        let code = body.get("code").and_then(Value::as_str).unwrap_or("no_code").to_owned();
        let detail = body.get("detail").and_then(Value::as_str).unwrap_or_default().to_owned();
        match status {
            200..=299 => Reply::Ok(body),
            400..=499 => Reply::Refused { status, code, detail },
            _ => Reply::Failed { kind: format!("{status} {code}"), detail },
        }
    }

    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    /// A provider's call below `/api/v2` (`content_type`, raw `body`): the answer's body
    /// when it is a `200`, which the seamless-wallet protocols always answer.
    pub(crate) async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Result<Vec<u8>, String> {
        let req = self.http.post(format!("{}/api/v2{path}", self.base)).header("Content-Type", content_type).body(body);
        let resp = req.send().await.map_err(|e| format!("transport: {}", error_chain(&e)))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| format!("transport: {}", error_chain(&e)))?;
        if status == 200 { Ok(bytes.to_vec()) } else { Err(format!("{path}: HTTP {status}")) }
    }
}

/// An error with its sources (reqwest's own message rarely says what went wrong).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// A game of the catalogue, as far as the bots care.
#[derive(Debug, Clone)]
pub(crate) struct Game {
    pub slug: String,
    /// A third-party provider's game: played through the provider's calls, not `/gal/play`.
    pub third_party: bool,
    pub min_bet: i64,
    pub max_bet: i64,
    pub params: Value,
}

/// Reads `GET /gal/games` (as a stranger sees it).
pub(crate) async fn games(api: &Api) -> Result<Vec<Game>, String> {
    let list = match api.get("/gal/games", None).await {
        Reply::Ok(v) => v,
        Reply::Refused { status, code, detail } => return Err(format!("GET /gal/games: {status} {code}: {detail}")),
        Reply::Failed { kind, detail } => return Err(format!("GET /gal/games: {kind}: {detail}")),
    };
    let games = parse_games(&list);
    if games.is_empty() { Err("GET /gal/games: the catalogue is empty".into()) } else { Ok(games) }
}

/// The playable games of a `GET /gal/games` answer.
pub(crate) fn parse_games(list: &Value) -> Vec<Game> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|g| {
                    Some(Game {
                        slug: g.get("slug")?.as_str()?.to_owned(),
                        third_party: g.get("third_party").and_then(Value::as_bool).unwrap_or(false),
                        min_bet: g.get("min_bet")?.as_i64()?,
                        max_bet: g.get("max_bet")?.as_i64()?,
                        params: g.get("default_params").cloned().unwrap_or_else(|| Value::Object(Default::default())),
                    })
                })
                .filter(|g| g.min_bet > 0 && g.max_bet >= g.min_bet)
                .collect()
        })
        .unwrap_or_default()
}
