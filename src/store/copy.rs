//! Rows in transit for `mycloud migrate-data`: what one dialect's export sends to the
//! other's import, and the rules both sides share (an empty target, matching tallies).

use super::{FileRequest, FileRow, FolderRow, User};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{TokenHash, UserId};

/// Every column of a `users` row: what `migrate-data` copies.
pub struct UserRecord {
    pub user: User,
    pub password_hash: String,
    pub quota_bytes: Option<u64>,
}

/// Every column of a `sessions` row: what `migrate-data` copies.
pub struct SessionRecord {
    pub token_hash: TokenHash,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub user_agent: String,
    pub ip: String,
}

/// Rows on their way from one database to another: all users, then all sessions, then
/// all folders (each after its parent), then all files, then all file requests, then `End`.
pub enum Batch {
    Users(Vec<UserRecord>),
    Sessions(Vec<SessionRecord>),
    Folders(Vec<FolderRow>),
    Files(Vec<FileRow>),
    Requests(Vec<FileRequest>),
    /// The export is complete and sent this many rows; anything else is an aborted copy.
    End(Counts),
}

/// Rows per `Batch`: enough to amortise a round trip, small enough to keep memory flat.
pub const BATCH_ROWS: usize = 1000;

/// How many rows each table holds (or a copy moved).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub users: u64,
    pub sessions: u64,
    pub folders: u64,
    pub files: u64,
    pub requests: u64,
}

impl Counts {
    pub fn is_empty(&self) -> bool {
        *self == Counts::default()
    }

    /// Adds the rows of a data batch.
    pub(super) fn add(&mut self, batch: &Batch) {
        match batch {
            Batch::Users(rows) => self.users += rows.len() as u64,
            Batch::Sessions(rows) => self.sessions += rows.len() as u64,
            Batch::Folders(rows) => self.folders += rows.len() as u64,
            Batch::Files(rows) => self.files += rows.len() as u64,
            Batch::Requests(rows) => self.requests += rows.len() as u64,
            Batch::End(_) => {}
        }
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} users, {} sessions, {} folders, {} files, {} file requests",
            self.users, self.sessions, self.folders, self.files, self.requests
        )
    }
}

/// The importers' refusal to mix copied rows into existing ones.
pub(super) fn not_empty(found: Counts) -> Error {
    Error::Conflict {
        code: "not_empty",
        field: None,
        message: format!(
            "the target database already holds {found}; migrate-data copies only into an empty database"
        ),
    }
}

/// Checks an importer's tally against the exporter's before the commit.
pub(super) fn check_copied(exported: Counts, imported: Counts) -> Result<()> {
    if exported == imported {
        return Ok(());
    }
    Err(Error::Internal(format!(
        "the source sent {exported} but {imported} arrived; nothing was written"
    )))
}

/// The exporters' error when the importer stopped taking rows (the importer says why).
pub(super) fn target_stopped() -> Error {
    Error::Internal("the target database stopped taking rows".into())
}
