//! Long computations (`rtp`, `rng`): independent jobs on a few threads, with a progress
//! bar on stderr when it is a terminal and one line per finished job when it is not.

use std::io::{self, IsTerminal, Write};
use std::num::NonZero;
use std::panic;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::util::fmt_duration;

const BAR_WIDTH: usize = 30;
const REDRAW_EVERY: Duration = Duration::from_millis(100);
/// How much of the running jobs' labels the bar shows.
const LABELS_WIDTH: usize = 50;

const PENDING: u8 = 0;
const RUNNING: u8 = 1;
const DONE: u8 = 2;

/// The progress of a set of jobs, each with a known amount of work.
pub struct Progress {
    /// What the jobs are, for the per-job lines: `rtp`, `rng`.
    command: &'static str,
    jobs: Vec<Job>,
    interactive: bool,
    stopped: AtomicBool,
}

struct Job {
    label: String,
    total: u64,
    done: AtomicU64,
    state: AtomicU8,
}

impl Progress {
    /// `jobs`: a label and the amount of work of each job.
    pub fn new(command: &'static str, jobs: impl IntoIterator<Item = (String, u64)>) -> Self {
        let jobs = jobs
            .into_iter()
            .map(|(label, total)| Job { label, total, done: AtomicU64::new(0), state: AtomicU8::new(PENDING) })
            .collect();
        Self { command, jobs, interactive: io::stderr().is_terminal(), stopped: AtomicBool::new(false) }
    }

    /// Records `amount` more work done by job `job`.
    pub fn advance(&self, job: usize, amount: u64) {
        if let Some(job) = self.jobs.get(job) {
            job.done.fetch_add(amount, Ordering::Relaxed);
        }
    }

    fn start(&self, job: usize) {
        if let Some(job) = self.jobs.get(job) {
            job.state.store(RUNNING, Ordering::Relaxed);
        }
    }

    fn finish(&self, job: usize, time: Duration) {
        let Some(job) = self.jobs.get(job) else { return };
        job.done.store(job.total, Ordering::Relaxed);
        job.state.store(DONE, Ordering::Relaxed);
        if !self.interactive {
            eprintln!("xtask: {} {}: done in {}", self.command, job.label, fmt_duration(time));
        }
    }

    /// The bar, e.g. `[#########.....................]  31% dice crash`.
    fn line(&self) -> String {
        let total: u64 = self.jobs.iter().map(|job| job.total).sum();
        let done: u64 = self.jobs.iter().map(|job| job.done.load(Ordering::Relaxed).min(job.total)).sum();
        let fraction = if total == 0 { 1.0 } else { done as f64 / total as f64 };
        let filled = ((fraction * BAR_WIDTH as f64) as usize).min(BAR_WIDTH);
        let mut labels = self
            .jobs
            .iter()
            .filter(|job| job.state.load(Ordering::Relaxed) == RUNNING)
            .map(|job| job.label.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        if labels.chars().count() > LABELS_WIDTH {
            labels = labels.chars().take(LABELS_WIDTH - 1).chain(['…']).collect();
        }
        format!(
            "[{}{}] {:>3}% {labels}",
            "#".repeat(filled),
            ".".repeat(BAR_WIDTH - filled),
            (fraction * 100.0).floor() as u32
        )
    }

    /// Redraws the bar until `stopped`, then erases it.
    fn report(&self) {
        let mut stderr = io::stderr();
        while !self.stopped.load(Ordering::Relaxed) {
            // `\x1b[K` erases what a longer previous line left behind.
            let _ = write!(stderr, "\r{}\x1b[K", self.line());
            let _ = stderr.flush();
            thread::sleep(REDRAW_EVERY);
        }
        let _ = write!(stderr, "\r\x1b[K");
        let _ = stderr.flush();
    }
}

/// Stops the progress reporter when dropped, also while unwinding from a job's panic.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `job(i)` for every job `i` of `progress` on at most `available_parallelism`
/// threads, and returns the results in job order. A panicking job is re-raised here.
pub fn run_jobs<R: Send>(progress: &Progress, job: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let count = progress.jobs.len();
    let workers = thread::available_parallelism().map_or(1, NonZero::get).min(count).max(1);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(count));
    let worker = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= count {
                break;
            }
            progress.start(i);
            let started = Instant::now();
            let result = job(i);
            progress.finish(i, started.elapsed());
            results.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push((i, result));
        }
    };
    thread::scope(|scope| {
        let _stop = StopOnDrop(&progress.stopped);
        if progress.interactive {
            scope.spawn(|| progress.report());
        }
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(worker)).collect();
        for handle in handles {
            if let Err(panic) = handle.join() {
                panic::resume_unwind(panic);
            }
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_every_job_once_and_keeps_their_order() {
        let progress = Progress::new("test", (0..10).map(|i| (format!("job{i}"), 5)));
        let results = run_jobs(&progress, |i| {
            progress.advance(i, 5);
            i * i
        });
        assert_eq!(results, (0..10).map(|i| i * i).collect::<Vec<_>>());
        assert!(progress.line().starts_with(&format!("[{}] 100%", "#".repeat(BAR_WIDTH))));
    }

    #[test]
    fn draws_a_partial_bar_with_the_running_jobs() {
        let progress = Progress::new("test", [("a".to_owned(), 100), ("b".to_owned(), 100)]);
        progress.start(1);
        progress.advance(1, 84);
        assert_eq!(progress.line(), format!("[{}{}]  42% b", "#".repeat(12), ".".repeat(18)));
    }
}
