//! The plumbing every server shares: finding programs, running them (as the
//! `postgres` user where needed), fresh directories, free ports, PIDs, and the
//! watchdog that cleans up after a process that died without running `Drop`.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

pub(crate) const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;
/// Attempts at a free port: someone may take it between our probe and the bind.
pub(crate) const START_ATTEMPTS: u32 = 3;

/// A program the test suite needs, and the Debian package that has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Postgres,
    Redis,
    Nginx,
    Openssl,
    Chromium,
}

impl Tool {
    pub const ALL: [Tool; 5] = [Tool::Postgres, Tool::Redis, Tool::Nginx, Tool::Openssl, Tool::Chromium];

    pub fn name(self) -> &'static str {
        match self {
            Tool::Postgres => "PostgreSQL",
            Tool::Redis => "Redis",
            Tool::Nginx => "nginx",
            Tool::Openssl => "OpenSSL",
            Tool::Chromium => "Chromium",
        }
    }

    pub fn looked_for(self) -> &'static str {
        match self {
            Tool::Postgres => "/usr/lib/postgresql/*/bin/initdb, or pg_ctl on PATH",
            Tool::Redis => "redis-server on PATH or in /usr/bin",
            Tool::Nginx => "nginx on PATH or in /usr/sbin",
            Tool::Openssl => "openssl on PATH",
            Tool::Chromium => "chromium on PATH or in /usr/bin",
        }
    }

    pub fn apt_package(self) -> &'static str {
        match self {
            Tool::Postgres => "postgresql",
            Tool::Redis => "redis-server",
            Tool::Nginx => "nginx",
            Tool::Openssl => "openssl",
            Tool::Chromium => "chromium",
        }
    }

    /// The program, when installed (for PostgreSQL: its `initdb`).
    pub fn find(self) -> Option<PathBuf> {
        match self {
            Tool::Postgres => crate::postgres::PgTools::find().map(|tools| tools.tool("initdb")),
            Tool::Redis => find_program("redis-server", &["/usr/bin", "/usr/local/bin"]),
            Tool::Nginx => find_program("nginx", &["/usr/sbin", "/usr/local/sbin"]),
            Tool::Openssl => find_program("openssl", &["/usr/bin"]),
            Tool::Chromium => find_program("chromium", &["/usr/bin"]),
        }
    }

    pub fn is_installed(self) -> bool {
        self.find().is_some()
    }
}

/// `name` on `PATH`, else in one of `dirs` (sbin directories are not on every PATH).
pub(crate) fn find_program(name: &str, dirs: &[&str]) -> Option<PathBuf> {
    which(name).or_else(|| dirs.iter().map(|dir| Path::new(dir).join(name)).find(|path| is_executable(path)))
}

#[derive(Debug)]
pub enum Error {
    /// The server's programs are not installed.
    Missing(Tool),
    /// Installed, but it could not be started or stopped; the message says why.
    Failed(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Missing(tool) => write!(
                f,
                "{} is not installed (looked for {}); install it with `apt-get install {}`",
                tool.name(),
                tool.looked_for(),
                tool.apt_package()
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

pub(crate) fn failed(message: impl Into<String>) -> Error {
    Error::Failed(message.into())
}

/// The workspace root (this crate lives two levels below it).
pub fn project_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.ancestors().nth(2).map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
}

/// The cargo target directory, honouring `CARGO_TARGET_DIR`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => project_root().join(dir),
        _ => project_root().join("target"),
    }
}

/// The first executable called `name` on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| is_executable(candidate))
}

pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Quotes `word` for `sh` when it needs it.
pub fn sh_quote(word: &str) -> String {
    let plain = !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:@%+,".contains(&b));
    if plain { word.to_owned() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

/// A shell-like rendering of a command, for messages.
pub fn display(command: &Command) -> String {
    let program = command.get_program();
    let program = match Path::new(program).file_name() {
        Some(name) if name == "cargo" => name,
        _ => program,
    };
    std::iter::once(program)
        .chain(command.get_args())
        .map(|part| sh_quote(&part.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `command` with captured output; the error carries that output.
pub fn run_captured(command: &mut Command) -> Result<Output, Error> {
    let output = command.output().map_err(|e| failed(format!("cannot run `{}`: {e}", display(command))))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(failed(format!(
            "`{}` failed ({}):\n{}{}",
            display(command),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

/// True when `command` can be spawned and exits successfully (output discarded).
pub fn succeeds(command: &mut Command) -> bool {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The last `lines` lines of a text file, for error messages ("" when unreadable).
pub fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// How to run PostgreSQL's programs: they refuse to run as root.
#[derive(Debug, Clone)]
pub(crate) enum RunAs {
    /// Not root: as ourselves.
    Me,
    /// Root: as the `postgres` user through `runuser` (or `su` where it is missing).
    Postgres { uid: u32, gid: u32, runuser: Option<PathBuf> },
}

impl RunAs {
    pub(crate) fn for_postgres() -> Result<RunAs, Error> {
        if id(&["-u"])? != 0 {
            return Ok(RunAs::Me);
        }
        let (Ok(uid), Ok(gid)) = (id(&["-u", "postgres"]), id(&["-g", "postgres"])) else {
            return Err(failed(
                "running as root, but there is no `postgres` user to run PostgreSQL as \
                 (`apt-get install postgresql` creates it)",
            ));
        };
        let runuser = find_program("runuser", &["/usr/sbin", "/sbin"]);
        if runuser.is_none() && which("su").is_none() {
            return Err(failed("running as root, but neither runuser nor su is available"));
        }
        Ok(RunAs::Postgres { uid, gid, runuser })
    }

    /// `command` (program, arguments, environment, working directory) as the server
    /// user: unchanged, or wrapped in `runuser -u postgres --` / `su -s /bin/sh -c '…'
    /// postgres` (both keep the environment).
    pub(crate) fn wrap(&self, command: Command) -> Command {
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
        for (key, value) in command.get_envs() {
            match value {
                Some(value) => wrapped.env(key, value),
                None => wrapped.env_remove(key),
            };
        }
        if let Some(dir) = command.get_current_dir() {
            wrapped.current_dir(dir);
        }
        wrapped
    }

    /// A fresh directory `<kind>-…` the server user owns and can reach: under
    /// `target/xtask/`, or under the temp dir when the workspace path is closed to the
    /// `postgres` user.
    pub(crate) fn fresh_dir(&self, kind: &str) -> Result<PathBuf, Error> {
        static STARTED: AtomicU32 = AtomicU32::new(1);
        let base = fresh_dir(&target_dir().join("xtask"), kind, &STARTED)?;
        let RunAs::Postgres { uid, gid, .. } = self else {
            return Ok(base);
        };
        std::os::unix::fs::chown(&base, Some(*uid), Some(*gid))?;
        let mut probe = Command::new("test");
        probe.arg("-w").arg(&base).arg("-a").arg("-x").arg(&base);
        if succeeds(&mut self.wrap(probe)) {
            return Ok(base);
        }
        remove_dir(&base).map_err(failed)?;
        let fallback = fresh_dir(&std::env::temp_dir().join("acmetocasino-xtask"), kind, &STARTED)?;
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

/// Cleans up after a server if this process dies without running `Drop`: a `sh` in
/// its own process group (Ctrl-C does not reach it) blocked reading a pipe that only
/// this process holds; when we die the pipe closes, and it signals the server named
/// in the pid file and removes the server's directory.
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

    /// Ends a server's cleanup once it was told to stop: removes `dir`, then ends the
    /// watchdog if nothing went wrong (`problems` holds what did); otherwise drops it
    /// armed, so it tries the cleanup once more.
    pub(crate) fn finish(mut self, dir: &Path, mut problems: Vec<String>, what: &str) -> Result<(), Error> {
        if let Err(error) = remove_dir(dir) {
            problems.push(error);
        }
        if problems.is_empty() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            Ok(())
        } else {
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
pub fn free_port() -> Result<u16, Error> {
    let listener = TcpListener::bind((LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub fn accepts_tcp(port: u16) -> bool {
    let address = SocketAddr::from((LOCALHOST, port));
    TcpStream::connect_timeout(&address, Duration::from_millis(500)).is_ok()
}

/// The first line of a pid file (postmaster.pid, redis.pid, nginx.pid) as a PID.
pub(crate) fn read_pid(pid_file: &Path) -> Option<u32> {
    fs::read_to_string(pid_file).ok()?.lines().next()?.trim().parse().ok()
}

/// Whether `pid` is a live (not zombie) process called `name`. Checking the name
/// keeps us from signalling an unrelated process that reused the PID.
pub(crate) fn is_running(pid: u32, name: &str) -> bool {
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    if !Path::new("/proc/self").exists() {
        return succeeds(Command::new("kill").args(["-0", &pid.to_string()]));
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
            succeeds(Command::new("kill").args(["-s", signal, &pid_arg]));
            signalled = true;
        }
        if Instant::now() >= deadline {
            succeeds(Command::new("kill").args(["-s", "KILL", &pid_arg]));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(sh_quote("/usr/bin/pg_ctl"), "/usr/bin/pg_ctl");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn the_project_root_holds_the_workspace_manifest() {
        assert!(project_root().join("Cargo.toml").is_file());
        assert!(project_root().join("crates/testbed").is_dir());
    }
}
