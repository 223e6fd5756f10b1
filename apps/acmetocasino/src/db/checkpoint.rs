//! Checkpoints of the SQLite write-ahead log, off the writer's path.
//!
//! By default the connection that commits past 1,000 WAL pages copies the WAL into the
//! database file there and then, inside its `COMMIT`: with one writer that was a fifth
//! of the writer's time, and every request queued behind it waited out each copy. Here
//! the writer does not checkpoint (`wal_autocheckpoint = 0`); a thread of its own does,
//! on its own connection, a `PASSIVE` pass every [`TICK`], which copies what is
//! committed while the writer goes on. A WAL copied that way still never starts over
//! while writes follow each other closely, so once it holds [`RESTART_AT`] pages the
//! thread takes one turn of the writer ([`SqliteWriter`]) and finishes with `RESTART`:
//! only the pages committed since its last pass are left to copy, and the next write
//! starts the WAL again from its beginning, which keeps it bounded.

use super::{DbError, SqliteWriter};
use diesel::connection::SimpleConnection;
use diesel::sql_types::Integer;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// How often the WAL is copied into the database.
const TICK: Duration = Duration::from_millis(100);

/// WAL pages after which the log is made to start over (4 KiB each: 16 MiB).
const RESTART_AT: i32 = 4_000;

/// The checkpoint's own connection waits this long for readers of older snapshots,
/// then tries again a tick later, so a long report never holds up the writer's turn.
const PATIENCE: &str = "PRAGMA busy_timeout = 50;";

/// What `PRAGMA wal_checkpoint` reports.
#[derive(QueryableByName)]
struct Checkpoint {
    #[diesel(sql_type = Integer)]
    busy: i32,
    #[diesel(sql_type = Integer)]
    log: i32,
    #[diesel(sql_type = Integer)]
    checkpointed: i32,
}

impl Checkpoint {
    /// Pages committed while the pass ran, not copied by it.
    fn behind(&self) -> i32 {
        self.log - self.checkpointed
    }
}

/// The running checkpointer; it stops when this is dropped (with the database).
pub(crate) struct Checkpointer {
    _stop: Sender<()>,
}

impl Checkpointer {
    /// Starts the thread with a connection of its own to `path`.
    pub(crate) fn start(path: &str, writer: Arc<SqliteWriter>) -> Result<Self, DbError> {
        let failed = |e: &dyn std::fmt::Display| DbError::Pool(format!("SQLite checkpointer: {e}"));
        let mut c = SqliteConnection::establish(path).map_err(|e| failed(&e))?;
        c.batch_execute(PATIENCE).map_err(|e| failed(&e))?;
        let (stop, stopped) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(c, &writer, &stopped))
            .map_err(|e| failed(&e))?;
        Ok(Self { _stop: stop })
    }
}

fn run(mut c: SqliteConnection, writer: &SqliteWriter, stopped: &Receiver<()>) {
    let mut restarted_at = None;
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
        // A failed pass (the file busy with another process, say) is tried again.
        if let Ok(restarted) = tick(&mut c, writer, restarted_at) {
            restarted_at = restarted.or(restarted_at);
        }
    }
}

/// Pages left behind by a pass that are few enough to copy during a turn of the writer.
const LEFT_FOR_THE_TURN: i32 = 64;

/// One pass: copy what is committed; past [`RESTART_AT`] pages, catch up with what
/// was committed meanwhile (a pass takes a while: it ends with an `fsync`), then copy
/// the last few pages in a turn of the writer and have the WAL start over. Returns the
/// WAL's length when it did. A WAL still of the length `restarted_at` of the last
/// restart has not been written since (the restart takes effect with the next write),
/// so it is left alone.
fn tick(
    c: &mut SqliteConnection,
    writer: &SqliteWriter,
    restarted_at: Option<i32>,
) -> diesel::QueryResult<Option<i32>> {
    let mut pass = checkpoint(c, "PASSIVE")?;
    if pass.busy != 0 || pass.log < RESTART_AT || restarted_at == Some(pass.log) {
        return Ok(None);
    }
    for _ in 0..3 {
        if pass.behind() <= LEFT_FOR_THE_TURN {
            break;
        }
        pass = checkpoint(c, "PASSIVE")?;
    }
    let _turn = writer.turn();
    let restart = checkpoint(c, "RESTART")?;
    Ok((restart.busy == 0).then_some(restart.log))
}

fn checkpoint(c: &mut SqliteConnection, mode: &str) -> diesel::QueryResult<Checkpoint> {
    diesel::sql_query(format!("PRAGMA wal_checkpoint({mode})")).get_result(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends `n` rows of about one page each, in one transaction.
    fn pages(w: &mut SqliteConnection, n: i32) {
        w.batch_execute(&format!(
            "INSERT INTO t SELECT zeroblob(3000) FROM \
             (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) SELECT i FROM n);"
        ))
        .unwrap();
    }

    #[test]
    fn the_wal_is_copied_and_started_over_in_a_turn_of_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db").to_string_lossy().into_owned();
        let mut w = SqliteConnection::establish(&path).unwrap();
        w.batch_execute("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (x BLOB);").unwrap();
        let mut c = SqliteConnection::establish(&path).unwrap();
        c.batch_execute(PATIENCE).unwrap();
        let writer = SqliteWriter::new(&path);

        // Below the mark: what is committed is copied, without a turn of the writer
        // (the test holds it, so taking it would never return).
        pages(&mut w, 100);
        {
            let _held = writer.turn();
            assert_eq!(tick(&mut c, &writer, None).unwrap(), None);
        }
        let pass = checkpoint(&mut c, "PASSIVE").unwrap();
        assert!(pass.log > 100 && pass.behind() == 0, "all {} pages copied", pass.log);

        // Past the mark: the last copy waits for a turn of the writer, and the next
        // write starts the WAL from its beginning.
        pages(&mut w, RESTART_AT + 100);
        let released = std::sync::atomic::AtomicBool::new(false);
        let (held, is_held) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(|| {
                let _turn = writer.turn();
                held.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(100));
                released.store(true, std::sync::atomic::Ordering::SeqCst);
            });
            is_held.recv().unwrap();
            let restarted = tick(&mut c, &writer, None).unwrap();
            assert!(released.load(std::sync::atomic::Ordering::SeqCst), "the restart took a turn of the writer");
            // Until something is written, the same WAL is not restarted again.
            assert!(restarted.is_some());
            assert_eq!(tick(&mut c, &writer, restarted).unwrap(), None);
        });
        pages(&mut w, 1);
        let restarted = checkpoint(&mut c, "PASSIVE").unwrap().log;
        assert!(restarted < 10, "the WAL started over: {restarted} pages");
        let rows: i64 =
            diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT COUNT(*) FROM t").get_result(&mut c).unwrap();
        assert_eq!(rows, 100 + i64::from(RESTART_AT + 100) + 1, "nothing was lost");
    }
}
