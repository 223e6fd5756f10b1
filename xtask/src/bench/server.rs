//! The platform binary under test: the server (with its memory sampled every second)
//! and the load generator, both run as child processes.

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{self, Result, tail};

/// The app's environment with only `env` set: inherited `ACMETOCASINO_*`,
/// `DATABASE_URL` and `REDIS_URL` are removed (Redis stays off).
pub fn app_command(bin: &Path, env: &[(String, String)]) -> Command {
    let mut command = Command::new(bin);
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if k.starts_with("ACMETOCASINO_") || k == "DATABASE_URL" || k == "REDIS_URL" {
            command.env_remove(&key);
        }
    }
    command.envs(env.iter().map(|(k, v)| (k, v)));
    command
}

/// `acmetocasino admin create … --role <role> --password-stdin` (also migrates).
pub fn create_staff(bin: &Path, env: &[(String, String)], username: &str, role: &str, password: &str) -> Result<()> {
    let mut command = app_command(bin, env);
    command.args(["admin", "create", "--username", username, "--email", &format!("{username}@example.com")]).args([
        "--role",
        role,
        "--password-stdin",
    ]);
    run_with_stdin(&mut command, password).map(|_| ())
}

fn run_with_stdin(command: &mut Command, input: &str) -> Result<String> {
    let shown = util::display(command);
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes())?;
        stdin.write_all(b"\n")?;
    }
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(format!("`{shown}` failed ({}):\n{stdout}", output.status).into())
    }
}

/// Runs `loadgen <args>` (a bench mode) and returns its `BENCH_JSON` lines.
pub fn bench(bin: &Path, args: &[String], stdin: Option<&str>) -> Result<Vec<Value>> {
    let mut command = app_command(bin, &[("ACMETOCASINO_LOG".into(), "warn".into())]);
    command.args(args);
    eprintln!("$ {}", util::display(&command));
    let stdout = match stdin {
        Some(input) => run_with_stdin(&mut command, input)?,
        None => {
            let output = command
                .stdin(Stdio::null())
                .stderr(Stdio::inherit())
                .output()
                .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            if !output.status.success() {
                return Err(format!("`{}` failed ({}):\n{stdout}", util::display(&command), output.status).into());
            }
            stdout
        }
    };
    let mut out = Vec::new();
    for line in stdout.lines() {
        match line.strip_prefix("BENCH_JSON ") {
            Some(json) => out.push(serde_json::from_str(json).map_err(|e| format!("bad BENCH_JSON line: {e}"))?),
            None => println!("{line}"),
        }
    }
    Ok(out)
}

/// The `BENCH_JSON` line of `phase`.
pub fn phase(lines: &[Value], phase: &str) -> Result<Value> {
    lines
        .iter()
        .find(|v| v["phase"] == phase)
        .cloned()
        .ok_or_else(|| format!("the load generator reported no `{phase}` result").into())
}

/// One memory sample of the server.
#[derive(Debug, Clone)]
pub struct Sample {
    pub at_s: f64,
    pub phase: String,
    pub rss_kib: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Memory {
    pub samples: Vec<Sample>,
    /// VmHWM: the peak resident set.
    pub peak_kib: u64,
}

/// A running server; stopped (killed if need be) on drop.
pub struct Server {
    child: Option<Child>,
    pub url: String,
    log: PathBuf,
    phase: Arc<Mutex<String>>,
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: Arc<AtomicBool>,
    sampler: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(bin: &Path, env: &[(String, String)], log: &Path) -> Result<Server> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port();
        let file = fs::File::create(log)?;
        let mut command = app_command(bin, env);
        command
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file);
        eprintln!("$ {}", util::display(&command));
        let child = command.spawn().map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let pid = child.id();
        let mut server = Server {
            child: Some(child),
            url: format!("http://127.0.0.1:{port}"),
            log: log.to_path_buf(),
            phase: Arc::new(Mutex::new("start".into())),
            samples: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
            sampler: None,
        };
        server.wait_healthy(port, Duration::from_secs(60))?;
        let (phase, samples, stop) = (server.phase.clone(), server.samples.clone(), server.stop.clone());
        server.sampler = Some(thread::spawn(move || {
            let started = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                if let Some(rss) = status_kib(pid, "VmRSS:") {
                    let phase = phase.lock().map(|p| p.clone()).unwrap_or_default();
                    if let Ok(mut s) = samples.lock() {
                        s.push(Sample { at_s: started.elapsed().as_secs_f64(), phase, rss_kib: rss });
                    }
                }
                // Sleep in slices so stopping is quick.
                for _ in 0..10 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    thread::sleep(Duration::from_millis(100));
                }
            }
        }));
        Ok(server)
    }

    fn wait_healthy(&mut self, port: u16, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                return Err(format!("the server exited ({status}):\n{}", tail(&self.log, 20)).into());
            }
            if health_ok(port) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!("the server did not become healthy:\n{}", tail(&self.log, 20)).into());
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Labels the memory samples from now on.
    pub fn set_phase(&self, label: &str) {
        if let Ok(mut p) = self.phase.lock() {
            *p = label.to_owned();
        }
    }

    /// Stops the server (SIGTERM, then SIGKILL after 10 s) and returns its memory record.
    pub fn stop(mut self) -> Result<Memory> {
        let peak = self.child.as_ref().and_then(|c| status_kib(c.id(), "VmHWM:")).unwrap_or(0);
        self.shutdown()?;
        let samples = self.samples.lock().map(|s| s.clone()).unwrap_or_default();
        Ok(Memory { samples, peak_kib: peak })
    }

    fn shutdown(&mut self) -> Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.sampler.take() {
            let _ = handle.join();
        }
        let Some(mut child) = self.child.take() else { return Ok(()) };
        util::stop_child(&mut child, Duration::from_secs(10))?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            eprintln!("xtask: stopping the server: {e}");
        }
    }
}

/// CPU time counters at one moment, from `/proc` (clock ticks of 1/100 s).
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuSnapshot {
    busy: u64,
    total: u64,
    server: u64,
    postgres: u64,
}

/// CPU used between two snapshots.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuUse {
    /// Share of the whole machine (all cores) that was busy, %.
    pub busy_pct: f64,
    /// CPU seconds of the server process.
    pub server_s: f64,
    /// CPU seconds of all `postgres` processes.
    pub postgres_s: f64,
}

impl CpuSnapshot {
    pub fn take(server_pid: Option<u32>) -> CpuSnapshot {
        let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
        let cpu: Vec<u64> = stat
            .lines()
            .next()
            .map(|l| l.split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect())
            .unwrap_or_default();
        let at = |i: usize| cpu.get(i).copied().unwrap_or(0);
        // user nice system idle iowait irq softirq steal
        let busy = at(0) + at(1) + at(2) + at(5) + at(6) + at(7);
        let total = busy + at(3) + at(4);
        let mut postgres = 0;
        for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            if fs::read_to_string(entry.path().join("comm")).is_ok_and(|c| c.trim_end() == "postgres") {
                // Its own time, plus (for the postmaster) that of backends it has reaped:
                // pgbench's connections end before the second snapshot.
                postgres += process_ticks(pid, true);
            }
        }
        CpuSnapshot { busy, total, server: server_pid.map_or(0, |pid| process_ticks(pid, false)), postgres }
    }

    pub fn since(&self, earlier: &CpuSnapshot) -> CpuUse {
        let d = |a: u64, b: u64| a.saturating_sub(b) as f64;
        CpuUse {
            busy_pct: 100.0 * d(self.busy, earlier.busy) / d(self.total, earlier.total).max(1.0),
            server_s: d(self.server, earlier.server) / 100.0,
            postgres_s: d(self.postgres, earlier.postgres) / 100.0,
        }
    }
}

/// utime + stime of a process (and cutime + cstime of its reaped children), in ticks.
fn process_ticks(pid: u32, children: bool) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
    let at = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    at(11) + at(12) + if children { at(13) + at(14) } else { 0 }
}

/// A `/proc/<pid>/status` field in KiB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// `GET /api/v2/health` answers 200.
fn health_ok(port: u16) -> bool {
    let attempt = || -> std::io::Result<bool> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut stream = TcpStream::connect_timeout(&address, Duration::from_millis(500))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(b"GET /api/v2/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut head = [0u8; 16];
        let n = stream.read(&mut head)?;
        Ok(head[..n].starts_with(b"HTTP/1.") && head[..n].windows(5).any(|w| w == b" 200 "))
    };
    attempt().unwrap_or(false)
}
