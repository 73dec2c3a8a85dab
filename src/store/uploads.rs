//! Resumable uploads (tus, DESIGN §13) as the store sees them: one row per upload, whose
//! `offset` only ever names bytes already on disk and fsynced. The SQL is in
//! `sqlite/uploads.rs` and `postgres/uploads.rs`.

use uuid::Uuid;

use super::tree::{OnConflict, Stored};
use super::{Backend, FileRow, Store};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::ids::{FileId, FolderId, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRow {
    pub id: Uuid,
    pub owner_id: UserId,
    /// Who sends it: the owner, or an admin uploading into the owner's files. Only the
    /// sender sees the upload.
    pub created_by: UserId,
    /// Where the file goes; `None`: the root.
    pub folder_id: Option<FolderId>,
    pub filename: String,
    pub comment: String,
    /// The client's `filetype` metadata, if any.
    pub content_type: Option<String>,
    pub on_conflict: OnConflict,
    pub length: u64,
    pub offset: u64,
    /// `Upload-Metadata` as the client sent it, for `HEAD`.
    pub metadata: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// The stored file, once the last byte is in.
    pub file_id: Option<FileId>,
}

impl OnConflict {
    pub fn name(self) -> &'static str {
        match self {
            OnConflict::Fail => "fail",
            OnConflict::Rename => "rename",
            OnConflict::Replace => "replace",
        }
    }

    pub fn parse(name: &str) -> Option<OnConflict> {
        match name {
            "fail" => Some(OnConflict::Fail),
            "rename" => Some(OnConflict::Rename),
            "replace" => Some(OnConflict::Replace),
            _ => None,
        }
    }
}

/// An upload the reaper removed: whose, and whether its bytes were still a part file.
#[derive(Clone, Copy, Debug)]
pub struct Expired {
    pub id: Uuid,
    pub owner_id: UserId,
    pub finished: bool,
}

impl Store {
    /// Records a new upload, unless its owner has `max_unfinished` unfinished ones already
    /// (`false`).
    pub async fn create_upload(&self, upload: UploadRow, max_unfinished: u64) -> Result<bool> {
        dispatch!(self, db => db.create_upload(upload, max_unfinished))
    }

    pub async fn upload(&self, id: Uuid) -> Result<Option<UploadRow>> {
        dispatch!(self, db => db.upload(id))
    }

    /// The unfinished uploads `sender` created, oldest first.
    pub async fn unfinished_uploads(&self, sender: UserId) -> Result<Vec<UploadRow>> {
        dispatch!(self, db => db.unfinished_uploads(sender))
    }

    /// Moves the upload's offset from `from` to `to` (bytes fsynced) and its expiry on;
    /// `false` when the offset was not `from` any more.
    pub async fn advance_upload(
        &self,
        id: Uuid,
        from: u64,
        to: u64,
        expires_at: Timestamp,
    ) -> Result<bool> {
        dispatch!(self, db => db.advance_upload(id, from, to, expires_at))
    }

    /// The last byte is in: stores `file` (blob in place) by `on_conflict` and marks the
    /// upload finished, in one transaction. A folder gone meanwhile puts the file at the
    /// root; a name taken meanwhile under `fail` renames it: the bytes are never lost.
    pub async fn complete_upload(
        &self,
        id: Uuid,
        file: FileRow,
        on_conflict: OnConflict,
    ) -> Result<Stored> {
        dispatch!(self, db => db.complete_upload(id, file, on_conflict))
    }

    pub async fn delete_upload(&self, id: Uuid) -> Result<bool> {
        dispatch!(self, db => db.delete_upload(id))
    }

    /// Deletes the uploads expired at `now`, at most `limit` of them.
    pub async fn expire_uploads(&self, now: Timestamp, limit: usize) -> Result<Vec<Expired>> {
        dispatch!(self, db => db.expire_uploads(now, limit))
    }

    /// How many uploads `expire_uploads` would remove now.
    pub async fn count_expired_uploads(&self, now: Timestamp) -> Result<usize> {
        dispatch!(self, db => db.count_expired_uploads(now))
    }
}
