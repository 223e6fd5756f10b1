//! Throwaway servers for tests, benchmarks and CI: PostgreSQL (fresh clusters,
//! streaming replicas, clusters restored from a backup), Redis, nginx and a headless
//! Chromium for the browser tests, each on
//! 127.0.0.1 on a free port with its own directory, stopped and deleted when its guard
//! is dropped — also during a panic. Ctrl-C or a kill skips `Drop`, so every server
//! also has a watchdog process that cleans up once this process is gone.
//!
//! Std only, like `xtask`, which uses it for `cargo xtask test | services | bench`; the
//! integration tests use it for topologies of their own (a replica, nginx in front).

mod chromium;
mod nginx;
pub mod pglog;
mod postgres;
mod process;
mod redis;

pub use chromium::Chromium;
pub use nginx::Nginx;
pub use postgres::{PgOptions, PgTools, Postgres};
pub use process::{
    Error, Tool, accepts_tcp, display, free_port, is_executable, project_root, run_captured, sh_quote, succeeds, tail,
    target_dir, which,
};
pub use redis::Redis;
