//! The trash (DESIGN §11) as the store sees it. Deleting a file or folder stamps it and
//! every live entry below it with `trashed_at` and `trash_root` (the id of the item
//! deleted as such) and kills the files' share links; the entries leave every live query.
//! An item is restored or purged by its `trash_root`, so a folder's whole subtree goes
//! and comes back in one go. The SQL is in `sqlite/trash.rs` and `postgres/trash.rs`.

use uuid::Uuid;

use super::{Backend, FileRow, FolderRow, Store};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::ids::{BlobId, FileId, FolderId, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    File,
    Folder,
}

impl ItemKind {
    /// `file` or `folder`, as the API names it.
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::File => "file",
            ItemKind::Folder => "folder",
        }
    }

    /// Its table.
    pub(super) fn table(self) -> &'static str {
        match self {
            ItemKind::File => "files",
            ItemKind::Folder => "folders",
        }
    }
}

/// An entry deleted as such (not each file inside a deleted folder).
#[derive(Clone, Debug)]
pub struct TrashItem {
    pub kind: ItemKind,
    pub id: Uuid,
    pub owner_id: UserId,
    pub name: String,
    /// The folder it was in (`None`: the root, or a folder since purged).
    pub parent: Option<FolderId>,
    /// A file's size, or the bytes of every file deleted with a folder.
    pub size: u64,
    pub trashed_at: Timestamp,
}

/// What a restore brought back.
#[derive(Debug)]
pub enum Restored {
    File(FileRow),
    Folder(FolderRow),
}

/// What one purge step removed: the rows are gone (committed), their blobs are for the
/// caller to remove; `done` once nothing of the item is left.
#[derive(Debug, Default)]
pub struct Purged {
    pub blobs: Vec<(UserId, BlobId)>,
    pub done: bool,
}

/// Rows one purge step deletes at most: a trash of 100,000 files never holds the
/// database's write lock for long.
pub const PURGE_BATCH: usize = 1000;

impl Store {
    /// Moves a live file to the trash; `NotFound` when it is not live.
    pub async fn trash_file(&self, id: FileId, now: Timestamp) -> Result<()> {
        dispatch!(self, db => db.trash_file(id, now))
    }

    /// Moves a live folder and every live entry below it to the trash.
    pub async fn trash_folder(&self, id: FolderId, now: Timestamp) -> Result<()> {
        dispatch!(self, db => db.trash_folder(id, now))
    }

    /// `owner`'s trash, newest first, after `after` (the last item of the page before).
    pub async fn trash_page(
        &self,
        owner: UserId,
        after: Option<(Timestamp, Uuid)>,
        limit: usize,
    ) -> Result<Vec<TrashItem>> {
        dispatch!(self, db => db.trash_page(owner, after, limit))
    }

    /// The trash item `id` of `kind`, if it is one.
    pub async fn trash_item(&self, kind: ItemKind, id: Uuid) -> Result<Option<TrashItem>> {
        dispatch!(self, db => db.trash_item(kind, id))
    }

    /// Brings an item back into the folder it was in (the root when that folder is gone
    /// or in the trash itself), with ` (restored)` before the extension on a name clash.
    pub async fn restore(&self, kind: ItemKind, id: Uuid, now: Timestamp) -> Result<Restored> {
        dispatch!(self, db => db.restore(kind, id, now))
    }

    /// Deletes up to `PURGE_BATCH` rows of the item in one transaction; call again until
    /// `done`. `NotFound` when there is no such item in the trash.
    pub async fn purge_step(&self, kind: ItemKind, id: Uuid) -> Result<Purged> {
        dispatch!(self, db => db.purge_step(kind, id, PURGE_BATCH))
    }

    /// Up to `limit` items trashed before `cutoff` (all of `owner`'s when given), oldest
    /// first: what the reaper (or emptying the trash) purges next.
    pub async fn trash_before(
        &self,
        cutoff: Timestamp,
        owner: Option<UserId>,
        limit: usize,
    ) -> Result<Vec<(ItemKind, Uuid)>> {
        dispatch!(self, db => db.trash_before(cutoff, owner, limit))
    }
}
