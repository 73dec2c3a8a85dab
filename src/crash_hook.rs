//! A test hook: crash points on the upload and purge paths, so the tests can prove what a crash
//! (kill -9, power loss as far as the process is concerned) leaves behind at each step.
//!
//! When the environment variable `MYCLOUD_TEST_CRASH_AT` names a point, the process aborts
//! there: no destructors, no temp-file guards, no response. It is read once; unset (as it
//! always is outside the tests) each point costs one branch, four per upload.
//! Not a setting: it exists for `tests/crash.rs` only.
//!
//! The points, in the order an upload passes them:
//! - `before_rename`: the temp file is written and fsynced in `tmp/` (`Blobs::commit`);
//! - `after_rename`: the blob is in `files/` (or `avatars/`), its folder not yet fsynced;
//! - `before_commit`: the blob is durable, its row not yet inserted (`store_upload`);
//! - `after_commit`: the row is committed, the 201 not yet sent.
//!
//! And off that path:
//! - `quota_refused`: an upload without a declared length has just passed its account's
//!   quota (`Upload::write`), its temp file still in `tmp/`;
//! - `purge_after_commit`: a trash purge step's rows are deleted and committed, their
//!   blobs not yet removed (`app::purge_trash_item`).

use std::sync::OnceLock;

const VAR: &str = "MYCLOUD_TEST_CRASH_AT";

/// Aborts the process if `MYCLOUD_TEST_CRASH_AT` is `point`.
pub fn crash_point(point: &str) {
    static AT: OnceLock<Option<String>> = OnceLock::new();
    if AT.get_or_init(|| std::env::var(VAR).ok()).as_deref() == Some(point) {
        // The tests read this line to know the crash came from the hook, at this point.
        eprintln!("{VAR}={point}: aborting");
        std::process::abort();
    }
}
