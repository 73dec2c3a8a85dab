//! The SQL of shares and file requests for PostgreSQL, the same behaviour as
//! `sqlite/shares.rs`.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use super::super::shares::{FileRequest, NO_SHARE, ShareRules, Shared};
use super::super::trash::ItemKind;
use super::super::{FileRow, FolderRow};
use super::tree::{FOLDER_COLUMNS, folder_from};
use super::{FILE_COLUMNS, Postgres, execute, file_from, opt_time, query_all, query_opt};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{FolderId, UserId};

const REQUEST_COLUMNS: &str = "id, token, owner_id, folder_id, label, created_at, expires_at, \
     max_files, max_bytes, password, file_count, bytes_received";

/// The root's stand-in in the unique-name indexes (`V8__trash.sql`).
const NO_FOLDER: Uuid = Uuid::nil();

/// Every file request: what `migrate-data` sends.
pub const ALL_REQUESTS: &str = "SELECT id, token, owner_id, folder_id, label, created_at, \
     expires_at, max_files, max_bytes, password, file_count, bytes_received FROM file_requests";

pub const INSERT_REQUEST: &str = "INSERT INTO file_requests (id, token, owner_id, folder_id, \
     label, created_at, expires_at, max_files, max_bytes, password, file_count, bytes_received) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

pub async fn insert_request(
    c: &impl GenericClient,
    stmt: &tokio_postgres::Statement,
    r: &FileRequest,
) -> Result<(), tokio_postgres::Error> {
    let expires = r.expires_at.map(Timestamp::to_system);
    let (max_files, max_bytes) = (r.max_files.map(|n| n as i64), r.max_bytes.map(|n| n as i64));
    let (count, bytes) = (r.file_count as i64, r.bytes_received as i64);
    c.execute(
        stmt,
        &[
            &r.id,
            &r.token,
            &r.owner_id.0,
            &r.folder_id.0,
            &r.label,
            &r.created_at.to_system(),
            &expires,
            &max_files,
            &max_bytes,
            &r.password_hash,
            &count,
            &bytes,
        ],
    )
    .await?;
    Ok(())
}

pub fn request_from(r: &Row) -> Result<FileRequest> {
    let opt_u64 =
        |i| -> Result<Option<u64>> { Ok(r.try_get::<_, Option<i64>>(i)?.map(|n| n as u64)) };
    Ok(FileRequest {
        id: r.try_get(0)?,
        token: r.try_get(1)?,
        owner_id: UserId(r.try_get(2)?),
        folder_id: FolderId(r.try_get(3)?),
        label: r.try_get(4)?,
        created_at: Timestamp::from_system(r.try_get(5)?),
        expires_at: opt_time(r.try_get(6)?),
        max_files: opt_u64(7)?,
        max_bytes: opt_u64(8)?,
        password_hash: r.try_get(9)?,
        file_count: r.try_get::<_, i64>(10)? as u64,
        bytes_received: r.try_get::<_, i64>(11)? as u64,
    })
}

async fn apply_rules(
    c: &impl GenericClient,
    kind: ItemKind,
    id: Uuid,
    rules: &ShareRules,
) -> Result<bool> {
    let sql = format!(
        "UPDATE {} SET \
           share_expires_at = CASE WHEN $1 THEN $2 ELSE share_expires_at END, \
           share_password = CASE WHEN $3 THEN $4 ELSE share_password END, \
           share_max_downloads = CASE WHEN $5 THEN $6 ELSE share_max_downloads END \
         WHERE id = $7 AND share_token IS NOT NULL AND trashed_at IS NULL",
        kind.table()
    );
    let expires = rules.expires_at.flatten().map(Timestamp::to_system);
    let password = rules.password_hash.clone().flatten();
    let max = rules.max_downloads.flatten().map(|n| n as i64);
    let n = execute(
        c,
        &sql,
        &[
            &rules.expires_at.is_some(),
            &expires,
            &rules.password_hash.is_some(),
            &password,
            &rules.max_downloads.is_some(),
            &max,
            &id,
        ],
    )
    .await?;
    Ok(n == 1)
}

impl Postgres {
    pub async fn share(
        &self,
        kind: ItemKind,
        id: Uuid,
        token: String,
        rules: ShareRules,
        now: Timestamp,
    ) -> Result<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let sql = format!(
            "UPDATE {} SET share_token = COALESCE(share_token, $1), \
             shared_at = COALESCE(shared_at, $2) WHERE id = $3 AND trashed_at IS NULL",
            kind.table()
        );
        if execute(&tx, &sql, &[&token, &now.to_system(), &id]).await? == 0 {
            return Ok(false);
        }
        apply_rules(&tx, kind, id, &rules).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn update_share(&self, kind: ItemKind, id: Uuid, rules: ShareRules) -> Result<bool> {
        let c = self.client().await?;
        apply_rules(&c, kind, id, &rules).await
    }

    pub async fn unshare(&self, kind: ItemKind, id: Uuid) -> Result<()> {
        let c = self.client().await?;
        let sql = format!("UPDATE {} SET {NO_SHARE} WHERE id = $1", kind.table());
        execute(&c, &sql, &[&id]).await?;
        Ok(())
    }

    pub async fn shared(&self, token: String) -> Result<Option<Shared>> {
        let c = self.client().await?;
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM files WHERE share_token = $1 AND trashed_at IS NULL"
        );
        if let Some(file) = query_opt(&c, &sql, &[&token], file_from).await? {
            return Ok(Some(Shared::File(file)));
        }
        let sql = format!(
            "SELECT {FOLDER_COLUMNS} FROM folders WHERE share_token = $1 AND trashed_at IS NULL"
        );
        Ok(query_opt(&c, &sql, &[&token], folder_from)
            .await?
            .map(Shared::Folder))
    }

    pub async fn count_download(&self, kind: ItemKind, id: Uuid, token: String) -> Result<bool> {
        let c = self.client().await?;
        let sql = format!(
            "UPDATE {} SET share_downloads = share_downloads + 1 \
             WHERE id = $1 AND share_token = $2 AND trashed_at IS NULL \
             AND (share_max_downloads IS NULL OR share_downloads < share_max_downloads)",
            kind.table()
        );
        Ok(execute(&c, &sql, &[&id, &token]).await? == 1)
    }

    pub async fn shares(&self, owner: Option<UserId>) -> Result<(Vec<FileRow>, Vec<FolderRow>)> {
        let c = self.client().await?;
        let owner = owner.map(|o| o.0);
        let only = "share_token IS NOT NULL AND trashed_at IS NULL \
                    AND ($1::uuid IS NULL OR owner_id = $1)";
        let files = query_all(
            &c,
            &format!("SELECT {FILE_COLUMNS} FROM files WHERE {only}"),
            &[&owner],
            file_from,
        )
        .await?;
        let folders = query_all(
            &c,
            &format!("SELECT {FOLDER_COLUMNS} FROM folders WHERE {only}"),
            &[&owner],
            folder_from,
        )
        .await?;
        Ok((files, folders))
    }

    pub async fn child_named(
        &self,
        owner: UserId,
        folder: FolderId,
        name: String,
    ) -> Result<Option<Shared>> {
        let c = self.client().await?;
        let sql = format!(
            "SELECT {FOLDER_COLUMNS} FROM folders WHERE owner_id = $1 \
             AND COALESCE(parent_id, $4) = $2 AND name = $3 AND trashed_at IS NULL"
        );
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
            [&owner.0, &folder.0, &name, &NO_FOLDER];
        if let Some(sub) = query_opt(&c, &sql, &params, folder_from).await? {
            return Ok(Some(Shared::Folder(sub)));
        }
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM files WHERE owner_id = $1 \
             AND COALESCE(folder_id, $4) = $2 AND original_name = $3 AND trashed_at IS NULL"
        );
        Ok(query_opt(&c, &sql, &params, file_from)
            .await?
            .map(Shared::File))
    }

    pub async fn create_request(&self, r: FileRequest) -> Result<()> {
        let c = self.client().await?;
        let live = query_opt(
            &c,
            "SELECT EXISTS (SELECT 1 FROM folders WHERE id = $1 AND owner_id = $2 \
             AND trashed_at IS NULL)",
            &[&r.folder_id.0, &r.owner_id.0],
            |row| Ok(row.try_get::<_, bool>(0)?),
        )
        .await?;
        if live != Some(true) {
            return Err(Error::NotFound);
        }
        let stmt = c.prepare_cached(INSERT_REQUEST).await?;
        match insert_request(&c, &stmt, &r).await {
            // The folder went between the check and the insert.
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) => {
                Err(Error::NotFound)
            }
            other => Ok(other?),
        }
    }

    pub async fn requests(&self, owner: Option<UserId>) -> Result<Vec<FileRequest>> {
        let c = self.client().await?;
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM file_requests \
             WHERE $1::uuid IS NULL OR owner_id = $1 ORDER BY created_at DESC, id DESC"
        );
        query_all(&c, &sql, &[&owner.map(|o| o.0)], request_from).await
    }

    pub async fn request(&self, id: Uuid) -> Result<Option<FileRequest>> {
        let c = self.client().await?;
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM file_requests WHERE id = $1");
        query_opt(&c, &sql, &[&id], request_from).await
    }

    pub async fn request_by_token(&self, token: String) -> Result<Option<FileRequest>> {
        let c = self.client().await?;
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM file_requests WHERE token = $1");
        query_opt(&c, &sql, &[&token], request_from).await
    }

    pub async fn delete_request(&self, id: Uuid) -> Result<bool> {
        let c = self.client().await?;
        Ok(execute(&c, "DELETE FROM file_requests WHERE id = $1", &[&id]).await? == 1)
    }

    pub async fn claim_request_file(&self, id: Uuid) -> Result<bool> {
        let c = self.client().await?;
        let sql = "UPDATE file_requests SET file_count = file_count + 1 WHERE id = $1 \
                   AND (max_files IS NULL OR file_count < max_files)";
        Ok(execute(&c, sql, &[&id]).await? == 1)
    }

    pub async fn release_request_file(&self, id: Uuid, bytes: u64) -> Result<()> {
        let c = self.client().await?;
        let sql = "UPDATE file_requests SET file_count = GREATEST(file_count - 1, 0), \
                   bytes_received = GREATEST(bytes_received - $2, 0) WHERE id = $1";
        execute(&c, sql, &[&id, &(bytes as i64)]).await?;
        Ok(())
    }

    pub async fn add_request_bytes(&self, id: Uuid, size: u64) -> Result<bool> {
        let c = self.client().await?;
        let sql = "UPDATE file_requests SET bytes_received = bytes_received + $2 WHERE id = $1 \
                   AND (max_bytes IS NULL OR bytes_received + $2 <= max_bytes)";
        Ok(execute(&c, sql, &[&id, &(size as i64)]).await? == 1)
    }
}
