//! Where the SQLite connection's blocking calls run.
//!
//! Diesel's `SqliteConnection` is synchronous; diesel-async's wrapper hands every
//! statement to tokio's blocking pool and wakes the caller when it is done. That is
//! right for reads, which run in parallel and may be long (a wallet replay, a report).
//! A write transaction is different: the one writer connection already serialises
//! writers, its statements take microseconds, and a thread hop per statement (two
//! context switches and a wake-up each) cost more than the statements themselves. So
//! while a task holds the writer ([`run_inline`]), its statements run on its own thread.

use diesel_async::sync_connection_wrapper::SpawnBlocking;
use futures_util::future::BoxFuture;
use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::task::JoinHandle;

tokio::task_local! {
    static INLINE: ();
}

/// Runs `work` with its SQLite statements executed on the calling thread. Only for
/// work done while holding the writer.
pub(crate) async fn run_inline<F: Future>(work: F) -> F::Output {
    INLINE.scope((), work).await
}

/// The [`SpawnBlocking`] of [`super::SqliteConn`]: inline under [`run_inline`], tokio's
/// blocking pool otherwise.
pub struct SqliteRuntime(tokio::runtime::Handle);

impl SpawnBlocking for SqliteRuntime {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> BoxFuture<'a, Result<R, Box<dyn Error + Send + Sync + 'static>>>
    where
        R: Send + 'static,
    {
        if INLINE.try_with(|_| ()).is_ok() {
            return Box::pin(std::future::ready(Ok(task())));
        }
        Box::pin(FinishOnDrop { task: Some(self.0.spawn_blocking(task)) })
    }

    fn get_runtime() -> Self {
        // Connections are only made from inside the server's runtime (the pool's
        // `get` is async).
        SqliteRuntime(tokio::runtime::Handle::current())
    }
}

/// A blocking task's handle that, if dropped before the task is done, waits for it:
/// the task holds the connection, and handing the connection back to the pool while a
/// statement still runs on it would let the next user see a transaction in flight.
struct FinishOnDrop<R> {
    task: Option<JoinHandle<R>>,
}

impl<R> Future for FinishOnDrop<R> {
    type Output = Result<R, Box<dyn Error + Send + Sync + 'static>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(task) = self.task.as_mut() else {
            return Poll::Ready(Err("polled after completion".into()));
        };
        match Pin::new(task).poll(cx) {
            Poll::Ready(out) => {
                self.task = None;
                Poll::Ready(out.map_err(Box::from))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<R> Drop for FinishOnDrop<R> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take().filter(|t| !t.is_finished()) {
            let multi_thread = tokio::runtime::Handle::try_current()
                .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
            // On a multi-thread runtime the worker hands its other tasks over first. An
            // actix worker is a current-thread runtime, where that is impossible (and a
            // request cancelled mid-statement, e.g. by a failing extractor beside the
            // one reading, dropped it here): it just waits, the statement runs elsewhere.
            if multi_thread {
                tokio::task::block_in_place(|| wait_for(task));
            } else {
                wait_for(task);
            }
        }
    }
}

/// Blocks this thread until `task`, running on the blocking pool, is done.
fn wait_for<R>(task: JoinHandle<R>) {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    // Outside tokio's cooperative budget: a spent budget would answer `Pending` forever.
    let mut task = std::pin::pin!(tokio::task::unconstrained(task));
    while task.as_mut().poll(&mut cx).is_pending() {
        std::thread::park();
    }
}
