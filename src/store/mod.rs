//! The store group: what the server remembers about users, sessions and files,
//! independent of the SQL dialect. Handlers call `Store`; all SQL lives in the dialect
//! modules (`sqlite.rs`, `postgres.rs`), and `copy` moves rows between the two. May use
//! only the leaves: the store knows nothing of HTTP, auth or blobs.

/// Calls the same method on whichever backend the store has: `dispatch!(self, db =>
/// db.call(args))`. Defined before the modules below, which use it.
macro_rules! dispatch {
    ($self:ident, $db:ident => $call:expr) => {
        match &$self.backend {
            Backend::Sqlite($db) => $call.await,
            Backend::Postgres($db) => $call.await,
        }
    };
}

mod copy;
mod postgres;
mod shares;
mod sqlite;
mod sqlite_workers;
mod trash;
mod tree;
mod uploads;

use tokio::sync::mpsc;

use copy::Batch;
pub use copy::Counts;
pub use shares::{FileRequest, Share, ShareRules, Shared};
pub use sqlite::backup as backup_sqlite;
pub use trash::{ItemKind, Restored, TrashItem};
pub use tree::{
    After, FolderChanges, FolderRow, OnConflict, Order, PathEntry, Sort, SortValue, Stored,
    TreeEntry, fold, is_name_taken, name_taken,
};
pub use uploads::UploadRow;

use crate::clock::Timestamp;
use crate::config::DatabaseUrl;

/// The newest migration in `migrations/` (the same in both folders). A database already
/// at this version is not handed to refinery's runner at start: the runner parses every
/// migration's name with a regex it then keeps for the life of the process (370 KiB of
/// heap, and the regex engine's code paged in: 1.4 MiB of a 10.8 MiB idle RSS). Any
/// other version, or none, goes through the runner as always. A test holds this equal to
/// the newest file in the migration folders.
const LATEST_MIGRATION: i32 = 10;
use crate::error::{Error, Result};
use crate::ids::{BlobId, FileId, FolderId, TokenHash, UserId};

#[derive(Clone, Debug)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub is_admin: bool,
    /// Stored file name under `avatars/<id>/`, never user-supplied.
    pub avatar: Option<String>,
    pub created_at: Timestamp,
    pub last_login_at: Option<Timestamp>,
}

/// A user with the storage they use, for the admin list and `/api/me`.
#[derive(Clone, Debug)]
pub struct UserWithStorage {
    pub user: User,
    pub storage: Storage,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Storage {
    pub file_count: u64,
    pub total_size: u64,
    /// The bytes of the account's files in the trash (they count towards the quota).
    pub trash_size: u64,
    /// The most bytes the account may store; `None`: no limit.
    pub quota_bytes: Option<u64>,
    /// The lengths unfinished resumable uploads have announced (they count towards the
    /// quota from their creation).
    pub upload_size: u64,
}

impl Storage {
    /// What counts against the quota: the files, the trash and the unfinished uploads.
    pub fn usage(&self) -> u64 {
        self.total_size + self.trash_size + self.upload_size
    }
}

pub struct NewUser {
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub is_admin: bool,
    /// `--default-quota`, or none.
    pub quota_bytes: Option<u64>,
}

/// A live session row joined to its user: what every authenticated request needs.
#[derive(Clone, Debug)]
pub struct SessionUser {
    pub user: User,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// The user's file count and total size, kept on the user's row by triggers.
    pub storage: Storage,
}

pub struct NewSession {
    pub token_hash: TokenHash,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub user_agent: String,
    pub ip: String,
}

#[derive(Clone, Debug)]
pub struct FileRow {
    pub id: FileId,
    pub owner_id: UserId,
    /// `None`: the file is at the account's root.
    pub folder_id: Option<FolderId>,
    /// The name of its bytes in the blob store.
    pub blob_id: BlobId,
    pub name: String,
    pub size: u64,
    pub content_type: String,
    pub comment: String,
    pub uploaded_at: Timestamp,
    pub last_downloaded_at: Option<Timestamp>,
    /// Its public link and the link's rules, while it is shared.
    pub share: Option<Share>,
    /// When the reaper found the bytes gone; `None` while they are on disk.
    pub missing_since: Option<Timestamp>,
    /// `Some` while the file is in the trash.
    pub trash: Option<Trashed>,
}

/// When an entry went to the trash, and with which item (its own id when it was deleted as
/// such, else the id of the folder deleted with it inside).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trashed {
    pub at: Timestamp,
    pub root: uuid::Uuid,
}

/// A partial update of a file row; `None` leaves a column as it is.
#[derive(Default)]
pub struct FileChanges {
    pub name: Option<String>,
    /// `Some(None)`: move to the root.
    pub folder: Option<Option<FolderId>>,
    pub content_type: Option<String>,
    pub comment: Option<String>,
}

/// A partial update of a profile; `email: Some(None)` clears it.
#[derive(Default)]
pub struct ProfileChanges {
    pub full_name: Option<String>,
    pub email: Option<Option<String>>,
}

/// What the database references on disk, for `check` and the reaper.
pub struct BlobRef {
    pub owner_id: UserId,
    pub file_id: FileId,
    pub blob_id: BlobId,
    pub size: u64,
    /// The row is marked missing.
    pub marked_missing: bool,
}

/// Everything on disk the database knows of: file blobs, avatars (owner and stored name)
/// and the users whose folders may exist.
pub struct References {
    pub blobs: Vec<BlobRef>,
    pub avatars: Vec<(UserId, String)>,
    pub users: Vec<UserId>,
    /// Unfinished resumable uploads: their parts in `tmp/tus/` are no litter, nor is a
    /// blob named after one (a last `PATCH` cut short after moving it into place).
    pub uploads: Vec<(UserId, uuid::Uuid)>,
}

/// Both dialects' refusal to leave the server without an administrator.
fn last_admin() -> Error {
    Error::Conflict {
        code: "last_admin",
        field: None,
        message: "this is the last administrator; make another user admin first".into(),
    }
}

#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

impl Store {
    /// Opens the database and brings its schema up to date.
    pub async fn open(url: &DatabaseUrl) -> Result<Store> {
        let backend = match url {
            DatabaseUrl::Sqlite(path) => Backend::Sqlite(sqlite::Sqlite::open(path).await?),
            DatabaseUrl::Postgres(url) => Backend::Postgres(postgres::Postgres::open(url).await?),
        };
        Ok(Store { backend })
    }

    /// `sqlite` or `postgres`, for `/api/health`.
    pub fn dialect(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    pub async fn ping(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.ping().await,
            Backend::Postgres(db) => db.ping().await,
        }
    }

    // --- users -----------------------------------------------------------------------

    /// Fails with `Conflict("taken")` naming `username` or `email`.
    pub async fn create_user(&self, new: NewUser) -> Result<User> {
        match &self.backend {
            Backend::Sqlite(db) => db.create_user(new).await,
            Backend::Postgres(db) => db.create_user(new).await,
        }
    }

    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        match &self.backend {
            Backend::Sqlite(db) => db.user(id).await,
            Backend::Postgres(db) => db.user(id).await,
        }
    }

    /// Case-insensitive lookup with the password hash, for login and the CLI.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>> {
        match &self.backend {
            Backend::Sqlite(db) => db.user_by_name(username.to_string()).await,
            Backend::Postgres(db) => db.user_by_name(username.to_string()).await,
        }
    }

    pub async fn users_with_storage(&self) -> Result<Vec<UserWithStorage>> {
        match &self.backend {
            Backend::Sqlite(db) => db.users_with_storage().await,
            Backend::Postgres(db) => db.users_with_storage().await,
        }
    }

    pub async fn update_profile(&self, id: UserId, changes: ProfileChanges) -> Result<User> {
        match &self.backend {
            Backend::Sqlite(db) => db.update_profile(id, changes).await,
            Backend::Postgres(db) => db.update_profile(id, changes).await,
        }
    }

    /// Sets the hash and ends every session of the user except `keep`.
    pub async fn set_password(
        &self,
        id: UserId,
        hash: String,
        keep: Option<TokenHash>,
    ) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.set_password(id, hash, keep).await,
            Backend::Postgres(db) => db.set_password(id, hash, keep).await,
        }
    }

    /// Re-hash on login at a higher iteration count; leaves sessions alone.
    pub async fn upgrade_password_hash(&self, id: UserId, hash: String) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.upgrade_password_hash(id, hash).await,
            Backend::Postgres(db) => db.upgrade_password_hash(id, hash).await,
        }
    }

    /// Fails with `Conflict("last_admin")` when it would leave no admin.
    pub async fn set_admin(&self, id: UserId, is_admin: bool) -> Result<User> {
        match &self.backend {
            Backend::Sqlite(db) => db.set_admin(id, is_admin).await,
            Backend::Postgres(db) => db.set_admin(id, is_admin).await,
        }
    }

    /// Deletes the user with their sessions and file rows; `Conflict("last_admin")` when
    /// it would leave no admin. The caller removes their folders afterwards.
    pub async fn delete_user(&self, id: UserId) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.delete_user(id).await,
            Backend::Postgres(db) => db.delete_user(id).await,
        }
    }

    /// The account's usage and quota; `None` when there is no such account.
    pub async fn storage_of(&self, id: UserId) -> Result<Option<Storage>> {
        match &self.backend {
            Backend::Sqlite(db) => db.storage_of(id).await,
            Backend::Postgres(db) => db.storage_of(id).await,
        }
    }

    /// Sets (`None`: lifts) the account's quota; `NotFound` when there is no such account.
    /// Nothing stored is touched: a quota below usage only refuses new uploads.
    pub async fn set_quota(&self, id: UserId, quota: Option<u64>) -> Result<User> {
        match &self.backend {
            Backend::Sqlite(db) => db.set_quota(id, quota).await,
            Backend::Postgres(db) => db.set_quota(id, quota).await,
        }
    }

    /// Sets or clears the avatar and returns the previous stored name.
    pub async fn set_avatar(&self, id: UserId, avatar: Option<String>) -> Result<Option<String>> {
        match &self.backend {
            Backend::Sqlite(db) => db.set_avatar(id, avatar).await,
            Backend::Postgres(db) => db.set_avatar(id, avatar).await,
        }
    }

    // --- sessions --------------------------------------------------------------------

    /// Creates the session and stamps the user's `last_login_at` in one transaction.
    pub async fn create_session(&self, new: NewSession) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.create_session(new).await,
            Backend::Postgres(db) => db.create_session(new).await,
        }
    }

    pub async fn session_user(&self, hash: TokenHash) -> Result<Option<SessionUser>> {
        match &self.backend {
            Backend::Sqlite(db) => db.session_user(hash).await,
            Backend::Postgres(db) => db.session_user(hash).await,
        }
    }

    pub async fn touch_session(&self, hash: TokenHash, now: Timestamp) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.touch_session(hash, now).await,
            Backend::Postgres(db) => db.touch_session(hash, now).await,
        }
    }

    pub async fn delete_session(&self, hash: TokenHash) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.delete_session(hash).await,
            Backend::Postgres(db) => db.delete_session(hash).await,
        }
    }

    /// Deletes sessions idle since before `idle_cutoff` or created before `age_cutoff`;
    /// with `dry_run` only counts them.
    pub async fn delete_expired_sessions(
        &self,
        idle_cutoff: Timestamp,
        age_cutoff: Timestamp,
        dry_run: bool,
    ) -> Result<u64> {
        match &self.backend {
            Backend::Sqlite(db) => {
                db.delete_expired_sessions(idle_cutoff, age_cutoff, dry_run)
                    .await
            }
            Backend::Postgres(db) => {
                db.delete_expired_sessions(idle_cutoff, age_cutoff, dry_run)
                    .await
            }
        }
    }

    // --- files -----------------------------------------------------------------------

    pub async fn file(&self, id: FileId) -> Result<Option<FileRow>> {
        match &self.backend {
            Backend::Sqlite(db) => db.file(id).await,
            Backend::Postgres(db) => db.file(id).await,
        }
    }

    /// Deletes the row and returns it; the caller unlinks the bytes after the commit.
    pub async fn delete_file(&self, id: FileId) -> Result<Option<FileRow>> {
        match &self.backend {
            Backend::Sqlite(db) => db.delete_file(id).await,
            Backend::Postgres(db) => db.delete_file(id).await,
        }
    }

    pub async fn mark_downloaded(&self, id: FileId, now: Timestamp) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.mark_downloaded(id, now).await,
            Backend::Postgres(db) => db.mark_downloaded(id, now).await,
        }
    }

    /// Every blob, avatar and user the database knows of, for `check` and the reaper.
    pub async fn references(&self) -> Result<References> {
        match &self.backend {
            Backend::Sqlite(db) => db.references().await,
            Backend::Postgres(db) => db.references().await,
        }
    }

    /// Marks the file's bytes missing since `now` (an earlier mark stays); `false` when
    /// the row is gone (deleted since the reaper read it) or has other bytes by now
    /// (replaced since: its `blob_id` is no longer `blob`).
    pub async fn mark_missing(&self, id: FileId, blob: BlobId, now: Timestamp) -> Result<bool> {
        match &self.backend {
            Backend::Sqlite(db) => db.mark_missing(id, blob, now).await,
            Backend::Postgres(db) => db.mark_missing(id, blob, now).await,
        }
    }

    /// Clears the mark: the bytes are back (restored from a backup).
    pub async fn unmark_missing(&self, id: FileId) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.unmark_missing(id).await,
            Backend::Postgres(db) => db.unmark_missing(id).await,
        }
    }

    // --- copying between databases --------------------------------------------------

    pub async fn counts(&self) -> Result<Counts> {
        match &self.backend {
            Backend::Sqlite(db) => db.counts().await,
            Backend::Postgres(db) => db.counts().await,
        }
    }

    /// Sends every row to `to` in batches of up to `BATCH_ROWS`, read from one consistent
    /// snapshot, and finishes with `Batch::End`. Fails when the receiver goes away.
    pub async fn export(&self, to: mpsc::Sender<Batch>) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.export(to).await,
            Backend::Postgres(db) => db.export(to).await,
        }
    }

    /// Writes the batches from `from` in one transaction, committed only on a `Batch::End`
    /// whose counts match what arrived; returns them. Refuses (`Conflict("not_empty")`) a
    /// database that already holds rows. `None` when the sender went away before `End`:
    /// nothing was written, and the sender's error says why.
    pub async fn import(&self, from: mpsc::Receiver<Batch>) -> Result<Option<Counts>> {
        match &self.backend {
            Backend::Sqlite(db) => db.import(from).await,
            Backend::Postgres(db) => db.import(from).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Both dialects must carry the same migration versions (vaultwarden's folders drifted).
    #[test]
    fn both_migration_folders_hold_the_same_versions() {
        let versions = |dialect: &str| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dialect);
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .expect("migrations folder")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let sqlite = versions("sqlite");
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, versions("postgres"));
        // refinery embeds these folders: `V4__name.sql` is version 4.
        let newest = sqlite
            .iter()
            .filter_map(|name| {
                name.strip_prefix('V')?
                    .split_once("__")?
                    .0
                    .parse::<i32>()
                    .ok()
            })
            .max();
        assert_eq!(
            newest,
            Some(super::LATEST_MIGRATION),
            "store::LATEST_MIGRATION"
        );
    }
}
