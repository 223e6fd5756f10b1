//! docs/operations.md, run as written: the backup and point-in-time restore commands.

use crate::support::{eventually, pg_number};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use std::path::Path;
use std::process::Command;
use testbed::{PgOptions, Postgres, Tool};

/// The `sh` block right after `<!-- operations.rs: {step} -->` in docs/operations.md.
fn documented(step: &str) -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/operations.md")).unwrap();
    let marker = format!("<!-- operations.rs: {step} -->");
    let after = &doc[doc.find(&marker).unwrap_or_else(|| panic!("no step {step} in docs/operations.md"))..];
    let block = after.split_once("```sh\n").unwrap().1;
    block.split_once("```").unwrap().0.to_owned()
}

/// Runs a documented step with `sh -eu` as the server's user, the server's programs
/// first on `PATH`.
fn run(pg: &Postgres, step: &str, env: &[(&str, String)]) {
    let script = format!("PATH={}:$PATH\n{}", pg.tools().bin_dir().display(), documented(step));
    let mut sh = Command::new("sh");
    sh.args(["-eu", "-c", &script]).envs(env.iter().map(|(k, v)| (k, v)));
    if let Err(e) = testbed::run_captured(&mut pg.as_server_user(sh)) {
        panic!("step {step} failed: {e}\npostgres.log:\n{}", testbed::tail(&pg.log_file(), 20));
    }
}

fn libpq(pg: &Postgres) -> Vec<(&'static str, String)> {
    vec![
        ("PGHOST", "127.0.0.1".to_owned()),
        ("PGPORT", pg.port().to_string()),
        ("PGUSER", "postgres".to_owned()),
        ("PGDATABASE", "postgres".to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_point_in_time_restore_follows_the_documented_commands() {
    if !crate::topology::installed(&[Tool::Postgres]) {
        return;
    }
    let mut primary = tokio::task::spawn_blocking(Postgres::start).await.unwrap().unwrap();
    let (archive, backups) = (primary.scratch_dir("archive").unwrap(), primary.scratch_dir("backups").unwrap());
    let places =
        [("WAL_ARCHIVE", archive.join("wal").display().to_string()), ("BACKUP_DIR", backups.display().to_string())];
    let env = |pg: &Postgres, more: &[(&'static str, String)]| {
        let mut env = libpq(pg);
        env.extend(places.iter().cloned());
        env.extend(more.iter().cloned());
        env
    };
    tokio::task::block_in_place(|| {
        run(&primary, "archive", &env(&primary, &[]));
        primary.restart().unwrap();
    });
    let mut db = AsyncPgConnection::establish(&primary.url()).await.unwrap();
    db.batch_execute("CREATE TABLE ledger (note text NOT NULL); INSERT INTO ledger VALUES ('in the backup')")
        .await
        .unwrap();
    tokio::task::block_in_place(|| run(&primary, "base-backup", &env(&primary, &[])));

    db.batch_execute("INSERT INTO ledger VALUES ('after the backup')").await.unwrap();
    #[derive(diesel::QueryableByName)]
    struct Text {
        #[diesel(sql_type = diesel::sql_types::Text)]
        t: String,
    }
    let text = async |db: &mut AsyncPgConnection, sql: &str| {
        let row: Text = diesel_async::RunQueryDsl::get_result(diesel::sql_query(sql), db).await.unwrap();
        row.t
    };
    // The moment to go back to: after that commit, before the mistake.
    let target = text(&mut db, "SELECT clock_timestamp()::text AS t").await;
    db.batch_execute("DELETE FROM ledger; INSERT INTO ledger VALUES ('the mistake')").await.unwrap();
    // What archive_timeout would do within a minute: archive the segment with the mistake.
    let segment = text(&mut db, "SELECT pg_walfile_name(pg_switch_wal()) AS t").await;
    let archived = archive.join("wal").join(&segment);
    eventually("the WAL with the mistake is archived", async || archived.exists()).await;

    let restored = tokio::task::block_in_place(|| {
        Postgres::from_data(&PgOptions::default(), |new| {
            let data = new.data_dir().display().to_string();
            run(new, "restore", &env(new, &[("PGDATA", data), ("RECOVERY_TARGET_TIME", target.clone())]));
            Ok(())
        })
    })
    .unwrap();
    tokio::task::block_in_place(|| run(&restored, "check-restore", &env(&restored, &[])));
    let mut db = AsyncPgConnection::establish(&restored.url()).await.unwrap();
    let count = async |db: &mut AsyncPgConnection, note: &str| {
        pg_number(db, &format!("SELECT count(*) AS n FROM ledger WHERE note = '{note}'")).await
    };
    assert_eq!(count(&mut db, "in the backup").await, 1);
    assert_eq!(count(&mut db, "after the backup").await, 1, "replayed from the archive up to the target");
    assert_eq!(count(&mut db, "the mistake").await, 0, "nothing after the target");
    // Open for writes on a new timeline.
    db.batch_execute("INSERT INTO ledger VALUES ('after the restore')").await.unwrap();
    assert!(Path::new(&restored.data_dir()).join("pg_wal/00000002.history").exists());
    drop(db);
    tokio::task::spawn_blocking(move || drop((restored, primary))).await.unwrap();
}
