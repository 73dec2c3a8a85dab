//! What an import tells the operator: a progress line while it runs (on a terminal only)
//! and the summary at the end, with every skipped, renamed and failed entry listed.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use super::plan::{Listed, PlannedFile};

/// The progress line is redrawn at most this often.
const REDRAW: Duration = Duration::from_millis(100);
/// The progress line's width: no terminal is narrower in practice.
const LINE_WIDTH: usize = 79;

/// What became of one file.
pub(super) enum Outcome {
    New(u64),
    /// Stored under this name, its own being taken.
    Renamed(u64, String),
    Replaced(u64),
    AlreadyThere,
    Skipped(String),
    Failed(String),
}

/// The counts and lists the summary prints.
#[derive(Default)]
pub(super) struct Report {
    pub(super) folders_created: usize,
    pub(super) folders_reused: usize,
    /// Every file whose bytes were stored: new, renamed and replaced.
    imported: usize,
    imported_bytes: u64,
    already_there: usize,
    renamed: Vec<Listed>,
    replaced: usize,
    pub(super) skipped: Vec<Listed>,
    pub(super) failed: Vec<Listed>,
}

impl Report {
    pub(super) fn skip(&mut self, shown: &str, why: &str) {
        self.skipped.push(Listed {
            shown: shown.to_string(),
            why: why.to_string(),
        });
    }

    pub(super) fn record(&mut self, file: &PlannedFile, outcome: Outcome) {
        let listed = |why: String| Listed {
            shown: file.shown.clone(),
            why,
        };
        let stored = match outcome {
            Outcome::New(size) => size,
            Outcome::Renamed(size, name) => {
                self.renamed.push(listed(format!("stored as {name}")));
                size
            }
            Outcome::Replaced(size) => {
                self.replaced += 1;
                size
            }
            Outcome::AlreadyThere => {
                self.already_there += 1;
                return;
            }
            Outcome::Skipped(why) => return self.skipped.push(listed(why)),
            Outcome::Failed(why) => return self.failed.push(listed(why)),
        };
        self.imported += 1;
        self.imported_bytes += stored;
    }

    /// The summary on stdout, each list in path order; what failed on stderr, where the
    /// final error goes too.
    pub(super) fn print(&mut self, dir: &Path, into: &str) {
        for list in [&mut self.renamed, &mut self.skipped, &mut self.failed] {
            list.sort_by(|a, b| a.shown.cmp(&b.shown));
        }
        println!("imported {} into {into}", dir.display());
        println!(
            "  folders created  {:>8}  ({} already there)",
            self.folders_created, self.folders_reused
        );
        println!(
            "  files imported   {:>8}  ({} bytes, {})",
            self.imported,
            self.imported_bytes,
            human_size(self.imported_bytes)
        );
        println!("  already there    {:>8}  (skipped)", self.already_there);
        println!(
            "  renamed          {:>8}  (imported under a new name)",
            self.renamed.len()
        );
        println!(
            "  replaced         {:>8}  (imported over an existing file)",
            self.replaced
        );
        println!(
            "  skipped          {:>8}  (symlinks, special files, refused names…)",
            self.skipped.len()
        );
        println!(
            "  failed           {:>8}  (could not be read)",
            self.failed.len()
        );
        for item in &self.renamed {
            println!("renamed  {}: {}", item.shown, item.why);
        }
        for item in &self.skipped {
            println!("skipped  {}: {}", item.shown, item.why);
        }
        for item in &self.failed {
            eprintln!("failed   {}: {}", item.shown, item.why);
        }
    }
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

/// One line on a terminal, redrawn in place: files done, bytes done, the current file.
/// Silent when stdout is not a terminal (a log or a pipe wants only the summary).
pub(super) struct Progress {
    on: bool,
    files_total: usize,
    bytes_total: u64,
    files_done: usize,
    bytes_done: u64,
    /// Bytes of the current file counted in `bytes_done` so far.
    current_bytes: u64,
    current: String,
    drawn: Option<Instant>,
}

impl Progress {
    pub(super) fn new(files_total: usize, bytes_total: u64) -> Progress {
        Progress {
            on: io::stdout().is_terminal(),
            files_total,
            bytes_total,
            files_done: 0,
            bytes_done: 0,
            current_bytes: 0,
            current: String::new(),
            drawn: None,
        }
    }

    pub(super) fn start(&mut self, shown: &str) {
        self.current = shown.to_string();
        self.current_bytes = 0;
        self.draw(false);
    }

    pub(super) fn advance(&mut self, n: u64) {
        self.current_bytes += n;
        self.bytes_done += n;
        self.draw(false);
    }

    /// The file is done, whatever became of it: its planned size counts as done.
    pub(super) fn finish(&mut self, planned: u64) {
        self.bytes_done = self.bytes_done - self.current_bytes + planned;
        self.files_done += 1;
        self.draw(true);
    }

    fn draw(&mut self, force: bool) {
        if !self.on || (!force && self.drawn.is_some_and(|t| t.elapsed() < REDRAW)) {
            return;
        }
        self.drawn = Some(Instant::now());
        let counts = format!(
            "{}/{} files  {} / {}  ",
            self.files_done,
            self.files_total,
            human_size(self.bytes_done.min(self.bytes_total)),
            human_size(self.bytes_total)
        );
        let room = LINE_WIDTH.saturating_sub(counts.chars().count());
        let name_len = self.current.chars().count();
        // The end of a path says most: keep it, with an ellipsis in front.
        let name: String = if name_len > room {
            std::iter::once('…')
                .chain(self.current.chars().skip(name_len - room + 1))
                .collect()
        } else {
            self.current.clone()
        };
        let line = format!("{counts}{name}");
        let mut out = io::stdout().lock();
        let _ = write!(out, "\r{line:<LINE_WIDTH$}");
        let _ = out.flush();
    }

    /// Erases the line, so the summary starts on a clean one.
    pub(super) fn clear(&mut self) {
        if self.on && self.drawn.is_some() {
            let mut out = io::stdout().lock();
            let _ = write!(out, "\r{:LINE_WIDTH$}\r", "");
            let _ = out.flush();
        }
    }
}
