//! `mycloud check`: compares what the database references with what is on disk.
//! Missing or wrong-sized blobs are damage (non-zero exit); unreferenced blobs and old
//! temp files are litter that a crash can leave and the reaper removes.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::app::App;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::reaper::GRACE;

#[derive(Debug, Default)]
pub struct CheckReport {
    pub files_checked: usize,
    /// Rows whose blob is gone.
    pub missing: Vec<PathBuf>,
    /// Blobs whose size differs from the row: (path, expected, actual).
    pub size_mismatch: Vec<(PathBuf, u64, u64)>,
    pub missing_avatars: Vec<PathBuf>,
    /// Files under `files/` or `avatars/` that no row references.
    pub unreferenced: Vec<PathBuf>,
    /// Temp files older than the grace period.
    pub stale_temp: Vec<PathBuf>,
}

impl CheckReport {
    pub fn damaged(&self) -> bool {
        !self.missing.is_empty()
            || !self.size_mismatch.is_empty()
            || !self.missing_avatars.is_empty()
    }

    pub fn print(&self) {
        println!("checked {} files", self.files_checked);
        for p in &self.missing {
            println!("MISSING   {}", p.display());
        }
        for (p, want, got) in &self.size_mismatch {
            println!("SIZE      {} (database {want}, disk {got})", p.display());
        }
        for p in &self.missing_avatars {
            println!("MISSING   {} (avatar)", p.display());
        }
        for p in &self.unreferenced {
            println!("ORPHAN    {} (no row; the reaper removes it)", p.display());
        }
        for p in &self.stale_temp {
            println!(
                "STALE     {} (unfinished upload; the reaper removes it)",
                p.display()
            );
        }
        let verdict = if self.damaged() { "DAMAGED" } else { "OK" };
        println!(
            "{verdict}: {} missing, {} size mismatches, {} missing avatars, {} orphans, {} stale temp files",
            self.missing.len(),
            self.size_mismatch.len(),
            self.missing_avatars.len(),
            self.unreferenced.len(),
            self.stale_temp.len()
        );
    }
}

pub async fn run(app: &App) -> Result<CheckReport> {
    let (blobs, avatars) = app.store.references().await?;
    let root = app.blobs.clone();
    tokio::task::spawn_blocking(move || -> io::Result<CheckReport> {
        let mut report = CheckReport {
            files_checked: blobs.len(),
            ..Default::default()
        };
        let mut expected: HashSet<PathBuf> = HashSet::new();
        for b in &blobs {
            let path = root.file_path(b.owner_id, b.file_id);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.is_file() && m.len() == b.size => {}
                Ok(m) if m.is_file() => report.size_mismatch.push((path.clone(), b.size, m.len())),
                _ => report.missing.push(path.clone()),
            }
            expected.insert(path);
        }
        for (owner, name) in &avatars {
            let path = root.avatar_path(*owner, name);
            if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                report.missing_avatars.push(path.clone());
            }
            expected.insert(path);
        }
        for top in [root.files_root(), root.avatars_root()] {
            for path in files_two_deep(&top)? {
                if !expected.contains(&path) {
                    report.unreferenced.push(path);
                }
            }
        }
        let cutoff = Timestamp::now().minus(GRACE);
        for entry in fs::read_dir(root.tmp_root())? {
            let entry = entry?;
            let meta = entry.metadata()?;
            let modified = meta
                .modified()
                .map(Timestamp::from_system)
                .unwrap_or(Timestamp(0));
            if meta.is_file() && modified < cutoff {
                report.stale_temp.push(entry.path());
            }
        }
        report.unreferenced.sort();
        Ok(report)
    })
    .await
    .map_err(|e| Error::internal("check task", e))?
    .map_err(|e| Error::internal("reading the data dir", e))
}

/// Every entry at `<top>/<user>/<name>`, without following symlinks.
fn files_two_deep(top: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for user in fs::read_dir(top)? {
        let user = user?;
        if !user.file_type()?.is_dir() {
            found.push(user.path());
            continue;
        }
        for entry in fs::read_dir(user.path())? {
            found.push(entry?.path());
        }
    }
    Ok(found)
}
