//! A bounded pool for CPU-bound renders, so they never run on the async
//! executor's threads. At most `workers` renders run at once and at most
//! `queue` more wait; beyond that callers are turned away at once (503) rather
//! than piling up. Each render has a time limit for its caller.
//!
//! A job that changes the register says so first ([`Commit::begin`]): the
//! time limit then no longer applies, and the caller waits for the job's own
//! answer, so no caller is ever told "not done" about work that was done.
//! A job whose limit passed before it began gets `false` and changes
//! nothing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

/// Why the pool did not produce a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// Every worker is busy and the queue is full.
    #[error("the render queue is full")]
    Busy,
    /// The render took longer than the time limit.
    #[error("the render took longer than {0:?}")]
    TimedOut(Duration),
    /// The render panicked or the pool is shutting down.
    #[error("the render task failed")]
    Failed,
}

/// A bounded render pool.
#[derive(Debug, Clone)]
pub struct RenderPool {
    admit: Arc<Semaphore>,
    run: Arc<Semaphore>,
    workers: usize,
    queue: usize,
    timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Within the time limit, nothing changed yet.
    Open,
    /// The job has begun to change the register: it runs to its end.
    Committed,
    /// The caller stopped waiting: the job must change nothing.
    Abandoned,
}

/// A job's handle on its caller's time limit.
#[derive(Debug, Clone)]
pub struct Commit {
    stage: Arc<Mutex<Stage>>,
    committed: Arc<Notify>,
    deadline: Instant,
}

impl Commit {
    /// A handle with no time limit (batches, tools, tests).
    pub fn unlimited() -> Self {
        Self {
            stage: Arc::new(Mutex::new(Stage::Open)),
            committed: Arc::new(Notify::new()),
            deadline: Instant::now() + Duration::from_secs(365 * 24 * 3600),
        }
    }

    /// Called before the job's first change to the register: `true` if the
    /// job may go on (and will then run to its end, the caller waiting for
    /// it), `false` if the caller has stopped waiting or the time limit has
    /// passed (the job must change nothing and stop).
    pub fn begin(&self) -> bool {
        let mut stage = match self.stage.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        match *stage {
            Stage::Committed => true,
            Stage::Abandoned => false,
            Stage::Open if Instant::now() < self.deadline => {
                *stage = Stage::Committed;
                self.committed.notify_one();
                true
            }
            Stage::Open => {
                *stage = Stage::Abandoned;
                false
            }
        }
    }

    /// At the deadline: abandons the job unless it has begun to commit;
    /// whether it has.
    fn at_deadline(&self) -> bool {
        let mut stage = match self.stage.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        if *stage == Stage::Open {
            *stage = Stage::Abandoned;
        }
        *stage == Stage::Committed
    }
}

impl RenderPool {
    /// A pool of `workers` concurrent renders with `queue` waiting places and a
    /// per-render time limit.
    pub fn new(workers: usize, queue: usize, timeout: Duration) -> Self {
        let workers = workers.max(1);
        Self {
            admit: Arc::new(Semaphore::new(workers + queue)),
            run: Arc::new(Semaphore::new(workers)),
            workers,
            queue,
            timeout,
        }
    }

    /// Renders waiting for a worker and renders running, now.
    pub fn load(&self) -> (usize, usize) {
        let running = self.workers - self.run.available_permits();
        let admitted = self.workers + self.queue - self.admit.available_permits();
        (admitted.saturating_sub(running), running)
    }

    /// Runs `job` on a blocking thread once a worker is free.
    ///
    /// A job that outlives its time limit keeps its worker until it finishes
    /// (Typst cannot be interrupted), so the limit protects the caller and the
    /// bound protects the machine.
    pub async fn run<T, F>(&self, job: F) -> Result<T, PoolError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.run_committing(move |_| job()).await
    }

    /// [`run`](Self::run) for a job that may change the register: the time
    /// limit holds until the job calls [`Commit::begin`], and from then the
    /// caller waits for the job to end, however long it takes.
    pub async fn run_committing<T, F>(&self, job: F) -> Result<T, PoolError>
    where
        F: FnOnce(&Commit) -> T + Send + 'static,
        T: Send + 'static,
    {
        let admit = Arc::clone(&self.admit)
            .try_acquire_owned()
            .map_err(|_| PoolError::Busy)?;
        let commit = Commit {
            stage: Arc::new(Mutex::new(Stage::Open)),
            committed: Arc::new(Notify::new()),
            deadline: Instant::now() + self.timeout,
        };
        let run = Arc::clone(&self.run);
        let handle = commit.clone();
        // The job's spans are the request's children, on whichever thread.
        let span = tracing::Span::current();
        let work = async move {
            let worker = run.acquire_owned().await.map_err(|_| PoolError::Failed)?;
            tokio::task::spawn_blocking(move || {
                let _slots = (admit, worker);
                let _entered = span.enter();
                job(&handle)
            })
            .await
            .map_err(|_| PoolError::Failed)
        };
        tokio::pin!(work);
        let committed = Arc::clone(&commit.committed);
        tokio::select! {
            result = &mut work => return result,
            () = tokio::time::sleep_until(commit.deadline) => {}
            () = committed.notified() => {}
        }
        if commit.at_deadline() || Instant::now() < commit.deadline {
            // Committed (at the deadline, or before it): wait for the end.
            return work.await;
        }
        Err(PoolError::TimedOut(self.timeout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_turns_callers_away() {
        let pool = RenderPool::new(1, 0, Duration::from_secs(5));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let busy = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(move || rx.recv().is_ok()).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(pool.load(), (0, 1), "none waiting, one running");
        assert_eq!(pool.run(|| 1).await, Err(PoolError::Busy));
        tx.send(()).unwrap();
        assert_eq!(busy.await.unwrap(), Ok(true));
        assert_eq!(pool.run(|| 2).await, Ok(2));
        assert_eq!(pool.load(), (0, 0));
    }

    #[tokio::test]
    async fn slow_jobs_time_out() {
        let pool = RenderPool::new(1, 1, Duration::from_millis(20));
        let got = pool
            .run(|| std::thread::sleep(Duration::from_millis(200)))
            .await;
        assert_eq!(got, Err(PoolError::TimedOut(Duration::from_millis(20))));
    }

    #[tokio::test]
    async fn a_committed_job_is_waited_for_and_a_late_one_changes_nothing() {
        let pool = RenderPool::new(1, 1, Duration::from_millis(50));
        // Begins at once, then takes longer than the limit: waited for.
        let got = pool
            .run_committing(|c| {
                let began = c.begin();
                std::thread::sleep(Duration::from_millis(150));
                began
            })
            .await;
        assert_eq!(got, Ok(true));
        // Would begin only after the limit: refused, and the caller told.
        let (tx, rx) = std::sync::mpsc::channel();
        let got = pool
            .run_committing(move |c| {
                std::thread::sleep(Duration::from_millis(150));
                let _ = tx.send(c.begin());
            })
            .await;
        assert_eq!(got, Err(PoolError::TimedOut(Duration::from_millis(50))));
        assert_eq!(rx.recv_timeout(Duration::from_secs(2)), Ok(false));
    }
}
