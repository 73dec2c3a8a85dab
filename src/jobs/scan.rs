//! One walk of the data dir against what the database references: the facts behind
//! `mycloud check`, the reaper and `check --repair`. It only reads; what to do about each
//! finding is the caller's decision. It never follows a symlink: entries are typed by
//! `DirEntry::file_type` and `symlink_metadata`, and a folder that is a link is never
//! entered.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::blobs::Blobs;
use crate::clock::Timestamp;
use crate::ids::{BlobId, FileId};
use crate::store::References;

/// A regular file or folder and when it last changed.
#[derive(Debug)]
pub struct Aged {
    pub path: PathBuf,
    pub modified: Timestamp,
}

/// A row whose blob is not a regular file on disk.
#[derive(Debug)]
pub struct MissingBlob {
    pub id: FileId,
    /// The blob the row named when it was read: a replace since then is not a loss.
    pub blob: BlobId,
    pub path: PathBuf,
    pub marked: bool,
}

/// A folder under `files/` or `avatars/` named after no existing user.
#[derive(Debug)]
pub struct ForeignFolder {
    pub folder: Aged,
    /// It holds something other than regular files (a link, a folder): never removed.
    pub holds_other: bool,
}

#[derive(Debug, Default)]
pub struct Scan {
    pub files_checked: usize,
    pub missing: Vec<MissingBlob>,
    /// Rows marked missing whose blob is back (restored from a backup).
    pub restored: Vec<(FileId, PathBuf)>,
    /// Blobs whose size differs from the row: (path, expected, actual).
    pub size_mismatch: Vec<(PathBuf, u64, u64)>,
    pub missing_avatars: Vec<PathBuf>,
    /// Regular files under `files/` or `avatars/` that no row references.
    pub unreferenced: Vec<Aged>,
    /// Regular files in `tmp/`.
    pub temp: Vec<Aged>,
    pub foreign_folders: Vec<ForeignFolder>,
}

/// Compares `refs` with the disk. Read the references first, then walk: an upload renames
/// its blob into place before its row commits, so a row read earlier always finds its
/// blob, and a blob whose row is not yet read is young (see the reaper's grace period).
pub fn scan(blobs: &Blobs, refs: &References) -> io::Result<Scan> {
    let mut scan = Scan {
        files_checked: refs.blobs.len(),
        ..Scan::default()
    };
    let mut expected: HashSet<PathBuf> = HashSet::new();
    for b in &refs.blobs {
        let path = blobs.file_path(b.owner_id, b.blob_id);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => {
                if m.len() != b.size {
                    scan.size_mismatch.push((path.clone(), b.size, m.len()));
                }
                if b.marked_missing {
                    scan.restored.push((b.file_id, path.clone()));
                }
            }
            _ => scan.missing.push(MissingBlob {
                id: b.file_id,
                blob: b.blob_id,
                path: path.clone(),
                marked: b.marked_missing,
            }),
        }
        expected.insert(path);
    }
    for (owner, name) in &refs.avatars {
        let path = blobs.avatar_path(*owner, name);
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            scan.missing_avatars.push(path.clone());
        }
        expected.insert(path);
    }
    let mut parts = HashSet::new();
    for (owner, id) in &refs.uploads {
        expected.insert(blobs.file_path(*owner, BlobId(*id)));
        parts.insert(blobs.part_path(*id));
    }
    let users: HashSet<String> = refs.users.iter().map(|u| u.to_string()).collect();
    for top in [blobs.files_root(), blobs.avatars_root()] {
        walk_top(&top, &expected, &users, &mut scan)?;
    }
    scan.temp = list(&blobs.tmp_root())?.files;
    // Parts of uploads that are gone (the row went, the file stayed: a crash between).
    scan.temp.extend(
        list(&blobs.parts_root())?
            .files
            .into_iter()
            .filter(|f| !parts.contains(&f.path)),
    );
    scan.unreferenced.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(scan)
}

/// `<top>/<user>/<name>`: unreferenced regular files at either depth, and the folders of
/// users that no longer exist.
fn walk_top(
    top: &Path,
    expected: &HashSet<PathBuf>,
    users: &HashSet<String>,
    scan: &mut Scan,
) -> io::Result<()> {
    let top = list(top)?;
    scan.unreferenced.extend(top.files);
    for folder in top.folders {
        let inside = list(&folder.path)?;
        let holds_other = !inside.folders.is_empty() || inside.others > 0;
        scan.unreferenced.extend(
            inside
                .files
                .into_iter()
                .filter(|f| !expected.contains(&f.path)),
        );
        let owner = folder.path.file_name().map(|n| n.to_string_lossy());
        if !owner.is_some_and(|o| users.contains(o.as_ref())) {
            scan.foreign_folders.push(ForeignFolder {
                folder,
                holds_other,
            });
        }
    }
    Ok(())
}

/// What one folder holds, by kind.
#[derive(Default)]
struct Listing {
    files: Vec<Aged>,
    folders: Vec<Aged>,
    /// Links, sockets and the like: never touched.
    others: usize,
}

/// The entries of `dir`; a `dir` that does not exist is empty.
fn list(dir: &Path) -> io::Result<Listing> {
    let mut listing = Listing::default();
    let entries = match fs::read_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(listing),
        entries => entries?,
    };
    for entry in entries {
        let entry = entry?;
        // `DirEntry::metadata` does not follow symlinks: a link is an "other", whatever
        // it points to.
        let meta = match entry.metadata() {
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue, // gone meanwhile
            meta => meta?,
        };
        let aged = Aged {
            path: entry.path(),
            modified: meta
                .modified()
                .map(Timestamp::from_system)
                .unwrap_or(Timestamp(0)),
        };
        if meta.file_type().is_file() {
            listing.files.push(aged);
        } else if meta.file_type().is_dir() {
            listing.folders.push(aged);
        } else {
            listing.others += 1;
        }
    }
    Ok(listing)
}
