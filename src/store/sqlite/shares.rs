//! The SQL of shares and file requests for SQLite (see `store/shares.rs`).

use std::sync::LazyLock;

use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

use super::super::shares::{FileRequest, NO_SHARE, ShareRules, Shared};
use super::super::trash::ItemKind;
use super::tree::{FOLDER_COLUMNS, folder_from};
use super::{FILE_COLUMNS, Sqlite, file_from, opt_time_at, time_at, uuid_at};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{FolderId, UserId};

const REQUEST_COLUMNS: &str = "id, token, owner_id, folder_id, label, created_at, expires_at, \
     max_files, max_bytes, password, file_count, bytes_received";

/// Every file request: what `migrate-data` sends.
pub static ALL_REQUESTS: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {REQUEST_COLUMNS} FROM file_requests"));

pub fn insert_request(conn: &Connection, r: &FileRequest) -> rusqlite::Result<usize> {
    let sql = format!(
        "INSERT INTO file_requests ({REQUEST_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    );
    conn.prepare_cached(&sql)?.execute(params![
        r.id.hyphenated().to_string(),
        r.token,
        r.owner_id.to_string(),
        r.folder_id.to_string(),
        r.label,
        r.created_at.millis(),
        r.expires_at.map(Timestamp::millis),
        r.max_files.map(|n| n as i64),
        r.max_bytes.map(|n| n as i64),
        r.password_hash,
        r.file_count as i64,
        r.bytes_received as i64,
    ])
}

pub fn request_from(row: &Row<'_>) -> rusqlite::Result<FileRequest> {
    let opt_u64 = |i| row.get::<_, Option<i64>>(i).map(|n| n.map(|n| n as u64));
    Ok(FileRequest {
        id: uuid_at(row, 0)?,
        token: row.get(1)?,
        owner_id: UserId(uuid_at(row, 2)?),
        folder_id: FolderId(uuid_at(row, 3)?),
        label: row.get(4)?,
        created_at: time_at(row, 5)?,
        expires_at: opt_time_at(row, 6)?,
        max_files: opt_u64(7)?,
        max_bytes: opt_u64(8)?,
        password_hash: row.get(9)?,
        file_count: row.get::<_, i64>(10)? as u64,
        bytes_received: row.get::<_, i64>(11)? as u64,
    })
}

/// Applies the rules that `rules` names to the live, shared row `id` of `kind`.
fn apply_rules(conn: &Connection, kind: ItemKind, id: Uuid, rules: &ShareRules) -> Result<bool> {
    let sql = format!(
        "UPDATE {} SET \
           share_expires_at = CASE WHEN ?1 THEN ?2 ELSE share_expires_at END, \
           share_password = CASE WHEN ?3 THEN ?4 ELSE share_password END, \
           share_max_downloads = CASE WHEN ?5 THEN ?6 ELSE share_max_downloads END \
         WHERE id = ?7 AND share_token IS NOT NULL AND trashed_at IS NULL",
        kind.table()
    );
    let n = conn.prepare_cached(&sql)?.execute(params![
        rules.expires_at.is_some(),
        rules.expires_at.flatten().map(Timestamp::millis),
        rules.password_hash.is_some(),
        rules.password_hash.clone().flatten(),
        rules.max_downloads.is_some(),
        rules.max_downloads.flatten().map(|n| n as i64),
        id.hyphenated().to_string(),
    ])?;
    Ok(n == 1)
}

impl Sqlite {
    pub async fn share(
        &self,
        kind: ItemKind,
        id: Uuid,
        token: String,
        rules: ShareRules,
        now: Timestamp,
    ) -> Result<bool> {
        self.run(move |c| {
            let tx = c.transaction()?;
            let sql = format!(
                "UPDATE {} SET share_token = COALESCE(share_token, ?1), \
                 shared_at = COALESCE(shared_at, ?2) WHERE id = ?3 AND trashed_at IS NULL",
                kind.table()
            );
            let n = tx.prepare_cached(&sql)?.execute(params![
                token,
                now.millis(),
                id.hyphenated().to_string()
            ])?;
            if n == 0 {
                return Ok(false);
            }
            apply_rules(&tx, kind, id, &rules)?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    pub async fn update_share(&self, kind: ItemKind, id: Uuid, rules: ShareRules) -> Result<bool> {
        self.run(move |c| apply_rules(c, kind, id, &rules)).await
    }

    pub async fn unshare(&self, kind: ItemKind, id: Uuid) -> Result<()> {
        self.run(move |c| {
            let sql = format!("UPDATE {} SET {NO_SHARE} WHERE id = ?1", kind.table());
            c.prepare_cached(&sql)?
                .execute([id.hyphenated().to_string()])?;
            Ok(())
        })
        .await
    }

    pub async fn shared(&self, token: String) -> Result<Option<Shared>> {
        self.run(move |c| {
            let sql = format!(
                "SELECT {FILE_COLUMNS} FROM files WHERE share_token = ?1 AND trashed_at IS NULL"
            );
            if let Some(file) = c
                .prepare_cached(&sql)?
                .query_row([&token], file_from)
                .optional()?
            {
                return Ok(Some(Shared::File(file)));
            }
            let sql = format!(
                "SELECT {FOLDER_COLUMNS} FROM folders WHERE share_token = ?1 AND trashed_at IS NULL"
            );
            Ok(c.prepare_cached(&sql)?
                .query_row([&token], folder_from)
                .optional()?
                .map(Shared::Folder))
        })
        .await
    }

    pub async fn count_download(&self, kind: ItemKind, id: Uuid, token: String) -> Result<bool> {
        self.run(move |c| {
            let sql = format!(
                "UPDATE {} SET share_downloads = share_downloads + 1 \
                 WHERE id = ?1 AND share_token = ?2 AND trashed_at IS NULL \
                 AND (share_max_downloads IS NULL OR share_downloads < share_max_downloads)",
                kind.table()
            );
            let n = c
                .prepare_cached(&sql)?
                .execute(params![id.hyphenated().to_string(), token])?;
            Ok(n == 1)
        })
        .await
    }

    pub async fn shares(
        &self,
        owner: Option<UserId>,
    ) -> Result<(Vec<crate::store::FileRow>, Vec<crate::store::FolderRow>)> {
        self.run(move |c| {
            let owner = owner.map(|o| o.to_string());
            let only =
                "share_token IS NOT NULL AND trashed_at IS NULL AND (?1 IS NULL OR owner_id = ?1)";
            let files = c
                .prepare_cached(&format!("SELECT {FILE_COLUMNS} FROM files WHERE {only}"))?
                .query_map([&owner], file_from)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let folders = c
                .prepare_cached(&format!(
                    "SELECT {FOLDER_COLUMNS} FROM folders WHERE {only}"
                ))?
                .query_map([&owner], folder_from)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((files, folders))
        })
        .await
    }

    pub async fn child_named(
        &self,
        owner: UserId,
        folder: FolderId,
        name: String,
    ) -> Result<Option<Shared>> {
        self.run(move |c| {
            let (owner, folder) = (owner.to_string(), folder.to_string());
            let sql = format!(
                "SELECT {FOLDER_COLUMNS} FROM folders WHERE owner_id = ?1 AND COALESCE(parent_id, '') = ?2 \
                 AND name = ?3 AND trashed_at IS NULL"
            );
            if let Some(sub) = c
                .prepare_cached(&sql)?
                .query_row(params![owner, folder, name], folder_from)
                .optional()?
            {
                return Ok(Some(Shared::Folder(sub)));
            }
            let sql = format!(
                "SELECT {FILE_COLUMNS} FROM files WHERE owner_id = ?1 AND COALESCE(folder_id, '') = ?2 \
                 AND original_name = ?3 AND trashed_at IS NULL"
            );
            Ok(c.prepare_cached(&sql)?
                .query_row(params![owner, folder, name], file_from)
                .optional()?
                .map(Shared::File))
        })
        .await
    }

    pub async fn create_request(&self, r: FileRequest) -> Result<()> {
        self.run(move |c| {
            let live: bool = c
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM folders WHERE id = ?1 AND owner_id = ?2 \
                     AND trashed_at IS NULL)",
                )?
                .query_row(
                    params![r.folder_id.to_string(), r.owner_id.to_string()],
                    |row| row.get(0),
                )?;
            if !live {
                return Err(Error::NotFound);
            }
            insert_request(c, &r)?;
            Ok(())
        })
        .await
    }

    pub async fn requests(&self, owner: Option<UserId>) -> Result<Vec<FileRequest>> {
        self.run(move |c| {
            let sql = format!(
                "SELECT {REQUEST_COLUMNS} FROM file_requests WHERE ?1 IS NULL OR owner_id = ?1 \
                 ORDER BY created_at DESC, id DESC"
            );
            Ok(c.prepare_cached(&sql)?
                .query_map([owner.map(|o| o.to_string())], request_from)?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    pub async fn request(&self, id: Uuid) -> Result<Option<FileRequest>> {
        self.run(move |c| {
            let sql = format!("SELECT {REQUEST_COLUMNS} FROM file_requests WHERE id = ?1");
            Ok(c.prepare_cached(&sql)?
                .query_row([id.hyphenated().to_string()], request_from)
                .optional()?)
        })
        .await
    }

    pub async fn request_by_token(&self, token: String) -> Result<Option<FileRequest>> {
        self.run(move |c| {
            let sql = format!("SELECT {REQUEST_COLUMNS} FROM file_requests WHERE token = ?1");
            Ok(c.prepare_cached(&sql)?
                .query_row([token], request_from)
                .optional()?)
        })
        .await
    }

    pub async fn delete_request(&self, id: Uuid) -> Result<bool> {
        self.run(move |c| {
            let n = c
                .prepare_cached("DELETE FROM file_requests WHERE id = ?1")?
                .execute([id.hyphenated().to_string()])?;
            Ok(n == 1)
        })
        .await
    }

    pub async fn claim_request_file(&self, id: Uuid) -> Result<bool> {
        self.run(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE file_requests SET file_count = file_count + 1 WHERE id = ?1 \
                     AND (max_files IS NULL OR file_count < max_files)",
                )?
                .execute([id.hyphenated().to_string()])?;
            Ok(n == 1)
        })
        .await
    }

    pub async fn release_request_file(&self, id: Uuid, bytes: u64) -> Result<()> {
        self.run(move |c| {
            c.prepare_cached(
                "UPDATE file_requests SET file_count = MAX(file_count - 1, 0), \
                 bytes_received = MAX(bytes_received - ?2, 0) WHERE id = ?1",
            )?
            .execute(params![id.hyphenated().to_string(), bytes as i64])?;
            Ok(())
        })
        .await
    }

    pub async fn add_request_bytes(&self, id: Uuid, size: u64) -> Result<bool> {
        self.run(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE file_requests SET bytes_received = bytes_received + ?2 WHERE id = ?1 \
                     AND (max_bytes IS NULL OR bytes_received + ?2 <= max_bytes)",
                )?
                .execute(params![id.hyphenated().to_string(), size as i64])?;
            Ok(n == 1)
        })
        .await
    }
}
