//! Background work: the reaper (expired sessions, stale temp files, unreferenced blobs,
//! missing bytes), the watcher that wakes it when blobs change behind the server's back,
//! and the scan of the data dir against the database that both the reaper and
//! `mycloud check` stand on. Each job is an owned task whose work is a plain
//! `*_once(now)` that tests and the CLI call with a chosen clock.
//!
//! May use: `app`, `auth`, `store`, `blobs` and the shared leaves; never `api`, `server`
//! or `cli`. Part II adds the trash purge and the expiry of unfinished uploads here.

pub mod reaper;
pub mod scan;
pub mod watcher;
