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

/// Architecture invariant: the database adapter knows nothing of the HTTP edge or of the
/// application layer: no handler, no extractor, no problem document (refusals are
/// `kernel::Refusal`), no use case (the application's decisions reach it as values and
/// through the `RoundRules` it is handed).
#[test]
fn the_adapter_imports_nothing_from_the_edge() {
    for f in rust_files(&root().join("apps/acmetocasino/src/db")) {
        let text = std::fs::read_to_string(&f).unwrap();
        for word in
            ["crate::http", "crate::error", "crate::extract", "crate::auth", "actix_web", "ApiError", "crate::app"]
        {
            assert!(!text.contains(word), "{} mentions {word}", f.display());
        }
    }
}

/// Architecture invariant: the game handlers go through the application layer
/// (`app::play`): they import nothing from `db/` and never call the database.
#[test]
fn game_handlers_reach_the_database_only_through_the_application_layer() {
    let http = root().join("apps/acmetocasino/src/http");
    let files: Vec<PathBuf> = rust_files(&http)
        .into_iter()
        .filter(|f| f.file_stem().is_some_and(|s| s == "games") || f.parent().is_some_and(|d| d.ends_with("games")))
        .collect();
    assert!(!files.is_empty());
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for word in ["crate::db", "state.db", ".db."] {
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
