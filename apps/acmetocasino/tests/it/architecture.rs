//! Architecture invariants, checked as tests (see docs/ARCHITECTURE.md).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn cores() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with("-core") || n == "kernel")
        .collect();
    names.sort();
    names
}

/// Architecture invariant: a core crate performs no IO and depends on no framework,
/// driver or runtime — not even transitively.
#[test]
fn cores_depend_on_no_framework_driver_or_runtime() {
    const FORBIDDEN: &[&str] = &[
        "actix-web",
        "actix-rt",
        "actix-http",
        "diesel",
        "diesel-async",
        "diesel_migrations",
        "redis",
        "deadpool-redis",
        "deadpool",
        "paperclip",
        "tokio",
        "reqwest",
        "hyper",
        "mio",
        "libsqlite3-sys",
    ];
    let cores = cores();
    assert!(cores.iter().any(|c| c == "wallet-core") && cores.iter().any(|c| c == "pam-core"));
    for core in cores {
        assert_depends_on_none(&core, FORBIDDEN);
    }
}

/// Fails if `package` depends on any of `names` through its normal dependencies, even
/// transitively.
fn assert_depends_on_none(package: &str, names: &[&str]) {
    let out = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["tree", "--offline", "-p", package, "-e", "normal", "--prefix", "none", "-f", "{p}"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).unwrap();
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        assert!(!names.contains(&name), "{package} depends on {name}:\n{tree}");
    }
}

/// Architecture invariant: the server binary carries no tools — no HTTP client, no load
/// generator, no simulated players (those are `apps/loadgen` and `apps/simulator`).
#[test]
fn the_server_depends_on_no_tool_or_http_client() {
    assert_depends_on_none("acmetocasino", &["reqwest", "hyper", "loadgen", "simulator", "testbed"]);
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// Architecture invariant: handlers are thin — no SQL and no Diesel in `http/`.
#[test]
fn handlers_hold_no_queries() {
    for f in rust_files(&root().join("apps/acmetocasino/src/http")) {
        let text = std::fs::read_to_string(&f).unwrap();
        for word in ["diesel", "db::schema", "sql_query", "SELECT ", "INSERT ", "UPDATE "] {
            assert!(!text.contains(word), "{} mentions {word}", f.display());
        }
    }
}

/// Architecture invariant: the database adapter knows nothing of the HTTP edge or of
/// the application layer above it: no handler, no extractor, no problem document
/// (refusals are `kernel::Refusal`), no use case, no application state.
#[test]
fn the_adapter_imports_nothing_from_the_edge() {
    for f in rust_files(&root().join("apps/acmetocasino/src/db")) {
        let text = std::fs::read_to_string(&f).unwrap();
        for word in [
            "crate::http",
            "crate::error",
            "crate::extract",
            "crate::auth",
            "crate::app",
            "crate::state",
            "AppState",
            "actix_web",
            "ApiError",
        ] {
            assert!(!text.contains(word), "{} mentions {word}", f.display());
        }
    }
}

/// Architecture invariant: no floating point anywhere near money.
#[test]
fn money_code_has_no_floats() {
    let mut files = rust_files(&root().join("crates/wallet-core/src"));
    files.push(root().join("crates/kernel/src/money.rs"));
    {
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for word in ["f32", "f64", "as_f"] {
                assert!(!text.contains(word), "{} uses {word}", f.display());
            }
        }
    }
}

/// Architecture invariant: the fault points that make a round fail on purpose exist only
/// in the tests' build: neither the server (`cargo run`, `cargo build`) nor what
/// `cargo xtask bench` builds (the server and the load generator) has the
/// `fault-injection` feature; the tests enable it through a dev-dependency.
#[test]
fn fault_injection_is_compiled_only_into_tests() {
    let features = |edges: &str| {
        let out = Command::new(env!("CARGO"))
            .current_dir(root())
            .args(["tree", "--offline", "-p", "acmetocasino", "-p", "loadgen", "-e", edges])
            .args(["--prefix", "none", "-f", "{p} {f}"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let shipped = features("features,no-dev");
    assert!(!shipped.contains("fault-injection"), "a shipped build has fault injection:\n{shipped}");
    assert!(features("features").contains("fault-injection"), "the tests' build lacks fault injection");
}

/// Architecture invariant: no production file of the apps grows past 700 lines: a file
/// that big holds more than one aggregate or one concern, and is split by them.
#[test]
fn no_production_file_passes_700_lines() {
    let mut big = Vec::new();
    for app in std::fs::read_dir(root().join("apps")).unwrap() {
        for f in rust_files(&app.unwrap().path().join("src")) {
            let lines = std::fs::read_to_string(&f).unwrap().lines().count();
            if lines > 700 {
                big.push(format!("{} ({lines} lines)", f.display()));
            }
        }
    }
    assert!(big.is_empty(), "split by aggregate or concern: {big:#?}");
}

/// Architecture invariant: handlers go through the application layer (`app/`): they
/// never reach the database adapter, its types or its connection.
#[test]
fn handlers_never_reach_the_database() {
    let mut found = Vec::new();
    for f in rust_files(&root().join("apps/acmetocasino/src/http")) {
        let text = std::fs::read_to_string(&f).unwrap();
        for word in ["crate::db", "state.db", ".db.", "Db::"] {
            if text.contains(word) {
                found.push(format!("{} mentions {word}", f.display()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
