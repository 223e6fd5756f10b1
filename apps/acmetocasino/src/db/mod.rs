//! The Diesel adapters: one body of query code for PostgreSQL and SQLite.
//!
//! Query functions are written once, in a `mod queries` under the
//! [`backend_queries`](macro@backend_queries) attribute, which compiles them twice, into
//! a `pg` and a `sqlite` module with the backend's connection type;
//! [`Db`] picks the module at run time. Schema, rows and queries live only here.

mod accounts;
pub mod aml;
pub mod audit;
mod checkpoint;
pub mod compliance;
pub mod faults;
mod game_control;
pub mod kyc;
pub mod money;
mod platform;
pub mod postings;
pub mod provider_calls;
pub mod providers;
pub mod register;
pub mod reports;
pub mod rg;
pub mod round_rules;
mod round_writer;
mod rounds;
pub mod schema;
mod seed_pairs;
mod sessions;
mod sqlite_runtime;
mod statement;
pub mod types;
pub use platform::{PlatformCounts, ReplicaLag};
pub(crate) mod wallet;

use diesel::sqlite::SqliteConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolableConnection, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub type SqliteConn = SyncConnectionWrapper<SqliteConnection, sqlite_runtime::SqliteRuntime>;

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
/// Advisory-lock key held while migrating PostgreSQL ("ACMEMIGR").
const MIGRATION_LOCK: i64 = 0x4143_4D45_4D49_4752;
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

pub(crate) use backend_queries::backend_queries;

/// `together!(c; query => RowType, …)`: loads every query's rows, in order, in the
/// caller's transaction — on PostgreSQL in one pipeline (one round trip; the server runs
/// them one after another, so a later query sees what an earlier one did), on SQLite in
/// turn. Evaluates to `QueryResult<(Vec<RowType>, …)>`.
///
/// `together!(c; begin; …)` is the first pipeline of a
/// [`statement::pipelined_transaction`]: on PostgreSQL it opens the transaction with a
/// `BEGIN` ahead of the queries (SQLite has opened it already).
macro_rules! together_pg {
    ($c:ident; begin; $($q:expr => $t:ty),+ $(,)?) => {{
        match $crate::db::statement::opened_by_pipelined_transaction(&mut *$c) {
            Err(e) => Err(e),
            Ok(()) => {
                let mut shared: &diesel_async::AsyncPgConnection = &*$c;
                let begin = diesel_async::RunQueryDsl::execute($crate::db::statement::Begin {}, &mut shared);
                // Polled in order, so `BEGIN` is sent first.
                futures_util::try_join!(begin, async { $crate::db::together_pg!(shared; $($q => $t),+) })
                    .map(|(_, rows)| rows)
            }
        }
    }};
    ($c:ident; $($q:expr => $t:ty),+ $(,)?) => {{
        let mut shared: &diesel_async::AsyncPgConnection = &*$c;
        futures_util::try_join!($(diesel_async::RunQueryDsl::load::<$t>($q, &mut shared)),+)
    }};
}
pub(crate) use together_pg;

/// The SQLite spelling of [`together_pg!`].
macro_rules! together_sqlite {
    ($c:ident; begin; $($q:expr => $t:ty),+ $(,)?) => {
        $crate::db::together_sqlite!($c; $($q => $t),+)
    };
    ($c:ident; $($q:expr => $t:ty),+ $(,)?) => {
        async { Ok::<_, diesel::result::Error>(($(diesel_async::RunQueryDsl::load::<$t>($q, &mut *$c).await?,)+)) }.await
    };
}
pub(crate) use together_sqlite;

/// Runs `$module::$f(&mut conn, args…)` on a connection of whichever backend `$db`
/// uses: a pooled one, except for `write` variants on SQLite, which queue for the one
/// writer connection (see [`SqliteWriter`]) instead of spinning on SQLite's busy handler.
macro_rules! dispatch {
    (read $db:expr, $module:ident :: $f:ident ( $($arg:expr),* $(,)? )) => {
        match &*$db.backend {
            $crate::db::Backend::Pg(pool) => {
                let mut c = $crate::db::pg_connection(pool).await?;
                $module::pg::$f(&mut c, $($arg),*).await
            }
            $crate::db::Backend::Sqlite { pool, .. } => {
                let mut c = pool.get().await.map_err($crate::db::DbError::from)?;
                $module::sqlite::$f(&mut c, $($arg),*).await
            }
        }
    };
    (write $db:expr, $module:ident :: $f:ident ( $($arg:expr),* $(,)? )) => {
        match &*$db.backend {
            $crate::db::Backend::Pg(pool) => {
                let mut c = $crate::db::pg_connection(pool).await?;
                $module::pg::$f(&mut c, $($arg),*).await
            }
            $crate::db::Backend::Sqlite { writer, .. } => {
                // The writer's statements run on this thread (see `sqlite_runtime`).
                let mut c = writer.lock().await?;
                let done = $crate::db::run_inline($module::sqlite::$f(&mut c, $($arg),*)).await;
                drop(c);
                // The next writer is usually woken on this same worker thread: let it
                // take the writer now rather than after this request's response is built.
                tokio::task::yield_now().await;
                done
            }
        }
    };
    // A read that tolerates a replica's lag — lists, histories, reports, statistics —
    // goes to the streaming replica when one is configured (`DATABASE_READ_URL`), or to
    // the primary when there is none or it gives no connection. Never for anything that
    // decides money or play: those read the primary inside their own transaction.
    (stale $db:expr, $module:ident :: $f:ident ( $($arg:expr),* $(,)? )) => {
        match $db.replica_connection().await {
            Some(mut c) => $module::pg::$f(&mut c, $($arg),*).await,
            None => $crate::db::dispatch!(read $db, $module::$f($($arg),*)),
        }
    };
    // A long read that needs the writer (a whole stream replayed under the wallet's
    // lock): on SQLite its statements stay on the blocking pool, off the HTTP worker.
    (write_long $db:expr, $module:ident :: $f:ident ( $($arg:expr),* $(,)? )) => {
        match &*$db.backend {
            $crate::db::Backend::Pg(_) => $crate::db::dispatch!(write $db, $module::$f($($arg),*)),
            $crate::db::Backend::Sqlite { writer, .. } => {
                let mut c = writer.lock().await?;
                $module::sqlite::$f(&mut c, $($arg),*).await
            }
        }
    };
}
pub(crate) use dispatch;
pub(crate) use sqlite_runtime::run_inline;

/// SQL spellings that differ between the backends, for statements written as text.
pub(crate) trait Dialect {
    /// The UTC day of a timestamp column, as `YYYY-MM-DD` text.
    fn utc_day(column: &str) -> String;
    /// The UTC hour of a timestamp column, as `YYYY-MM-DDTHH` text.
    fn utc_hour(column: &str) -> String;
}

impl Dialect for AsyncPgConnection {
    fn utc_day(column: &str) -> String {
        format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
    }
    fn utc_hour(column: &str) -> String {
        format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24')")
    }
}

/// Instants are fixed-width RFC 3339 UTC text on SQLite (see `types`).
impl Dialect for SqliteConn {
    fn utc_day(column: &str) -> String {
        format!("substr({column}, 1, 10)")
    }
    fn utc_hour(column: &str) -> String {
        format!("substr({column}, 1, 13)")
    }
}

/// Any failure talking to the database that is not a business outcome.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database unavailable: {0}")]
    Pool(String),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("bad row: {0}")]
    Row(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("bad database URL: {0}")]
    Url(String),
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for DbError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        DbError::Pool(e.to_string())
    }
}

/// Stored RG settings that do not read are a corrupt row.
impl From<pam_core::UnreadableSettings> for DbError {
    fn from(e: pam_core::UnreadableSettings) -> Self {
        DbError::Row(e.to_string())
    }
}

impl DbError {
    /// Whether the database could not be reached (the pool gave no connection, or the
    /// connection was lost): the dependency is down, and a retry may succeed. Every
    /// other error is the database refusing what we sent — a bug.
    pub fn is_unreachable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Pool(_) => true,
            DbError::Query(Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            )) => true,
            DbError::Query(_) | DbError::Row(_) | DbError::Migration(_) | DbError::Url(_) => false,
        }
    }
}

impl From<DbError> for kernel::StoreError {
    fn from(e: DbError) -> Self {
        kernel::StoreError { unreachable: e.is_unreachable(), cause: e.to_string() }
    }
}

/// [`kernel::checked_sum`] for a total read from the database: one that overflows means
/// corrupt rows, a bug to log rather than a number to answer with.
/// A stored count as the `u32` the rules take: a negative one is corrupt, and one
/// past `u32::MAX` is as good as `u32::MAX` to any threshold.
pub(crate) fn count_of(n: i64) -> Result<u32, DbError> {
    if n < 0 {
        return Err(DbError::Row(format!("a negative count: {n}")));
    }
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// A stored sum of money (a balance, a payout, a session's totals): a negative one is a
/// corrupt row, never a zero.
pub(crate) fn money_of(what: &str, minor_units: i64) -> Result<kernel::Money, DbError> {
    kernel::Money::new(minor_units).map_err(|_| DbError::Row(format!("{what} {minor_units} is negative")))
}

pub(crate) fn money_total(amounts: impl IntoIterator<Item = i64>) -> Result<i64, DbError> {
    kernel::checked_sum(amounts).ok_or_else(|| DbError::Row("a money total overflows i64".into()))
}

/// A pooled PostgreSQL connection ([`pg_connection`]). Dropped by a caller that was
/// cancelled inside a transaction (a client gone mid-round), it is closed at once, so
/// PostgreSQL rolls the transaction back and releases its row locks as soon as the
/// backend next talks to the client (at once if idle; a backend waiting for a lock,
/// once it has it). Returned to the pool, it would hold them, `idle in transaction`,
/// until the pool next handed it out and found it broken: the player's next round
/// would wait for the wallet's lock until then.
pub(crate) struct PgConnection(Option<Object<AsyncPgConnection>>);

/// Checks a connection out of `pool`.
pub(crate) async fn pg_connection(pool: &Pool<AsyncPgConnection>) -> Result<PgConnection, DbError> {
    Ok(PgConnection(Some(pool.get().await?)))
}

impl std::ops::Deref for PgConnection {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        self.0.as_deref().unwrap_or_else(|| unreachable!("only `drop` takes the connection"))
    }
}

impl std::ops::DerefMut for PgConnection {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        self.0.as_deref_mut().unwrap_or_else(|| unreachable!("only `drop` takes the connection"))
    }
}

impl Drop for PgConnection {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take()
            && c.is_broken()
        {
            drop(Object::take(c));
        }
    }
}

pub(crate) enum Backend {
    Pg(Pool<AsyncPgConnection>),
    /// Readers share the pool; every write goes through the one writer.
    Sqlite {
        pool: Pool<SqliteConn>,
        writer: Arc<SqliteWriter>,
        /// Plays rounds in batches on the writer (see [`Db::bet`]).
        rounds: round_writer::RoundWriter,
        /// Copies the WAL into the database off the writer's path.
        _checkpoints: checkpoint::Checkpointer,
    },
}

/// The one connection that writes to a SQLite file, taken in turn (FIFO).
///
/// SQLite admits one writer at a time anyway; queueing here keeps waiting writers off
/// SQLite's busy handler and off the pool that readers need. And since no other
/// connection of this process writes, the writer's page cache stays valid from one
/// transaction to the next (in WAL mode a connection drops its whole cache when it
/// finds that another one committed), so a write reads its pages from memory.
pub(crate) struct SqliteWriter {
    path: String,
    conn: tokio::sync::Mutex<Option<SqliteConn>>,
}

impl SqliteWriter {
    fn new(path: &str) -> Self {
        Self { path: path.to_owned(), conn: tokio::sync::Mutex::new(None) }
    }

    /// Waits for the writer; opens it on first use, and again if it is broken (see
    /// [`SqliteWriter::reopen_if_broken`]).
    pub(crate) async fn lock(&self) -> Result<tokio::sync::MappedMutexGuard<'_, SqliteConn>, DbError> {
        let mut slot = self.conn.lock().await;
        match slot.as_mut() {
            Some(c) => self.reopen_if_broken(c).await?,
            None => *slot = Some(self.open().await?),
        }
        tokio::sync::MutexGuard::try_map(slot, Option::as_mut)
            .map_err(|_| DbError::Pool("SQLite writer missing".into()))
    }

    /// Replaces the writer, held by the caller, with a new connection if the last user
    /// left it broken (a transaction left open by a cancelled request, a failed rollback).
    pub(crate) async fn reopen_if_broken(&self, c: &mut SqliteConn) -> Result<(), DbError> {
        use diesel_async::pooled_connection::PoolableConnection;
        if c.is_broken() {
            *c = self.open().await?;
        }
        Ok(())
    }

    /// Drops the writer (after a panic while it was in use); the next user opens a new one.
    pub(crate) async fn discard(&self) {
        *self.conn.lock().await = None;
    }

    async fn open(&self) -> Result<SqliteConn, DbError> {
        // The checkpointer copies the WAL (see `checkpoint`), not the writer's commits.
        open_sqlite(&self.path, &[SQLITE_WRITER_PRAGMAS, "PRAGMA wal_autocheckpoint = 0;"])
            .await
            .map_err(|e| DbError::Pool(format!("SQLite writer: {e}")))
    }

    /// A turn of the writer taken from a plain thread, for work that must not overlap
    /// a write (the connection itself is not needed).
    pub(crate) fn turn(&self) -> tokio::sync::MutexGuard<'_, Option<SqliteConn>> {
        self.conn.blocking_lock()
    }
}

/// Opens a SQLite connection with the pragmas every connection gets, then `extra`.
async fn open_sqlite(path: &str, extra: &[&str]) -> Result<SqliteConn, diesel::ConnectionError> {
    let mut c = SqliteConn::establish(path).await?;
    for pragmas in std::iter::once(SQLITE_PRAGMAS).chain(extra.iter().copied()) {
        c.batch_execute(pragmas).await.map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
    }
    Ok(c)
}

/// The database: a pool of one backend, and optionally one of a PostgreSQL streaming
/// replica for the reads that tolerate its lag (`dispatch!(stale …)`). Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pub(crate) backend: Arc<Backend>,
    replica: Option<Pool<AsyncPgConnection>>,
    pub(crate) faults: Arc<faults::FaultPoints>,
}

/// Which backend a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Postgres,
    Sqlite,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Postgres => "postgresql",
            BackendKind::Sqlite => "sqlite",
        }
    }
}

// The busy timeout first: switching a new file to WAL needs its lock too.
pub const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

/// The writer's own page cache (64 MiB; the default is 2 MiB): its cache stays valid
/// between transactions (see [`SqliteWriter`]), so the indexes a round touches stay in it.
/// And its statement journals in memory: each round of a batch is a savepoint (see
/// [`Db::bet`]), whose journal would otherwise spill to a new temporary file past 64 KiB.
pub const SQLITE_WRITER_PRAGMAS: &str = "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;";

impl Db {
    /// Connects to `url` (`postgres://…`, or a SQLite file path / `sqlite://path`),
    /// creating the SQLite file (0600) and its directory (0700) when missing; an existing
    /// file is made 0600 too.
    pub fn connect(url: &str, pool_size: usize) -> Result<Self, DbError> {
        let wait = Some(Duration::from_secs(10));
        let faults = Arc::<faults::FaultPoints>::default();
        let backend = if is_postgres(url) {
            Backend::Pg(pg_pool(url, pool_size, Duration::from_secs(10), Duration::from_secs(5))?)
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if path.contains(":memory:") {
                return Err(DbError::Url(
                    "in-memory SQLite gives every pooled connection its own database; use a file".into(),
                ));
            }
            let file = std::path::Path::new(path);
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
                crate::config::create_private_dir(dir).map_err(|e| DbError::Url(format!("{}: {e}", dir.display())))?;
            }
            crate::config::make_private_file(file).map_err(|e| DbError::Url(format!("{}: {e}", file.display())))?;
            let mut cfg = ManagerConfig::<SqliteConn>::default();
            cfg.recycling_method = RecyclingMethod::Fast;
            cfg.custom_setup = Box::new(|url| Box::pin(open_sqlite(url, &[])));
            let mgr = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(path, cfg);
            let pool = Pool::builder(mgr)
                .max_size(pool_size)
                .runtime(deadpool::Runtime::Tokio1)
                .wait_timeout(wait)
                .create_timeout(Some(Duration::from_secs(5)))
                .build()
                .map_err(|e| DbError::Url(e.to_string()))?;
            let writer = Arc::new(SqliteWriter::new(path));
            Backend::Sqlite {
                pool,
                rounds: round_writer::RoundWriter::start(writer.clone(), faults.clone())?,
                _checkpoints: checkpoint::Checkpointer::start(path, writer.clone())?,
                writer,
            }
        };
        Ok(Self { backend: Arc::new(backend), replica: None, faults })
    }

    /// Adds a PostgreSQL streaming replica (`postgres://…`) for the reads that tolerate
    /// its lag; the primary must be PostgreSQL too. Nothing is migrated there: the
    /// replica replays the primary's schema.
    pub fn with_replica(mut self, url: &str, pool_size: usize) -> Result<Self, DbError> {
        if self.kind() != BackendKind::Postgres || !is_postgres(url) {
            return Err(DbError::Url(
                "a read replica needs PostgreSQL for both DATABASE_URL and DATABASE_READ_URL".into(),
            ));
        }
        // Quick to give up: a read then goes to the primary instead.
        self.replica = Some(pg_pool(url, pool_size, Duration::from_secs(2), Duration::from_secs(2))?);
        Ok(self)
    }

    /// Whether reads that tolerate lag go to a replica.
    pub fn has_replica(&self) -> bool {
        self.replica.is_some()
    }

    /// A connection to the replica, if one is configured and gives a connection.
    pub(crate) async fn replica_connection(&self) -> Option<PgConnection> {
        match pg_connection(self.replica.as_ref()?).await {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(cause = %e, "the read replica gives no connection; reading from the primary");
                None
            }
        }
    }

    pub fn kind(&self) -> BackendKind {
        match &*self.backend {
            Backend::Pg(_) => BackendKind::Postgres,
            Backend::Sqlite { .. } => BackendKind::Sqlite,
        }
    }

    /// Applies pending migrations. Needs a multi-thread tokio runtime (the harness
    /// uses `block_in_place`).
    pub async fn migrate(&self) -> Result<usize, DbError> {
        let m = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
        match &*self.backend {
            Backend::Pg(pool) => {
                let mut conn = pool.get().await?;
                // Instances starting together take turns (session-level advisory lock).
                conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).await?;
                let mut h = AsyncMigrationHarness::new(conn);
                let applied = h.run_pending_migrations(PG_MIGRATIONS).map_err(m).map(|v| v.len());
                let mut conn = h.into_inner();
                conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).await?;
                applied
            }
            Backend::Sqlite { pool, .. } => {
                let conn = pool.get().await?;
                let mut h = AsyncMigrationHarness::new(conn);
                Ok(h.run_pending_migrations(SQLITE_MIGRATIONS).map_err(m)?.len())
            }
        }
    }

    /// Reverts every migration (for the up → down → up test).
    pub async fn revert_all(&self) -> Result<usize, DbError> {
        self.revert(None).await
    }

    /// Reverts the newest migrations down to and including `version` (the name's date
    /// and number, e.g. `2026-12-07-000010`), for the tests of a migration's backfill.
    pub async fn revert_through(&self, version: &str) -> Result<usize, DbError> {
        self.revert(Some(version)).await
    }

    async fn revert(&self, through: Option<&str>) -> Result<usize, DbError> {
        let m = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
        macro_rules! revert {
            ($h:expr, $migrations:expr) => {{
                let mut h = $h;
                match through {
                    None => h.revert_all_migrations($migrations).map_err(m).map(|v| v.len()),
                    Some(version) => {
                        let mut reverted = 0;
                        loop {
                            let done = h.revert_last_migration($migrations).map_err(m)?;
                            reverted += 1;
                            // Diesel drops the dashes of the folder name's date.
                            if done.to_string() == version.replace('-', "") {
                                break Ok(reverted);
                            }
                        }
                    }
                }
            }};
        }
        match &*self.backend {
            Backend::Pg(pool) => revert!(AsyncMigrationHarness::new(pool.get().await?), PG_MIGRATIONS),
            Backend::Sqlite { pool, .. } => revert!(AsyncMigrationHarness::new(pool.get().await?), SQLITE_MIGRATIONS),
        }
    }

    /// Closes the pools: their idle connections now, the others as they come back.
    pub fn close(&self) {
        match &*self.backend {
            Backend::Pg(pool) => pool.close(),
            Backend::Sqlite { pool, .. } => pool.close(),
        }
        if let Some(replica) = &self.replica {
            replica.close();
        }
    }

    /// Round-trips a trivial query; returns the latency.
    pub async fn ping(&self) -> Result<Duration, DbError> {
        let start = Instant::now();
        match &*self.backend {
            Backend::Pg(pool) => pool.get().await?.batch_execute("SELECT 1").await?,
            Backend::Sqlite { pool, .. } => pool.get().await?.batch_execute("SELECT 1").await?,
        }
        Ok(start.elapsed())
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A PostgreSQL pool. A pooled connection is checked by its state (closed socket,
/// broken transaction), not by a `SELECT 1` round trip on every check-out.
fn pg_pool(url: &str, size: usize, wait: Duration, create: Duration) -> Result<Pool<AsyncPgConnection>, DbError> {
    let mut cfg = ManagerConfig::<AsyncPgConnection>::default();
    cfg.recycling_method = RecyclingMethod::Fast;
    let mgr = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, cfg);
    Pool::builder(mgr)
        .max_size(size)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(wait))
        .create_timeout(Some(create))
        .build()
        .map_err(|e| DbError::Url(e.to_string()))
}

/// Maps a unique-constraint violation to the name of the violated column set, as far
/// as either backend reports it.
pub(crate) fn unique_violation(e: &diesel::result::Error) -> Option<String> {
    match e {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info) => {
            Some(info.constraint_name().map_or_else(|| info.message().to_owned(), str::to_owned))
        }
        _ => None,
    }
}
