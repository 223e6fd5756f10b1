//! The HTTP calls of the load generator: JSON in and out, problem documents named by
//! status and code.

use crate::tally::{problem_name, short};
use serde_json::Value;
use std::time::Duration;

#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) client: reqwest::Client,
    pub(crate) base: String,
}

/// A failed call: `"<status> <code>"` for a problem document, or the transport error.
pub(crate) type CallError = String;

impl Api {
    pub(crate) fn new(base: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Api { client, base: base.trim_end_matches('/').to_owned() })
    }

    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<(u16, Value), CallError> {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| format!("transport: {}", short(&e.to_string())))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| format!("transport: {}", short(&e.to_string())))?;
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, value))
    }

    /// A call that must answer `expect`; anything else is an error named by status and code.
    pub(crate) async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        expect: u16,
    ) -> Result<Value, CallError> {
        let (status, value) = self.call(method, path, token, body).await?;
        if status == expect { Ok(value) } else { Err(problem_name(status, &value)) }
    }
}
