//! A throwaway headless Chromium for the browser tests: one process for a whole test
//! run (each test opens its own browser context through the DevTools endpoint), its
//! profile in a fresh directory, stopped and removed on drop, with the same watchdog as
//! the servers.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicU32;
use std::thread;
use std::time::{Duration, Instant};

use crate::process::{Error, Tool, Watchdog, failed, fresh_dir, succeeds, tail, target_dir, terminate};

/// The process name Chromium runs under (`/proc/PID/comm`).
const PROCESS: &str = "chromium";

/// A running headless Chromium; stopped and deleted on drop.
#[derive(Debug)]
pub struct Chromium {
    base: PathBuf,
    child: Option<Child>,
    url: String,
    watchdog: Option<Watchdog>,
}

impl Chromium {
    pub fn start() -> Result<Chromium, Error> {
        let binary = Tool::Chromium.find().ok_or(Error::Missing(Tool::Chromium))?;
        static STARTED: AtomicU32 = AtomicU32::new(1);
        let base = fresh_dir(&target_dir().join("xtask"), "chromium", &STARTED)?;
        let pid_file = base.join("chromium.pid");
        let watchdog = Watchdog::spawn(&pid_file, PROCESS, "TERM", &base)?;
        let profile = base.join("profile");
        let log = fs::File::create(base.join("chromium.log"))?;
        let mut command = Command::new(binary);
        command
            // As root the sandbox cannot start; the browser only ever loads the test servers.
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            // Without these it tries to reach Google's services, which this network refuses.
            .args(["--disable-quic", "--no-first-run", "--disable-background-networking"])
            .args(["--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-crash-reporter"])
            .args(["--hide-scrollbars", "--mute-audio", "--force-color-profile=srgb"])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(["--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            // Its own process group: stopping it waits for every helper process it forked.
            .process_group(0);
        let child = command.spawn().map_err(|e| failed(format!("cannot start Chromium: {e}")))?;
        fs::write(&pid_file, format!("{}\n", child.id()))?;
        let mut chromium = Chromium { base, child: Some(child), url: String::new(), watchdog: Some(watchdog) };
        chromium.url = chromium.wait_for_endpoint(&profile, Duration::from_secs(30))?;
        Ok(chromium)
    }

    /// The browser's DevTools WebSocket endpoint (`ws://127.0.0.1:PORT/devtools/browser/…`).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn stop(mut self) -> Result<(), Error> {
        self.shutdown()
    }

    /// Chromium writes its port and browser path to `DevToolsActivePort` once it listens.
    fn wait_for_endpoint(&mut self, profile: &Path, limit: Duration) -> Result<String, Error> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(text) = fs::read_to_string(profile.join("DevToolsActivePort")) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    return Ok(format!("ws://127.0.0.1:{}{}", port.trim(), path.trim()));
                }
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(failed(format!(
                    "Chromium exited ({status}) before listening:\n{}",
                    tail(&self.base.join("chromium.log"), 20)
                )));
            }
            if Instant::now() >= deadline {
                return Err(failed(format!(
                    "Chromium did not open its DevTools endpoint within {}s:\n{}",
                    limit.as_secs(),
                    tail(&self.base.join("chromium.log"), 20)
                )));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn shutdown(&mut self) -> Result<(), Error> {
        let Some(watchdog) = self.watchdog.take() else {
            return Ok(());
        };
        let mut problems = Vec::new();
        if let Some(mut child) = self.child.take() {
            let group = child.id();
            if let Err(error) = terminate(group, PROCESS, "TERM", Duration::from_secs(10)) {
                problems.push(error);
            }
            let _ = child.wait();
            // Its helpers (zygote, renderers) leave just after it; the profile is theirs until then.
            if let Err(error) = wait_for_group(group, Duration::from_secs(10)) {
                problems.push(error);
            }
        }
        watchdog.finish(&self.base, problems, "Chromium")
    }
}

/// Waits until no live process is left in process group `group`; SIGKILLs them past
/// `grace`. Zombies count as gone (some containers' PID 1 never reaps orphans).
fn wait_for_group(group: u32, grace: Duration) -> Result<(), String> {
    let alive = || {
        fs::read_dir("/proc").into_iter().flatten().flatten().any(|entry| {
            let stat = fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // `pid (comm) S ppid pgrp …`: the fields after the last ')'.
            let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
            matches!(fields.as_slice(), [state, _, pgrp, ..] if *pgrp == group.to_string() && !matches!(*state, "Z" | "X"))
        })
    };
    let deadline = Instant::now() + grace;
    while alive() {
        if Instant::now() >= deadline {
            succeeds(Command::new("kill").args(["-s", "KILL", "--", &format!("-{group}")]));
            return Err(format!("Chromium's helper processes (group {group}) outlived it; killed them"));
        }
        thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

impl Drop for Chromium {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown() {
            eprintln!("testbed: {error}");
        }
    }
}
