//! SQLite's calls run on a few threads of their own, each holding one connection for its
//! whole life. Running each call as a `spawn_blocking` task instead cost a task per query
//! and, under load, let tokio's blocking pool grow to dozens of threads, each opening its
//! own connection and leaving a malloc arena behind: `GET /api/me` at 16 connections ended
//! with 64 threads and 26 MiB resident. Here the threads, the connections and their page
//! caches are bounded, and a connection's prepared statements stay warm.
//!
//! After a burst the extra threads go again: a worker that has had no job for `IDLE`
//! closes its connection and ends, down to the last one, which keeps its connection but
//! hands its page cache back. Six warm connections held 2 MiB of page cache and as much
//! again in stacks and statements on a server that had gone quiet.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::{Error, Result};
use crate::memory;

/// SQLite reads use the CPU and WAL serializes writes anyway, so a few threads keep two
/// cores busy; a few more let reads go on while one thread waits on a commit's fsync.
const MAX_WORKERS: usize = 6;

/// How long a worker waits for a job before it ends (or, the last one, shrinks).
const IDLE: Duration = Duration::from_secs(1);

/// A call, given its connection or the error that kept it from having one.
type Job = Box<dyn FnOnce(Result<&mut Connection>) + Send>;
type Open = Arc<dyn Fn(&Path) -> Result<Connection> + Send + Sync>;

pub struct Workers {
    jobs: Sender<Job>,
    shared: Arc<Shared>,
}

struct Shared {
    path: PathBuf,
    open: Open,
    queue: Mutex<Receiver<Job>>,
    /// Workers started, and those waiting for a job: a new one starts only when none waits.
    started: AtomicUsize,
    waiting: AtomicUsize,
}

impl Workers {
    /// The first worker takes `first`, the connection the caller opened (and migrated);
    /// later ones open theirs with `open` when the load asks for them.
    pub fn new(
        path: PathBuf,
        first: Connection,
        open: impl Fn(&Path) -> Result<Connection> + Send + Sync + 'static,
    ) -> Workers {
        let (tx, rx) = channel();
        let shared = Arc::new(Shared {
            path,
            open: Arc::new(open),
            queue: Mutex::new(rx),
            started: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
        });
        let workers = Workers { jobs: tx, shared };
        workers.start_worker(Some(first));
        workers
    }

    /// Runs `f` on a worker's connection and waits for its result without blocking the
    /// async thread.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = tx.send(conn.and_then(f));
        });
        if self.shared.waiting.load(Ordering::Acquire) == 0 {
            self.start_worker(None);
        }
        if self.jobs.send(job).is_err() {
            return Err(Error::Internal("the database threads are gone".into()));
        }
        rx.await.unwrap_or_else(|_| {
            Err(Error::Internal(
                "a database call panicked; see the log".into(),
            ))
        })
    }

    /// Starts one more worker unless there are `MAX_WORKERS` already.
    fn start_worker(&self, conn: Option<Connection>) {
        let started = self
            .shared
            .started
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_WORKERS).then_some(n + 1)
            });
        let Ok(n) = started else { return };
        let shared = self.shared.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("sqlite-{n}"))
            .spawn(move || shared.work(conn));
        if let Err(e) = spawned {
            self.shared.started.fetch_sub(1, Ordering::AcqRel);
            log::warn!("cannot start a database thread: {e}");
        }
    }
}

impl Shared {
    fn work(&self, mut conn: Option<Connection>) {
        let mut last_job = Instant::now();
        // Whether this worker has shrunk since its last job: then it waits without end.
        let mut shrunk = false;
        loop {
            self.waiting.fetch_add(1, Ordering::AcqRel);
            let Ok(queue) = self.queue.lock() else { break };
            // Workers queue for the lock while one waits on the channel, so the wait is
            // measured from this worker's last job, not from when it got the lock: all
            // the idle ones end about `IDLE` after the burst, not one `IDLE` after another.
            let job = if shrunk {
                queue.recv().map_err(|_| RecvTimeoutError::Disconnected)
            } else {
                queue.recv_timeout(IDLE.saturating_sub(last_job.elapsed()))
            };
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            let job = match job {
                Ok(job) => job,
                // All senders gone: the store was dropped.
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => match queue.try_recv() {
                    // Sent just as the wait ended: take it rather than leave it behind.
                    Ok(job) => job,
                    Err(_) => {
                        drop(queue);
                        if self.retire() {
                            drop(conn);
                            // The server's own trim ran when requests stopped, before this.
                            memory::trim();
                            return;
                        }
                        if let Some(c) = &conn {
                            let _ = c.release_memory();
                        }
                        memory::trim();
                        shrunk = true;
                        continue;
                    }
                },
            };
            drop(queue);
            if conn.is_none() {
                match (self.open)(&self.path) {
                    Ok(c) => conn = Some(c),
                    // The caller gets the error; the next job tries again.
                    Err(e) => {
                        job(Err(e));
                        continue;
                    }
                }
            }
            let Some(c) = conn.as_mut() else { continue };
            // A panicking call must not take the thread (and its waiting callers) with it;
            // its connection is dropped in case it was left mid-transaction.
            if catch_unwind(AssertUnwindSafe(|| job(Ok(c)))).is_err() {
                conn = None;
            }
            last_job = Instant::now();
            shrunk = false;
        }
        self.started.fetch_sub(1, Ordering::AcqRel);
    }

    /// Counts this worker out unless it is the last one. A job sent meanwhile is safe:
    /// `run` starts a worker when none is waiting, and the others are still there.
    fn retire(&self) -> bool {
        self.started
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n > 1).then_some(n - 1)
            })
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(path: &Path) -> Result<Connection> {
        Connection::open(path).map_err(|e| Error::Internal(e.to_string()))
    }

    #[test]
    fn after_a_burst_the_idle_workers_end_and_the_last_one_still_serves() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("workers.db");
        let workers = Arc::new(Workers::new(path.clone(), open(&path).expect("open"), open));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            // Each job keeps its worker busy while the next arrives, so more start.
            let mut jobs = Vec::new();
            for _ in 0..4 {
                let workers = workers.clone();
                jobs.push(tokio::spawn(async move {
                    workers
                        .run(|_| {
                            std::thread::sleep(Duration::from_millis(300));
                            Ok(())
                        })
                        .await
                }));
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            for job in jobs {
                job.await.expect("task").expect("job");
            }
        });
        let busy = workers.shared.started.load(Ordering::Acquire);
        assert!(busy > 1, "the burst started {busy} worker(s)");

        std::thread::sleep(IDLE + Duration::from_millis(700));
        assert_eq!(workers.shared.started.load(Ordering::Acquire), 1);

        let one: i64 = runtime
            .block_on(workers.run(|c| Ok(c.query_row("SELECT 1", [], |row| row.get(0))?)))
            .expect("the last worker answers");
        assert_eq!(one, 1);
    }
}
