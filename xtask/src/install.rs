//! What the test suite needs from the system (PostgreSQL, Redis, nginx, OpenSSL and
//! Chromium): installed with apt when we are root and they are
//! missing, one line per package; otherwise named in one `apt-get install` command.

use std::process::Command;

use testbed::Tool;

use crate::util::{self, which};

/// The tools still missing once whatever could be installed has been.
pub fn missing_tools() -> Vec<Tool> {
    let missing: Vec<Tool> = Tool::ALL.into_iter().filter(|tool| !tool.is_installed()).collect();
    if missing.is_empty() || !can_install() {
        return missing;
    }
    eprintln!("xtask: updating the apt package lists (apt-get update)");
    if let Err(error) = apt(&["update", "-qq"]) {
        eprintln!("xtask: apt-get update failed: {error}");
        return missing;
    }
    for tool in &missing {
        eprintln!("xtask: installing {} (apt-get install {})", tool.name(), tool.apt_package());
        if let Err(error) = apt(&["install", "-y", "-qq", "--no-install-recommends", tool.apt_package()]) {
            eprintln!("xtask: installing {} failed: {error}", tool.apt_package());
        }
    }
    missing.into_iter().filter(|tool| !tool.is_installed()).collect()
}

/// The one command that installs `missing`.
pub fn apt_command(missing: &[Tool]) -> String {
    let packages: Vec<&str> = missing.iter().map(|tool| tool.apt_package()).collect();
    let sudo = if is_root() { "" } else { "sudo " };
    format!("{sudo}apt-get install -y --no-install-recommends {}", packages.join(" "))
}

fn can_install() -> bool {
    is_root() && which("apt-get").is_some()
}

fn is_root() -> bool {
    util::run_captured(Command::new("id").arg("-u")).is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// `apt-get <args>`, non-interactive, its output shown only when it fails.
fn apt(args: &[&str]) -> util::Result<()> {
    let mut command = Command::new("apt-get");
    command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    let output = command.output().map_err(|e| format!("cannot run apt-get: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let tail: Vec<&str> = text.lines().rev().take(15).collect();
    Err(format!("{}\n{}", output.status, tail.into_iter().rev().collect::<Vec<_>>().join("\n")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_command_installs_everything_missing() {
        let command = apt_command(&[Tool::Nginx, Tool::Chromium]);
        assert!(command.ends_with("apt-get install -y --no-install-recommends nginx chromium"), "{command}");
        assert_eq!(command.starts_with("sudo "), !is_root());
    }
}
