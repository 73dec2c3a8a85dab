//! `mycloud check [--repair]`: compares what the database references with what is on
//! disk. Missing or wrong-sized blobs are damage (non-zero exit); unreferenced blobs and
//! old temp files are litter that a crash can leave and the reaper removes. `--repair`
//! runs a reaper pass (the same code, the same grace period), then checks again.

use std::process::ExitCode;

use crate::app::App;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::jobs::reaper::{GRACE, Reaper};
use crate::jobs::scan::{Scan, scan};

/// Walks the data dir against the database (references first: see `scan::scan`).
async fn scan_now(app: &App) -> Result<Scan> {
    let refs = app.store.references().await?;
    let blobs = app.blobs.clone();
    tokio::task::spawn_blocking(move || scan(&blobs, &refs))
        .await
        .map_err(|e| Error::internal("check task", e))?
        .map_err(|e| Error::internal("reading the data dir", e))
}

/// `mycloud check`, and with `repair` first a reaper pass. Exit 1 while damage remains:
/// repair cannot bring back missing bytes or fix a size, it only marks such rows missing
/// so clients see it; restore them from a backup (or delete the files) and check again.
pub async fn command(app: &App, repair: bool) -> Result<ExitCode> {
    if repair {
        // No shortcut past the grace period: this may run beside a live server, where a
        // young unreferenced blob is an upload about to commit its row.
        let report = Reaper::new(app).reap_once(Timestamp::now(), false).await?;
        super::reap::print_reap(&report, false);
        println!();
    }
    let found = scan_now(app).await?;
    print(&found);
    Ok(if damaged(&found) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn damaged(scan: &Scan) -> bool {
    !scan.missing.is_empty() || !scan.size_mismatch.is_empty() || !scan.missing_avatars.is_empty()
}

fn print(scan: &Scan) {
    println!("checked {} files", scan.files_checked);
    for m in &scan.missing {
        let marked = if m.marked { " (marked missing)" } else { "" };
        println!("MISSING   {}{marked}", m.path.display());
    }
    for (p, want, got) in &scan.size_mismatch {
        println!("SIZE      {} (database {want}, disk {got})", p.display());
    }
    for p in &scan.missing_avatars {
        println!("MISSING   {} (avatar)", p.display());
    }
    for f in &scan.unreferenced {
        println!(
            "ORPHAN    {} (no row; the reaper removes it)",
            f.path.display()
        );
    }
    let stale_before = Timestamp::now().minus(GRACE);
    let stale: Vec<_> = scan
        .temp
        .iter()
        .filter(|f| f.modified <= stale_before)
        .collect();
    for f in &stale {
        println!(
            "STALE     {} (unfinished upload; the reaper removes it)",
            f.path.display()
        );
    }
    let verdict = if damaged(scan) { "DAMAGED" } else { "OK" };
    println!(
        "{verdict}: {} missing, {} size mismatches, {} missing avatars, {} orphans, {} stale temp files",
        scan.missing.len(),
        scan.size_mismatch.len(),
        scan.missing_avatars.len(),
        scan.unreferenced.len(),
        stale.len()
    );
}
