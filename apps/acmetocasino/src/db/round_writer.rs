//! SQLite rounds, batched: one writer thread plays the rounds that queue while it is
//! busy in one transaction, each in a savepoint of its own.

use super::faults::FaultPoints;
use super::round_rules::{BetRequest, BetResult, RoundFailure, RoundRules};
use super::statement::depth;
use super::{DbError, SqliteConn, SqliteWriter, run_inline};
use diesel_async::AsyncConnection;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::{MappedMutexGuard, mpsc, oneshot};

/// The most rounds one SQLite transaction holds.
const MAX_BATCH: usize = 64;

type BetAnswer = Result<BetResult, RoundFailure>;

/// The thread that plays SQLite rounds (see [`Db::bet`]): it takes every round queued
/// by the time the writer is free, up to [`MAX_BATCH`], as one batch. It runs apart
/// from the HTTP workers, so a batch neither waits for a worker to finish other
/// requests nor holds up that worker's requests while it runs; and no request going
/// away can cut short a transaction that holds other players' rounds. It stops when
/// the database is dropped (the queue closes).
pub(crate) struct RoundWriter(mpsc::Sender<QueuedBet>);

/// Rounds that may wait for the writer; past that a round is refused as unavailable
/// rather than queued without bound.
const QUEUE_LIMIT: usize = 4_096;

struct QueuedBet {
    rules: Arc<dyn RoundRules>,
    req: BetRequest,
    reply: oneshot::Sender<BetAnswer>,
}

impl QueuedBet {
    fn answer(self, answer: BetAnswer) {
        // A caller that went away no longer needs its answer.
        let _ = self.reply.send(answer);
    }
}

impl RoundWriter {
    pub(crate) fn start(writer: Arc<SqliteWriter>, faults: Arc<FaultPoints>) -> Result<Self, DbError> {
        let (queue, mut rounds) = mpsc::channel::<QueuedBet>(QUEUE_LIMIT);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| DbError::Pool(format!("SQLite round writer: {e}")))?;
        std::thread::Builder::new()
            .name("sqlite-rounds".into())
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some(first) = rounds.recv().await {
                        let mut batch = vec![first];
                        let c = writer.lock().await;
                        // What queued while the writer was busy goes in the same batch.
                        while batch.len() < MAX_BATCH {
                            match rounds.try_recv() {
                                Ok(bet) => batch.push(bet),
                                Err(_) => break,
                            }
                        }
                        // A round whose caller went away before it was played is not played.
                        batch.retain(|bet| !bet.reply.is_closed());
                        let mut c = match c {
                            Ok(c) => c,
                            Err(e) => {
                                for bet in batch {
                                    bet.answer(Err(DbError::Pool(e.to_string()).into()));
                                }
                                continue;
                            }
                        };
                        // A panic drops the replies (each caller gets an error, nothing
                        // was committed) and the connection; the thread goes on.
                        let work = AssertUnwindSafe(play_batch(&mut c, &writer, &faults, batch));
                        if run_inline(work).catch_unwind().await.is_err() {
                            drop(c);
                            writer.discard().await;
                        }
                    }
                });
            })
            .map_err(|e| DbError::Pool(format!("SQLite round writer: {e}")))?;
        Ok(Self(queue))
    }

    pub(super) async fn play(&self, rules: Arc<dyn RoundRules>, req: BetRequest) -> BetAnswer {
        let (reply, answer) = oneshot::channel();
        let bet = QueuedBet { rules, req, reply };
        if let Err(e) = self.0.try_send(bet) {
            let why = match e {
                mpsc::error::TrySendError::Full(_) => "too many rounds are waiting for the SQLite writer",
                mpsc::error::TrySendError::Closed(_) => "the SQLite round writer has stopped",
            };
            return Err(DbError::Pool(why.into()).into());
        }
        answer.await.unwrap_or_else(|_| Err(DbError::Pool("the rounds' batch did not finish".into()).into()))
    }
}

/// A batch given up: nothing of it was committed.
struct Abandoned;

impl From<diesel::result::Error> for Abandoned {
    fn from(_: diesel::result::Error) -> Self {
        Abandoned
    }
}

/// Plays `batch` on the writer in one transaction (its first statement takes the write
/// lock: the first round locks its wallet row), each round in a savepoint, and answers
/// every round after the `COMMIT`: a round refused by the rules rolled back to its
/// savepoint, the others stand. A database error is
/// different: SQLite may have ended the whole transaction with it (a full disk, an I/O
/// error), and whatever ran after it would run outside the batch. So on any database
/// error, or a batch no longer inside its transaction, the batch is rolled back at
/// once and each of its rounds is played again alone, in a transaction of its own,
/// exactly as without batching.
async fn play_batch(
    c: &mut MappedMutexGuard<'_, SqliteConn>,
    writer: &SqliteWriter,
    faults: &FaultPoints,
    batch: Vec<QueuedBet>,
) {
    let played = c
        .transaction(async |c| {
            let mut answers = Vec::with_capacity(batch.len());
            for bet in &batch {
                let answer = super::rounds::sqlite::bet(c, &*bet.rules, faults, &bet.req).await;
                if matches!(answer, Err(RoundFailure::Db(_))) || !matches!(depth(c), Ok(1)) {
                    return Err(Abandoned);
                }
                answers.push(answer);
            }
            Ok(answers)
        })
        .await;
    let n = batch.len();
    match played {
        Ok(answers) => {
            for (bet, answer) in batch.into_iter().zip(answers) {
                bet.answer(answer.map(|r| BetResult { committed_with: n, ..r }));
            }
        }
        Err(Abandoned) => {
            for bet in batch {
                // The failure may have left the connection unusable: then a new one.
                let answer = match writer.reopen_if_broken(c).await {
                    Ok(()) => super::rounds::sqlite::bet(c, &*bet.rules, faults, &bet.req).await,
                    Err(e) => Err(e.into()),
                };
                bet.answer(answer);
            }
        }
    }
}
