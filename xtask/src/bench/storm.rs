//! `cargo xtask login-storm`: the release server's peak memory while N sign-ins arrive
//! at once (issue 12: unauthenticated Argon2id amplification; docs/benchmarks.md).
//!
//! The server runs with its default configuration (Argon2id at 19456 KiB, the default
//! hashing bound) on a fresh SQLite file, trusting 127.0.0.1 as a proxy so that every
//! sign-in can come from an address of its own: a distributed attack, which the
//! per-address limits do not stop and only the hashing bound contains. Half the
//! sign-ins name registered players (right password), half unknown names. Every one
//! is sent on its own thread, released together; the server's `VmHWM` is its peak.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use super::server::Server;
use crate::util::{self, Result};

/// The ceiling of issue 12 for 300 parallel sign-ins.
const PEAK_LIMIT_MIB: f64 = 600.0;
const KNOWN_PLAYERS: usize = 10;
const PASSWORD: &str = "storm password 1";

pub fn run(logins: usize) -> Result<ExitCode> {
    let bin = super::build(true)?.server;
    let dir = util::target_dir().join("xtask").join("login-storm");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("data"))?;
    let env: Vec<(String, String)> = [
        ("DATABASE_URL", dir.join("data").join("storm.db").display().to_string()),
        ("ACMETOCASINO_DATA_DIR", dir.join("data").display().to_string()),
        ("ACMETOCASINO_JWT_SECRET", "xtask-storm-jwt-secret-xtask-storm-jwt-secret".to_owned()),
        ("ACMETOCASINO_TRUSTED_PROXIES", "127.0.0.1".to_owned()),
        ("ACMETOCASINO_LOG", "warn".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let server = Server::start(&bin, &env, &dir.join("server.log"))?;
    let address = server.url.trim_start_matches("http://").to_owned();
    for i in 0..KNOWN_PLAYERS {
        let body = format!(
            r#"{{"username":"storm_{i}","email":"storm_{i}@example.com","password":"{PASSWORD}","date_of_birth":"1990-01-31","country":"SE"}}"#
        );
        let status = post(&address, "/api/v2/players", &body, &format!("192.0.2.{i}"))?;
        if status != 201 {
            return Err(format!("registering storm_{i} answered {status}").into());
        }
    }
    let before = fs::read_to_string(format!("/proc/{}/status", server.pid().unwrap_or(0))).unwrap_or_default();
    eprintln!("xtask: {logins} parallel sign-ins ({KNOWN_PLAYERS} known players and unknown names)");
    let barrier = Arc::new(Barrier::new(logins));
    let started = Instant::now();
    let threads: Vec<_> = (0..logins)
        .map(|i| {
            let (barrier, address) = (barrier.clone(), address.clone());
            thread::spawn(move || {
                let name = if i % 2 == 0 { format!("storm_{}", i / 2 % KNOWN_PLAYERS) } else { format!("ghost_{i}") };
                let body = format!(r#"{{"username":"{name}","password":"{PASSWORD}"}}"#);
                // Distinct addresses in 198.18.0.0/15 (the benchmarking range).
                let from = format!("198.18.{}.{}", i / 250, i % 250 + 1);
                barrier.wait();
                post(&address, "/api/v2/auth/login", &body, &from).map_err(|e| e.to_string())
            })
        })
        .collect();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for t in threads {
        let outcome = match t.join() {
            Ok(Ok(status)) => status.to_string(),
            Ok(Err(e)) => format!("error: {e}"),
            Err(_) => "panicked".to_owned(),
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    let elapsed = started.elapsed();
    let threads_at_end = status_field(
        &fs::read_to_string(format!("/proc/{}/status", server.pid().unwrap_or(0))).unwrap_or_default(),
        "Threads:",
    );
    let memory = server.stop()?;
    let mib = |kib: u64| kib as f64 / 1024.0;
    let peak = mib(memory.peak_kib);
    let sampled = memory.samples.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    println!("login storm: {logins} sign-ins in {:.2} s, answers {outcomes:?}", elapsed.as_secs_f64());
    println!(
        "server RSS: before {:.1} MiB, peak (VmHWM) {peak:.1} MiB, highest 1-s sample {:.1} MiB; threads after {}",
        mib(status_field(&before, "VmRSS:").unwrap_or(0)),
        mib(sampled),
        threads_at_end.map_or("?".to_owned(), |t| t.to_string()),
    );
    if peak >= PEAK_LIMIT_MIB {
        eprintln!("xtask: the peak RSS {peak:.1} MiB is over the {PEAK_LIMIT_MIB} MiB ceiling");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn status_field(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// One `POST` with a JSON body from "client" `from` (as a proxy would name it); the status.
fn post(address: &str, path: &str, body: &str, from: &str) -> Result<u16> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nX-Forwarded-For: {from}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let head = String::from_utf8_lossy(&answer[..answer.len().min(32)]).into_owned();
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no HTTP status in {head:?}").into())
}
