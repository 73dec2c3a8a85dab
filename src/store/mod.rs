//! The storage interface: what the server remembers about users, sessions and files,
//! independent of the SQL dialect. Handlers call `Store`; all SQL lives in the dialect
//! modules. The store knows nothing of HTTP.

mod sqlite;

use crate::clock::Timestamp;
use crate::config::DatabaseUrl;
use crate::error::{Error, Result};
use crate::ids::{FileId, TokenHash, UserId};

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
}

pub struct NewUser {
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub is_admin: bool,
}

/// A live session row joined to its user: what every authenticated request needs.
#[derive(Clone, Debug)]
pub struct SessionUser {
    pub user: User,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
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
    pub name: String,
    pub size: u64,
    pub content_type: String,
    pub comment: String,
    pub uploaded_at: Timestamp,
    pub last_downloaded_at: Option<Timestamp>,
    pub share_token: Option<String>,
    pub shared_at: Option<Timestamp>,
}

/// A partial update of a file row; `None` leaves a column as it is.
#[derive(Default)]
pub struct FileChanges {
    pub name: Option<String>,
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
    pub size: u64,
}

#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite(sqlite::Sqlite),
}

impl Store {
    /// Opens the database and brings its schema up to date.
    pub async fn open(url: &DatabaseUrl) -> Result<Store> {
        let backend = match url {
            DatabaseUrl::Sqlite(path) => Backend::Sqlite(sqlite::Sqlite::open(path).await?),
            DatabaseUrl::Postgres(_) => {
                return Err(Error::Unavailable(
                    "PostgreSQL support is not built yet; use sqlite://".into(),
                ));
            }
        };
        Ok(Store { backend })
    }

    /// `sqlite` or `postgres`, for `/api/health`.
    pub fn dialect(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
        }
    }

    pub async fn ping(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.ping().await,
        }
    }

    // --- users -----------------------------------------------------------------------

    /// Fails with `Conflict("taken")` naming `username` or `email`.
    pub async fn create_user(&self, new: NewUser) -> Result<User> {
        match &self.backend {
            Backend::Sqlite(db) => db.create_user(new).await,
        }
    }

    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        match &self.backend {
            Backend::Sqlite(db) => db.user(id).await,
        }
    }

    /// Case-insensitive lookup with the password hash, for login and the CLI.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>> {
        match &self.backend {
            Backend::Sqlite(db) => db.user_by_name(username.to_string()).await,
        }
    }

    pub async fn users_with_storage(&self) -> Result<Vec<UserWithStorage>> {
        match &self.backend {
            Backend::Sqlite(db) => db.users_with_storage().await,
        }
    }

    pub async fn storage(&self, id: UserId) -> Result<Storage> {
        match &self.backend {
            Backend::Sqlite(db) => db.storage(id).await,
        }
    }

    pub async fn update_profile(&self, id: UserId, changes: ProfileChanges) -> Result<User> {
        match &self.backend {
            Backend::Sqlite(db) => db.update_profile(id, changes).await,
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
        }
    }

    /// Re-hash on login at a higher iteration count; leaves sessions alone.
    pub async fn upgrade_password_hash(&self, id: UserId, hash: String) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.upgrade_password_hash(id, hash).await,
        }
    }

    /// Fails with `Conflict("last_admin")` when it would leave no admin.
    pub async fn set_admin(&self, id: UserId, is_admin: bool) -> Result<User> {
        match &self.backend {
            Backend::Sqlite(db) => db.set_admin(id, is_admin).await,
        }
    }

    /// Deletes the user with their sessions and file rows; `Conflict("last_admin")` when
    /// it would leave no admin. The caller removes their folders afterwards.
    pub async fn delete_user(&self, id: UserId) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.delete_user(id).await,
        }
    }

    /// Sets or clears the avatar and returns the previous stored name.
    pub async fn set_avatar(&self, id: UserId, avatar: Option<String>) -> Result<Option<String>> {
        match &self.backend {
            Backend::Sqlite(db) => db.set_avatar(id, avatar).await,
        }
    }

    // --- sessions --------------------------------------------------------------------

    /// Creates the session and stamps the user's `last_login_at` in one transaction.
    pub async fn create_session(&self, new: NewSession) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.create_session(new).await,
        }
    }

    pub async fn session_user(&self, hash: TokenHash) -> Result<Option<SessionUser>> {
        match &self.backend {
            Backend::Sqlite(db) => db.session_user(hash).await,
        }
    }

    pub async fn touch_session(&self, hash: TokenHash, now: Timestamp) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.touch_session(hash, now).await,
        }
    }

    pub async fn delete_session(&self, hash: TokenHash) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.delete_session(hash).await,
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
        }
    }

    // --- files -----------------------------------------------------------------------

    /// Fails with `NotFound` when the owner no longer exists.
    pub async fn insert_file(&self, file: FileRow) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.insert_file(file).await,
        }
    }

    pub async fn file(&self, id: FileId) -> Result<Option<FileRow>> {
        match &self.backend {
            Backend::Sqlite(db) => db.file(id).await,
        }
    }

    pub async fn files_of(&self, owner: UserId) -> Result<Vec<FileRow>> {
        match &self.backend {
            Backend::Sqlite(db) => db.files_of(owner).await,
        }
    }

    pub async fn update_file(&self, id: FileId, changes: FileChanges) -> Result<Option<FileRow>> {
        match &self.backend {
            Backend::Sqlite(db) => db.update_file(id, changes).await,
        }
    }

    /// Deletes the row and returns it; the caller unlinks the bytes after the commit.
    pub async fn delete_file(&self, id: FileId) -> Result<Option<FileRow>> {
        match &self.backend {
            Backend::Sqlite(db) => db.delete_file(id).await,
        }
    }

    pub async fn mark_downloaded(&self, id: FileId, now: Timestamp) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.mark_downloaded(id, now).await,
        }
    }

    /// Gives the file `token` unless it already has one (idempotent); returns the row.
    pub async fn share_file(
        &self,
        id: FileId,
        token: String,
        now: Timestamp,
    ) -> Result<Option<FileRow>> {
        match &self.backend {
            Backend::Sqlite(db) => db.share_file(id, token, now).await,
        }
    }

    pub async fn unshare_file(&self, id: FileId) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.unshare_file(id).await,
        }
    }

    pub async fn file_by_share_token(&self, token: String) -> Result<Option<FileRow>> {
        match &self.backend {
            Backend::Sqlite(db) => db.file_by_share_token(token).await,
        }
    }

    /// Every blob and avatar the database references, for `check` and the reaper.
    pub async fn references(&self) -> Result<(Vec<BlobRef>, Vec<(UserId, String)>)> {
        match &self.backend {
            Backend::Sqlite(db) => db.references().await,
        }
    }
}
