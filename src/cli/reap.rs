//! `mycloud reap [--dry-run]`: one reaper pass now, printed as a table of what it
//! removed (or would remove) and the rows it found without their bytes.

use std::process::ExitCode;

use crate::app::App;
use crate::clock::Timestamp;
use crate::jobs::reaper::{Reaper, Report};

pub async fn run(app: &App, dry_run: bool) -> Result<ExitCode, String> {
    let report = Reaper::new(app)
        .reap_once(Timestamp::now(), dry_run)
        .await
        .map_err(|e| e.to_string())?;
    print_reap(&report, dry_run);
    Ok(ExitCode::SUCCESS)
}

/// A pass as a small table of counts, then every path it deleted (or would) and every
/// row it found without its bytes.
pub fn print_reap(report: &Report, dry_run: bool) {
    println!("{:<24} {:>6}  ACTION", "WHAT", "COUNT");
    for (what, count, action) in report.rows(dry_run) {
        println!("{what:<24} {count:>6}  {action}");
    }
    let verb = if dry_run { "would remove" } else { "removed" };
    for (kind, path) in report.deleted() {
        println!("{verb} {kind:<6} {}", path.display());
    }
    for path in &report.missing {
        println!("missing      {}", path.display());
    }
}
