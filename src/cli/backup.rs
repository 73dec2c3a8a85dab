//! `mycloud backup DEST`: a consistent copy of the SQLite database taken with SQLite's
//! online backup API while the server runs. The copy is written beside DEST under a
//! temporary name, fsynced, then put in place in one step, so DEST is never half a
//! database. PostgreSQL has its own tool for this: pg_dump.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::{Config, DatabaseUrl};
use crate::store::backup_sqlite;

pub async fn run(config: &Config, dest: PathBuf, force: bool) -> Result<ExitCode, String> {
    let source = match &config.database {
        DatabaseUrl::Postgres(_) => {
            eprintln!(
                "mycloud: the database is PostgreSQL: back it up with pg_dump \
                 (e.g. pg_dump -Fc -f mycloud.dump DBNAME); mycloud backup copies SQLite only"
            );
            return Ok(ExitCode::from(2));
        }
        DatabaseUrl::Sqlite(path) => path.clone(),
    };
    if !force && fs::symlink_metadata(&dest).is_ok() {
        return Err(format!(
            "{} exists; pass --force to replace it",
            dest.display()
        ));
    }
    let partial = partial_path(&dest);
    let counts = match backup_sqlite(source, partial.clone()).await {
        Ok(counts) => counts,
        Err(e) => {
            let _ = fs::remove_file(&partial);
            return Err(format!("backup failed: {e}"));
        }
    };
    let (from, to) = (partial.clone(), dest.clone());
    let placed = tokio::task::spawn_blocking(move || put_in_place(&from, &to, force))
        .await
        .map_err(|e| format!("backup task: {e}"))?;
    if let Err(e) = placed {
        let _ = fs::remove_file(&partial);
        return Err(format!("cannot write {}: {e}", dest.display()));
    }
    println!(
        "backed up {} users, {} sessions, {} files to {}",
        counts.users,
        counts.sessions,
        counts.files,
        dest.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `.NAME.partial-<random>` in DEST's folder, so the final rename stays on one filesystem.
fn partial_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.partial-{}", uuid::Uuid::new_v4()))
}

/// Makes the finished copy durable under DEST. Without `force` a hard link, which fails
/// rather than replace a DEST that appeared meanwhile; with it a rename over DEST.
fn put_in_place(partial: &Path, dest: &Path, force: bool) -> io::Result<()> {
    fs::File::open(partial)?.sync_all()?;
    if force {
        fs::rename(partial, dest)?;
    } else {
        fs::hard_link(partial, dest)?;
        fs::remove_file(partial)?;
    }
    let folder = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::File::open(folder)?.sync_all()
}
