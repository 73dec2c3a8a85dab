//! Shares with rules and file requests (DESIGN §12) as the store sees them. A share lives
//! on its file's or folder's row (it dies with it); a file request is a row of its own.
//! The SQL is in `sqlite/shares.rs` and `postgres/shares.rs`.

use uuid::Uuid;

use super::trash::ItemKind;
use super::{Backend, FileRow, FolderRow, Store};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::ids::{FolderId, UserId};

/// A public link to a file or a folder, and its rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    pub token: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    /// A password hash in the accounts' format; `None`: no password.
    pub password_hash: Option<String>,
    pub max_downloads: Option<u64>,
    /// Responses that started at byte 0.
    pub download_count: u64,
}

/// The assignments that end a share: the token and every rule go, the count starts over.
pub const NO_SHARE: &str = "share_token = NULL, shared_at = NULL, share_expires_at = NULL, \
     share_password = NULL, share_max_downloads = NULL, share_downloads = 0";

/// Changes to a share's rules; `None` leaves a rule as it is, `Some(None)` removes it.
#[derive(Clone, Debug, Default)]
pub struct ShareRules {
    pub expires_at: Option<Option<Timestamp>>,
    pub password_hash: Option<Option<String>>,
    pub max_downloads: Option<Option<u64>>,
}

/// What a share token opens, or what `GET /api/shares` lists.
#[derive(Clone, Debug)]
pub enum Shared {
    File(FileRow),
    Folder(FolderRow),
}

impl Shared {
    pub fn share(&self) -> Option<&Share> {
        match self {
            Shared::File(f) => f.share.as_ref(),
            Shared::Folder(f) => f.share.as_ref(),
        }
    }

    pub fn kind(&self) -> ItemKind {
        match self {
            Shared::File(_) => ItemKind::File,
            Shared::Folder(_) => ItemKind::Folder,
        }
    }

    pub fn id(&self) -> Uuid {
        match self {
            Shared::File(f) => f.id.0,
            Shared::Folder(f) => f.id.0,
        }
    }

    pub fn owner_id(&self) -> UserId {
        match self {
            Shared::File(f) => f.owner_id,
            Shared::Folder(f) => f.owner_id,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Shared::File(f) => &f.name,
            Shared::Folder(f) => &f.name,
        }
    }
}

/// A link through which anyone may drop files into a folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRequest {
    pub id: Uuid,
    pub token: String,
    pub owner_id: UserId,
    pub folder_id: FolderId,
    pub label: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub max_files: Option<u64>,
    pub max_bytes: Option<u64>,
    pub password_hash: Option<String>,
    /// Files received, counting those on their way in.
    pub file_count: u64,
    pub bytes_received: u64,
}

impl Store {
    /// Shares a live file or folder (with `token`, unless it is shared already: the link
    /// stays) and applies `rules`. `false` when there is no such live entry.
    pub async fn share(
        &self,
        kind: ItemKind,
        id: Uuid,
        token: String,
        rules: ShareRules,
        now: Timestamp,
    ) -> Result<bool> {
        dispatch!(self, db => db.share(kind, id, token, rules, now))
    }

    /// Changes the rules of a live entry's share; `false` when it is not shared.
    pub async fn update_share(&self, kind: ItemKind, id: Uuid, rules: ShareRules) -> Result<bool> {
        dispatch!(self, db => db.update_share(kind, id, rules))
    }

    /// Ends the entry's share, if any: the link dies for good.
    pub async fn unshare(&self, kind: ItemKind, id: Uuid) -> Result<()> {
        dispatch!(self, db => db.unshare(kind, id))
    }

    /// The live file or folder shared with `token`.
    pub async fn shared(&self, token: String) -> Result<Option<Shared>> {
        dispatch!(self, db => db.shared(token))
    }

    /// Counts one download of the entry shared with `token`, unless its limit is reached
    /// (`false`). One statement: exact under any number of concurrent downloads.
    pub async fn count_download(&self, kind: ItemKind, id: Uuid, token: String) -> Result<bool> {
        dispatch!(self, db => db.count_download(kind, id, token))
    }

    /// The live shares of `owner` (`None`: everyone's), newest first.
    pub async fn shares(&self, owner: Option<UserId>) -> Result<Vec<Shared>> {
        let (files, folders) = dispatch!(self, db => db.shares(owner))?;
        let mut all: Vec<Shared> = files
            .into_iter()
            .map(Shared::File)
            .chain(folders.into_iter().map(Shared::Folder))
            .collect();
        all.sort_by_key(|s| std::cmp::Reverse((s.share().map(|sh| sh.created_at), s.id())));
        Ok(all)
    }

    /// The live file or folder called `name` in `folder` of `owner`.
    pub async fn child_named(
        &self,
        owner: UserId,
        folder: FolderId,
        name: String,
    ) -> Result<Option<Shared>> {
        dispatch!(self, db => db.child_named(owner, folder, name))
    }

    /// Stores a new file request; `NotFound` when the folder is not its owner's live one.
    pub async fn create_request(&self, request: FileRequest) -> Result<()> {
        dispatch!(self, db => db.create_request(request))
    }

    /// The file requests of `owner` (`None`: everyone's), newest first.
    pub async fn requests(&self, owner: Option<UserId>) -> Result<Vec<FileRequest>> {
        dispatch!(self, db => db.requests(owner))
    }

    pub async fn request(&self, id: Uuid) -> Result<Option<FileRequest>> {
        dispatch!(self, db => db.request(id))
    }

    /// The request of `token`, if its folder is live.
    pub async fn request_by_token(&self, token: String) -> Result<Option<FileRequest>> {
        dispatch!(self, db => db.request_by_token(token))
    }

    pub async fn delete_request(&self, id: Uuid) -> Result<bool> {
        dispatch!(self, db => db.delete_request(id))
    }

    /// Takes one of the request's file slots (`false` when `max_files` are taken).
    pub async fn claim_request_file(&self, id: Uuid) -> Result<bool> {
        dispatch!(self, db => db.claim_request_file(id))
    }

    /// Gives back a slot whose upload did not land, and the `bytes` it had added.
    pub async fn release_request_file(&self, id: Uuid, bytes: u64) -> Result<()> {
        dispatch!(self, db => db.release_request_file(id, bytes))
    }

    /// Adds `size` received bytes unless that passes `max_bytes` (`false`).
    pub async fn add_request_bytes(&self, id: Uuid, size: u64) -> Result<bool> {
        dispatch!(self, db => db.add_request_bytes(id, size))
    }
}
