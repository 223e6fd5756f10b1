//! Test harness: fresh databases per test, on SQLite and on the PostgreSQL server
//! that `cargo xtask test` starts (its URL in `ACMETOCASINO_TEST_PG_URL`).

use acmetocasino::db::Db;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use std::path::PathBuf;

pub const PG_ENV: &str = "ACMETOCASINO_TEST_PG_URL";
pub const REDIS_ENV: &str = "ACMETOCASINO_TEST_REDIS_URL";
pub const ALLOW_MISSING_ENV: &str = "ACMETOCASINO_ALLOW_MISSING_SERVICES";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A service URL from the environment. Missing services fail the test loudly unless
/// the run was started with `--allow-missing-services`, in which case `None` (skip).
pub fn service_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var(ALLOW_MISSING_ENV).is_ok_and(|v| v == "1") => {
            eprintln!("SKIPPED: {var} is not set and missing services are allowed");
            None
        }
        _ => panic!(
            "{var} is not set: run the tests with `cargo xtask test`, which starts PostgreSQL and Redis \
             (or pass --allow-missing-services to skip what needs them)"
        ),
    }
}

/// A fresh, empty database of `backend` (not migrated), and its URL.
pub struct FreshDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl FreshDb {
    pub async fn new(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let path: PathBuf = dir.path().join("acmetocasino.db");
                Some(Self {
                    url: path.display().to_string(),
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let admin = service_url(PG_ENV)?;
                let name = format!("t_{}", uuid::Uuid::new_v4().simple());
                let mut c = AsyncPgConnection::establish(&admin).await.unwrap();
                c.batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap();
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap();
                Some(Self {
                    url: format!("{base}/{name}"),
                    _dir: None,
                })
            }
        }
    }

    /// A pool on this database with migrations applied.
    pub async fn migrated(&self) -> Db {
        let db = Db::connect(&self.url, 16).unwrap();
        db.migrate().await.unwrap();
        db
    }
}

/// Runs `$body` as a test once per backend: `mod sqlite` and `mod postgres`, each
/// with a `backend` binding.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($backend:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $backend = $crate::support::Backend::Sqlite;
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $backend = $crate::support::Backend::Postgres;
                    $body
                }
            )*
        }
    };
}
