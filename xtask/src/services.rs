//! Throwaway PostgreSQL and Redis servers and a headless Chromium for tests,
//! benchmarks and simulations.
//!
//! Each server gets a fresh directory under `target/xtask/`, listens only on 127.0.0.1
//! on a free port, and is stopped (its directory removed) when its guard is dropped,
//! also during a panic. Ctrl-C or a kill skips `Drop`, so every server also has a
//! watchdog: a `sh` in its own process group (Ctrl-C does not reach it) blocked reading a
//! pipe that only this process holds; when we die the pipe closes and it cleans up.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::util::{self, run_captured, sh_quote, tail, which};

const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;
const START_ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Postgres,
    Redis,
    Chromium,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Postgres => "PostgreSQL",
            Service::Redis => "Redis",
            Service::Chromium => "Chromium",
        }
    }

    pub fn looked_for(self) -> &'static str {
        match self {
            Service::Postgres => "/usr/lib/postgresql/*/bin/initdb, or pg_ctl on PATH",
            Service::Redis => "redis-server on PATH",
            Service::Chromium => "chromium (or chromium-browser, google-chrome) on PATH",
        }
    }

    pub fn apt_package(self) -> &'static str {
        match self {
            Service::Postgres => "postgresql",
            Service::Redis => "redis-server",
            Service::Chromium => "chromium",
        }
    }

    /// Whether the server binaries are installed.
    pub fn is_installed(self) -> bool {
        match self {
            Service::Postgres => PgTools::find().is_some(),
            Service::Redis => find_redis_server().is_some(),
            Service::Chromium => crate::browser::find_chromium().is_some(),
        }
    }
}

#[derive(Debug)]
pub enum Error {
    /// The server's binaries are not installed.
    Missing(Service),
    /// Installed, but it could not be started or stopped; the message says why.
    Failed(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Missing(service) => write!(
                f,
                "{} is not installed (looked for {}); install it with `apt-get install {}`",
                service.name(),
                service.looked_for(),
                service.apt_package()
            ),
            Error::Failed(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Self {
        Error::Failed(error.to_string())
    }
}

impl From<util::Error> for Error {
    fn from(error: util::Error) -> Self {
        Error::Failed(error.to_string())
    }
}

pub(crate) fn failed(message: impl Into<String>) -> Error {
    Error::Failed(message.into())
}

// ---------------------------------------------------------------------------------------
// PostgreSQL

/// The directory holding `initdb`, `pg_ctl` and friends.
#[derive(Debug, Clone)]
pub struct PgTools {
    bin: PathBuf,
}

impl PgTools {
    /// The highest `/usr/lib/postgresql/<version>/bin`, else the directory of `pg_ctl`
    /// on `PATH` (symlinks resolved) when `initdb` sits beside it.
    pub fn find() -> Option<PgTools> {
        let highest = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let version: Vec<u32> =
                    entry.file_name().to_str()?.split('.').map(str::parse).collect::<Result<_, _>>().ok()?;
                let bin = entry.path().join("bin");
                let complete = ["initdb", "pg_ctl", "postgres"].iter().all(|tool| util::is_executable(&bin.join(tool)));
                complete.then_some((version, bin))
            })
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, bin)| bin);
        let on_path = || {
            let pg_ctl = fs::canonicalize(which("pg_ctl")?).ok()?;
            let bin = pg_ctl.parent()?.to_path_buf();
            util::is_executable(&bin.join("initdb")).then_some(bin)
        };
        highest.or_else(on_path).map(|bin| PgTools { bin })
    }

    fn tool(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }
}

/// A private PostgreSQL server; stopped and deleted on drop.
#[derive(Debug)]
pub struct Postgres {
    base: PathBuf,
    port: u16,
    tools: PgTools,
    user: RunAs,
    postmaster_pid: Option<u32>,
    watchdog: Option<Watchdog>,
    options: PgOptions,
}

/// Server settings beyond the throwaway defaults.
#[derive(Debug, Clone, Default)]
pub struct PgOptions {
    /// fsync, synchronous_commit and full_page_writes on, as in production (the test
    /// default turns them off).
    pub durable: bool,
    /// `shared_preload_libraries`, e.g. `pg_stat_statements`.
    pub preload: Vec<String>,
}

impl PgOptions {
    /// For benchmarks: durable, with `pg_stat_statements` loaded.
    pub fn benchmark() -> Self {
        PgOptions { durable: true, preload: vec!["pg_stat_statements".into()] }
    }
}

impl Postgres {
    /// Starts a fresh cluster: `initdb -A trust -U postgres`, 127.0.0.1 on a free port.
    pub fn start() -> Result<Postgres, Error> {
        Self::start_with(&PgOptions::default())
    }

    /// [`Postgres::start`] with other server settings (benchmarks: durable, with
    /// preloaded extensions).
    pub fn start_with(options: &PgOptions) -> Result<Postgres, Error> {
        let tools = PgTools::find().ok_or(Error::Missing(Service::Postgres))?;
        let user = RunAs::for_postgres()?;
        let base = user.prepare_base_dir()?;
        let watchdog = Watchdog::spawn(
            &base.join("data").join("postmaster.pid"),
            "postgres",
            "QUIT", // immediate shutdown
            &base,
        )?;
        // From here on, dropping `postgres` stops whatever has been started.
        let mut postgres = Postgres {
            base,
            port: 0,
            tools,
            user,
            postmaster_pid: None,
            watchdog: Some(watchdog),
            options: options.clone(),
        };
        postgres.init_and_start()?;
        Ok(postgres)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    pub fn url(&self) -> String {
        format!("postgres://postgres@{LOCALHOST}:{}/postgres", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's log (`pg_ctl -l`).
    pub fn log_file(&self) -> PathBuf {
        self.base.join("postgres.log")
    }

    /// A program of the server's installation, e.g. `psql` or `pgbench`.
    pub fn tool(&self, name: &str) -> PathBuf {
        self.tools.tool(name)
    }

    /// Stops the server and removes its directory, reporting any problem.
    pub fn stop(mut self) -> Result<(), Error> {
        self.shutdown()
    }

    fn data_dir(&self) -> PathBuf {
        self.base.join("data")
    }

    fn init_and_start(&mut self) -> Result<(), Error> {
        let data = self.data_dir();
        let mut initdb = Command::new(self.tools.tool("initdb"));
        initdb
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"])
            .arg("-D")
            .arg(&data)
            .current_dir(&self.base);
        run_captured(&mut self.user.wrap(initdb))?;

        for attempt in 1..=START_ATTEMPTS {
            self.port = free_port()?;
            self.write_config()?;
            let mut pg_ctl = Command::new(self.tools.tool("pg_ctl"));
            pg_ctl
                .args(["start", "-w", "-t", "60", "-s", "-D"])
                .arg(&data)
                .arg("-l")
                .arg(self.log_file())
                .current_dir(&self.base);
            match run_captured(&mut self.user.wrap(pg_ctl)) {
                Ok(_) => break,
                Err(error) => {
                    let log = tail(&self.log_file(), 20);
                    // Someone may have taken the port between our probe and the bind.
                    if attempt < START_ATTEMPTS && log.contains("already in use") {
                        continue;
                    }
                    return Err(failed(format!("{error}\npostgres.log:\n{log}")));
                }
            }
        }
        self.postmaster_pid = read_pid(&data.join("postmaster.pid"));
        self.wait_until_ready(Duration::from_secs(30))
    }

    /// Test-server settings, appended to postgresql.conf (the last setting wins, so a
    /// retry on another port simply appends again).
    fn write_config(&self) -> Result<(), Error> {
        let data = self.data_dir();
        // A unix socket path is limited to 107 bytes; TCP alone is enough for us.
        let socket_dir = if data.as_os_str().len() + ".s.PGSQL.65535".len() < 100 {
            data.to_string_lossy().replace('\'', "''")
        } else {
            String::new()
        };
        let mut settings = format!(
            "\n# cargo xtask: throwaway test server\n\
             listen_addresses = '{LOCALHOST}'\n\
             port = {port}\n\
             unix_socket_directories = '{socket_dir}'\n\
             max_connections = 400\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n\
             shared_buffers = 128MB\n",
            port = self.port,
        );
        if self.options.durable {
            settings
                .push_str("# durable, as in production\nfsync = on\nsynchronous_commit = on\nfull_page_writes = on\n");
        }
        if !self.options.preload.is_empty() {
            settings.push_str(&format!("shared_preload_libraries = '{}'\n", self.options.preload.join(",")));
        }
        let mut conf = fs::OpenOptions::new().append(true).open(data.join("postgresql.conf"))?;
        conf.write_all(settings.as_bytes())?;
        Ok(())
    }

    fn wait_until_ready(&self, timeout: Duration) -> Result<(), Error> {
        let pg_isready = Some(self.tools.tool("pg_isready"))
            .filter(|path| util::is_executable(path))
            .or_else(|| which("pg_isready"));
        let port = self.port.to_string();
        let deadline = Instant::now() + timeout;
        loop {
            let ready = match &pg_isready {
                Some(pg_isready) => util::succeeds(
                    Command::new(pg_isready)
                        .args(["-q", "-h", "127.0.0.1", "-p", &port, "-U", "postgres"])
                        .args(["-d", "postgres", "-t", "2"]),
                ),
                None => accepts_tcp(self.port),
            };
            if ready {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(failed(format!(
                    "PostgreSQL did not accept connections on port {} within {timeout:?}\n\
                     postgres.log:\n{}",
                    self.port,
                    tail(&self.log_file(), 20)
                )));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn shutdown(&mut self) -> Result<(), Error> {
        let Some(watchdog) = self.watchdog.take() else {
            return Ok(()); // already stopped
        };
        let data = self.data_dir();
        let mut problems = Vec::new();
        if data.join("postmaster.pid").exists() {
            let mut pg_ctl = Command::new(self.tools.tool("pg_ctl"));
            pg_ctl.args(["stop", "-m", "immediate", "-w", "-t", "20", "-s", "-D"]).arg(&data).current_dir(&self.base);
            if let Err(error) = run_captured(&mut self.user.wrap(pg_ctl)) {
                problems.push(error.to_string());
            }
        }
        if let Some(pid) = self.postmaster_pid
            && let Err(error) = terminate(pid, "postgres", "QUIT", Duration::from_secs(10))
        {
            problems.push(error);
        }
        watchdog.finish(&self.base, problems, &format!("PostgreSQL ({})", self.base.display()))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown() {
            eprintln!("xtask: {error}");
        }
    }
}

/// How to run PostgreSQL's programs: they refuse to run as root.
#[derive(Debug, Clone)]
enum RunAs {
    /// Not root: as ourselves.
    Me,
    /// Root: as the `postgres` user through `runuser` (or `su` where it is missing).
    Postgres { uid: u32, gid: u32, runuser: Option<PathBuf> },
}

impl RunAs {
    fn for_postgres() -> Result<RunAs, Error> {
        if id(&["-u"])? != 0 {
            return Ok(RunAs::Me);
        }
        let (Ok(uid), Ok(gid)) = (id(&["-u", "postgres"]), id(&["-g", "postgres"])) else {
            return Err(failed(
                "running as root, but there is no `postgres` user to run PostgreSQL as \
                 (`apt-get install postgresql` creates it)",
            ));
        };
        let runuser = which("runuser").or_else(|| {
            let path = PathBuf::from("/usr/sbin/runuser");
            util::is_executable(&path).then_some(path)
        });
        if runuser.is_none() && which("su").is_none() {
            return Err(failed("running as root, but neither runuser nor su is available"));
        }
        Ok(RunAs::Postgres { uid, gid, runuser })
    }

    /// `command` (program, arguments, working directory) as the server user: unchanged,
    /// or wrapped in `runuser -u postgres --` / `su -s /bin/sh -c '…' postgres`.
    fn wrap(&self, command: Command) -> Command {
        let runuser = match self {
            RunAs::Me => return command,
            RunAs::Postgres { runuser, .. } => runuser,
        };
        let program = command.get_program().to_owned();
        let args: Vec<OsString> = command.get_args().map(OsStr::to_owned).collect();
        let mut wrapped = match runuser {
            Some(runuser) => {
                let mut wrapped = Command::new(runuser);
                wrapped.args(["-u", "postgres", "--"]).arg(program).args(args);
                wrapped
            }
            None => {
                let line = std::iter::once(&program)
                    .chain(&args)
                    .map(|word| sh_quote(&word.to_string_lossy()))
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut wrapped = Command::new("su");
                wrapped.args(["-s", "/bin/sh", "-c"]).arg(line).arg("postgres");
                wrapped
            }
        };
        if let Some(dir) = command.get_current_dir() {
            wrapped.current_dir(dir);
        }
        wrapped
    }

    /// A fresh directory the server user owns and can reach: under `target/xtask/`, or
    /// under the temp dir when the workspace path is closed to the `postgres` user.
    fn prepare_base_dir(&self) -> Result<PathBuf, Error> {
        static STARTED: AtomicU32 = AtomicU32::new(1);
        let base = fresh_dir(&util::target_dir().join("xtask"), "pg", &STARTED)?;
        let RunAs::Postgres { uid, gid, .. } = self else {
            return Ok(base);
        };
        std::os::unix::fs::chown(&base, Some(*uid), Some(*gid))?;
        let mut probe = Command::new("test");
        probe.arg("-w").arg(&base).arg("-a").arg("-x").arg(&base);
        let mut probe = self.wrap(probe);
        if util::succeeds(&mut probe) {
            return Ok(base);
        }
        remove_dir(&base).map_err(failed)?;
        let fallback = fresh_dir(&std::env::temp_dir().join("acmetocasino-xtask"), "pg", &STARTED)?;
        std::os::unix::fs::chown(&fallback, Some(*uid), Some(*gid))?;
        Ok(fallback)
    }
}

/// `id <args>` as a number.
fn id(args: &[&str]) -> Result<u32, Error> {
    let output = run_captured(Command::new("id").args(args))?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.trim().parse().map_err(|_| failed(format!("unexpected output from `id {}`: {text}", args.join(" "))))
}

// ---------------------------------------------------------------------------------------
// Redis

fn find_redis_server() -> Option<PathBuf> {
    which("redis-server").or_else(|| {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
            .into_iter()
            .map(PathBuf::from)
            .find(|path| util::is_executable(path))
    })
}

/// A private Redis server (no persistence); stopped and deleted on drop.
#[derive(Debug)]
pub struct Redis {
    base: PathBuf,
    port: u16,
    pid: Option<u32>,
    watchdog: Option<Watchdog>,
}

impl Redis {
    pub fn start() -> Result<Redis, Error> {
        let server = find_redis_server().ok_or(Error::Missing(Service::Redis))?;
        static STARTED: AtomicU32 = AtomicU32::new(1);
        let base = fresh_dir(&util::target_dir().join("xtask"), "redis", &STARTED)?;
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
                && redis_pings(self.port)
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
            eprintln!("xtask: {error}");
        }
    }
}

fn redis_pings(port: u16) -> bool {
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

// ---------------------------------------------------------------------------------------
// Shared plumbing

/// Cleans up after a server if this process dies without running `Drop`.
#[derive(Debug)]
pub(crate) struct Watchdog {
    child: Child,
    /// Never written; its closing (our exit, or dropping it) wakes the watchdog.
    _pipe: ChildStdin,
}

impl Watchdog {
    const SCRIPT: &str = r#"
trap '' HUP INT
pidfile=$1 name=$2 sig=$3 dir=$4
# A zombie counts as gone: the PID 1 of some containers never reaps orphans.
alive() {
  s=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
  [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}
read -r _
pid=$(head -n 1 "$pidfile" 2>/dev/null)
if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; then
  kill -s "$sig" "$pid" 2>/dev/null
  i=0
  while alive "$pid" && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i+1)); done
  kill -s KILL "$pid" 2>/dev/null
fi
rm -rf "$dir"
"#;

    pub(crate) fn spawn(pid_file: &Path, process_name: &str, signal: &str, dir: &Path) -> Result<Watchdog, Error> {
        let mut child = Command::new("sh")
            .args(["-c", Self::SCRIPT, "xtask-watchdog"])
            .arg(pid_file)
            .args([process_name, signal])
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0) // out of the terminal's foreground group: Ctrl-C skips it
            .spawn()
            .map_err(|e| failed(format!("cannot spawn the watchdog shell: {e}")))?;
        let pipe = child.stdin.take().ok_or_else(|| failed("watchdog has no stdin pipe"))?;
        Ok(Watchdog { child, _pipe: pipe })
    }

    /// The server was stopped cleanly: end the watchdog without it doing anything.
    fn disarm(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// After stopping a server (with `problems` so far): removes its directory, then
    /// disarms the watchdog, or, if anything went wrong, lets it try the cleanup once more.
    pub(crate) fn finish(self, base: &Path, mut problems: Vec<String>, what: &str) -> Result<(), Error> {
        if let Err(error) = remove_dir(base) {
            problems.push(error);
        }
        if problems.is_empty() {
            self.disarm();
            Ok(())
        } else {
            // Dropping an armed watchdog makes it try the cleanup once more.
            drop(self);
            Err(failed(format!("stopping {what}: {}", problems.join("; "))))
        }
    }
}

/// A new empty directory `<parent>/<kind>-<pid>[-<n>]`.
pub(crate) fn fresh_dir(parent: &Path, kind: &str, counter: &AtomicU32) -> Result<PathBuf, Error> {
    let n = counter.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    let name = if n == 1 { format!("{kind}-{pid}") } else { format!("{kind}-{pid}-{n}") };
    let dir = parent.join(name);
    // Left over from an earlier process that had our PID.
    remove_dir(&dir).map_err(failed)?;
    fs::create_dir_all(&dir).map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

fn remove_dir(dir: &Path) -> Result<(), String> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", dir.display())),
    }
}

/// A port that was free a moment ago (the OS picks it).
fn free_port() -> Result<u16, Error> {
    let listener = TcpListener::bind((LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

fn accepts_tcp(port: u16) -> bool {
    let address = SocketAddr::from((LOCALHOST, port));
    TcpStream::connect_timeout(&address, Duration::from_millis(500)).is_ok()
}

/// The first line of a pid file (postmaster.pid, redis.pid) as a PID.
fn read_pid(pid_file: &Path) -> Option<u32> {
    fs::read_to_string(pid_file).ok()?.lines().next()?.trim().parse().ok()
}

/// Whether `pid` is a live (not zombie) process called `name`. Checking the name
/// keeps us from signalling an unrelated process that reused the PID.
fn is_running(pid: u32, name: &str) -> bool {
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    if !Path::new("/proc/self").exists() {
        return util::succeeds(Command::new("kill").args(["-0", &pid.to_string()]));
    }
    let Ok(stat) = fs::read_to_string(proc_dir.join("stat")) else {
        return false;
    };
    // `pid (comm) S ...`: the state follows the last ')'.
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next());
    let comm = fs::read_to_string(proc_dir.join("comm")).unwrap_or_default();
    !matches!(state, None | Some('Z' | 'X')) && comm.trim_end() == name
}

/// Sends `signal` to `pid` if it is still `name`, waits up to `grace`, then SIGKILLs.
pub(crate) fn terminate(pid: u32, name: &str, signal: &str, grace: Duration) -> Result<(), String> {
    let deadline = Instant::now() + grace;
    let pid_arg = pid.to_string();
    let mut signalled = false;
    while is_running(pid, name) {
        if !signalled {
            // The process may exit on its own meanwhile; a failed kill is fine.
            util::succeeds(Command::new("kill").args(["-s", signal, &pid_arg]));
            signalled = true;
        }
        if Instant::now() >= deadline {
            util::succeeds(Command::new("kill").args(["-s", "KILL", &pid_arg]));
            thread::sleep(Duration::from_millis(200));
            return if is_running(pid, name) {
                Err(format!("{name} (pid {pid}) survived SIGKILL"))
            } else {
                Err(format!("{name} (pid {pid}) ignored SIG{signal}; killed it"))
            };
        }
        thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}
