//! The SQLite dialect: every SQL statement for the bundled database and the migrations
//! embedded from `migrations/sqlite`. Each call runs on a database thread of
//! `sqlite_workers`, never on the async workers.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, TransactionBehavior, params};
use tokio::sync::mpsc;

use super::copy::{
    BATCH_ROWS, Batch, Counts, SessionRecord, UserRecord, check_copied, not_empty, target_stopped,
};
use super::sqlite_workers::Workers;
use super::{
    BlobRef, FileRow, LATEST_MIGRATION, NewSession, NewUser, ProfileChanges, References,
    SessionUser, Share, Storage, User, UserWithStorage, fold, last_admin,
};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{BlobId, FileId, FolderId, TokenHash, UserId};

mod shares;
mod trash;
mod tree;
mod uploads;

mod embedded {
    refinery::embed_migrations!("migrations/sqlite");
}

const USER_COLUMNS: &str =
    "u.id, u.username, u.full_name, u.email, u.is_admin, u.avatar, u.created_at, u.last_login_at";
/// Ends with the six share columns (`share_token` … `share_downloads`), read by `share_at`.
const FILE_COLUMNS: &str = "id, owner_id, original_name, size, content_type, comment, uploaded_at, \
     last_downloaded_at, missing_since, folder_id, blob_id, trashed_at, trash_root, \
     share_token, shared_at, share_expires_at, share_password, share_max_downloads, \
     share_downloads";

/// Every authenticated request runs this. The CAST matters: in a join, SQLite's constant
/// propagation makes a bare `= ?1` part of the plan, so each new token re-prepared the
/// statement (more than half of the CPU of `GET /api/me`); a cast value is opaque to it.
static SESSION_USER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {USER_COLUMNS}, s.created_at, s.last_seen_at, u.file_count, u.total_size, \
         u.trash_size, u.quota_bytes, u.upload_size \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = CAST(?1 AS BLOB)"
    )
});

#[derive(Clone)]
pub struct Sqlite {
    workers: Arc<Workers>,
}

fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)
        .map_err(|e| Error::Unavailable(format!("opening {}: {e}", path.display())))?;
    // WAL lets readers run beside the writer; FULL makes a commit survive power loss
    // (NORMAL in WAL mode can lose the last transactions).
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn)
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::CannotOpen) => {
                Error::Unavailable(e.to_string())
            }
            _ => Error::internal("sqlite", e),
        }
    }
}

/// Which unique column a constraint failure names, if it is one.
fn unique_violation(e: &rusqlite::Error) -> Option<&'static str> {
    if let rusqlite::Error::SqliteFailure(f, Some(msg)) = e
        && f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    {
        return Some(if msg.contains("email") {
            "email"
        } else {
            "username"
        });
    }
    None
}

fn is_foreign_key_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
}

fn uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<uuid::Uuid> {
    // Borrowed from SQLite's row: a listing parses two ids a row, and an owned String
    // each was a malloc and a copy for nothing.
    let text = row.get_ref(idx)?.as_str()?;
    uuid::Uuid::parse_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn time_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Timestamp> {
    row.get(idx).map(Timestamp)
}

fn opt_time_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(row.get::<_, Option<i64>>(idx)?.map(Timestamp))
}

fn user_from(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: UserId(uuid_at(row, 0)?),
        username: row.get(1)?,
        full_name: row.get(2)?,
        email: row.get(3)?,
        is_admin: row.get(4)?,
        avatar: row.get(5)?,
        created_at: time_at(row, 6)?,
        last_login_at: opt_time_at(row, 7)?,
    })
}

fn file_from(row: &Row<'_>) -> rusqlite::Result<FileRow> {
    Ok(FileRow {
        id: FileId(uuid_at(row, 0)?),
        owner_id: UserId(uuid_at(row, 1)?),
        name: row.get(2)?,
        size: row.get::<_, i64>(3)? as u64,
        content_type: row.get(4)?,
        comment: row.get(5)?,
        uploaded_at: time_at(row, 6)?,
        last_downloaded_at: opt_time_at(row, 7)?,
        missing_since: opt_time_at(row, 8)?,
        folder_id: opt_uuid_at(row, 9)?.map(FolderId),
        blob_id: BlobId(uuid_at(row, 10)?),
        trash: trashed_at(row, 11)?,
        share: share_at(row, 13)?,
    })
}

/// The six share columns from `first`: `None` without a token.
fn share_at(row: &Row<'_>, first: usize) -> rusqlite::Result<Option<Share>> {
    let Some(token) = row.get::<_, Option<String>>(first)? else {
        return Ok(None);
    };
    Ok(Some(Share {
        token,
        created_at: time_at(row, first + 1)?,
        expires_at: opt_time_at(row, first + 2)?,
        password_hash: row.get(first + 3)?,
        max_downloads: row.get::<_, Option<i64>>(first + 4)?.map(|n| n as u64),
        download_count: row.get::<_, i64>(first + 5)? as u64,
    }))
}

/// A share's six columns as parameters, in the order `share_at` reads them.
fn share_params(share: Option<&Share>) -> [rusqlite::types::Value; 6] {
    use rusqlite::types::Value;
    let opt_int = |n: Option<i64>| n.map_or(Value::Null, Value::Integer);
    match share {
        None => [
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Integer(0),
        ],
        Some(s) => [
            Value::Text(s.token.clone()),
            Value::Integer(s.created_at.millis()),
            opt_int(s.expires_at.map(Timestamp::millis)),
            s.password_hash.clone().map_or(Value::Null, Value::Text),
            opt_int(s.max_downloads.map(|n| n as i64)),
            Value::Integer(s.download_count as i64),
        ],
    }
}

/// The `trashed_at` and `trash_root` columns at `first`, `first + 1`.
fn trashed_at(row: &Row<'_>, first: usize) -> rusqlite::Result<Option<super::Trashed>> {
    Ok(
        match (opt_time_at(row, first)?, opt_uuid_at(row, first + 1)?) {
            (Some(at), Some(root)) => Some(super::Trashed { at, root }),
            _ => None,
        },
    )
}

fn opt_uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<uuid::Uuid>> {
    match row.get_ref(idx)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => uuid_at(row, idx).map(Some),
    }
}

fn storage_from(row: &Row<'_>, first: usize) -> rusqlite::Result<Storage> {
    Ok(Storage {
        file_count: row.get::<_, i64>(first)? as u64,
        total_size: row.get::<_, i64>(first + 1)? as u64,
        trash_size: row.get::<_, i64>(first + 2)? as u64,
        quota_bytes: row.get::<_, Option<i64>>(first + 3)?.map(|q| q as u64),
        upload_size: row.get::<_, i64>(first + 4)? as u64,
    })
}

fn user_by_id(conn: &Connection, id: UserId) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id.to_string()], user_from)
        .optional()?)
}

fn file_by_id(conn: &Connection, id: FileId) -> Result<Option<FileRow>> {
    let sql = format!("SELECT {FILE_COLUMNS} FROM files WHERE id = ?1 AND trashed_at IS NULL");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id.to_string()], file_from)
        .optional()?)
}

fn insert_file_row(conn: &Connection, f: &FileRow) -> rusqlite::Result<usize> {
    let sql = format!(
        "INSERT INTO files ({FILE_COLUMNS}, name_fold, comment_fold) VALUES (?1, ?2, ?3, ?4, \
         ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)"
    );
    let [token, shared_at, expires, password, max, count] = share_params(f.share.as_ref());
    conn.prepare_cached(&sql)?.execute(params![
        f.id.to_string(),
        f.owner_id.to_string(),
        f.name,
        f.size as i64,
        f.content_type,
        f.comment,
        f.uploaded_at.millis(),
        f.last_downloaded_at.map(Timestamp::millis),
        f.missing_since.map(Timestamp::millis),
        f.folder_id.map(|id| id.to_string()),
        f.blob_id.to_string(),
        f.trash.map(|t| t.at.millis()),
        f.trash.map(|t| t.root.hyphenated().to_string()),
        token,
        shared_at,
        expires,
        password,
        max,
        count,
        fold(&f.name),
        fold(&f.comment)
    ])
}

fn insert_user_record(conn: &Connection, r: &UserRecord) -> rusqlite::Result<usize> {
    let u = &r.user;
    conn.prepare_cached(
        "INSERT INTO users (id, username, full_name, email, password_hash, is_admin, avatar, \
         created_at, last_login_at, quota_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        u.id.to_string(),
        u.username,
        u.full_name,
        u.email,
        r.password_hash,
        u.is_admin,
        u.avatar,
        u.created_at.millis(),
        u.last_login_at.map(Timestamp::millis),
        r.quota_bytes.map(|q| q as i64)
    ])
}

fn insert_session_record(conn: &Connection, s: &SessionRecord) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, user_agent, ip) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        s.token_hash.0.to_vec(),
        s.user_id.to_string(),
        s.created_at.millis(),
        s.last_seen_at.millis(),
        s.user_agent,
        s.ip
    ])
}

fn user_record_from(row: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        user: user_from(row)?,
        password_hash: row.get(8)?,
        quota_bytes: row.get::<_, Option<i64>>(9)?.map(|q| q as u64),
    })
}

fn session_record_from(row: &Row<'_>) -> rusqlite::Result<SessionRecord> {
    let hash: Vec<u8> = row.get(0)?;
    let hash = <[u8; 32]>::try_from(hash.as_slice()).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(e))
    })?;
    Ok(SessionRecord {
        token_hash: TokenHash(hash),
        user_id: UserId(uuid_at(row, 1)?),
        created_at: time_at(row, 2)?,
        last_seen_at: time_at(row, 3)?,
        user_agent: row.get(4)?,
        ip: row.get(5)?,
    })
}

fn counts_of(conn: &Connection) -> Result<Counts> {
    let counts = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM sessions), \
         (SELECT COUNT(*) FROM folders), (SELECT COUNT(*) FROM files), \
         (SELECT COUNT(*) FROM file_requests)",
        [],
        |r| {
            Ok(Counts {
                users: r.get::<_, i64>(0)? as u64,
                sessions: r.get::<_, i64>(1)? as u64,
                folders: r.get::<_, i64>(2)? as u64,
                files: r.get::<_, i64>(3)? as u64,
                requests: r.get::<_, i64>(4)? as u64,
            })
        },
    )?;
    Ok(counts)
}

/// Sends the rows `sql` selects to `to` in batches, adding them to `sent`.
fn export_table<T>(
    conn: &Connection,
    sql: &str,
    from_row: fn(&Row<'_>) -> rusqlite::Result<T>,
    wrap: fn(Vec<T>) -> Batch,
    to: &mpsc::Sender<Batch>,
    sent: &mut Counts,
) -> Result<()> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    while let Some(row) = rows.next()? {
        batch.push(from_row(row)?);
        if batch.len() == BATCH_ROWS {
            send(to, wrap(std::mem::take(&mut batch)), sent)?;
        }
    }
    if !batch.is_empty() {
        send(to, wrap(batch), sent)?;
    }
    Ok(())
}

fn send(to: &mpsc::Sender<Batch>, batch: Batch, sent: &mut Counts) -> Result<()> {
    sent.add(&batch);
    to.blocking_send(batch).map_err(|_| target_stopped())
}

/// Refuses to remove the last admin; runs inside the caller's write transaction.
fn ensure_not_last_admin(conn: &Connection, user: &User) -> Result<()> {
    if !user.is_admin {
        return Ok(());
    }
    let admins: i64 = conn.query_row("SELECT COUNT(*) FROM users WHERE is_admin = 1", [], |r| {
        r.get(0)
    })?;
    if admins <= 1 {
        return Err(last_admin());
    }
    Ok(())
}

/// Brings the schema up to date. Between V5 (folders) and V6 (one namespace per folder)
/// the server itself folds every name and comment and renames Part I's duplicate names:
/// SQL alone cannot fold Unicode case or pick a free name for sure.
fn migrate(conn: &mut Connection) -> Result<()> {
    let version = schema_version(conn);
    if version == Some(LATEST_MIGRATION) {
        return Ok(());
    }
    let failed = |e| Error::internal("migrating the SQLite database", e);
    if version.is_none_or(|v| v < 6) {
        embedded::migrations::runner()
            .set_target(refinery::Target::Version(5))
            .run(conn)
            .map_err(failed)?;
        tree::prepare_unique_names(conn)?;
    }
    embedded::migrations::runner().run(conn).map_err(failed)?;
    Ok(())
}

/// The version refinery last applied; `None` on a new database (no history table yet).
fn schema_version(conn: &Connection) -> Option<i32> {
    conn.query_row(
        "SELECT MAX(version) FROM refinery_schema_history",
        [],
        |row| row.get(0),
    )
    .ok()
    .flatten()
}

impl Sqlite {
    pub async fn open(path: &Path) -> Result<Sqlite> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    Error::Unavailable(format!("creating {}: {e}", parent.display()))
                })?;
            }
            // Created 0600 before SQLite sees it: its -wal and -shm files copy the mode.
            OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| Error::Unavailable(format!("opening {}: {e}", path.display())))?;
            let mut conn = open_connection(&path)?;
            migrate(&mut conn)?;
            Ok(Sqlite {
                workers: Arc::new(Workers::new(path, conn, open_connection)),
            })
        })
        .await
        .map_err(|e| Error::internal("opening the database", e))?
    }

    /// Runs `f` with a connection on a database thread.
    async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        self.workers.run(f).await
    }

    pub async fn ping(&self) -> Result<()> {
        self.run(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    pub async fn create_user(&self, new: NewUser) -> Result<User> {
        self.run(move |c| {
            let id = UserId::new();
            let now = Timestamp::now();
            let inserted = c.prepare_cached(
                "INSERT INTO users (id, username, full_name, email, password_hash, is_admin, created_at, \
                 quota_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                id.to_string(), new.username, new.full_name, new.email, new.password_hash,
                new.is_admin, now.millis(), new.quota_bytes.map(|q| q as i64)
            ]);
            match inserted {
                Err(e) => Err(unique_violation(&e).map(Error::taken).unwrap_or_else(|| e.into())),
                Ok(_) => user_by_id(c, id)?.ok_or(Error::NotFound),
            }
        })
        .await
    }

    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        self.run(move |c| user_by_id(c, id)).await
    }

    pub async fn storage_of(&self, id: UserId) -> Result<Option<Storage>> {
        self.run(move |c| {
            let sql =
                "SELECT file_count, total_size, trash_size, quota_bytes, upload_size FROM users WHERE id = ?1";
            Ok(c.prepare_cached(sql)?
                .query_row([id.to_string()], |r| storage_from(r, 0))
                .optional()?)
        })
        .await
    }

    pub async fn set_quota(&self, id: UserId, quota: Option<u64>) -> Result<User> {
        self.run(move |c| {
            let n = c
                .prepare_cached("UPDATE users SET quota_bytes = ?1 WHERE id = ?2")?
                .execute(params![quota.map(|q| q as i64), id.to_string()])?;
            if n == 0 {
                return Err(Error::NotFound);
            }
            user_by_id(c, id)?.ok_or(Error::NotFound)
        })
        .await
    }

    pub async fn user_by_name(&self, username: String) -> Result<Option<(User, String)>> {
        self.run(move |c| {
            let sql = format!(
                "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = ?1"
            );
            let row = c
                .prepare_cached(&sql)?
                .query_row([username], |r| Ok((user_from(r)?, r.get(8)?)))
                .optional()?;
            Ok(row)
        })
        .await
    }

    pub async fn users_with_storage(&self) -> Result<Vec<UserWithStorage>> {
        self.run(|c| {
            let sql = format!(
                "SELECT {USER_COLUMNS}, u.file_count, u.total_size, u.trash_size, u.quota_bytes, u.upload_size \
                 FROM users u \
                 ORDER BY u.username"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([], |r| {
                Ok(UserWithStorage {
                    user: user_from(r)?,
                    storage: storage_from(r, 8)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    pub async fn update_profile(&self, id: UserId, changes: ProfileChanges) -> Result<User> {
        self.run(move |c| {
            let (set_email, email) = match changes.email {
                Some(email) => (true, email),
                None => (false, None),
            };
            let updated = c
                .prepare_cached(
                    "UPDATE users SET full_name = COALESCE(?1, full_name), \
                     email = CASE WHEN ?2 THEN ?3 ELSE email END WHERE id = ?4",
                )?
                .execute(params![changes.full_name, set_email, email, id.to_string()]);
            match updated {
                Err(e) => Err(unique_violation(&e)
                    .map(Error::taken)
                    .unwrap_or_else(|| e.into())),
                Ok(_) => user_by_id(c, id)?.ok_or(Error::NotFound),
            }
        })
        .await
    }

    pub async fn set_password(
        &self,
        id: UserId,
        hash: String,
        keep: Option<TokenHash>,
    ) -> Result<()> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "UPDATE users SET password_hash = ?1 WHERE id = ?2",
                params![hash, id.to_string()],
            )?;
            if n == 0 {
                return Err(Error::NotFound);
            }
            let keep = keep.map(|k| k.0.to_vec()).unwrap_or_default();
            tx.execute(
                "DELETE FROM sessions WHERE user_id = ?1 AND token_hash != ?2",
                params![id.to_string(), keep],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn upgrade_password_hash(&self, id: UserId, hash: String) -> Result<()> {
        self.run(move |c| {
            c.execute(
                "UPDATE users SET password_hash = ?1 WHERE id = ?2",
                params![hash, id.to_string()],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn set_admin(&self, id: UserId, is_admin: bool) -> Result<User> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let user = user_by_id(&tx, id)?.ok_or(Error::NotFound)?;
            if !is_admin {
                ensure_not_last_admin(&tx, &user)?;
            }
            tx.execute(
                "UPDATE users SET is_admin = ?1 WHERE id = ?2",
                params![is_admin, id.to_string()],
            )?;
            let user = user_by_id(&tx, id)?.ok_or(Error::NotFound)?;
            tx.commit()?;
            Ok(user)
        })
        .await
    }

    pub async fn delete_user(&self, id: UserId) -> Result<()> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let user = user_by_id(&tx, id)?.ok_or(Error::NotFound)?;
            ensure_not_last_admin(&tx, &user)?;
            // Sessions and files go by ON DELETE CASCADE.
            tx.execute("DELETE FROM users WHERE id = ?1", [id.to_string()])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn set_avatar(&self, id: UserId, avatar: Option<String>) -> Result<Option<String>> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let old = user_by_id(&tx, id)?.ok_or(Error::NotFound)?.avatar;
            tx.execute(
                "UPDATE users SET avatar = ?1 WHERE id = ?2",
                params![avatar, id.to_string()],
            )?;
            tx.commit()?;
            Ok(old)
        })
        .await
    }

    pub async fn create_session(&self, new: NewSession) -> Result<()> {
        self.run(move |c| {
            let tx = c.transaction()?;
            tx.prepare_cached(
                "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, user_agent, ip) \
                 VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
            )?
            .execute(params![
                new.token_hash.0.to_vec(), new.user_id.to_string(), new.created_at.millis(),
                new.user_agent, new.ip
            ])?;
            tx.prepare_cached("UPDATE users SET last_login_at = ?1 WHERE id = ?2")?
                .execute(params![new.created_at.millis(), new.user_id.to_string()])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn session_user(&self, hash: TokenHash) -> Result<Option<SessionUser>> {
        self.run(move |c| {
            let row = c
                .prepare_cached(&SESSION_USER)?
                .query_row([hash.0.to_vec()], |r| {
                    Ok(SessionUser {
                        user: user_from(r)?,
                        created_at: time_at(r, 8)?,
                        last_seen_at: time_at(r, 9)?,
                        storage: storage_from(r, 10)?,
                    })
                })
                .optional()?;
            Ok(row)
        })
        .await
    }

    pub async fn touch_session(&self, hash: TokenHash, now: Timestamp) -> Result<()> {
        self.run(move |c| {
            c.prepare_cached("UPDATE sessions SET last_seen_at = ?1 WHERE token_hash = ?2")?
                .execute(params![now.millis(), hash.0.to_vec()])?;
            Ok(())
        })
        .await
    }

    pub async fn delete_session(&self, hash: TokenHash) -> Result<()> {
        self.run(move |c| {
            c.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
                .execute([hash.0.to_vec()])?;
            Ok(())
        })
        .await
    }

    pub async fn delete_expired_sessions(
        &self,
        idle_cutoff: Timestamp,
        age_cutoff: Timestamp,
        dry_run: bool,
    ) -> Result<u64> {
        self.run(move |c| {
            let verb = if dry_run { "SELECT COUNT(*)" } else { "DELETE" };
            let sql = format!("{verb} FROM sessions WHERE last_seen_at < ?1 OR created_at < ?2");
            let cutoffs = params![idle_cutoff.millis(), age_cutoff.millis()];
            let n = if dry_run {
                c.query_row(&sql, cutoffs, |r| r.get::<_, i64>(0))? as u64
            } else {
                c.execute(&sql, cutoffs)? as u64
            };
            Ok(n)
        })
        .await
    }

    pub async fn file(&self, id: FileId) -> Result<Option<FileRow>> {
        self.run(move |c| file_by_id(c, id)).await
    }

    pub async fn delete_file(&self, id: FileId) -> Result<Option<FileRow>> {
        self.run(move |c| {
            let sql = format!(
                "DELETE FROM files WHERE id = ?1 AND trashed_at IS NULL RETURNING {FILE_COLUMNS}"
            );
            Ok(c.prepare_cached(&sql)?
                .query_row([id.to_string()], file_from)
                .optional()?)
        })
        .await
    }

    pub async fn mark_downloaded(&self, id: FileId, now: Timestamp) -> Result<()> {
        self.run(move |c| {
            c.prepare_cached(
                "UPDATE files SET last_downloaded_at = ?1 WHERE id = ?2 AND trashed_at IS NULL",
            )?
            .execute(params![now.millis(), id.to_string()])?;
            Ok(())
        })
        .await
    }

    pub async fn references(&self) -> Result<References> {
        self.run(|c| {
            let mut stmt = c.prepare("SELECT id FROM users")?;
            let users = stmt
                .query_map([], |r| Ok(UserId(uuid_at(r, 0)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut stmt = c.prepare(
                "SELECT owner_id, id, size, missing_since IS NOT NULL, blob_id FROM files",
            )?;
            let blobs = stmt
                .query_map([], |r| {
                    Ok(BlobRef {
                        owner_id: UserId(uuid_at(r, 0)?),
                        file_id: FileId(uuid_at(r, 1)?),
                        size: r.get::<_, i64>(2)? as u64,
                        marked_missing: r.get(3)?,
                        blob_id: BlobId(uuid_at(r, 4)?),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut stmt = c.prepare("SELECT id, avatar FROM users WHERE avatar IS NOT NULL")?;
            let avatars = stmt
                .query_map([], |r| Ok((UserId(uuid_at(r, 0)?), r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut stmt = c.prepare("SELECT owner_id, id FROM uploads WHERE file_id IS NULL")?;
            let uploads = stmt
                .query_map([], |r| Ok((UserId(uuid_at(r, 0)?), uuid_at(r, 1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(References {
                blobs,
                avatars,
                users,
                uploads,
            })
        })
        .await
    }

    pub async fn mark_missing(&self, id: FileId, blob: BlobId, now: Timestamp) -> Result<bool> {
        self.run(move |c| {
            let sql = "UPDATE files SET missing_since = COALESCE(missing_since, ?1) \
                       WHERE id = ?2 AND blob_id = ?3";
            let n = c.prepare_cached(sql)?.execute(params![
                now.millis(),
                id.to_string(),
                blob.to_string()
            ])?;
            Ok(n > 0)
        })
        .await
    }

    pub async fn unmark_missing(&self, id: FileId) -> Result<()> {
        self.run(move |c| {
            c.prepare_cached("UPDATE files SET missing_since = NULL WHERE id = ?1")?
                .execute([id.to_string()])?;
            Ok(())
        })
        .await
    }

    pub async fn counts(&self) -> Result<Counts> {
        self.run(|c| counts_of(c)).await
    }

    pub async fn export(&self, to: mpsc::Sender<Batch>) -> Result<()> {
        self.run(move |c| {
            // One read transaction: every table from the same snapshot, even while a
            // server keeps writing.
            let tx = c.transaction()?;
            let mut sent = Counts::default();
            let users =
                format!("SELECT {USER_COLUMNS}, u.password_hash, u.quota_bytes FROM users u");
            export_table(&tx, &users, user_record_from, Batch::Users, &to, &mut sent)?;
            let sessions =
                "SELECT token_hash, user_id, created_at, last_seen_at, user_agent, ip FROM sessions";
            export_table(&tx, sessions, session_record_from, Batch::Sessions, &to, &mut sent)?;
            export_table(&tx, tree::FOLDERS_PARENTS_FIRST, tree::folder_from, Batch::Folders, &to, &mut sent)?;
            let files = format!("SELECT {FILE_COLUMNS} FROM files");
            export_table(&tx, &files, file_from, Batch::Files, &to, &mut sent)?;
            export_table(&tx, &shares::ALL_REQUESTS, shares::request_from, Batch::Requests, &to, &mut sent)?;
            to.blocking_send(Batch::End(sent))
                .map_err(|_| target_stopped())
        })
        .await
    }

    pub async fn import(&self, mut from: mpsc::Receiver<Batch>) -> Result<Option<Counts>> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let found = counts_of(&tx)?;
            if !found.is_empty() {
                return Err(not_empty(found));
            }
            let mut copied = Counts::default();
            while let Some(batch) = from.blocking_recv() {
                copied.add(&batch);
                match batch {
                    Batch::Users(rows) => {
                        for r in &rows {
                            insert_user_record(&tx, r)?;
                        }
                    }
                    Batch::Sessions(rows) => {
                        for r in &rows {
                            insert_session_record(&tx, r)?;
                        }
                    }
                    Batch::Folders(rows) => {
                        for f in &rows {
                            tree::insert_folder_row(&tx, f)?;
                        }
                    }
                    Batch::Files(rows) => {
                        for f in &rows {
                            insert_file_row(&tx, f)?;
                        }
                    }
                    Batch::Requests(rows) => {
                        for r in &rows {
                            shares::insert_request(&tx, r)?;
                        }
                    }
                    Batch::End(sent) => {
                        check_copied(sent, copied)?;
                        tx.commit()?;
                        return Ok(Some(copied));
                    }
                }
            }
            Ok(None)
        })
        .await
    }
}

/// Copies the database at `source` into a new file `dest` with SQLite's online backup API,
/// beside a server that keeps writing, and returns what the copy holds. The copy is one
/// snapshot: all pages in a single step under one read transaction, which in WAL mode
/// never blocks the server's writers (copying in small steps would restart on every write
/// the server commits meanwhile and might never finish). `dest` must not exist.
pub async fn backup(source: PathBuf, dest: PathBuf) -> Result<Counts> {
    tokio::task::spawn_blocking(move || {
        // No CREATE flag: a mistyped source is refused rather than backed up empty.
        let src = Connection::open_with_flags(&source, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| Error::Unavailable(format!("opening {}: {e}", source.display())))?;
        src.busy_timeout(Duration::from_secs(5))?;
        // Created 0600 before SQLite sees it: the copy holds password hashes.
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&dest)
            .map_err(|e| Error::internal("creating the backup file", e))?;
        let mut dst = Connection::open(&dest)?;
        copy_all_pages(&src, &mut dst)?;
        // One self-contained file, readable without -wal or -shm beside it; the server
        // switches a restored copy back to WAL when it opens it.
        dst.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0))?;
        let counts = counts_of(&dst)?;
        dst.close().map_err(|(_, e)| Error::from(e))?;
        Ok(counts)
    })
    .await
    .map_err(|e| Error::internal("backup task", e))?
}

fn copy_all_pages(src: &Connection, dst: &mut Connection) -> Result<()> {
    use rusqlite::backup::{Backup, StepResult};
    let backup = Backup::new(src, dst)?;
    // Busy or locked only while a checkpoint holds the source for a moment: try again.
    for _ in 0..100 {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    Err(Error::Unavailable(
        "the database stayed busy for 5 s; try again".into(),
    ))
}

#[cfg(test)]
mod tests {
    use rusqlite::StatementStatus;

    use super::*;

    /// Skipping the runner must not skip a migration: a database one version behind is
    /// still brought up to date when it is opened.
    #[tokio::test]
    async fn a_database_behind_the_latest_migration_is_migrated_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mycloud.db");
        {
            let mut conn = open_connection(&path).unwrap();
            embedded::migrations::runner()
                .set_target(refinery::Target::Version(LATEST_MIGRATION - 1))
                .run(&mut conn)
                .unwrap();
            assert_eq!(schema_version(&conn), Some(LATEST_MIGRATION - 1));
        }
        drop(Sqlite::open(&path).await.expect("older database"));
        let conn = open_connection(&path).unwrap();
        assert_eq!(schema_version(&conn), Some(LATEST_MIGRATION));
        // V8's column is there: the newest migration ran.
        let trash_size: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('users') WHERE name = 'trash_size'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(trash_size, 1);
    }

    /// A statement re-prepared on every call costs more than the query; `SESSION_USER`
    /// once was, for each new token. All on one connection: each database thread has its
    /// own statement cache.
    #[tokio::test]
    async fn the_session_lookup_is_prepared_once_whatever_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let db = Sqlite::open(&dir.path().join("mycloud.db")).await.unwrap();
        let (reprepared, steps) = db
            .run(|conn| {
                for token in 0..3u8 {
                    let found = conn
                        .prepare_cached(&SESSION_USER)?
                        .query_row([vec![token; 32]], |_| Ok(()))
                        .optional()?;
                    assert!(found.is_none());
                }
                let stmt = conn.prepare_cached(&SESSION_USER)?;
                Ok((
                    stmt.get_status(StatementStatus::RePrepare),
                    stmt.get_status(StatementStatus::VmStep),
                ))
            })
            .await
            .unwrap();
        assert_eq!(reprepared, 0);
        // The same statement, from the cache, and it has really run: the check can fail.
        assert!(steps > 0);
    }

    /// V3 counts the files already there, and its triggers keep each user's count and
    /// size through inserts, deletes, a change of owner and the user's own deletion.
    #[test]
    fn storage_counters_are_backfilled_and_follow_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open_connection(&dir.path().join("mycloud.db")).unwrap();
        embedded::migrations::runner()
            .set_target(refinery::Target::Version(2))
            .run(&mut conn)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO users (id, username, password_hash, created_at) \
                 VALUES ('u1', 'alice', 'x', 0), ('u2', 'bobby', 'x', 0); \
             INSERT INTO files (id, owner_id, original_name, size, content_type, uploaded_at) \
                 VALUES ('f1', 'u1', 'a', 10, 't', 0), ('f2', 'u1', 'b', 5, 't', 0);",
        )
        .unwrap();
        embedded::migrations::runner().run(&mut conn).unwrap();
        let counts = |c: &Connection, id: &str| -> (i64, i64) {
            c.query_row(
                "SELECT file_count, total_size FROM users WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        };
        assert_eq!(counts(&conn, "u1"), (2, 15));
        assert_eq!(counts(&conn, "u2"), (0, 0));

        conn.execute_batch(
            "INSERT INTO files (id, owner_id, original_name, size, content_type, uploaded_at) \
             VALUES ('f3', 'u2', 'c', 7, 't', 0)",
        )
        .unwrap();
        assert_eq!(counts(&conn, "u2"), (1, 7));
        conn.execute_batch("DELETE FROM files WHERE id = 'f1'")
            .unwrap();
        assert_eq!(counts(&conn, "u1"), (1, 5));
        conn.execute_batch("UPDATE files SET owner_id = 'u2' WHERE id = 'f2'")
            .unwrap();
        assert_eq!(counts(&conn, "u1"), (0, 0));
        assert_eq!(counts(&conn, "u2"), (2, 12));
        // The cascade deletes the files after the user: nothing left to update, no error.
        conn.execute_batch("DELETE FROM users WHERE id = 'u2'")
            .unwrap();
        let files: i64 = conn
            .query_row("SELECT COUNT(*) FROM files", [], |r| r.get(0))
            .unwrap();
        assert_eq!(files, 0);
    }

    /// Part I allowed two files of one name; V5 puts them all at the root, and before V6
    /// makes names unique the later ones become ` (2)`, ` (3)`… (the oldest keeps its
    /// name, a numbered name already taken is skipped), and every name is folded in
    /// Unicode, which SQLite's lower() cannot do.
    #[tokio::test]
    async fn part_one_duplicates_are_renamed_oldest_first_and_names_are_folded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mycloud.db");
        {
            let mut conn = open_connection(&path).unwrap();
            embedded::migrations::runner()
                .set_target(refinery::Target::Version(4))
                .run(&mut conn)
                .unwrap();
            let user = "0190a0a0-0000-7000-8000-000000000001";
            conn.execute(
                "INSERT INTO users (id, username, password_hash, created_at) \
                 VALUES (?1, 'alice', 'x', 0)",
                [user],
            )
            .unwrap();
            let files = [
                ("0190a0a0-0000-7000-8000-00000000000a", "a.txt", 3),
                ("0190a0a0-0000-7000-8000-00000000000b", "a.txt", 1),
                ("0190a0a0-0000-7000-8000-00000000000c", "a.txt", 2),
                ("0190a0a0-0000-7000-8000-00000000000d", "a (2).txt", 9),
                ("0190a0a0-0000-7000-8000-00000000000e", "ОТЧЁТ.pdf", 5),
            ];
            for (id, name, time) in files {
                conn.execute(
                    "INSERT INTO files (id, owner_id, original_name, size, content_type, \
                     comment, uploaded_at) VALUES (?1, ?2, ?3, 0, 't', 'Ёлка', ?4)",
                    params![id, user, name, time],
                )
                .unwrap();
            }
        }
        drop(Sqlite::open(&path).await.expect("migrated"));
        let conn = open_connection(&path).unwrap();
        let name_of = |id: &str| -> (String, String, String) {
            conn.query_row(
                "SELECT original_name, name_fold, comment_fold FROM files WHERE id = ?1",
                [format!("0190a0a0-0000-7000-8000-00000000000{id}")],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
        };
        assert_eq!(name_of("b").0, "a.txt", "the oldest keeps its name");
        assert_eq!(name_of("c").0, "a (3).txt", "(2) was taken already");
        assert_eq!(name_of("a").0, "a (4).txt");
        assert_eq!(name_of("d").0, "a (2).txt");
        assert_eq!(
            name_of("e"),
            ("ОТЧЁТ.pdf".into(), "отчёт.pdf".into(), "ёлка".into())
        );
        let blob_is_id: bool = conn
            .query_row(
                "SELECT COUNT(*) = 0 FROM files WHERE blob_id != id",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(blob_is_id);
    }
}
