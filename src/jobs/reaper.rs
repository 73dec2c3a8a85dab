//! The reaper: a pass every `--reap-interval`, soon after the watcher sees blobs come or
//! go, on `mycloud reap` and on `mycloud check --repair`. It deletes expired sessions,
//! stale temp files, unreferenced blobs and avatars and the folders of deleted users, and
//! marks rows whose bytes are gone (clearing the mark when they come back). Its work is
//! `reap_once`, which tests and the CLI call directly with a chosen clock.
//!
//! It never blocks requests: the disk is walked and cleaned on the blocking pool, the
//! database is reached through the store (itself off the async workers), one short
//! statement at a time with no transaction held across the walk.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::app::{App, purge_trash_item};
use crate::auth::SessionPolicy;
use crate::blobs::Blobs;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{BlobId, FileId};
use crate::jobs::scan::{Scan, scan};
use crate::jobs::watcher;
use crate::store::Store;

/// Nothing younger than this is deleted. An upload renames its blob into `files/` just
/// before its row commits, so for a moment a live upload looks exactly like an orphan;
/// its mtime is that of its last written byte, moments old, so the grace period keeps it.
/// The same holds for temp files being written and for a new user's first folder.
pub const GRACE: Duration = Duration::from_secs(3600);
/// A watcher-triggered pass waits until the disk has been quiet this long…
const QUIET: Duration = Duration::from_millis(500);
/// …but no longer than this after the first event, so a steady stream of uploads cannot
/// put it off for ever.
const MAX_DELAY: Duration = Duration::from_secs(2);
/// At least this long between two passes, however busy the disk: a burst of uploads costs
/// one pass, not one each.
const MIN_GAP: Duration = Duration::from_secs(1);

pub struct Reaper {
    store: Store,
    blobs: Blobs,
    policy: SessionPolicy,
    interval: Duration,
    /// Trash items older than this are purged; zero: there is no trash.
    trash_retention: Duration,
}

/// What one pass did (or, dry, would do).
#[derive(Debug, Default)]
pub struct Report {
    pub expired_sessions: u64,
    pub stale_temp_files: Vec<PathBuf>,
    /// Unreferenced blobs and avatars older than the grace period.
    pub orphans: Vec<PathBuf>,
    /// Folders of users that no longer exist, left empty.
    pub user_folders: Vec<PathBuf>,
    /// Rows whose bytes are gone: marked missing by this pass or an earlier one.
    pub missing: Vec<PathBuf>,
    /// Rows whose bytes came back: mark cleared.
    pub restored: Vec<PathBuf>,
    /// Trash items past `--trash-retention`, purged with their bytes.
    pub trash_purged: usize,
    /// Resumable uploads past `--upload-expiry`, removed with their bytes.
    pub uploads_expired: usize,
}

impl Report {
    /// `(what, count, action)` rows, for the log line and `mycloud reap`'s table.
    pub fn rows(&self, dry_run: bool) -> [(&'static str, usize, &'static str); 8] {
        let (remove, mark, clear) = if dry_run {
            ("would remove", "would mark missing", "would clear the mark")
        } else {
            ("removed", "marked missing", "mark cleared")
        };
        [
            ("expired sessions", self.expired_sessions as usize, remove),
            ("stale temp files", self.stale_temp_files.len(), remove),
            ("orphan files", self.orphans.len(), remove),
            ("deleted users' folders", self.user_folders.len(), remove),
            ("missing files", self.missing.len(), mark),
            ("restored files", self.restored.len(), clear),
            ("expired trash items", self.trash_purged, remove),
            ("expired uploads", self.uploads_expired, remove),
        ]
    }

    /// Every path the pass deleted (or would), with what it was.
    pub fn deleted(&self) -> impl Iterator<Item = (&'static str, &PathBuf)> {
        self.stale_temp_files
            .iter()
            .map(|p| ("temp", p))
            .chain(self.orphans.iter().map(|p| ("orphan", p)))
            .chain(self.user_folders.iter().map(|p| ("folder", p)))
    }

    fn did_anything(&self) -> bool {
        self.rows(false).iter().any(|(_, n, _)| *n > 0)
    }

    fn summary(&self) -> String {
        let parts: Vec<String> = self
            .rows(false)
            .iter()
            .map(|(what, n, action)| format!("{n} {what} {action}"))
            .collect();
        parts.join(", ")
    }
}

/// What a pass will do, decided from one scan, so a dry run lists exactly what a real
/// pass would delete.
#[derive(Debug, Default)]
struct Plan {
    stale_temp_files: Vec<PathBuf>,
    orphans: Vec<PathBuf>,
    user_folders: Vec<PathBuf>,
    to_mark: Vec<(FileId, BlobId, PathBuf)>,
    already_marked: Vec<PathBuf>,
    to_unmark: Vec<(FileId, PathBuf)>,
}

fn plan(scan: Scan, now: Timestamp) -> Plan {
    let cutoff = now.minus(GRACE);
    let old = |t: Timestamp| t <= cutoff;
    let (orphans, young): (Vec<_>, Vec<_>) =
        scan.unreferenced.into_iter().partition(|f| old(f.modified));
    // A deleted user's folder goes once nothing is left in it: only regular files, every
    // one an old orphan removed in the same pass. The folder itself must be old too, or it
    // may be a brand-new user's whose first upload is being renamed into it.
    let user_folders = scan
        .foreign_folders
        .into_iter()
        .filter(|f| old(f.folder.modified) && !f.holds_other)
        .filter(|f| {
            !young
                .iter()
                .any(|y| y.path.parent() == Some(&f.folder.path))
        })
        .map(|f| f.folder.path)
        .collect();
    let (already, to_mark): (Vec<_>, Vec<_>) = scan.missing.into_iter().partition(|m| m.marked);
    Plan {
        stale_temp_files: scan
            .temp
            .into_iter()
            .filter(|f| old(f.modified))
            .map(|f| f.path)
            .collect(),
        orphans: orphans.into_iter().map(|f| f.path).collect(),
        user_folders,
        to_mark: to_mark
            .into_iter()
            .map(|m| (m.id, m.blob, m.path))
            .collect(),
        already_marked: already.into_iter().map(|m| m.path).collect(),
        to_unmark: scan.restored,
    }
}

impl Reaper {
    pub fn new(app: &App) -> Reaper {
        Reaper {
            store: app.store.clone(),
            blobs: app.blobs.clone(),
            policy: app.session_policy(),
            interval: app.config.reap_interval,
            trash_retention: app.config.trash_retention,
        }
    }

    /// Runs a pass every interval, and soon after the watcher reports a change, until
    /// `stop` turns true; the watcher stops with it.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let changed = Arc::new(Notify::new());
        let _watcher = watcher::start(&self.blobs, changed.clone(), self.interval);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = changed.notified() => {
                    if !settle(&changed, &mut stop).await {
                        return;
                    }
                }
                _ = stop.changed() => return,
            }
            self.logged_pass().await;
            // Events during the pass or the gap leave one stored permit in `changed`: at
            // most one more pass, none lost.
            tokio::select! {
                _ = tokio::time::sleep(MIN_GAP) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// One pass and its log line: `info` when it changed something, else `debug`, so a
    /// pass after each upload does not flood the log.
    async fn logged_pass(&self) {
        match self.reap_once(Timestamp::now(), false).await {
            Ok(r) if r.did_anything() => log::info!("reaper: {}", r.summary()),
            Ok(r) => log::debug!("reaper: {}", r.summary()),
            Err(e) => log::warn!("reaper pass failed: {e}"),
        }
    }

    pub async fn reap_once(&self, now: Timestamp, dry_run: bool) -> Result<Report> {
        let expired_sessions = self
            .store
            .delete_expired_sessions(
                now.minus(self.policy.idle),
                now.minus(self.policy.max_age),
                dry_run,
            )
            .await?;
        let trash_purged = self.purge_expired_trash(now, dry_run).await?;
        let uploads_expired = self.expire_uploads(now, dry_run).await?;
        // References first, then the disk: see `scan::scan`.
        let refs = self.store.references().await?;
        let blobs = self.blobs.clone();
        let found = tokio::task::spawn_blocking(move || scan(&blobs, &refs))
            .await
            .map_err(|e| Error::internal("reaper task", e))?
            .map_err(|e| Error::internal("reading the data dir", e))?;
        let mut plan = plan(found, now);
        if !dry_run {
            plan = tokio::task::spawn_blocking(move || delete(plan))
                .await
                .map_err(|e| Error::internal("reaper task", e))?;
        }
        let (missing, restored) = self.update_marks(&plan, now, dry_run).await?;
        Ok(Report {
            expired_sessions,
            stale_temp_files: plan.stale_temp_files,
            orphans: plan.orphans,
            user_folders: plan.user_folders,
            missing,
            restored,
            trash_purged,
            uploads_expired,
        })
    }

    /// Removes the resumable uploads past their expiry (`--upload-expiry` after their last
    /// bytes), a batch of rows at a time, then their parts; with `dry_run` only counts them.
    async fn expire_uploads(&self, now: Timestamp, dry_run: bool) -> Result<usize> {
        if dry_run {
            return self.store.count_expired_uploads(now).await;
        }
        let mut removed = 0;
        loop {
            let expired = self.store.expire_uploads(now, 100).await?;
            if expired.is_empty() {
                return Ok(removed);
            }
            for upload in &expired {
                if !upload.finished {
                    self.blobs.remove_part(upload.id).await;
                    // A last PATCH cut short may have moved the bytes into place already.
                    self.blobs
                        .remove_file(upload.owner_id, BlobId(upload.id))
                        .await;
                }
            }
            removed += expired.len();
        }
    }

    /// Purges the trash items older than `--trash-retention`, a batch of rows per
    /// transaction (`app::purge_trash_item`), so a trash of 100,000 files never holds a
    /// lock for long; with `dry_run` only counts them.
    async fn purge_expired_trash(&self, now: Timestamp, dry_run: bool) -> Result<usize> {
        if self.trash_retention.is_zero() {
            return Ok(0);
        }
        let cutoff = now.minus(self.trash_retention);
        let mut purged = 0;
        loop {
            let expired = self.store.trash_before(cutoff, None, 100).await?;
            if dry_run || expired.is_empty() {
                return Ok(purged + expired.len());
            }
            for (kind, id) in expired {
                match purge_trash_item(&self.store, &self.blobs, kind, id).await {
                    Ok(_) => purged += 1,
                    // Purged meanwhile through the API.
                    Err(Error::NotFound) => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }

    /// Marks rows whose bytes are gone and clears the mark of those whose bytes are back,
    /// one short statement each. A row deleted (or given new bytes) since the scan is not
    /// reported.
    async fn update_marks(
        &self,
        plan: &Plan,
        now: Timestamp,
        dry_run: bool,
    ) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
        let mut missing = plan.already_marked.clone();
        for (id, blob, path) in &plan.to_mark {
            if dry_run || self.store.mark_missing(*id, *blob, now).await? {
                missing.push(path.clone());
            }
        }
        let mut restored = Vec::new();
        for (id, path) in &plan.to_unmark {
            if !dry_run {
                self.store.unmark_missing(*id).await?;
            }
            restored.push(path.clone());
        }
        Ok((missing, restored))
    }
}

/// Waits for the disk to settle after an event; `false` when asked to stop meanwhile.
async fn settle(changed: &Notify, stop: &mut watch::Receiver<bool>) -> bool {
    let deadline = tokio::time::Instant::now() + MAX_DELAY;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(QUIET) => return true,
            _ = tokio::time::sleep_until(deadline) => return true,
            _ = changed.notified() => {}
            _ = stop.changed() => return false,
        }
    }
}

/// Deletes what the plan lists and keeps in it only what is gone now. A file already gone
/// counts as deleted; a folder that is not empty after all (something arrived) stays.
fn delete(mut plan: Plan) -> Plan {
    let remove_file = |path: &PathBuf| match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            log::warn!("reaper: cannot remove {}: {e}", path.display());
            false
        }
        _ => true,
    };
    plan.stale_temp_files.retain(remove_file);
    plan.orphans.retain(remove_file);
    plan.user_folders
        .retain(|dir| std::fs::remove_dir(dir).is_ok());
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::scan::{Aged, ForeignFolder};

    fn aged(path: &str, modified: Timestamp) -> Aged {
        Aged {
            path: PathBuf::from(path),
            modified,
        }
    }

    #[test]
    fn only_what_is_older_than_the_grace_period_goes() {
        let now = Timestamp(10 * 3_600_000);
        let old = now.minus(GRACE);
        let young = Timestamp(old.0 + 1);
        let scan = Scan {
            unreferenced: vec![aged("/d/files/u/old", old), aged("/d/files/u/new", young)],
            temp: vec![aged("/d/tmp/old", old), aged("/d/tmp/new", young)],
            ..Scan::default()
        };
        let plan = plan(scan, now);
        assert_eq!(plan.orphans, vec![PathBuf::from("/d/files/u/old")]);
        assert_eq!(plan.stale_temp_files, vec![PathBuf::from("/d/tmp/old")]);
    }

    #[test]
    fn a_deleted_users_folder_goes_only_when_old_and_left_empty() {
        let now = Timestamp(10 * 3_600_000);
        let old = Timestamp(0);
        let folder = |path: &str, modified, holds_other| ForeignFolder {
            folder: aged(path, modified),
            holds_other,
        };
        let scan = Scan {
            unreferenced: vec![aged("/d/files/a/x", old), aged("/d/files/b/y", now)],
            foreign_folders: vec![
                folder("/d/files/a", old, false),
                folder("/d/files/b", old, false),
                folder("/d/files/c", now, false),
                folder("/d/files/d", old, true),
            ],
            ..Scan::default()
        };
        assert_eq!(
            plan(scan, now).user_folders,
            vec![PathBuf::from("/d/files/a")]
        );
    }
}
