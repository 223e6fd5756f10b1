//! A throwaway nginx in the foreground (`daemon off`), with its pid file, logs and
//! temporary files under a fresh prefix directory.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicU32;
use std::thread;
use std::time::{Duration, Instant};

use crate::process::{Error, Tool, Watchdog, accepts_tcp, failed, fresh_dir, read_pid, run_captured, tail, terminate};

/// An nginx master process and its prefix directory; stopped (SIGQUIT, graceful) and
/// deleted on drop.
#[derive(Debug)]
pub struct Nginx {
    prefix: PathBuf,
    program: PathBuf,
    child: Option<Child>,
    watchdog: Option<Watchdog>,
}

impl Nginx {
    /// A fresh prefix directory, nothing started yet. It lives under the temp
    /// directory, open to all (0755): when we are root, nginx's workers run as its
    /// unprivileged user and must reach their temporary files there.
    pub fn prepare() -> Result<Nginx, Error> {
        let program = Tool::Nginx.find().ok_or(Error::Missing(Tool::Nginx))?;
        static STARTED: AtomicU32 = AtomicU32::new(1);
        let parent = std::env::temp_dir().join("acmetocasino-testbed");
        fs::create_dir_all(&parent)?;
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o755))?;
        let prefix = fresh_dir(&parent, "nginx", &STARTED)?;
        fs::set_permissions(&prefix, fs::Permissions::from_mode(0o755))?;
        let watchdog = Watchdog::spawn(&prefix.join("nginx.pid"), "nginx", "QUIT", &prefix)?;
        Ok(Nginx { prefix, program, child: None, watchdog: Some(watchdog) })
    }

    /// Where the configuration, certificates, logs and temporary files go.
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    /// What the master wrote on stdout (an `access_log /dev/stdout`).
    pub fn stdout_log(&self) -> PathBuf {
        self.prefix.join("stdout.log")
    }

    /// What the master wrote on stderr (an `error_log /dev/stderr`).
    pub fn stderr_log(&self) -> PathBuf {
        self.prefix.join("stderr.log")
    }

    /// Writes `config` as `<prefix>/nginx.conf` and checks it with `nginx -t`; returns
    /// what nginx said (warnings included).
    pub fn check(&self, config: &str) -> Result<String, Error> {
        let file = self.prefix.join("nginx.conf");
        fs::write(&file, config)?;
        let output = run_captured(self.command(&file).arg("-t"))?;
        Ok(String::from_utf8_lossy(&output.stderr).into_owned())
    }

    /// Checks `config` (see [`Nginx::check`]), starts nginx on it and waits until
    /// every port in `ports` accepts connections.
    pub fn start(&mut self, config: &str, ports: &[u16]) -> Result<(), Error> {
        self.check(config)?;
        let stdout = fs::File::create(self.stdout_log())?;
        let stderr = fs::File::create(self.stderr_log())?;
        let child = self
            .command(&self.prefix.join("nginx.conf"))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(|e| failed(format!("cannot start nginx: {e}")))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ports.iter().all(|&port| accepts_tcp(port)) {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                return Err(failed(format!("nginx exited ({status}):\n{}", tail(&self.stderr_log(), 20))));
            }
            if Instant::now() >= deadline {
                return Err(failed(format!("nginx did not listen on {ports:?} within 20s")));
            }
            thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// `nginx -p PREFIX -c FILE -g 'daemon off; pid PREFIX/nginx.pid;'`
    fn command(&self, config: &Path) -> Command {
        let mut command = Command::new(&self.program);
        command
            .arg("-p")
            .arg(&self.prefix)
            .arg("-c")
            .arg(config)
            .arg("-g")
            .arg(format!("daemon off; pid {};", self.prefix.join("nginx.pid").display()));
        command
    }

    /// Stops nginx and removes its prefix, reporting any problem.
    pub fn stop(mut self) -> Result<(), Error> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), Error> {
        let Some(watchdog) = self.watchdog.take() else {
            return Ok(());
        };
        let mut problems = Vec::new();
        if let Some(mut child) = self.child.take() {
            // The master stops its workers; SIGKILL would leave them holding the ports.
            let pid = read_pid(&self.prefix.join("nginx.pid")).unwrap_or(child.id());
            if let Err(error) = terminate(pid, "nginx", "QUIT", Duration::from_secs(10)) {
                problems.push(error);
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        watchdog.finish(&self.prefix, problems, "nginx")
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown() {
            eprintln!("testbed: {error}");
        }
    }
}
