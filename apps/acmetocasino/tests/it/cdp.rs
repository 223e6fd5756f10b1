//! A small Chrome DevTools Protocol client for the browser tests: one WebSocket to the
//! Chromium that `cargo xtask test` starts (its endpoint in `ACMETOCASINO_TEST_CHROMIUM_URL`),
//! an isolated browser context per page, real mouse clicks and typing, and every console
//! error, uncaught exception, CSP report and failed request recorded as a problem.

use crate::support::service_url;
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;

pub const CHROMIUM_ENV: &str = "ACMETOCASINO_TEST_CHROMIUM_URL";
/// Upper bound for anything a page should do promptly (a slot's game cycle included).
pub const PROMPT: Duration = Duration::from_secs(20);
/// axe-core, vendored for the tests only (the binary does not serve it).
const AXE: &str = include_str!("../../static/vendor/axe-core/axe.min.js");

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Value, String>>>>>;
type Problems = Arc<Mutex<HashMap<String, Vec<String>>>>;

/// One DevTools connection to the shared browser.
pub struct Browser {
    out: mpsc::UnboundedSender<Message>,
    pending: Pending,
    /// Problems seen per attached session (page).
    problems: Problems,
    next: AtomicU64,
}

/// The browser, or `None` when Chromium is missing and that is allowed (the test skips).
pub async fn browser() -> Option<Arc<Browser>> {
    let url = service_url(CHROMIUM_ENV)?;
    let (ws, _) = tokio_tungstenite::connect_async(url.as_str()).await.expect("cannot reach the DevTools endpoint");
    let (mut sink, mut stream) = ws.split();
    let (out, mut rx) = mpsc::unbounded_channel::<Message>();
    tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            if sink.send(m).await.is_err() {
                break;
            }
        }
    });
    let pending: Pending = Arc::default();
    let problems: Problems = Arc::default();
    let (p, q) = (pending.clone(), problems.clone());
    tokio::spawn(async move {
        while let Some(Ok(msg)) = stream.next().await {
            let Message::Text(text) = msg else { continue };
            let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
            if let Some(id) = v["id"].as_u64() {
                let answer = match v.get("error") {
                    Some(e) => Err(e.to_string()),
                    None => Ok(v["result"].clone()),
                };
                if let Some(tx) = p.lock().unwrap().remove(&id) {
                    let _ = tx.send(answer);
                }
            } else if let (Some(method), Some(session)) = (v["method"].as_str(), v["sessionId"].as_str())
                && let Some(problem) = problem_in(method, &v["params"])
            {
                q.lock().unwrap().entry(session.to_owned()).or_default().push(problem);
            }
        }
    });
    Some(Arc::new(Browser { out, pending, problems, next: AtomicU64::new(1) }))
}

/// What a DevTools event says went wrong, if anything.
fn problem_in(method: &str, p: &Value) -> Option<String> {
    match method {
        "Runtime.exceptionThrown" => {
            let d = &p["exceptionDetails"];
            Some(format!(
                "uncaught exception: {}",
                d["exception"]["description"].as_str().or(d["text"].as_str()).unwrap_or("?")
            ))
        }
        "Runtime.consoleAPICalled" if matches!(p["type"].as_str(), Some("error" | "assert")) => {
            let args: Vec<String> = p["args"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| x["value"].as_str().map_or_else(|| x["description"].to_string(), str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            Some(format!("console.error: {}", args.join(" ")))
        }
        "Log.entryAdded" if matches!(p["entry"]["level"].as_str(), Some("error")) => {
            Some(format!("log error ({}): {} {}", p["entry"]["source"], p["entry"]["text"], p["entry"]["url"]))
        }
        "Network.loadingFailed" if p["canceled"] != true => {
            Some(format!("request failed: {} ({})", p["errorText"], p["type"]))
        }
        "Network.responseReceived" if p["response"]["status"].as_u64().is_some_and(|s| s >= 400) => {
            Some(format!("HTTP {} {}", p["response"]["status"], p["response"]["url"].as_str().unwrap_or("?")))
        }
        _ => None,
    }
}

impl Browser {
    async fn call(&self, session: Option<&str>, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.out.send(Message::Text(msg.to_string().into())).map_err(|e| e.to_string())?;
        match timeout(PROMPT, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(format!("{method}: the connection closed")),
            Err(_) => Err(format!("{method}: no answer within {PROMPT:?}")),
        }
    }

    /// A new page in a browser context of its own (no shared cookies or storage), at
    /// `width` × `height` CSS pixels; `name` prefixes its screenshots.
    pub async fn page(self: &Arc<Self>, name: &str, width: u32, height: u32) -> Page {
        let ctx = self.call(None, "Target.createBrowserContext", json!({})).await.unwrap();
        let context = ctx["browserContextId"].as_str().unwrap().to_owned();
        let t = self
            .call(None, "Target.createTarget", json!({"url": "about:blank", "browserContextId": context}))
            .await
            .unwrap();
        let target = t["targetId"].as_str().unwrap().to_owned();
        let s = self.call(None, "Target.attachToTarget", json!({"targetId": target, "flatten": true})).await.unwrap();
        let session = s["sessionId"].as_str().unwrap().to_owned();
        let page = Page { browser: self.clone(), session, target, context, name: name.to_owned(), width, height };
        for domain in ["Page.enable", "Runtime.enable", "Log.enable", "Network.enable"] {
            page.cmd(domain, json!({})).await;
        }
        page.resize(width, height).await;
        page
    }
}

/// One tab of the browser.
pub struct Page {
    browser: Arc<Browser>,
    session: String,
    target: String,
    context: String,
    name: String,
    pub width: u32,
    pub height: u32,
}

/// A string as a JavaScript literal.
pub fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

impl Page {
    pub async fn cmd(&self, method: &str, params: Value) -> Value {
        self.browser
            .call(Some(&self.session), method, params)
            .await
            .unwrap_or_else(|e| panic!("{}: {method}: {e}", self.name))
    }

    /// Emulates a viewport of `width` × `height` CSS pixels (a phone below 500).
    pub async fn resize(&self, width: u32, height: u32) {
        let mobile = width < 500;
        self.cmd(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
        )
        .await;
    }

    /// Loads `url` and waits until the document is complete.
    pub async fn goto(&self, url: &str) {
        self.cmd("Page.navigate", json!({"url": url})).await;
        self.wait_for(
            &format!("location.href === {} && document.readyState === 'complete'", js(url)),
            "the page to load",
        )
        .await;
    }

    /// Evaluates `expression` (awaiting a promise) and returns its JSON value.
    pub async fn try_eval(&self, expression: &str) -> Result<Value, String> {
        let r = self
            .browser
            .call(
                Some(&self.session),
                "Runtime.evaluate",
                json!({"expression": expression, "awaitPromise": true, "returnByValue": true, "userGesture": true}),
            )
            .await?;
        if let Some(e) = r.get("exceptionDetails") {
            return Err(e["exception"]["description"].as_str().unwrap_or("exception").to_owned());
        }
        Ok(r["result"]["value"].clone())
    }

    pub async fn eval(&self, expression: &str) -> Value {
        self.try_eval(expression).await.unwrap_or_else(|e| panic!("{}: `{expression}` threw: {e}", self.name))
    }

    /// Waits until `condition` (JavaScript) is truthy; on timeout saves a screenshot and fails.
    pub async fn wait_for(&self, condition: &str, what: &str) -> Value {
        let deadline = Instant::now() + PROMPT;
        loop {
            // An element found counts as `true` (nodes do not travel as JSON).
            let probe = format!(
                "(() => {{ try {{ const v = ({condition}); return v instanceof Node ? true : v; }} catch (e) {{ return null; }} }})()"
            );
            if let Ok(v) = self.try_eval(&probe).await
                && !matches!(v, Value::Null | Value::Bool(false))
                && v != json!("")
                && v != json!(0)
            {
                return v;
            }
            if Instant::now() >= deadline {
                self.screenshot(&format!("FAILED-{}", what.replace(' ', "-"))).await;
                panic!(
                    "{}: timed out waiting for {what} ({condition}); problems so far: {:#?}",
                    self.name,
                    self.problems()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for `selector` to be visible, enabled and not covered; returns its centre.
    async fn ready(&self, selector: &str) -> (f64, f64) {
        let probe = format!(
            "(() => {{ const el = document.querySelector({s}); if (!el || el.disabled) return null; \
             el.scrollIntoView({{block: 'center', inline: 'center', behavior: 'instant'}}); const r = el.getBoundingClientRect(); \
             if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') return null; \
             const x = r.x + r.width / 2, y = r.y + r.height / 2, top = document.elementFromPoint(x, y); \
             if (!top || !(el === top || el.contains(top) || (el.labels && [...el.labels].some(l => l.contains(top))))) return null; \
             return [x, y]; }})()",
            s = js(selector)
        );
        let v = self.wait_for(&probe, &format!("{selector} to be clickable")).await;
        (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
    }

    /// A real mouse click in the middle of `selector`.
    pub async fn click(&self, selector: &str) {
        let (x, y) = self.ready(selector).await;
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.cmd(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "buttons": u8::from(kind == "mousePressed"), "clickCount": 1}),
            )
            .await;
        }
    }

    /// Types `text` into `selector` as a person would, replacing what it held.
    pub async fn type_into(&self, selector: &str, text: &str) {
        self.click(selector).await;
        self.eval(&format!(
            "(() => {{ const el = document.querySelector({}); el.select && el.select(); }})()",
            js(selector)
        ))
        .await;
        if text.is_empty() {
            self.key("Backspace").await;
        } else {
            self.cmd("Input.insertText", json!({"text": text})).await;
        }
    }

    /// Sets a `<select>`'s or a date input's value, as its picker would, with the events.
    pub async fn choose(&self, selector: &str, value: &str) {
        self.ready(selector).await;
        self.eval(&format!(
            "(() => {{ const el = document.querySelector({}); el.focus(); el.value = {}; \
             el.dispatchEvent(new Event('input', {{bubbles: true}})); el.dispatchEvent(new Event('change', {{bubbles: true}})); }})()",
            js(selector),
            js(value)
        ))
        .await;
    }

    /// Presses and releases a key (`Tab`, `Enter`, `Backspace`, …).
    pub async fn key(&self, key: &str) {
        let code = match key {
            "Tab" => 9,
            "Enter" => 13,
            "Backspace" => 8,
            "Escape" => 27,
            " " => 32,
            _ => 0,
        };
        for kind in ["keyDown", "keyUp"] {
            let mut p = json!({"type": kind, "key": key, "windowsVirtualKeyCode": code, "code": key});
            if kind == "keyDown" && key == "Enter" {
                p["text"] = json!("\r");
            }
            self.cmd("Input.dispatchKeyEvent", p).await;
        }
    }

    /// The text of `selector` once it has some.
    pub async fn text(&self, selector: &str) -> String {
        let v = self
            .wait_for(
                &format!("document.querySelector({})?.textContent.trim()", js(selector)),
                &format!("text in {selector}"),
            )
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    /// Saves a PNG of the whole page to `target/xtask/screenshots/{page name}-{label}.png`.
    pub async fn screenshot(&self, label: &str) -> PathBuf {
        // From the top, so sticky headers sit where they belong.
        let size = self
            .try_eval("window.scrollTo({top: 0, behavior: 'instant'}); [Math.max(document.documentElement.scrollWidth, innerWidth), document.documentElement.scrollHeight]")
            .await;
        let (w, h) = match size {
            Ok(v) => (v[0].as_f64().unwrap_or(1280.0), v[1].as_f64().unwrap_or(800.0)),
            Err(_) => (f64::from(self.width), f64::from(self.height)),
        };
        let shot = self
            .browser
            .call(
                Some(&self.session),
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true,
                       "clip": {"x": 0, "y": 0, "width": w, "height": h.min(12_000.0), "scale": 1}}),
            )
            .await;
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}-{label}.png", self.name));
        if let Ok(s) = shot {
            let png = base64::engine::general_purpose::STANDARD.decode(s["data"].as_str().unwrap_or_default()).unwrap();
            std::fs::write(&path, png).unwrap();
        }
        path
    }

    /// What went wrong in this page so far: console errors, exceptions, CSP reports,
    /// failed requests and HTTP errors.
    pub fn problems(&self) -> Vec<String> {
        self.browser.problems.lock().unwrap().get(&self.session).cloned().unwrap_or_default()
    }

    /// Takes the problems recorded so far (for checks that expect some).
    pub fn take_problems(&self) -> Vec<String> {
        self.browser.problems.lock().unwrap().remove(&self.session).unwrap_or_default()
    }

    /// Fails if anything went wrong in the page so far.
    #[track_caller]
    pub fn assert_no_problems(&self, during: &str) {
        let p = self.problems();
        assert!(p.is_empty(), "{}: problems during {during}: {p:#?}", self.name);
    }

    /// Runs axe-core on the page; fails on any serious or critical violation.
    pub async fn assert_accessible(&self, what: &str) {
        if self.eval("typeof axe").await != json!("object") {
            self.eval(&format!("{AXE};\ntrue")).await;
        }
        let v = self
            .eval(
                "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations \
                 .filter(v => v.impact === 'serious' || v.impact === 'critical') \
                 .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))",
            )
            .await;
        assert_eq!(v, json!([]), "{}: accessibility violations on {what}", self.name);
    }

    /// The page fits its width: nothing but inner scrollers is wider than the viewport.
    pub async fn assert_fits(&self, what: &str) {
        let v = self.eval("document.documentElement.scrollWidth - window.innerWidth").await;
        assert!(v.as_f64().unwrap_or(0.0) <= 1.0, "{}: {what} is wider than {} px by {v} px", self.name, self.width);
    }

    /// Closes the page and its browser context.
    pub async fn close(self) {
        let _ = self.browser.call(None, "Target.closeTarget", json!({"targetId": self.target})).await;
        let _ =
            self.browser.call(None, "Target.disposeBrowserContext", json!({"browserContextId": self.context})).await;
    }
}

/// `<target>/xtask/screenshots`, next to the test binary's target directory.
pub fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // <target>/debug/deps/it-… → <target>
    let target = exe.ancestors().nth(3).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target"));
    target.join("xtask").join("screenshots")
}
