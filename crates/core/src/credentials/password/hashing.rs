//! Password hashing off the async runtime, on a few dedicated threads (one per CPU by default)
//! fed by one queue: a burst of logins waits in the queue instead of starving the
//! request-handling threads (or the memory: each hash takes 19 MiB).
//!
//! The queue is bounded: past `max_waiting` jobs waiting for a thread, a new one is refused at
//! once (`server.busy`, with a second to wait) rather than queued without end, so that a flood
//! of sign-ins cannot hold requests (and their memory) for minutes.
//!
//! Dedicated threads rather than the runtime's blocking pool behind a semaphore: a hashing
//! thread that finishes takes the next queued job at once, without going to sleep, so a CPU
//! never idles between two hashes while logins wait. (Handing the next hash over through the
//! semaphore took three thread wake-ups per hash, and left the CPU idle meanwhile.) Each
//! thread also keeps its argon2 working memory for good.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::error::{DomainError, ErrorCode, Result};

type Job = Box<dyn FnOnce() + Send>;

pub struct PasswordPool {
    jobs: mpsc::Sender<Job>,
    /// Jobs handed over and not started yet.
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    /// A hash of a random password, verified when there is no real hash to check so that
    /// "no such user" and "wrong password" cost the same time.
    dummy: std::sync::OnceLock<String>,
}

impl PasswordPool {
    /// Starts `concurrency` hashing threads, which take at most `max_waiting` jobs waiting
    /// for them; they end when the pool is dropped.
    pub fn new(concurrency: usize, max_waiting: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..concurrency.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("keyhall-argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job, never while
                        // hashing, so no panic can poison it.
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match job {
                            // A panicking job (the OS random source failing, say) loses its
                            // answer, and its caller gets an error, but not the thread.
                            Ok(job) => {
                                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                                    tracing::error!("a password hashing job panicked");
                                }
                            }
                            Err(_) => return,
                        }
                    }
                })
                .expect("spawn a password hashing thread");
        }
        Self { jobs, waiting: Arc::new(AtomicUsize::new(0)), max_waiting, dummy: std::sync::OnceLock::new() }
    }

    /// Runs `work` on a hashing thread. A caller that gave up (its request was dropped)
    /// before its turn costs no hash.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(DomainError::new(ErrorCode::Busy).retry_after(time::Duration::SECOND));
        }
        let (tx, rx) = oneshot::channel();
        let waiting = Arc::clone(&self.waiting);
        let job: Job = Box::new(move || {
            waiting.fetch_sub(1, Ordering::SeqCst);
            if !tx.is_closed() {
                let _ = tx.send(work());
            }
        });
        self.jobs.send(job).map_err(|_| DomainError::internal("password hashing threads are gone"))?;
        rx.await.map_err(|_| DomainError::internal("a password hashing job was lost"))
    }

    pub async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_string();
        self.run(move || keyhall_crypto::password::hash_password(&password)).await?.map_err(DomainError::internal)
    }

    pub async fn verify(&self, phc: &str, password: &str) -> Result<bool> {
        let (phc, password) = (phc.to_string(), password.to_string());
        self.run(move || keyhall_crypto::password::verify_password(&phc, &password)).await
    }

    pub async fn verify_dummy(&self, password: &str) -> Result<()> {
        let dummy = match self.dummy.get() {
            Some(d) => d.clone(),
            None => {
                let fresh = self.hash(&keyhall_crypto::random::alphanumeric(24)).await?;
                self.dummy.get_or_init(|| fresh).clone()
            }
        };
        self.verify(&dummy, password).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_and_verifies_on_the_pool() {
        let pool = PasswordPool::new(2, 100);
        let phc = pool.hash("Correct-Horse-9").await.unwrap();
        assert!(pool.verify(&phc, "Correct-Horse-9").await.unwrap());
        assert!(!pool.verify(&phc, "wrong").await.unwrap());
        pool.verify_dummy("anything").await.unwrap();
    }

    #[tokio::test]
    async fn a_panicking_job_fails_its_caller_but_keeps_the_thread() {
        let pool = PasswordPool::new(1, 100);
        assert!(pool.run(|| -> u8 { panic!("boom") }).await.is_err());
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn runs_at_most_concurrency_jobs_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let pool = Arc::new(PasswordPool::new(2, 100));
        let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (pool, running, peak) = (Arc::clone(&pool), Arc::clone(&running), Arc::clone(&peak));
                tokio::spawn(async move {
                    pool.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                    .unwrap()
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let pool = Arc::new(PasswordPool::new(1, 1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = oneshot::channel();
        // One job holds the only thread, a second waits for it…
        let running = tokio::spawn({
            let pool = Arc::clone(&pool);
            async move {
                pool.run(move || {
                    let _ = started_tx.send(());
                    hold.recv().unwrap();
                })
                .await
            }
        });
        started.await.unwrap();
        let queued = tokio::spawn({
            let pool = Arc::clone(&pool);
            async move { pool.run(|| 2).await }
        });
        while pool.waiting.load(Ordering::SeqCst) < 1 {
            tokio::task::yield_now().await;
        }
        // …so a third is refused, saying when to come back.
        let refused = pool.run(|| 3).await.unwrap_err();
        assert_eq!((refused.code, refused.retry_after), (ErrorCode::Busy, Some(time::Duration::SECOND)));
        release.send(()).unwrap();
        running.await.unwrap().unwrap();
        assert_eq!(queued.await.unwrap().unwrap(), 2);
        assert_eq!(pool.run(|| 4).await.unwrap(), 4, "room again once the queue drains");
    }
}
