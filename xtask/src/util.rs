//! Small helpers shared by the commands: process spawning, formatting. Paths and
//! program lookup come from `testbed`, which the servers share.

use std::env;
use std::ffi::OsString;
use std::process::{Child, Command, ExitCode, ExitStatus};
use std::time::{Duration, Instant};

pub use testbed::{display, is_executable, project_root, run_captured, succeeds, tail, target_dir, which};

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `cargo` (the one that launched us, when known), run from the workspace root.
pub fn cargo() -> Command {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(cargo);
    command.current_dir(project_root());
    command
}

/// Runs `command` with inherited stdio; an error unless it exits successfully.
pub fn run(command: &mut Command) -> Result<()> {
    eprintln!("$ {}", display(command));
    let status = command.status().map_err(|e| format!("cannot run `{}`: {e}", display(command)))?;
    if status.success() { Ok(()) } else { Err(format!("`{}` failed ({status})", display(command)).into()) }
}

/// Stops `child` gracefully: SIGTERM, then SIGKILL if it is still running after `grace`.
/// Returns whether it exited by itself.
pub fn stop_child(child: &mut Child, grace: Duration) -> Result<bool> {
    if child.try_wait()?.is_some() {
        return Ok(true);
    }
    succeeds(Command::new("kill").args(["-s", "TERM", &child.id().to_string()]));
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if child.try_wait()?.is_some() {
            return Ok(true);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill()?;
    child.wait()?;
    Ok(false)
}

/// The exit code to hand on for a child's exit status (1 when killed by a signal).
pub fn exit_code(status: ExitStatus) -> ExitCode {
    match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    }
}

pub fn fmt_duration(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 60.0 { format!("{secs:.2}s") } else { format!("{}m{:04.1}s", (secs / 60.0).floor(), secs % 60.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_durations() {
        assert_eq!(fmt_duration(Duration::from_millis(1234)), "1.23s");
        assert_eq!(fmt_duration(Duration::from_secs(125)), "2m05.0s");
    }
}
