//! The folder tree (DESIGN §10) as the store sees it: folder rows, one namespace per
//! folder, keyset pages of a folder's contents, search, and the `Store` calls over them.
//! The SQL is in `sqlite/tree.rs` and `postgres/tree.rs`; what both share (the order of a
//! page, the fold of a name, the names given on a clash) is decided here, once.

use uuid::Uuid;

use super::{Backend, FileRow, Store};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{BlobId, FileId, FolderId, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderRow {
    pub id: FolderId,
    pub owner_id: UserId,
    /// `None`: the folder is at the account's root.
    pub parent_id: Option<FolderId>,
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// `Some` while the folder is in the trash.
    pub trash: Option<super::Trashed>,
    /// Its public link and the link's rules, while it is shared.
    pub share: Option<super::Share>,
}

/// One step of a breadcrumb trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathEntry {
    pub id: FolderId,
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Name,
    Size,
    Uploaded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

/// The value a row sorts by: a folded name, or a size or time as an integer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortValue {
    Text(String),
    Int(i64),
}

/// Where a page starts: just after this entry. Folders come before files, so a position
/// among the files implies every folder was listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum After {
    Folder { key: SortValue, id: Uuid },
    File { key: SortValue, id: Uuid },
}

/// The key of a folder or file under `sort`; the dialects compare the same columns.
pub fn folder_key(folder: &FolderRow, sort: Sort) -> SortValue {
    match sort {
        // Folders have no size: by size, they come in name order before the files.
        Sort::Name | Sort::Size => SortValue::Text(fold(&folder.name)),
        Sort::Uploaded => SortValue::Int(folder.created_at.millis()),
    }
}

pub fn file_key(file: &FileRow, sort: Sort) -> SortValue {
    match sort {
        Sort::Name => SortValue::Text(fold(&file.name)),
        Sort::Size => SortValue::Int(file.size as i64),
        Sort::Uploaded => SortValue::Int(file.uploaded_at.millis()),
    }
}

/// One page of a folder: at most `limit` entries in all, folders first.
#[derive(Debug, Default)]
pub struct Page {
    pub folders: Vec<FolderRow>,
    pub files: Vec<FileRow>,
    /// `None` on the last page.
    pub next: Option<After>,
}

/// A search hit's place: the folders it lives in, from the root's child down.
#[derive(Debug, Default)]
pub struct Hits {
    pub folders: Vec<(FolderRow, Vec<PathEntry>)>,
    pub files: Vec<(FileRow, Vec<PathEntry>)>,
    pub next: Option<After>,
}

/// What an upload does when its name is taken in its folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnConflict {
    /// 409 `name_taken`.
    Fail,
    /// Store it as `name (1).ext`, `name (2).ext`, … whichever is free first.
    Rename,
    /// Give the existing file the new bytes, keeping its id, comment and share link.
    Replace,
}

/// What storing an upload did.
#[derive(Debug)]
pub enum Stored {
    New(FileRow),
    /// An existing file took the new bytes; its old blob is no longer referenced.
    Replaced {
        file: FileRow,
        old_blob: BlobId,
    },
}

/// A change to a folder: a new name, a new parent (`Some(None)`: the root), or both.
#[derive(Default)]
pub struct FolderChanges {
    pub name: Option<String>,
    pub parent: Option<Option<FolderId>>,
}

/// The Unicode lower case of a name or comment: what sorting by name and searching
/// compare, stored beside the text (SQLite's lower() folds ASCII only, PostgreSQL's
/// depends on the cluster's locale; this is the same everywhere).
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// `name` with ` (n)` before its extension: `report (2).pdf`, `notes (1)`, `.bashrc (3)`.
/// The stem is shortened (at a character boundary) so the result stays within 255 bytes.
pub fn numbered_name(name: &str, n: u64) -> String {
    suffixed_name(name, &format!(" ({n})"))
}

/// `name` with `suffix` before its extension, within 255 bytes.
pub fn suffixed_name(name: &str, suffix: &str) -> String {
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    let room = 255usize.saturating_sub(suffix.len() + ext.len());
    let mut cut = stem.len().min(room);
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{suffix}{ext}", &stem[..cut])
}

/// 409 `name_taken`, naming `name`.
pub fn name_taken() -> Error {
    Error::Conflict {
        code: "name_taken",
        field: Some("name"),
        message: "a file or folder of this name is already in that folder".into(),
    }
}

/// Whether `e` is `name_taken`.
pub fn is_name_taken(e: &Error) -> bool {
    matches!(
        e,
        Error::Conflict {
            code: "name_taken",
            ..
        }
    )
}

/// 409 `cycle`: a folder cannot move into itself or below itself.
pub fn cycle() -> Error {
    Error::Conflict {
        code: "cycle",
        field: Some("parent_id"),
        message: "a folder cannot move into itself or one of its subfolders".into(),
    }
}

impl Store {
    /// Fails with `NotFound` when `parent` is not one of `owner`'s folders, and
    /// `name_taken` when the name is in use there.
    pub async fn create_folder(
        &self,
        owner: UserId,
        parent: Option<FolderId>,
        name: String,
        now: Timestamp,
    ) -> Result<FolderRow> {
        let folder = FolderRow {
            id: FolderId::new(),
            owner_id: owner,
            parent_id: parent,
            name,
            created_at: now,
            updated_at: now,
            trash: None,
            share: None,
        };
        dispatch!(self, db => db.create_folder(folder))
    }

    pub async fn folder(&self, id: FolderId) -> Result<Option<FolderRow>> {
        dispatch!(self, db => db.folder(id))
    }

    /// The breadcrumbs of `id`: its ancestors from the root's child down, then itself.
    pub async fn folder_path(&self, id: FolderId) -> Result<Vec<PathEntry>> {
        dispatch!(self, db => db.folder_path(id))
    }

    /// Renames and/or moves the folder in one row update; `cycle` when the new parent is
    /// the folder or below it, `NotFound` when the new parent is not the owner's folder.
    pub async fn update_folder(
        &self,
        id: FolderId,
        changes: FolderChanges,
        now: Timestamp,
    ) -> Result<FolderRow> {
        dispatch!(self, db => db.update_folder(id, changes, now))
    }

    /// Deletes the folder, its subfolders and their files in one transaction and returns
    /// the blobs that were theirs; the caller removes them after the commit.
    pub async fn delete_folder(&self, id: FolderId) -> Result<Vec<(UserId, BlobId)>> {
        dispatch!(self, db => db.delete_folder(id))
    }

    /// One page of `folder` (`None`: the root) of `owner`, after `after`.
    pub async fn folder_page(
        &self,
        owner: UserId,
        folder: Option<FolderId>,
        sort: Sort,
        order: Order,
        after: Option<After>,
        limit: usize,
    ) -> Result<Page> {
        folders_then_files(
            after,
            limit,
            sort,
            async |after, n| {
                dispatch!(self, db => db.child_folders(owner, folder, sort, order, after, n))
            },
            async |after, n| {
                dispatch!(self, db => db.child_files(owner, folder, sort, order, after, n))
            },
        )
        .await
    }

    /// Every file of `owner`, newest first, after `after` (the last file of the page
    /// before), at most `limit`; and the position of the next page.
    pub async fn files_page(
        &self,
        owner: UserId,
        after: Option<(Timestamp, FileId)>,
        limit: usize,
    ) -> Result<(Vec<FileRow>, Option<(Timestamp, FileId)>)> {
        let mut files = dispatch!(self, db => db.files_page(owner, after, limit + 1))?;
        let mut next = None;
        if files.len() > limit {
            files.truncate(limit);
            next = files.last().map(|f| (f.uploaded_at, f.id));
        }
        Ok((files, next))
    }

    /// Folders whose name, and files whose name or comment, contain `query`
    /// case-insensitively, each with its path; folders first, by name.
    pub async fn search(
        &self,
        owner: UserId,
        query: &str,
        after: Option<After>,
        limit: usize,
    ) -> Result<Hits> {
        let pattern = like_pattern(&fold(query));
        let page = folders_then_files(
            after,
            limit,
            Sort::Name,
            async |after, n| {
                dispatch!(self, db => db.search_folders(owner, pattern.clone(), after, n))
            },
            async |after, n| {
                dispatch!(self, db => db.search_files(owner, pattern.clone(), after, n))
            },
        )
        .await?;
        self.with_paths(page.folders, page.files, page.next).await
    }

    async fn with_paths(
        &self,
        folders: Vec<FolderRow>,
        files: Vec<FileRow>,
        next: Option<After>,
    ) -> Result<Hits> {
        let mut parents: Vec<FolderId> = folders
            .iter()
            .filter_map(|f| f.parent_id)
            .chain(files.iter().filter_map(|f| f.folder_id))
            .collect();
        parents.sort();
        parents.dedup();
        let paths = dispatch!(self, db => db.folder_paths(parents))?;
        let path_of = |parent: Option<FolderId>| {
            parent
                .and_then(|p| paths.iter().find(|(id, _)| *id == p))
                .map(|(_, path)| path.clone())
                .unwrap_or_default()
        };
        Ok(Hits {
            folders: folders
                .into_iter()
                .map(|f| {
                    let path = path_of(f.parent_id);
                    (f, path)
                })
                .collect(),
            files: files
                .into_iter()
                .map(|f| {
                    let path = path_of(f.folder_id);
                    (f, path)
                })
                .collect(),
            next,
        })
    }

    /// The paths of `ids` (see `folder_path`), for the folders that exist.
    pub async fn folder_paths(
        &self,
        ids: Vec<FolderId>,
    ) -> Result<Vec<(FolderId, Vec<PathEntry>)>> {
        dispatch!(self, db => db.folder_paths(ids))
    }

    /// Stores a new file row whose blob is already in place, by `on_conflict` when its
    /// name is taken. `NotFound` when the owner or the folder is gone.
    pub async fn store_file(&self, file: FileRow, on_conflict: OnConflict) -> Result<Stored> {
        dispatch!(self, db => db.store_file(file, on_conflict))
    }

    /// Whether a file or folder of `folder` (`None`: the root) is called exactly `name`.
    pub async fn name_in_use(
        &self,
        owner: UserId,
        folder: Option<FolderId>,
        name: &str,
    ) -> Result<bool> {
        let name = name.to_string();
        dispatch!(self, db => db.name_in_use(owner, folder, name))
    }

    /// Renames, comments and/or moves a file; `name_taken` on a clash at the destination.
    pub async fn update_file(
        &self,
        id: FileId,
        changes: super::FileChanges,
    ) -> Result<Option<FileRow>> {
        dispatch!(self, db => db.update_file(id, changes))
    }

    /// The files and folders below `root` (`None`: the whole account), each folder before
    /// what it holds, with their paths relative to `root`: what a zip of it holds.
    pub async fn subtree(&self, owner: UserId, root: Option<FolderId>) -> Result<Vec<TreeEntry>> {
        dispatch!(self, db => db.subtree(owner, root))
    }
}

/// A position among the folders or the files: the key and id of the last entry seen.
type Position = Option<(SortValue, Uuid)>;

/// One page of a listing that holds folders first, then files, at most `limit` entries
/// in all: the folders after `after` (if it is among them), then as many files as fit.
/// Each fetch is asked for one row more than it may return, to know whether more follow.
async fn folders_then_files(
    after: Option<After>,
    limit: usize,
    sort: Sort,
    folders: impl AsyncFnOnce(Position, usize) -> Result<Vec<FolderRow>>,
    files: impl AsyncFnOnce(Position, usize) -> Result<Vec<FileRow>>,
) -> Result<Page> {
    let mut page = Page::default();
    let after_file = match after {
        Some(After::File { key, id }) => Some((key, id)),
        Some(After::Folder { key, id }) => {
            page.folders = folders(Some((key, id)), limit + 1).await?;
            None
        }
        None => {
            page.folders = folders(None, limit + 1).await?;
            None
        }
    };
    if page.folders.len() > limit {
        page.folders.truncate(limit);
        page.next = page.folders.last().map(|f| After::Folder {
            key: folder_key(f, sort),
            id: f.id.0,
        });
        return Ok(page);
    }
    let room = limit - page.folders.len();
    page.files = files(after_file, room + 1).await?;
    if page.files.len() > room {
        page.files.truncate(room);
        page.next = match (page.files.last(), page.folders.last()) {
            (Some(f), _) => Some(After::File {
                key: file_key(f, sort),
                id: f.id.0,
            }),
            // The page filled up with folders exactly: the files follow on the next.
            (None, Some(f)) => Some(After::Folder {
                key: folder_key(f, sort),
                id: f.id.0,
            }),
            (None, None) => None,
        };
    }
    Ok(page)
}

/// One entry of a subtree: its path below the subtree's root, `/`-separated.
#[derive(Debug)]
pub enum TreeEntry {
    Folder { path: String },
    File { path: String, file: Box<FileRow> },
}

/// `%text%` for LIKE, with LIKE's own wildcards and the escape character escaped.
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names_go_before_the_extension() {
        assert_eq!(numbered_name("report.pdf", 2), "report (2).pdf");
        assert_eq!(numbered_name("archive.tar.gz", 1), "archive.tar (1).gz");
        assert_eq!(numbered_name("notes", 3), "notes (3)");
        assert_eq!(numbered_name(".bashrc", 2), ".bashrc (2)");
        assert_eq!(suffixed_name("a.txt", " (restored)"), "a (restored).txt");
    }

    #[test]
    fn numbered_names_stay_within_255_bytes_at_a_char_boundary() {
        let long = format!("{}.txt", "я".repeat(125)); // 250 + 4 bytes
        let numbered = numbered_name(&long, 12);
        assert!(numbered.len() <= 255, "{}", numbered.len());
        assert!(numbered.ends_with(" (12).txt"));
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn fold_is_unicode_lower_case() {
        assert_eq!(fold("ОТЧЁТ Résumé"), "отчёт résumé");
    }
}
