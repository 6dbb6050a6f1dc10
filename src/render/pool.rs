//! A bounded pool for CPU-bound renders, so they never run on the async
//! executor's threads. At most `workers` renders run at once and at most
//! `queue` more wait; beyond that callers are turned away at once (503) rather
//! than piling up. Each render has a time limit for its caller.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

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
    timeout: Duration,
}

impl RenderPool {
    /// A pool of `workers` concurrent renders with `queue` waiting places and a
    /// per-render time limit.
    pub fn new(workers: usize, queue: usize, timeout: Duration) -> Self {
        let workers = workers.max(1);
        Self {
            admit: Arc::new(Semaphore::new(workers + queue)),
            run: Arc::new(Semaphore::new(workers)),
            timeout,
        }
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
        let admit = Arc::clone(&self.admit)
            .try_acquire_owned()
            .map_err(|_| PoolError::Busy)?;
        let run = Arc::clone(&self.run);
        let work = async move {
            let worker = run.acquire_owned().await.map_err(|_| PoolError::Failed)?;
            tokio::task::spawn_blocking(move || {
                let _slots = (admit, worker);
                job()
            })
            .await
            .map_err(|_| PoolError::Failed)
        };
        tokio::time::timeout(self.timeout, work)
            .await
            .map_err(|_| PoolError::TimedOut(self.timeout))?
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
        assert_eq!(pool.run(|| 1).await, Err(PoolError::Busy));
        tx.send(()).unwrap();
        assert_eq!(busy.await.unwrap(), Ok(true));
        assert_eq!(pool.run(|| 2).await, Ok(2));
    }

    #[tokio::test]
    async fn slow_jobs_time_out() {
        let pool = RenderPool::new(1, 1, Duration::from_millis(20));
        let got = pool
            .run(|| std::thread::sleep(Duration::from_millis(200)))
            .await;
        assert_eq!(got, Err(PoolError::TimedOut(Duration::from_millis(20))));
    }
}
