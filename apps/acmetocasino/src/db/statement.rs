//! Fixed statements that stay prepared on both backends.
//!
//! Diesel keeps a connection's prepared statements in a cache keyed by the query's
//! type, but it declines to cache every `UPDATE` and every `INSERT` built with its
//! DSL (their text may vary with the values). On the hot path that means a parse, a
//! plan and, on PostgreSQL, one more round trip per statement and execution. The
//! statements declared with [`prepared!`] have one fixed text, so each connection
//! prepares them once.

use super::SqliteConn;
use diesel::QueryResult;
use diesel::connection::TransactionDepthChange;
use diesel::pg::Pg;
use diesel::query_builder::{QueryFragment, QueryId};
use diesel::sqlite::Sqlite;
use diesel_async::{AnsiTransactionManager, AsyncConnection, AsyncPgConnection, RunQueryDsl, TransactionManager};
use futures_util::future::BoxFuture;

/// Declares a statement type with a fixed SQL text. `?` marks each bind, in the order
/// of the fields; Diesel writes the backend's own placeholder (`$n` on PostgreSQL).
///
/// - `struct Name = "…" { field: RustType => SqlType, … }` declares the fields;
/// - `struct Name<'a>(&Row) = "…" { field => SqlType, … }` binds fields of an existing
///   row struct (for wide inserts);
/// - `-> (SqlTypes…)` after the name: the statement returns rows (`RETURNING`, `SELECT`).
macro_rules! prepared {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident $(-> ($($ret:ty),+ $(,)?))? = $sql:literal {
            $($field:ident : $rust:ty => $sqlty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        $vis struct $name {
            $(pub(crate) $field: $rust,)*
        }

        impl $crate::db::statement::Binds for $name {
            type Row = $name;
            fn binds(&self) -> &$name {
                self
            }
        }

        impl diesel::query_builder::QueryId for $name {
            type QueryId = $name;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        $crate::db::statement::prepared!(@walk $name, diesel::pg::Pg, $sql, [$($field => $sqlty),*]);
        $crate::db::statement::prepared!(@walk $name, diesel::sqlite::Sqlite, $sql, [$($field => $sqlty),*]);
        $crate::db::statement::prepared!(@marks $name, $sql, [$($field),*]);

        $(
            impl diesel::query_builder::Query for $name {
                type SqlType = ($($ret,)+);
            }
        )?
    };
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident<$lt:lifetime>(&$row:ty) = $sql:literal {
            $($field:ident => $sqlty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name<$lt>(pub(crate) &$lt $row);

        impl<$lt> $crate::db::statement::Binds for $name<$lt> {
            type Row = $row;
            fn binds(&self) -> &$row {
                self.0
            }
        }

        impl<$lt> diesel::query_builder::QueryId for $name<$lt> {
            type QueryId = $name<'static>;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        $crate::db::statement::prepared!(@walk $name<$lt>, diesel::pg::Pg, $sql, [$($field => $sqlty),*]);
        $crate::db::statement::prepared!(@walk $name<$lt>, diesel::sqlite::Sqlite, $sql, [$($field => $sqlty),*]);
        $crate::db::statement::prepared!(@marks $name, $sql, [$($field),*]);
    };
    (@marks $name:ident, $sql:literal, [$($field:ident),*]) => {
        const _: () = assert!(
            $crate::db::statement::bind_marks($sql) == <[&str]>::len(&[$(stringify!($field)),*]),
            concat!("`", stringify!($name), "`: one `?` per bound field"),
        );
    };
    (@walk $name:ident $(<$lt:lifetime>)?, $backend:ty, $sql:literal, [$($field:ident => $sqlty:ty),*]) => {
        impl$(<$lt>)? diesel::query_builder::QueryFragment<$backend> for $name$(<$lt>)? {
            #[allow(unused_variables, reason = "a statement without binds reads no field")]
            fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, $backend>) -> diesel::QueryResult<()> {
                let row = $crate::db::statement::Binds::binds(self);
                let mut parts = $sql.split('?');
                out.push_sql(parts.next().unwrap_or_default());
                $(
                    out.push_bind_param::<$sqlty, _>(&row.$field)?;
                    out.push_sql(parts.next().unwrap_or_default());
                )*
                Ok(())
            }
        }
    };
}
pub(crate) use prepared;

/// A write that can go out in a pipeline with others ([`Pipeline::execute_in_order`]).
pub(crate) trait Pipelined: Sync {
    fn on_pg<'a>(&'a self, c: &'a AsyncPgConnection) -> BoxFuture<'a, QueryResult<usize>>;
    fn on_sqlite<'a>(&'a self, c: &'a mut SqliteConn) -> BoxFuture<'a, QueryResult<usize>>;
}

impl<T> Pipelined for T
where
    T: QueryFragment<Pg> + QueryFragment<Sqlite> + QueryId + Sync,
{
    fn on_pg<'a>(&'a self, mut c: &'a AsyncPgConnection) -> BoxFuture<'a, QueryResult<usize>> {
        self.execute(&mut c)
    }

    fn on_sqlite<'a>(&'a self, c: &'a mut SqliteConn) -> BoxFuture<'a, QueryResult<usize>> {
        self.execute(c)
    }
}

/// Runs writes in order inside the caller's transaction.
pub(crate) trait Pipeline {
    /// PostgreSQL receives them all at once and answers them all at once (one round
    /// trip; the server still executes them one after another, in this order, and the
    /// first failure aborts the transaction). SQLite, in process, runs them in turn.
    fn execute_in_order<'a>(&'a mut self, writes: &'a [&'a dyn Pipelined]) -> BoxFuture<'a, QueryResult<()>>;
}

impl Pipeline for AsyncPgConnection {
    fn execute_in_order<'a>(&'a mut self, writes: &'a [&'a dyn Pipelined]) -> BoxFuture<'a, QueryResult<()>> {
        let conn: &'a AsyncPgConnection = self;
        let sent: Vec<_> = writes.iter().map(|w| w.on_pg(conn)).collect();
        Box::pin(async move { futures_util::future::try_join_all(sent).await.map(drop) })
    }
}

impl Pipeline for SqliteConn {
    fn execute_in_order<'a>(&'a mut self, writes: &'a [&'a dyn Pipelined]) -> BoxFuture<'a, QueryResult<()>> {
        Box::pin(async move {
            for w in writes {
                w.on_sqlite(self).await?;
            }
            Ok(())
        })
    }
}

prepared! {
    /// `BEGIN` as a prepared statement: it can lead a pipeline, in order with the
    /// prepared statements behind it (see [`pipelined_transaction`]).
    pub(crate) struct Begin = "BEGIN" {}
}

prepared! {
    /// `COMMIT` as a prepared statement: it can close a pipeline of writes.
    struct Commit = "COMMIT" {}
}

/// A transaction whose `BEGIN` and `COMMIT` can travel with its first and last
/// statements ([`pipelined_transaction`]).
pub(crate) trait PipelinedTransaction: AsyncConnection + Pipeline {
    /// Starts the transaction. PostgreSQL only records it: the caller's first pipeline
    /// sends [`Begin`] (`together!(c; begin; …)`). SQLite runs `BEGIN` (or, inside a
    /// batch, `SAVEPOINT`) now: in process there are no round trips to save.
    fn open(&mut self) -> impl Future<Output = QueryResult<()>> + Send;

    /// [`Pipeline::execute_in_order`], then the commit. PostgreSQL sends the `COMMIT`
    /// behind the writes in the same pipeline: if a write fails, PostgreSQL has already
    /// aborted the transaction, and the `COMMIT` that follows ends it as a rollback (on
    /// a connection that has yet to prepare these statements, each is prepared in turn
    /// and the `COMMIT` is not sent at all after a failed write; the rollback of
    /// [`pipelined_transaction`] ends the transaction then). SQLite leaves the commit
    /// (or the release of the savepoint) to the end of [`pipelined_transaction`].
    /// Either way nothing may fail after this call.
    fn execute_and_commit<'a>(&'a mut self, writes: &'a [&'a dyn Pipelined]) -> BoxFuture<'a, QueryResult<()>>;
}

impl PipelinedTransaction for AsyncPgConnection {
    async fn open(&mut self) -> QueryResult<()> {
        // Counted as open from here on: if the caller is cancelled half way, the pool
        // sees a connection inside a transaction and throws it away.
        let status = AnsiTransactionManager::transaction_manager_status_mut(self).transaction_state()?;
        if status.transaction_depth().is_some() {
            return Err(diesel::result::Error::AlreadyInTransaction);
        }
        status.change_transaction_depth(TransactionDepthChange::IncreaseDepth)
    }

    fn execute_and_commit<'a>(&'a mut self, writes: &'a [&'a dyn Pipelined]) -> BoxFuture<'a, QueryResult<()>> {
        Box::pin(async move {
            opened_by_pipelined_transaction(self)?;
            // `execute_in_order` polls its futures in order (`try_join_all`) and, up to
            // 30 of them, stops at the first that fails: a write that fails before it is
            // sent (a value that cannot be bound) then leaves the `COMMIT` unsent. A
            // round has at most 7.
            debug_assert!(writes.len() < 30, "a longer pipeline could send its COMMIT after a failed write");
            let commit = Commit {};
            let pipeline: Vec<&dyn Pipelined> = writes.iter().copied().chain([&commit as &dyn Pipelined]).collect();
            self.execute_in_order(&pipeline).await?;
            AnsiTransactionManager::transaction_manager_status_mut(self)
                .transaction_state()?
                .change_transaction_depth(TransactionDepthChange::DecreaseDepth)
        })
    }
}

/// The transaction [`pipelined_transaction`] opened on PostgreSQL, at the top level
/// (its `BEGIN` and its `COMMIT` go out only there: elsewhere a `COMMIT` would end a
/// transaction Diesel opened, or there would be none to end).
pub(crate) fn opened_by_pipelined_transaction(c: &mut AsyncPgConnection) -> QueryResult<()> {
    match AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()? {
        Some(depth) if depth.get() == 1 => Ok(()),
        Some(_) => Err(diesel::result::Error::AlreadyInTransaction),
        None => Err(diesel::result::Error::NotInTransaction),
    }
}

impl PipelinedTransaction for SqliteConn {
    async fn open(&mut self) -> QueryResult<()> {
        <SqliteConn as AsyncConnection>::TransactionManager::begin_transaction(self).await
    }

    fn execute_and_commit<'a>(&'a mut self, writes: &'a [&'a dyn Pipelined]) -> BoxFuture<'a, QueryResult<()>> {
        self.execute_in_order(writes)
    }
}

/// Runs `body` in a transaction, like Diesel's `transaction`, but on PostgreSQL with
/// two round trips fewer: `body` must send [`Begin`] with its first statements
/// (`together!(c; begin; …)`) and commit with its last writes
/// ([`PipelinedTransaction::execute_and_commit`]). PostgreSQL only: it must be the
/// top-level transaction. A `body` that returns before committing (a replayed or
/// refused round) is committed or rolled back here, as Diesel would. A rollback after
/// a failed pipeline usually finds PostgreSQL's transaction already ended by the
/// pipelined `COMMIT`: one more round trip, and a warning in the server's log.
pub(crate) async fn pipelined_transaction<C, R, E>(
    c: &mut C,
    body: impl AsyncFnOnce(&mut C) -> Result<R, E>,
) -> Result<R, E>
where
    C: PipelinedTransaction,
    E: From<diesel::result::Error>,
{
    let outer = depth(c)?;
    c.open().await?;
    let result = body(c).await;
    if depth(c)? == outer {
        // Committed by `execute_and_commit`.
        return result;
    }
    match result {
        Ok(value) => {
            C::TransactionManager::commit_transaction(c).await?;
            Ok(value)
        }
        Err(e) => {
            // As Diesel's `transaction`: a failed rollback is the error to report.
            C::TransactionManager::rollback_transaction(c).await?;
            Err(e)
        }
    }
}

/// How deep in transactions `c` is (0: none), as Diesel counts.
pub(crate) fn depth<C: AsyncConnection>(c: &mut C) -> QueryResult<u32> {
    Ok(C::TransactionManager::transaction_manager_status_mut(c).transaction_depth()?.map_or(0, |d| d.get()))
}

/// How many `?` bind marks `sql` has (checked against a [`prepared!`] statement's
/// fields at compile time).
pub(crate) const fn bind_marks(sql: &str) -> usize {
    let bytes = sql.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < bytes.len() {
        if bytes[i] == b'?' {
            n += 1;
        }
        i += 1;
    }
    n
}

/// Where a [`prepared!`] statement's bound fields live: itself, or the row it borrows.
pub(crate) trait Binds {
    type Row;
    fn binds(&self) -> &Self::Row;
}

#[cfg(test)]
mod tests {
    use crate::db::types::{DbId, sql::DbUuid};
    use diesel::debug_query;
    use diesel::pg::Pg;
    use diesel::sql_types::{BigInt, Nullable, Text};
    use diesel::sqlite::Sqlite;

    prepared! {
        struct Sample -> (BigInt) = "UPDATE t SET a = ?, b = ? WHERE id = ? RETURNING a" {
            a: i64 => BigInt,
            b: Option<String> => Nullable<Text>,
            id: DbId => DbUuid,
        }
    }

    #[test]
    fn binds_go_where_the_marks_are_in_each_backends_spelling() {
        let s = Sample { a: 7, b: None, id: DbId(uuid::Uuid::nil()) };
        let pg = debug_query::<Pg, _>(&s).to_string();
        assert!(pg.starts_with("UPDATE t SET a = $1, b = $2 WHERE id = $3 RETURNING a -- binds: [7, None, "), "{pg}");
        let lite = debug_query::<Sqlite, _>(&s).to_string();
        assert!(lite.starts_with("UPDATE t SET a = ?, b = ? WHERE id = ? RETURNING a -- binds: [7, None, "), "{lite}");
    }

    #[test]
    fn the_statement_is_cacheable_by_its_type() {
        use diesel::query_builder::QueryId;
        const { assert!(<Sample as QueryId>::HAS_STATIC_QUERY_ID) };
        let s = Sample { a: 1, b: Some("x".into()), id: DbId(uuid::Uuid::nil()) };
        let mut safe = diesel::query_builder::QueryFragment::<Pg>::is_safe_to_cache_prepared(&s, &Pg);
        assert!(matches!(safe, Ok(true)));
        safe = diesel::query_builder::QueryFragment::<Sqlite>::is_safe_to_cache_prepared(&s, &Sqlite);
        assert!(matches!(safe, Ok(true)));
    }
}
