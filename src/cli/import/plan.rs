//! The first step of an import: what DIR holds, walked without following a symlink, as
//! the folders to make (parents first), the files to copy, and what is skipped and why.

use std::collections::HashSet;
use std::fs::{self, DirEntry, FileType};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::validate::FileName;

/// A folder to create: its parent in the plan (`None`: the target) and its name.
pub(super) struct PlannedFolder {
    pub(super) parent: Option<usize>,
    pub(super) name: FileName,
    pub(super) shown: String,
}

pub(super) struct PlannedFile {
    pub(super) folder: Option<usize>,
    pub(super) name: FileName,
    pub(super) path: PathBuf,
    pub(super) shown: String,
    pub(super) size: u64,
}

/// Something listed in the summary: its path below DIR (as shown) and why.
pub(super) struct Listed {
    pub(super) shown: String,
    pub(super) why: String,
}

/// DIR as it will be imported: folders before their contents.
#[derive(Default)]
pub(super) struct Plan {
    pub(super) folders: Vec<PlannedFolder>,
    pub(super) files: Vec<PlannedFile>,
    pub(super) total_bytes: u64,
    pub(super) skipped: Vec<Listed>,
    pub(super) unreadable: Vec<Listed>,
}

impl Plan {
    /// Walks `root` depth first, in name order, never following a symlink. `data_dir` (its
    /// device and inode) is skipped if it is inside: the import would read its own blobs.
    pub(super) fn walk(root: &Path, data_dir: Option<(u64, u64)>) -> Plan {
        let mut plan = Plan::default();
        // Directories by device and inode, so that a bind mount of an ancestor (a loop
        // without a symlink) is entered once.
        let mut seen = HashSet::new();
        if let Ok(meta) = fs::metadata(root) {
            seen.insert((meta.dev(), meta.ino()));
        }
        let mut stack: Vec<(PathBuf, Option<usize>, String)> =
            vec![(root.to_path_buf(), None, String::new())];
        while let Some((dir, folder, shown)) = stack.pop() {
            let entries = match read_sorted(&dir) {
                Ok(entries) => entries,
                Err(e) => {
                    let shown = if shown.is_empty() { ".".into() } else { shown };
                    plan.unreadable.push(Listed {
                        shown,
                        why: e.to_string(),
                    });
                    continue;
                }
            };
            let mut below = Vec::new();
            for entry in entries {
                let os_name = entry.file_name();
                let shown = join(&shown, &os_name.to_string_lossy());
                let mut skip = |why: String| {
                    plan.skipped.push(Listed {
                        shown: shown.clone(),
                        why,
                    })
                };
                let kind = match entry.file_type() {
                    Ok(kind) => kind,
                    Err(e) => {
                        plan.unreadable.push(Listed {
                            shown: shown.clone(),
                            why: e.to_string(),
                        });
                        continue;
                    }
                };
                if kind.is_symlink() {
                    skip("symlink (not followed)".into());
                    continue;
                }
                if !kind.is_dir() && !kind.is_file() {
                    skip(format!("special file ({})", special_kind(kind)));
                    continue;
                }
                let name = match os_name.to_str().map(FileName::parse) {
                    None => Err("is not UTF-8".to_string()),
                    Some(parsed) => parsed,
                };
                let name = match name {
                    Ok(name) => name,
                    Err(m) => {
                        let what = if kind.is_dir() {
                            "folder name"
                        } else {
                            "file name"
                        };
                        skip(format!("{what} refused: {m}"));
                        continue;
                    }
                };
                // DirEntry::metadata does not follow symlinks.
                let meta = entry.metadata();
                if kind.is_dir() {
                    let key = meta.as_ref().ok().map(|m| (m.dev(), m.ino()));
                    if key.is_some() && key == data_dir {
                        skip("the server's data dir".into());
                        continue;
                    }
                    if key.is_some_and(|k| !seen.insert(k)) {
                        skip("a directory already imported from elsewhere (a bind mount?)".into());
                        continue;
                    }
                    plan.folders.push(PlannedFolder {
                        parent: folder,
                        name,
                        shown: shown.clone(),
                    });
                    below.push((entry.path(), Some(plan.folders.len() - 1), shown));
                } else {
                    let size = meta.map(|m| m.len()).unwrap_or(0);
                    plan.total_bytes += size;
                    plan.files.push(PlannedFile {
                        folder,
                        name,
                        path: entry.path(),
                        shown,
                        size,
                    });
                }
            }
            // Reversed, so that the stack gives them back in name order.
            stack.extend(below.into_iter().rev());
        }
        plan
    }
}

fn read_sorted(dir: &Path) -> io::Result<Vec<DirEntry>> {
    let mut entries = fs::read_dir(dir)?.collect::<io::Result<Vec<_>>>()?;
    entries.sort_by_key(DirEntry::file_name);
    Ok(entries)
}

fn special_kind(kind: FileType) -> &'static str {
    if kind.is_fifo() {
        "fifo"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_block_device() {
        "block device"
    } else if kind.is_char_device() {
        "character device"
    } else {
        "unknown type"
    }
}

/// `parent/name`, with control characters escaped: a refused name may hold a line break,
/// and the summary is one entry a line.
fn join(parent: &str, name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    if parent.is_empty() {
        name
    } else {
        format!("{parent}/{name}")
    }
}
