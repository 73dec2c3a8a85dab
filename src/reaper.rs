//! The reaper: a background pass every `--reap-interval` (and `mycloud reap`) that
//! deletes expired sessions and stale temp files. Its work is `reap_once`, which tests
//! and the CLI call directly.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use crate::app::App;
use crate::auth::SessionPolicy;
use crate::blobs::Blobs;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::store::Store;

/// Anything younger than this in `tmp/` may be an upload in flight.
pub const GRACE: Duration = Duration::from_secs(3600);

pub struct Reaper {
    store: Store,
    blobs: Blobs,
    policy: SessionPolicy,
    interval: Duration,
}

/// What one pass did (or, dry, would do).
#[derive(Debug, Default)]
pub struct Report {
    pub expired_sessions: u64,
    pub stale_temp_files: Vec<PathBuf>,
}

impl Reaper {
    pub fn new(app: &App) -> Reaper {
        Reaper {
            store: app.store.clone(),
            blobs: app.blobs.clone(),
            policy: app.session_policy(),
            interval: app.config.reap_interval,
        }
    }

    /// Runs a pass every interval until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = stop.changed() => return,
            }
            match self.reap_once(Timestamp::now(), false).await {
                Ok(r) => log::info!(
                    "reaper: {} expired sessions, {} stale temp files removed",
                    r.expired_sessions,
                    r.stale_temp_files.len()
                ),
                Err(e) => log::warn!("reaper pass failed: {e}"),
            }
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
        let tmp = self.blobs.tmp_root();
        let stale_temp_files = tokio::task::spawn_blocking(move || stale_files(tmp, now, dry_run))
            .await
            .map_err(|e| Error::internal("reaper task", e))?
            .map_err(|e| Error::internal("reading tmp/", e))?;
        Ok(Report {
            expired_sessions,
            stale_temp_files,
        })
    }
}

/// Regular files in `dir` older than the grace period; removed unless `dry_run`.
/// Symlinks and anything else that is not a plain file are left alone.
fn stale_files(dir: PathBuf, now: Timestamp, dry_run: bool) -> std::io::Result<Vec<PathBuf>> {
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let entry = entry?;
        let meta = entry.metadata()?; // does not follow symlinks
        if !meta.file_type().is_file() {
            continue;
        }
        let modified = Timestamp::from_system(meta.modified().unwrap_or(SystemTime::UNIX_EPOCH));
        if modified > now.minus(GRACE) {
            continue;
        }
        if !dry_run {
            std::fs::remove_file(entry.path())?;
        }
        stale.push(entry.path());
    }
    Ok(stale)
}
