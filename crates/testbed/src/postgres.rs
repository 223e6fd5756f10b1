//! Throwaway PostgreSQL clusters: a fresh primary, a streaming replica of it made with
//! `pg_basebackup`, or a cluster started from a data directory the caller filled (a
//! restored backup).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::process::{
    Error, LOCALHOST, RunAs, START_ATTEMPTS, Tool, Watchdog, failed, free_port, is_executable, read_pid, run_captured,
    succeeds, tail, terminate, which,
};

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
                let complete = ["initdb", "pg_ctl", "postgres"].iter().all(|tool| is_executable(&bin.join(tool)));
                complete.then_some((version, bin))
            })
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, bin)| bin);
        let on_path = || {
            let pg_ctl = fs::canonicalize(which("pg_ctl")?).ok()?;
            let bin = pg_ctl.parent()?.to_path_buf();
            is_executable(&bin.join("initdb")).then_some(bin)
        };
        highest.or_else(on_path).map(|bin| PgTools { bin })
    }

    pub fn tool(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }

    /// The directory itself (to put in front of `PATH`).
    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }
}

/// Server settings beyond the throwaway defaults.
#[derive(Debug, Clone, Default)]
pub struct PgOptions {
    /// fsync, synchronous_commit and full_page_writes on, as in production (the test
    /// default turns them off).
    pub durable: bool,
    /// `shared_preload_libraries`, e.g. `pg_stat_statements`.
    pub preload: Vec<String>,
    /// More `name = value` lines for postgresql.conf.
    pub settings: Vec<String>,
}

impl PgOptions {
    /// For benchmarks: durable, with `pg_stat_statements` loaded.
    pub fn benchmark() -> Self {
        PgOptions { durable: true, preload: vec!["pg_stat_statements".into()], settings: Vec::new() }
    }

    /// Every statement in the server log with its parameters, each line prefixed
    /// `@@<backend pid>@@ ` (what [`crate::pglog`] reads).
    pub fn statement_log() -> Self {
        PgOptions {
            settings: vec![
                "log_min_duration_statement = 0".into(),
                "log_line_prefix = '@@%p@@ '".into(),
                "log_parameter_max_length = -1".into(),
            ],
            ..PgOptions::default()
        }
    }
}

/// A private PostgreSQL server on 127.0.0.1; stopped and deleted on drop.
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

impl Postgres {
    /// Starts a fresh cluster: `initdb -A trust -U postgres`, 127.0.0.1 on a free port.
    pub fn start() -> Result<Postgres, Error> {
        Self::start_with(&PgOptions::default())
    }

    /// [`Postgres::start`] with other server settings.
    pub fn start_with(options: &PgOptions) -> Result<Postgres, Error> {
        let mut postgres = Self::prepare("pg", options)?;
        let mut initdb = Command::new(postgres.tools.tool("initdb"));
        initdb
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"])
            .arg("-D")
            .arg(postgres.data_dir())
            .current_dir(&postgres.base);
        run_captured(&mut postgres.user.wrap(initdb))?;
        postgres.launch()?;
        Ok(postgres)
    }

    /// A hot-standby streaming replica of this server: `pg_basebackup -R -X stream`
    /// into a new directory, started on its own port with the same settings.
    pub fn replica(&self) -> Result<Postgres, Error> {
        let mut replica = Self::prepare("pg-replica", &self.options)?;
        let mut basebackup = Command::new(self.tools.tool("pg_basebackup"));
        basebackup
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres"])
            .args(["-R", "-X", "stream", "-c", "fast", "-D"])
            .arg(replica.data_dir())
            .current_dir(&replica.base);
        run_captured(&mut replica.user.wrap(basebackup))?;
        replica.launch()?;
        Ok(replica)
    }

    /// A server on a data directory that `fill` writes (e.g. a base backup restored
    /// with a recovery target). `fill` gets the new server's guard, so it can find
    /// its [`Postgres::data_dir`] and run commands as the server's user.
    pub fn from_data(
        options: &PgOptions,
        fill: impl FnOnce(&Postgres) -> Result<(), Error>,
    ) -> Result<Postgres, Error> {
        let mut postgres = Self::prepare("pg-restored", options)?;
        fill(&postgres)?;
        postgres.launch()?;
        Ok(postgres)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    pub fn url(&self) -> String {
        self.url_for("postgres")
    }

    /// The URL of database `db` on this server.
    pub fn url_for(&self, db: &str) -> String {
        format!("postgres://postgres@{LOCALHOST}:{}/{db}", self.port)
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

    pub fn tools(&self) -> &PgTools {
        &self.tools
    }

    /// The cluster's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.base.join("data")
    }

    /// A new empty directory beside the cluster (removed with it) that the server's
    /// user owns: for WAL archives and base backups.
    pub fn scratch_dir(&self, name: &str) -> Result<PathBuf, Error> {
        let dir = self.base.join(name);
        fs::create_dir(&dir).map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))?;
        if let RunAs::Postgres { uid, gid, .. } = &self.user {
            std::os::unix::fs::chown(&dir, Some(*uid), Some(*gid))?;
        }
        Ok(dir)
    }

    /// `command` as the user the server runs as (`postgres` when we are root).
    pub fn as_server_user(&self, command: Command) -> Command {
        self.user.wrap(command)
    }

    /// Restarts the server on the same port (settings such as `archive_mode` need it).
    pub fn restart(&mut self) -> Result<(), Error> {
        let mut pg_ctl = Command::new(self.tools.tool("pg_ctl"));
        pg_ctl
            .args(["restart", "-m", "fast", "-w", "-t", "60", "-s", "-D"])
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_file())
            .current_dir(&self.base);
        run_captured(&mut self.user.wrap(pg_ctl))
            .map_err(|e| failed(format!("{e}\npostgres.log:\n{}", tail(&self.log_file(), 20))))?;
        self.postmaster_pid = read_pid(&self.data_dir().join("postmaster.pid"));
        self.wait_until_ready(Duration::from_secs(30))
    }

    /// Stops the server and removes its directory, reporting any problem.
    pub fn stop(mut self) -> Result<(), Error> {
        self.shutdown()
    }

    /// A guard with a fresh directory and a watchdog, nothing started yet.
    fn prepare(kind: &str, options: &PgOptions) -> Result<Postgres, Error> {
        let tools = PgTools::find().ok_or(Error::Missing(Tool::Postgres))?;
        let user = RunAs::for_postgres()?;
        let base = user.fresh_dir(kind)?;
        let watchdog = Watchdog::spawn(
            &base.join("data").join("postmaster.pid"),
            "postgres",
            "QUIT", // immediate shutdown
            &base,
        )?;
        // From here on, dropping the guard stops whatever has been started.
        Ok(Postgres {
            base,
            port: 0,
            tools,
            user,
            postmaster_pid: None,
            watchdog: Some(watchdog),
            options: options.clone(),
        })
    }

    /// Starts the cluster in `data_dir()` on a free port and waits until it answers.
    fn launch(&mut self) -> Result<(), Error> {
        let data = self.data_dir();
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
    /// retry on another port, or a replica's copy of its primary's file, simply
    /// appends again).
    fn write_config(&self) -> Result<(), Error> {
        let data = self.data_dir();
        // A unix socket path is limited to 107 bytes; TCP alone is enough for us.
        let socket_dir = if data.as_os_str().len() + ".s.PGSQL.65535".len() < 100 {
            data.to_string_lossy().replace('\'', "''")
        } else {
            String::new()
        };
        let mut settings = format!(
            "\n# testbed: throwaway server\n\
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
        for line in &self.options.settings {
            settings.push_str(line);
            settings.push('\n');
        }
        let mut conf = fs::OpenOptions::new().append(true).open(data.join("postgresql.conf"))?;
        conf.write_all(settings.as_bytes())?;
        Ok(())
    }

    fn wait_until_ready(&self, timeout: Duration) -> Result<(), Error> {
        let pg_isready =
            Some(self.tools.tool("pg_isready")).filter(|path| is_executable(path)).or_else(|| which("pg_isready"));
        let port = self.port.to_string();
        let deadline = Instant::now() + timeout;
        loop {
            let ready = match &pg_isready {
                Some(pg_isready) => succeeds(
                    Command::new(pg_isready)
                        .args(["-q", "-h", "127.0.0.1", "-p", &port, "-U", "postgres"])
                        .args(["-d", "postgres", "-t", "2"]),
                ),
                None => crate::process::accepts_tcp(self.port),
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
            eprintln!("testbed: {error}");
        }
    }
}
