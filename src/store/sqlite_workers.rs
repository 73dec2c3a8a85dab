//! SQLite's calls run on a few threads of their own, each holding one connection for its
//! whole life. Running each call as a `spawn_blocking` task instead cost a task per query
//! and, under load, let tokio's blocking pool grow to dozens of threads, each opening its
//! own connection and leaving a malloc arena behind: `GET /api/me` at 16 connections ended
//! with 64 threads and 26 MiB resident. Here the threads, the connections and their page
//! caches are bounded, and a connection's prepared statements stay warm.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// SQLite reads use the CPU and WAL serializes writes anyway, so a few threads keep two
/// cores busy; a few more let reads go on while one thread waits on a commit's fsync.
const MAX_WORKERS: usize = 6;

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
        loop {
            self.waiting.fetch_add(1, Ordering::AcqRel);
            let job = match self.queue.lock() {
                Ok(queue) => queue.recv(),
                Err(_) => break,
            };
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            // All senders gone: the store was dropped.
            let Ok(job) = job else { break };
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
        }
        self.started.fetch_sub(1, Ordering::AcqRel);
    }
}
