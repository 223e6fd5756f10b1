//! SQLite writes, batched: one writer thread plays the rounds — ours, and providers'
//! bets, wins and rollbacks — that queue while it is busy in one transaction, each in a
//! savepoint of its own.

use super::faults::FaultPoints;
use super::provider_calls::{CallFailure, CallOutcome, ProviderCall, ProviderRules};
use super::round_rules::{BetRequest, BetResult, RoundFailure, RoundRules};
use super::statement::depth;
use super::{DbError, SqliteConn, SqliteWriter, run_inline};
use diesel_async::AsyncConnection;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::{MappedMutexGuard, mpsc, oneshot};

/// The most jobs one SQLite transaction holds.
const MAX_BATCH: usize = 64;

type BetAnswer = Result<BetResult, RoundFailure>;
type CallAnswer = Result<CallOutcome, CallFailure>;

/// The thread that plays SQLite rounds (see [`Db::bet`](super::Db::bet)) and provider
/// calls (see [`Db::provider_call`](super::Db::provider_call)): it takes every job
/// queued by the time the writer is free, up to [`MAX_BATCH`], as one batch. It runs
/// apart from the HTTP workers, so a batch neither waits for a worker to finish other
/// requests nor holds up that worker's requests while it runs; and no request going
/// away can cut short a transaction that holds other players' rounds. One commit for
/// the batch writes each page the jobs share (the wallets, the events' and the rounds'
/// indexes) once. It stops when the database is dropped (the queue closes).
pub(crate) struct RoundWriter(mpsc::Sender<Job>);

/// Jobs that may wait for the writer; past that a job is refused as unavailable rather
/// than queued without bound.
const QUEUE_LIMIT: usize = 4_096;

/// What the writer plays, with where its answer goes.
enum Job {
    Round { rules: Arc<dyn RoundRules>, req: BetRequest, reply: oneshot::Sender<BetAnswer> },
    Call { rules: Arc<dyn ProviderRules>, call: ProviderCall, reply: oneshot::Sender<CallAnswer> },
}

/// A job's answer, held until its batch commits (a round's, boxed: it carries the round).
enum Answer {
    Round(Box<BetAnswer>),
    Call(CallAnswer),
}

impl Answer {
    /// A database error (not a rule's refusal): the batch cannot go on.
    fn is_db_error(&self) -> bool {
        match self {
            Answer::Round(a) => matches!(**a, Err(RoundFailure::Db(_))),
            Answer::Call(a) => matches!(a, Err(CallFailure::Db(_))),
        }
    }
}

impl Job {
    /// Its caller went away: it is not played.
    fn abandoned(&self) -> bool {
        match self {
            Job::Round { reply, .. } => reply.is_closed(),
            Job::Call { reply, .. } => reply.is_closed(),
        }
    }

    async fn play(&self, c: &mut SqliteConn, faults: &FaultPoints) -> Answer {
        match self {
            Job::Round { rules, req, .. } => {
                Answer::Round(Box::new(super::rounds::sqlite::bet(c, &**rules, faults, req).await))
            }
            Job::Call { rules, call, .. } => {
                Answer::Call(super::provider_calls::sqlite::provider_call(c, &**rules, call).await)
            }
        }
    }

    /// Answers the caller (a caller that went away no longer needs it); `batch`: how
    /// many jobs the commit held.
    fn answer(self, answer: Answer, batch: usize) {
        match (self, answer) {
            (Job::Round { reply, .. }, Answer::Round(a)) => {
                let a = *a;
                let _ = reply.send(a.map(|r| BetResult { committed_with: batch, ..r }));
            }
            (Job::Call { reply, .. }, Answer::Call(a)) => {
                let _ = reply.send(a);
            }
            // `play` answers each job in its own kind.
            (job, _) => job.fail(DbError::Pool("a batched job got another kind's answer".into())),
        }
    }

    fn fail(self, e: DbError) {
        match self {
            Job::Round { reply, .. } => {
                let _ = reply.send(Err(e.into()));
            }
            Job::Call { reply, .. } => {
                let _ = reply.send(Err(CallFailure::Db(e)));
            }
        }
    }
}

impl RoundWriter {
    pub(crate) fn start(writer: Arc<SqliteWriter>, faults: Arc<FaultPoints>) -> Result<Self, DbError> {
        let (queue, mut jobs) = mpsc::channel::<Job>(QUEUE_LIMIT);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| DbError::Pool(format!("SQLite round writer: {e}")))?;
        std::thread::Builder::new()
            .name("sqlite-rounds".into())
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some(first) = jobs.recv().await {
                        let mut batch = vec![first];
                        let c = writer.lock().await;
                        // What queued while the writer was busy goes in the same batch.
                        while batch.len() < MAX_BATCH {
                            match jobs.try_recv() {
                                Ok(job) => batch.push(job),
                                Err(_) => break,
                            }
                        }
                        // A job whose caller went away before it was played is not played.
                        batch.retain(|job| !job.abandoned());
                        let mut c = match c {
                            Ok(c) => c,
                            Err(e) => {
                                for job in batch {
                                    job.fail(DbError::Pool(e.to_string()));
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
        self.queue(Job::Round { rules, req, reply }).map_err(RoundFailure::Db)?;
        answer.await.unwrap_or_else(|_| Err(DbError::Pool("the rounds' batch did not finish".into()).into()))
    }

    pub(super) async fn call(&self, rules: Arc<dyn ProviderRules>, call: ProviderCall) -> CallAnswer {
        let (reply, answer) = oneshot::channel();
        self.queue(Job::Call { rules, call, reply }).map_err(CallFailure::Db)?;
        answer.await.unwrap_or_else(|_| Err(CallFailure::Db(DbError::Pool("the rounds' batch did not finish".into()))))
    }

    fn queue(&self, job: Job) -> Result<(), DbError> {
        self.0.try_send(job).map_err(|e| {
            DbError::Pool(
                match e {
                    mpsc::error::TrySendError::Full(_) => "too many rounds are waiting for the SQLite writer",
                    mpsc::error::TrySendError::Closed(_) => "the SQLite round writer has stopped",
                }
                .into(),
            )
        })
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
/// lock: the first job locks its wallet row), each job in a savepoint, and answers every
/// job after the `COMMIT`: a job refused by the rules rolled back to its savepoint, the
/// others stand. A database error is different: SQLite may have ended the whole
/// transaction with it (a full disk, an I/O error), and whatever ran after it would run
/// outside the batch. So on any database error, or a batch no longer inside its
/// transaction, the batch is rolled back at once and each of its jobs is played again
/// alone, in a transaction of its own, exactly as without batching.
async fn play_batch(
    c: &mut MappedMutexGuard<'_, SqliteConn>,
    writer: &SqliteWriter,
    faults: &FaultPoints,
    batch: Vec<Job>,
) {
    let played = c
        .transaction(async |c| {
            let mut answers = Vec::with_capacity(batch.len());
            for job in &batch {
                let answer = job.play(c, faults).await;
                if answer.is_db_error() || !matches!(depth(c), Ok(1)) {
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
            for (job, answer) in batch.into_iter().zip(answers) {
                job.answer(answer, n);
            }
        }
        Err(Abandoned) => {
            for job in batch {
                // The failure may have left the connection unusable: then a new one.
                match writer.reopen_if_broken(c).await {
                    Ok(()) => {
                        let answer = job.play(c, faults).await;
                        job.answer(answer, 1);
                    }
                    Err(e) => job.fail(e),
                }
            }
        }
    }
}
