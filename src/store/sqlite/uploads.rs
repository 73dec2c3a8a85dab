//! The SQL of resumable uploads for SQLite (see `store/uploads.rs`).

use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use uuid::Uuid;

use super::super::FileRow;
use super::super::tree::is_name_taken;
use super::super::tree::{OnConflict, Stored};
use super::super::uploads::{Expired, UploadRow};
use super::tree::store_in;
use super::{Sqlite, opt_uuid_at, time_at, uuid_at};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{FileId, FolderId, UserId};

const UPLOAD_COLUMNS: &str = "id, owner_id, created_by, folder_id, filename, comment, \
     content_type, on_conflict, upload_length, upload_offset, metadata, created_at, expires_at, \
     file_id";

fn upload_from(row: &Row<'_>) -> rusqlite::Result<UploadRow> {
    let on_conflict: String = row.get(7)?;
    Ok(UploadRow {
        id: uuid_at(row, 0)?,
        owner_id: UserId(uuid_at(row, 1)?),
        created_by: UserId(uuid_at(row, 2)?),
        folder_id: opt_uuid_at(row, 3)?.map(FolderId),
        filename: row.get(4)?,
        comment: row.get(5)?,
        content_type: row.get(6)?,
        on_conflict: OnConflict::parse(&on_conflict).unwrap_or(OnConflict::Rename),
        length: row.get::<_, i64>(8)? as u64,
        offset: row.get::<_, i64>(9)? as u64,
        metadata: row.get(10)?,
        created_at: time_at(row, 11)?,
        expires_at: time_at(row, 12)?,
        file_id: opt_uuid_at(row, 13)?.map(FileId),
    })
}

impl Sqlite {
    pub async fn create_upload(&self, u: UploadRow, max_unfinished: u64) -> Result<bool> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let unfinished: i64 = tx
                .prepare_cached(
                    "SELECT COUNT(*) FROM uploads WHERE owner_id = ?1 AND file_id IS NULL",
                )?
                .query_row([u.owner_id.to_string()], |r| r.get(0))?;
            if unfinished as u64 >= max_unfinished {
                return Ok(false);
            }
            let sql = format!(
                "INSERT INTO uploads ({UPLOAD_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
            );
            tx.prepare_cached(&sql)?.execute(params![
                u.id.hyphenated().to_string(),
                u.owner_id.to_string(),
                u.created_by.to_string(),
                u.folder_id.map(|f| f.to_string()),
                u.filename,
                u.comment,
                u.content_type,
                u.on_conflict.name(),
                u.length as i64,
                u.offset as i64,
                u.metadata,
                u.created_at.millis(),
                u.expires_at.millis(),
                u.file_id.map(|f| f.to_string()),
            ])?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    pub async fn upload(&self, id: Uuid) -> Result<Option<UploadRow>> {
        self.run(move |c| {
            let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = ?1");
            Ok(c.prepare_cached(&sql)?
                .query_row([id.hyphenated().to_string()], upload_from)
                .optional()?)
        })
        .await
    }

    pub async fn unfinished_uploads(&self, sender: UserId) -> Result<Vec<UploadRow>> {
        self.run(move |c| {
            let sql = format!(
                "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE created_by = ?1 AND file_id IS NULL \
                 ORDER BY created_at, id"
            );
            Ok(c.prepare_cached(&sql)?
                .query_map([sender.to_string()], upload_from)?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    pub async fn advance_upload(
        &self,
        id: Uuid,
        from: u64,
        to: u64,
        expires_at: Timestamp,
    ) -> Result<bool> {
        self.run(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE uploads SET upload_offset = ?1, expires_at = ?2 \
                     WHERE id = ?3 AND upload_offset = ?4 AND file_id IS NULL",
                )?
                .execute(params![
                    to as i64,
                    expires_at.millis(),
                    id.hyphenated().to_string(),
                    from as i64
                ])?;
            Ok(n == 1)
        })
        .await
    }

    pub async fn complete_upload(
        &self,
        id: Uuid,
        file: FileRow,
        on_conflict: OnConflict,
    ) -> Result<Stored> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut file = file;
            // The folder may have gone since the upload began: the root takes the file.
            if let Some(folder) = file.folder_id {
                let live: bool = tx
                    .prepare_cached(
                        "SELECT EXISTS (SELECT 1 FROM folders WHERE id = ?1 AND owner_id = ?2 \
                         AND trashed_at IS NULL)",
                    )?
                    .query_row(
                        params![folder.to_string(), file.owner_id.to_string()],
                        |r| r.get(0),
                    )?;
                if !live {
                    file.folder_id = None;
                }
            }
            let stored = match store_in(&tx, file.clone(), on_conflict) {
                Err(e) if is_name_taken(&e) => store_in(&tx, file, OnConflict::Rename)?,
                other => other?,
            };
            let stored_id = match &stored {
                Stored::New(f) | Stored::Replaced { file: f, .. } => f.id,
            };
            let n = tx
                .prepare_cached(
                    "UPDATE uploads SET file_id = ?1, upload_offset = upload_length \
                     WHERE id = ?2 AND file_id IS NULL",
                )?
                .execute(params![stored_id.to_string(), id.hyphenated().to_string()])?;
            if n == 0 {
                return Err(Error::NotFound);
            }
            tx.commit()?;
            Ok(stored)
        })
        .await
    }

    pub async fn delete_upload(&self, id: Uuid) -> Result<bool> {
        self.run(move |c| {
            let n = c
                .prepare_cached("DELETE FROM uploads WHERE id = ?1")?
                .execute([id.hyphenated().to_string()])?;
            Ok(n == 1)
        })
        .await
    }

    pub async fn expire_uploads(&self, now: Timestamp, limit: usize) -> Result<Vec<Expired>> {
        self.run(move |c| {
            let expired = c
                .prepare_cached(
                    "DELETE FROM uploads WHERE id IN (SELECT id FROM uploads \
                     WHERE expires_at <= ?1 LIMIT ?2) RETURNING id, owner_id, file_id IS NOT NULL",
                )?
                .query_map(params![now.millis(), limit as i64], |r| {
                    Ok(Expired {
                        id: uuid_at(r, 0)?,
                        owner_id: UserId(uuid_at(r, 1)?),
                        finished: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(expired)
        })
        .await
    }

    pub async fn count_expired_uploads(&self, now: Timestamp) -> Result<usize> {
        self.run(move |c| {
            let n: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM uploads WHERE expires_at <= ?1")?
                .query_row([now.millis()], |r| r.get(0))?;
            Ok(n as usize)
        })
        .await
    }
}
