//! A throwaway Redis server (no persistence).

use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicU32;
use std::thread;
use std::time::{Duration, Instant};

use crate::process::{
    Error, LOCALHOST, START_ATTEMPTS, Tool, Watchdog, failed, free_port, fresh_dir, is_running, read_pid, run_captured,
    tail, target_dir, terminate,
};

/// A private Redis server on 127.0.0.1; stopped and deleted on drop.
#[derive(Debug)]
pub struct Redis {
    base: PathBuf,
    port: u16,
    pid: Option<u32>,
    watchdog: Option<Watchdog>,
}

impl Redis {
    pub fn start() -> Result<Redis, Error> {
        let server = Tool::Redis.find().ok_or(Error::Missing(Tool::Redis))?;
        static STARTED: AtomicU32 = AtomicU32::new(1);
        let base = fresh_dir(&target_dir().join("xtask"), "redis", &STARTED)?;
        let watchdog = Watchdog::spawn(&base.join("redis.pid"), "redis-server", "TERM", &base)?;
        let mut redis = Redis { base, port: 0, pid: None, watchdog: Some(watchdog) };
        for attempt in 1..=START_ATTEMPTS {
            redis.port = free_port()?;
            match redis.try_start(&server) {
                Ok(pid) => {
                    redis.pid = Some(pid);
                    return Ok(redis);
                }
                Err(_) if attempt < START_ATTEMPTS && redis.log().contains("already in use") => {}
                Err(error) => return Err(error),
            }
        }
        Err(failed("Redis did not start"))
    }

    /// `redis://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("redis://{LOCALHOST}:{}/", self.port)
    }

    pub fn stop(mut self) -> Result<(), Error> {
        self.shutdown()
    }

    fn pid_file(&self) -> PathBuf {
        self.base.join("redis.pid")
    }

    fn log(&self) -> String {
        tail(&self.base.join("redis.log"), 20)
    }

    /// Launches the daemon and waits until it answers PING; its PID on success.
    fn try_start(&self, server: &Path) -> Result<u32, Error> {
        // A previous attempt's files would fool the checks below.
        let _ = fs::remove_file(self.pid_file());
        let _ = fs::remove_file(self.base.join("redis.log"));
        let mut command = Command::new(server);
        command
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "yes"])
            .arg("--pidfile")
            .arg(self.pid_file())
            .arg("--dir")
            .arg(&self.base)
            .arg("--logfile")
            .arg(self.base.join("redis.log"));
        run_captured(&mut command)?;

        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(pid) = read_pid(&self.pid_file())
                && is_running(pid, "redis-server")
                && pings(self.port)
            {
                return Ok(pid);
            }
            let log = self.log();
            if log.contains("aborting") || log.contains("Fatal") {
                return Err(failed(format!("Redis failed to start:\n{log}")));
            }
            if Instant::now() >= deadline {
                return Err(failed(format!(
                    "Redis did not answer PING on port {} within 20s\nredis.log:\n{log}",
                    self.port
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
        if let Some(pid) = self.pid.or_else(|| read_pid(&self.pid_file()))
            && let Err(error) = terminate(pid, "redis-server", "TERM", Duration::from_secs(10))
        {
            problems.push(error);
        }
        watchdog.finish(&self.base, problems, "Redis")
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown() {
            eprintln!("testbed: {error}");
        }
    }
}

fn pings(port: u16) -> bool {
    let ping = || -> io::Result<bool> {
        let address = SocketAddr::from((LOCALHOST, port));
        let mut stream = TcpStream::connect_timeout(&address, Duration::from_millis(500))?;
        stream.set_read_timeout(Some(Duration::from_millis(500)))?;
        stream.write_all(b"PING\r\n")?;
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply)?;
        Ok(&reply == b"+PONG\r\n")
    };
    ping().unwrap_or(false)
}
