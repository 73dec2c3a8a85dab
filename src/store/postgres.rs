//! The PostgreSQL dialect: every SQL statement for `--database-url postgres://…` and the
//! migrations embedded from `migrations/postgres` (how connections are made and errors
//! classified is in `connection.rs`). Same behaviour as `sqlite.rs` in native types: uuid
//! ids, timestamptz times (written as whole milliseconds, so they read back exactly),
//! bigint sizes, bytea token hashes.

use std::pin::pin;
use std::time::SystemTime;

use deadpool_postgres::{GenericClient, Object, Pool, Transaction};
use futures_util::TryStreamExt;
use futures_util::future::try_join_all;
use tokio::sync::mpsc;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, Row, Statement};
use uuid::Uuid;

use super::copy::{
    BATCH_ROWS, Batch, Counts, SessionRecord, UserRecord, check_copied, not_empty, target_stopped,
};
use super::{
    BlobRef, FileRow, LATEST_MIGRATION, NewSession, NewUser, ProfileChanges, References,
    SessionUser, Share, Storage, User, UserWithStorage, fold, last_admin,
};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{BlobId, FileId, FolderId, TokenHash, UserId};

mod connection;
mod shares;
mod trash;
mod tree;
mod uploads;

use connection::{acquire, chain, pool, settings, target};

mod embedded {
    refinery::embed_migrations!("migrations/postgres");
}

const USER_COLUMNS: &str =
    "u.id, u.username, u.full_name, u.email, u.is_admin, u.avatar, u.created_at, u.last_login_at";
/// Ends with the six share columns (`share_token` … `share_downloads`), read by `share_at`.
const FILE_COLUMNS: &str = "id, owner_id, original_name, size, content_type, comment, uploaded_at, \
     last_downloaded_at, missing_since, folder_id, blob_id, trashed_at, trash_root, \
     share_token, shared_at, share_expires_at, share_password, share_max_downloads, \
     share_downloads";
const INSERT_USER: &str = "INSERT INTO users (id, username, full_name, email, password_hash, \
     is_admin, avatar, created_at, last_login_at, quota_bytes) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const INSERT_SESSION: &str = "INSERT INTO sessions \
     (token_hash, user_id, created_at, last_seen_at, user_agent, ip) VALUES ($1, $2, $3, $4, $5, $6)";
const INSERT_FILE: &str = "INSERT INTO files (id, owner_id, original_name, size, content_type, \
     comment, uploaded_at, last_downloaded_at, missing_since, folder_id, blob_id, trashed_at, \
     trash_root, share_token, shared_at, share_expires_at, share_password, share_max_downloads, \
     share_downloads, name_fold, comment_fold) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
     $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)";

type Params<'a> = [&'a (dyn ToSql + Sync)];

#[derive(Clone)]
pub struct Postgres {
    pool: Pool,
}

fn user_from(r: &Row) -> Result<User> {
    Ok(User {
        id: UserId(r.try_get(0)?),
        username: r.try_get(1)?,
        full_name: r.try_get(2)?,
        email: r.try_get(3)?,
        is_admin: r.try_get(4)?,
        avatar: r.try_get(5)?,
        created_at: Timestamp::from_system(r.try_get(6)?),
        last_login_at: opt_time(r.try_get(7)?),
    })
}

fn file_from(r: &Row) -> Result<FileRow> {
    Ok(FileRow {
        id: FileId(r.try_get(0)?),
        owner_id: UserId(r.try_get(1)?),
        name: r.try_get(2)?,
        size: r.try_get::<_, i64>(3)? as u64,
        content_type: r.try_get(4)?,
        comment: r.try_get(5)?,
        uploaded_at: Timestamp::from_system(r.try_get(6)?),
        last_downloaded_at: opt_time(r.try_get(7)?),
        missing_since: opt_time(r.try_get(8)?),
        folder_id: r.try_get::<_, Option<Uuid>>(9)?.map(FolderId),
        blob_id: BlobId(r.try_get(10)?),
        trash: trashed_at(r, 11)?,
        share: share_at(r, 13)?,
    })
}

/// The six share columns from `first`: `None` without a token.
fn share_at(r: &Row, first: usize) -> Result<Option<Share>> {
    let Some(token) = r.try_get::<_, Option<String>>(first)? else {
        return Ok(None);
    };
    Ok(Some(Share {
        token,
        created_at: Timestamp::from_system(r.try_get(first + 1)?),
        expires_at: opt_time(r.try_get(first + 2)?),
        password_hash: r.try_get(first + 3)?,
        max_downloads: r.try_get::<_, Option<i64>>(first + 4)?.map(|n| n as u64),
        download_count: r.try_get::<_, i64>(first + 5)? as u64,
    }))
}

/// A share's six columns as parameters, in the order `share_at` reads them.
struct ShareParams {
    token: Option<String>,
    created_at: Option<SystemTime>,
    expires_at: Option<SystemTime>,
    password_hash: Option<String>,
    max_downloads: Option<i64>,
    download_count: i64,
}

impl ShareParams {
    fn of(share: Option<&Share>) -> ShareParams {
        ShareParams {
            token: share.map(|s| s.token.clone()),
            created_at: share.map(|s| s.created_at.to_system()),
            expires_at: share.and_then(|s| s.expires_at).map(Timestamp::to_system),
            password_hash: share.and_then(|s| s.password_hash.clone()),
            max_downloads: share.and_then(|s| s.max_downloads).map(|n| n as i64),
            download_count: share.map_or(0, |s| s.download_count as i64),
        }
    }
}

/// The `trashed_at` and `trash_root` columns at `first`, `first + 1`.
fn trashed_at(r: &Row, first: usize) -> Result<Option<super::Trashed>> {
    let at: Option<SystemTime> = r.try_get(first)?;
    let root: Option<Uuid> = r.try_get(first + 1)?;
    Ok(match (at, root) {
        (Some(at), Some(root)) => Some(super::Trashed {
            at: Timestamp::from_system(at),
            root,
        }),
        _ => None,
    })
}

fn storage_from(r: &Row, first: usize) -> Result<Storage> {
    Ok(Storage {
        file_count: r.try_get::<_, i64>(first)? as u64,
        total_size: r.try_get::<_, i64>(first + 1)? as u64,
        trash_size: r.try_get::<_, i64>(first + 2)? as u64,
        quota_bytes: r.try_get::<_, Option<i64>>(first + 3)?.map(|q| q as u64),
        upload_size: r.try_get::<_, i64>(first + 4)? as u64,
    })
}

fn user_record_from(r: &Row) -> Result<UserRecord> {
    Ok(UserRecord {
        user: user_from(r)?,
        password_hash: r.try_get(8)?,
        quota_bytes: r.try_get::<_, Option<i64>>(9)?.map(|q| q as u64),
    })
}

fn session_record_from(r: &Row) -> Result<SessionRecord> {
    let hash: &[u8] = r.try_get(0)?;
    let hash = <[u8; 32]>::try_from(hash)
        .map_err(|_| Error::Internal("a session token hash is not 32 bytes".into()))?;
    Ok(SessionRecord {
        token_hash: TokenHash(hash),
        user_id: UserId(r.try_get(1)?),
        created_at: Timestamp::from_system(r.try_get(2)?),
        last_seen_at: Timestamp::from_system(r.try_get(3)?),
        user_agent: r.try_get(4)?,
        ip: r.try_get(5)?,
    })
}

fn opt_time(t: Option<SystemTime>) -> Option<Timestamp> {
    t.map(Timestamp::from_system)
}

fn to_system(t: Option<Timestamp>) -> Option<SystemTime> {
    t.map(Timestamp::to_system)
}

async fn query_opt<T>(
    c: &impl GenericClient,
    sql: &str,
    params: &Params<'_>,
    from_row: fn(&Row) -> Result<T>,
) -> Result<Option<T>> {
    let stmt = c.prepare_cached(sql).await?;
    c.query_opt(&stmt, params)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

async fn query_all<T>(
    c: &impl GenericClient,
    sql: &str,
    params: &Params<'_>,
    from_row: fn(&Row) -> Result<T>,
) -> Result<Vec<T>> {
    let stmt = c.prepare_cached(sql).await?;
    c.query(&stmt, params).await?.iter().map(from_row).collect()
}

async fn execute(c: &impl GenericClient, sql: &str, params: &Params<'_>) -> Result<u64> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.execute(&stmt, params).await?)
}

async fn file_by_id(c: &impl GenericClient, id: FileId) -> Result<Option<FileRow>> {
    let sql = format!("SELECT {FILE_COLUMNS} FROM files WHERE id = $1 AND trashed_at IS NULL");
    query_opt(c, &sql, &[&id.0], file_from).await
}

/// Locks every admin row (in id order, so two removals cannot deadlock), then the user's,
/// and refuses when the user is the last admin. Every change that can remove an admin
/// starts here inside its transaction, so two of them can never both count the other.
async fn lock_for_removal(tx: &Transaction<'_>, id: UserId) -> Result<User> {
    let admins: Vec<Uuid> = query_all(
        tx,
        "SELECT id FROM users WHERE is_admin ORDER BY id FOR UPDATE",
        &[],
        |r| Ok(r.try_get(0)?),
    )
    .await?;
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1 FOR UPDATE");
    let user = query_opt(tx, &sql, &[&id.0], user_from)
        .await?
        .ok_or(Error::NotFound)?;
    if user.is_admin && admins.iter().all(|admin| *admin == id.0) {
        return Err(last_admin());
    }
    Ok(user)
}

async fn counts_of(c: &impl GenericClient) -> Result<Counts> {
    let sql = "SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM sessions), \
               (SELECT COUNT(*) FROM folders), (SELECT COUNT(*) FROM files), \
               (SELECT COUNT(*) FROM file_requests)";
    let counts = query_opt(c, sql, &[], |r| {
        Ok(Counts {
            users: r.try_get::<_, i64>(0)? as u64,
            sessions: r.try_get::<_, i64>(1)? as u64,
            folders: r.try_get::<_, i64>(2)? as u64,
            files: r.try_get::<_, i64>(3)? as u64,
            requests: r.try_get::<_, i64>(4)? as u64,
        })
    })
    .await?;
    Ok(counts.unwrap_or_default())
}

/// Sends the rows `sql` selects to `to` in batches as they stream in, adding them to `sent`.
async fn export_table<T>(
    tx: &Transaction<'_>,
    sql: &str,
    from_row: fn(&Row) -> Result<T>,
    wrap: fn(Vec<T>) -> Batch,
    to: &mpsc::Sender<Batch>,
    sent: &mut Counts,
) -> Result<()> {
    let no_params: [&(dyn ToSql + Sync); 0] = [];
    let mut rows = pin!(tx.query_raw(sql, no_params).await?);
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    while let Some(row) = rows.try_next().await? {
        batch.push(from_row(&row)?);
        if batch.len() == BATCH_ROWS {
            send(to, wrap(std::mem::take(&mut batch)), sent).await?;
        }
    }
    if !batch.is_empty() {
        send(to, wrap(batch), sent).await?;
    }
    Ok(())
}

async fn send(to: &mpsc::Sender<Batch>, batch: Batch, sent: &mut Counts) -> Result<()> {
    sent.add(&batch);
    to.send(batch).await.map_err(|_| target_stopped())
}

async fn insert_user_record(tx: &Transaction<'_>, stmt: &Statement, r: &UserRecord) -> Result<()> {
    let u = &r.user;
    let (created_at, last_login_at) = (u.created_at.to_system(), to_system(u.last_login_at));
    let quota = r.quota_bytes.map(|q| q as i64);
    tx.execute(
        stmt,
        &[
            &u.id.0,
            &u.username,
            &u.full_name,
            &u.email,
            &r.password_hash,
            &u.is_admin,
            &u.avatar,
            &created_at,
            &last_login_at,
            &quota,
        ],
    )
    .await?;
    Ok(())
}

async fn insert_session_record(
    tx: &Transaction<'_>,
    stmt: &Statement,
    s: &SessionRecord,
) -> Result<()> {
    let hash: &[u8] = &s.token_hash.0;
    let (created_at, last_seen_at) = (s.created_at.to_system(), s.last_seen_at.to_system());
    tx.execute(
        stmt,
        &[
            &hash,
            &s.user_id.0,
            &created_at,
            &last_seen_at,
            &s.user_agent,
            &s.ip,
        ],
    )
    .await?;
    Ok(())
}

async fn insert_file_row(
    c: &impl GenericClient,
    stmt: &Statement,
    f: &FileRow,
) -> Result<(), tokio_postgres::Error> {
    let size = f.size as i64;
    let uploaded_at = f.uploaded_at.to_system();
    let last_downloaded_at = to_system(f.last_downloaded_at);
    let share = ShareParams::of(f.share.as_ref());
    let missing_since = to_system(f.missing_since);
    let folder_id = f.folder_id.map(|id| id.0);
    let trashed_at = f.trash.map(|t| t.at.to_system());
    let trash_root = f.trash.map(|t| t.root);
    let (name_fold, comment_fold) = (fold(&f.name), fold(&f.comment));
    c.execute(
        stmt,
        &[
            &f.id.0,
            &f.owner_id.0,
            &f.name,
            &size,
            &f.content_type,
            &f.comment,
            &uploaded_at,
            &last_downloaded_at,
            &missing_since,
            &folder_id,
            &f.blob_id.0,
            &trashed_at,
            &trash_root,
            &share.token,
            &share.created_at,
            &share.expires_at,
            &share.password_hash,
            &share.max_downloads,
            &share.download_count,
            &name_fold,
            &comment_fold,
        ],
    )
    .await?;
    Ok(())
}

/// Inserts one batch; the statements are pipelined on the connection, not one round trip
/// each.
async fn import_batch(tx: &Transaction<'_>, batch: &Batch) -> Result<()> {
    match batch {
        Batch::Users(rows) => {
            let stmt = tx.prepare_cached(INSERT_USER).await?;
            try_join_all(rows.iter().map(|r| insert_user_record(tx, &stmt, r))).await?;
        }
        Batch::Sessions(rows) => {
            let stmt = tx.prepare_cached(INSERT_SESSION).await?;
            try_join_all(rows.iter().map(|r| insert_session_record(tx, &stmt, r))).await?;
        }
        Batch::Folders(rows) => {
            let stmt = tx.prepare_cached(tree::INSERT_FOLDER).await?;
            try_join_all(rows.iter().map(|f| tree::insert_folder_row(tx, &stmt, f))).await?;
        }
        Batch::Files(rows) => {
            let stmt = tx.prepare_cached(INSERT_FILE).await?;
            try_join_all(rows.iter().map(|f| insert_file_row(tx, &stmt, f))).await?;
        }
        Batch::Requests(rows) => {
            let stmt = tx.prepare_cached(shares::INSERT_REQUEST).await?;
            try_join_all(rows.iter().map(|r| shares::insert_request(tx, &stmt, r))).await?;
        }
        Batch::End(_) => {}
    }
    Ok(())
}

/// The version refinery last applied; `None` on a new database (no history table yet).
async fn schema_version(client: &tokio_postgres::Client) -> Option<i32> {
    client
        .query_one("SELECT MAX(version) FROM refinery_schema_history", &[])
        .await
        .ok()?
        .try_get(0)
        .ok()?
}

impl Postgres {
    /// Connects (one clear line when it cannot) and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Postgres> {
        let config = settings(url)?;
        let target = target(&config);
        let pool = pool(config)?;
        let mut client = acquire(&pool).await.map_err(|why| {
            Error::Unavailable(format!("cannot connect to PostgreSQL at {target}: {why}"))
        })?;
        let client: &mut tokio_postgres::Client = &mut client;
        let version = schema_version(client).await;
        if version != Some(LATEST_MIGRATION) {
            let failed =
                |e| Error::Internal(format!("migrating PostgreSQL at {target}: {}", chain(&e)));
            // Between V5 and V6 the server folds names and renames duplicates (see
            // sqlite.rs `migrate` for why).
            if version.is_none_or(|v| v < 6) {
                embedded::migrations::runner()
                    .set_target(refinery::Target::Version(5))
                    .run_async(client)
                    .await
                    .map_err(failed)?;
                tree::prepare_unique_names(client).await?;
            }
            embedded::migrations::runner()
                .run_async(client)
                .await
                .map_err(failed)?;
        }
        Ok(Postgres { pool })
    }

    async fn client(&self) -> Result<Object> {
        acquire(&self.pool).await.map_err(Error::Unavailable)
    }

    pub async fn ping(&self) -> Result<()> {
        self.client().await?.simple_query("SELECT 1").await?;
        Ok(())
    }

    pub async fn create_user(&self, new: NewUser) -> Result<User> {
        let c = self.client().await?;
        let sql = format!(
            "INSERT INTO users AS u (id, username, full_name, email, password_hash, is_admin, \
             created_at, quota_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {USER_COLUMNS}"
        );
        let now = Timestamp::now().to_system();
        let quota = new.quota_bytes.map(|q| q as i64);
        let params: &Params<'_> = &[
            &UserId::new().0,
            &new.username,
            &new.full_name,
            &new.email,
            &new.password_hash,
            &new.is_admin,
            &now,
            &quota,
        ];
        query_opt(&c, &sql, params, user_from)
            .await?
            .ok_or(Error::NotFound)
    }

    pub async fn storage_of(&self, id: UserId) -> Result<Option<Storage>> {
        let c = self.client().await?;
        let sql = "SELECT file_count, total_size, trash_size, quota_bytes, upload_size FROM users WHERE id = $1";
        query_opt(&c, sql, &[&id.0], |r| storage_from(r, 0)).await
    }

    pub async fn set_quota(&self, id: UserId, quota: Option<u64>) -> Result<User> {
        let c = self.client().await?;
        let sql =
            format!("UPDATE users u SET quota_bytes = $1 WHERE u.id = $2 RETURNING {USER_COLUMNS}");
        let quota = quota.map(|q| q as i64);
        query_opt(&c, &sql, &[&quota, &id.0], user_from)
            .await?
            .ok_or(Error::NotFound)
    }

    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        let c = self.client().await?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        query_opt(&c, &sql, &[&id.0], user_from).await
    }

    pub async fn user_by_name(&self, username: String) -> Result<Option<(User, String)>> {
        let c = self.client().await?;
        // lower() on both sides: the unique index on lower(username) serves the lookup.
        let sql = format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u \
             WHERE lower(u.username COLLATE \"C\") = lower($1 COLLATE \"C\")"
        );
        query_opt(&c, &sql, &[&username], |r| {
            Ok((user_from(r)?, r.try_get(8)?))
        })
        .await
    }

    pub async fn users_with_storage(&self) -> Result<Vec<UserWithStorage>> {
        let c = self.client().await?;
        let sql = format!(
            "SELECT {USER_COLUMNS}, u.file_count, u.total_size, u.trash_size, u.quota_bytes, u.upload_size \
             FROM users u \
             ORDER BY lower(u.username COLLATE \"C\")"
        );
        query_all(&c, &sql, &[], |r| {
            Ok(UserWithStorage {
                user: user_from(r)?,
                storage: storage_from(r, 8)?,
            })
        })
        .await
    }

    pub async fn update_profile(&self, id: UserId, changes: ProfileChanges) -> Result<User> {
        let c = self.client().await?;
        let (set_email, email) = match changes.email {
            Some(email) => (true, email),
            None => (false, None),
        };
        let sql = format!(
            "UPDATE users u SET full_name = COALESCE($1, full_name), \
             email = CASE WHEN $2 THEN $3 ELSE email END WHERE u.id = $4 RETURNING {USER_COLUMNS}"
        );
        let params: &Params<'_> = &[&changes.full_name, &set_email, &email, &id.0];
        query_opt(&c, &sql, params, user_from)
            .await?
            .ok_or(Error::NotFound)
    }

    pub async fn set_password(
        &self,
        id: UserId,
        hash: String,
        keep: Option<TokenHash>,
    ) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let sql = "UPDATE users SET password_hash = $1 WHERE id = $2";
        if execute(&tx, sql, &[&hash, &id.0]).await? == 0 {
            return Err(Error::NotFound);
        }
        // No session has an empty hash, so without `keep` every session goes.
        let keep = keep.map(|k| k.0.to_vec()).unwrap_or_default();
        let sql = "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2";
        execute(&tx, sql, &[&id.0, &keep]).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn upgrade_password_hash(&self, id: UserId, hash: String) -> Result<()> {
        let c = self.client().await?;
        let sql = "UPDATE users SET password_hash = $1 WHERE id = $2";
        execute(&c, sql, &[&hash, &id.0]).await?;
        Ok(())
    }

    pub async fn set_admin(&self, id: UserId, is_admin: bool) -> Result<User> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        if !is_admin {
            lock_for_removal(&tx, id).await?;
        }
        let sql =
            format!("UPDATE users u SET is_admin = $1 WHERE u.id = $2 RETURNING {USER_COLUMNS}");
        let user = query_opt(&tx, &sql, &[&is_admin, &id.0], user_from)
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn delete_user(&self, id: UserId) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        lock_for_removal(&tx, id).await?;
        // Sessions and files go by ON DELETE CASCADE.
        execute(&tx, "DELETE FROM users WHERE id = $1", &[&id.0]).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_avatar(&self, id: UserId, avatar: Option<String>) -> Result<Option<String>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let sql = "SELECT avatar FROM users WHERE id = $1 FOR UPDATE";
        let old = query_opt(&tx, sql, &[&id.0], |r| Ok(r.try_get(0)?))
            .await?
            .ok_or(Error::NotFound)?;
        let sql = "UPDATE users SET avatar = $1 WHERE id = $2";
        execute(&tx, sql, &[&avatar, &id.0]).await?;
        tx.commit().await?;
        Ok(old)
    }

    pub async fn create_session(&self, new: NewSession) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let hash: &[u8] = &new.token_hash.0;
        let now = new.created_at.to_system();
        let sql = "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, \
                   user_agent, ip) VALUES ($1, $2, $3, $3, $4, $5)";
        let params: &Params<'_> = &[&hash, &new.user_id.0, &now, &new.user_agent, &new.ip];
        execute(&tx, sql, params).await?;
        let sql = "UPDATE users SET last_login_at = $1 WHERE id = $2";
        execute(&tx, sql, &[&now, &new.user_id.0]).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn session_user(&self, hash: TokenHash) -> Result<Option<SessionUser>> {
        let c = self.client().await?;
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.created_at, s.last_seen_at, u.file_count, u.total_size, \
             u.trash_size, u.quota_bytes, u.upload_size FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
        );
        let hash: &[u8] = &hash.0;
        query_opt(&c, &sql, &[&hash], |r| {
            Ok(SessionUser {
                user: user_from(r)?,
                created_at: Timestamp::from_system(r.try_get(8)?),
                last_seen_at: Timestamp::from_system(r.try_get(9)?),
                storage: storage_from(r, 10)?,
            })
        })
        .await
    }

    pub async fn touch_session(&self, hash: TokenHash, now: Timestamp) -> Result<()> {
        let c = self.client().await?;
        let (hash, now): (&[u8], _) = (&hash.0, now.to_system());
        let sql = "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2";
        execute(&c, sql, &[&now, &hash]).await?;
        Ok(())
    }

    pub async fn delete_session(&self, hash: TokenHash) -> Result<()> {
        let c = self.client().await?;
        let hash: &[u8] = &hash.0;
        execute(&c, "DELETE FROM sessions WHERE token_hash = $1", &[&hash]).await?;
        Ok(())
    }

    pub async fn delete_expired_sessions(
        &self,
        idle_cutoff: Timestamp,
        age_cutoff: Timestamp,
        dry_run: bool,
    ) -> Result<u64> {
        let c = self.client().await?;
        let (idle, age) = (idle_cutoff.to_system(), age_cutoff.to_system());
        let expired = "FROM sessions WHERE last_seen_at < $1 OR created_at < $2";
        if dry_run {
            let sql = format!("SELECT COUNT(*) {expired}");
            let n = query_opt(&c, &sql, &[&idle, &age], |r| Ok(r.try_get::<_, i64>(0)?)).await?;
            Ok(n.unwrap_or(0) as u64)
        } else {
            execute(&c, &format!("DELETE {expired}"), &[&idle, &age]).await
        }
    }

    pub async fn file(&self, id: FileId) -> Result<Option<FileRow>> {
        file_by_id(&self.client().await?, id).await
    }

    pub async fn delete_file(&self, id: FileId) -> Result<Option<FileRow>> {
        let c = self.client().await?;
        let sql = format!(
            "DELETE FROM files WHERE id = $1 AND trashed_at IS NULL RETURNING {FILE_COLUMNS}"
        );
        query_opt(&c, &sql, &[&id.0], file_from).await
    }

    pub async fn mark_downloaded(&self, id: FileId, now: Timestamp) -> Result<()> {
        let c = self.client().await?;
        let sql = "UPDATE files SET last_downloaded_at = $1 WHERE id = $2 AND trashed_at IS NULL";
        execute(&c, sql, &[&now.to_system(), &id.0]).await?;
        Ok(())
    }

    pub async fn references(&self) -> Result<References> {
        let c = self.client().await?;
        let users = query_all(&c, "SELECT id FROM users", &[], |r| {
            Ok(UserId(r.try_get(0)?))
        })
        .await?;
        let sql = "SELECT owner_id, id, size, missing_since IS NOT NULL, blob_id FROM files";
        let blobs = query_all(&c, sql, &[], |r| {
            Ok(BlobRef {
                owner_id: UserId(r.try_get(0)?),
                file_id: FileId(r.try_get(1)?),
                size: r.try_get::<_, i64>(2)? as u64,
                marked_missing: r.try_get(3)?,
                blob_id: BlobId(r.try_get(4)?),
            })
        })
        .await?;
        let sql = "SELECT id, avatar FROM users WHERE avatar IS NOT NULL";
        let avatars =
            query_all(&c, sql, &[], |r| Ok((UserId(r.try_get(0)?), r.try_get(1)?))).await?;
        let sql = "SELECT owner_id, id FROM uploads WHERE file_id IS NULL";
        let uploads =
            query_all(&c, sql, &[], |r| Ok((UserId(r.try_get(0)?), r.try_get(1)?))).await?;
        Ok(References {
            blobs,
            avatars,
            users,
            uploads,
        })
    }

    pub async fn mark_missing(&self, id: FileId, blob: BlobId, now: Timestamp) -> Result<bool> {
        let c = self.client().await?;
        let sql = "UPDATE files SET missing_since = COALESCE(missing_since, $1) \
                   WHERE id = $2 AND blob_id = $3";
        Ok(execute(&c, sql, &[&now.to_system(), &id.0, &blob.0]).await? > 0)
    }

    pub async fn unmark_missing(&self, id: FileId) -> Result<()> {
        let c = self.client().await?;
        let sql = "UPDATE files SET missing_since = NULL WHERE id = $1";
        execute(&c, sql, &[&id.0]).await?;
        Ok(())
    }

    pub async fn counts(&self) -> Result<Counts> {
        counts_of(&self.client().await?).await
    }

    pub async fn export(&self, to: mpsc::Sender<Batch>) -> Result<()> {
        let mut c = self.client().await?;
        // One snapshot for all three tables, even while a server keeps writing.
        let tx = c
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let mut sent = Counts::default();
        let users = format!("SELECT {USER_COLUMNS}, u.password_hash, u.quota_bytes FROM users u");
        export_table(&tx, &users, user_record_from, Batch::Users, &to, &mut sent).await?;
        let sessions =
            "SELECT token_hash, user_id, created_at, last_seen_at, user_agent, ip FROM sessions";
        export_table(
            &tx,
            sessions,
            session_record_from,
            Batch::Sessions,
            &to,
            &mut sent,
        )
        .await?;
        let folders = tree::FOLDERS_PARENTS_FIRST;
        export_table(
            &tx,
            folders,
            tree::folder_from,
            Batch::Folders,
            &to,
            &mut sent,
        )
        .await?;
        let files = format!("SELECT {FILE_COLUMNS} FROM files");
        export_table(&tx, &files, file_from, Batch::Files, &to, &mut sent).await?;
        let requests = shares::ALL_REQUESTS;
        export_table(
            &tx,
            requests,
            shares::request_from,
            Batch::Requests,
            &to,
            &mut sent,
        )
        .await?;
        to.send(Batch::End(sent))
            .await
            .map_err(|_| target_stopped())
    }

    pub async fn import(&self, mut from: mpsc::Receiver<Batch>) -> Result<Option<Counts>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // Nobody may slip rows in between the emptiness check and the commit.
        tx.batch_execute(
            "LOCK TABLE users, sessions, folders, files, file_requests IN EXCLUSIVE MODE",
        )
        .await?;
        let found = counts_of(&tx).await?;
        if !found.is_empty() {
            return Err(not_empty(found));
        }
        let mut copied = Counts::default();
        while let Some(batch) = from.recv().await {
            copied.add(&batch);
            import_batch(&tx, &batch).await?;
            if let Batch::End(sent) = batch {
                check_copied(sent, copied)?;
                tx.commit().await?;
                return Ok(Some(copied));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use tokio_postgres::types::{FromSql, Type};

    use super::*;

    #[test]
    fn timestamps_survive_timestamptz_to_the_millisecond() {
        for ms in [0, 1, 999, 1_700_000_000_123, 4_102_444_800_001] {
            let mut wire = BytesMut::new();
            Timestamp(ms)
                .to_system()
                .to_sql(&Type::TIMESTAMPTZ, &mut wire)
                .expect("to_sql");
            let back = SystemTime::from_sql(&Type::TIMESTAMPTZ, &wire).expect("from_sql");
            assert_eq!(Timestamp::from_system(back), Timestamp(ms));
        }
    }
}
