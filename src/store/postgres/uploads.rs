//! The SQL of resumable uploads for PostgreSQL, the same behaviour as `sqlite/uploads.rs`.

use tokio_postgres::Row;
use uuid::Uuid;

use super::super::FileRow;
use super::super::tree::{OnConflict, Stored, is_name_taken};
use super::super::uploads::{Expired, UploadRow};
use super::tree::{lock_account, store_in};
use super::{Postgres, execute, query_all, query_opt};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{FileId, FolderId, UserId};

const UPLOAD_COLUMNS: &str = "id, owner_id, created_by, folder_id, filename, comment, \
     content_type, on_conflict, upload_length, upload_offset, metadata, created_at, expires_at, \
     file_id";

fn upload_from(r: &Row) -> Result<UploadRow> {
    let on_conflict: &str = r.try_get(7)?;
    Ok(UploadRow {
        id: r.try_get(0)?,
        owner_id: UserId(r.try_get(1)?),
        created_by: UserId(r.try_get(2)?),
        folder_id: r.try_get::<_, Option<Uuid>>(3)?.map(FolderId),
        filename: r.try_get(4)?,
        comment: r.try_get(5)?,
        content_type: r.try_get(6)?,
        on_conflict: OnConflict::parse(on_conflict).unwrap_or(OnConflict::Rename),
        length: r.try_get::<_, i64>(8)? as u64,
        offset: r.try_get::<_, i64>(9)? as u64,
        metadata: r.try_get(10)?,
        created_at: Timestamp::from_system(r.try_get(11)?),
        expires_at: Timestamp::from_system(r.try_get(12)?),
        file_id: r.try_get::<_, Option<Uuid>>(13)?.map(FileId),
    })
}

impl Postgres {
    pub async fn create_upload(&self, u: UploadRow, max_unfinished: u64) -> Result<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // The account's lock makes the count and the insert one step for that account.
        lock_account(&tx, u.owner_id).await?;
        let unfinished = query_opt(
            &tx,
            "SELECT COUNT(*) FROM uploads WHERE owner_id = $1 AND file_id IS NULL",
            &[&u.owner_id.0],
            |r| Ok(r.try_get::<_, i64>(0)?),
        )
        .await?
        .unwrap_or(0);
        if unfinished as u64 >= max_unfinished {
            return Ok(false);
        }
        let sql = format!(
            "INSERT INTO uploads ({UPLOAD_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        );
        let folder = u.folder_id.map(|f| f.0);
        let (length, offset) = (u.length as i64, u.offset as i64);
        let file = u.file_id.map(|f| f.0);
        execute(
            &tx,
            &sql,
            &[
                &u.id,
                &u.owner_id.0,
                &u.created_by.0,
                &folder,
                &u.filename,
                &u.comment,
                &u.content_type,
                &u.on_conflict.name(),
                &length,
                &offset,
                &u.metadata,
                &u.created_at.to_system(),
                &u.expires_at.to_system(),
                &file,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn upload(&self, id: Uuid) -> Result<Option<UploadRow>> {
        let c = self.client().await?;
        let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = $1");
        query_opt(&c, &sql, &[&id], upload_from).await
    }

    pub async fn unfinished_uploads(&self, sender: UserId) -> Result<Vec<UploadRow>> {
        let c = self.client().await?;
        let sql = format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE created_by = $1 AND file_id IS NULL \
             ORDER BY created_at, id"
        );
        query_all(&c, &sql, &[&sender.0], upload_from).await
    }

    pub async fn advance_upload(
        &self,
        id: Uuid,
        from: u64,
        to: u64,
        expires_at: Timestamp,
    ) -> Result<bool> {
        let c = self.client().await?;
        let sql = "UPDATE uploads SET upload_offset = $1, expires_at = $2 \
                   WHERE id = $3 AND upload_offset = $4 AND file_id IS NULL";
        let n = execute(
            &c,
            sql,
            &[&(to as i64), &expires_at.to_system(), &id, &(from as i64)],
        )
        .await?;
        Ok(n == 1)
    }

    pub async fn complete_upload(
        &self,
        id: Uuid,
        file: FileRow,
        on_conflict: OnConflict,
    ) -> Result<Stored> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        lock_account(&tx, file.owner_id).await?;
        let mut file = file;
        if let Some(folder) = file.folder_id {
            let live = query_opt(
                &tx,
                "SELECT EXISTS (SELECT 1 FROM folders WHERE id = $1 AND owner_id = $2 \
                 AND trashed_at IS NULL)",
                &[&folder.0, &file.owner_id.0],
                |r| Ok(r.try_get::<_, bool>(0)?),
            )
            .await?
            .unwrap_or(false);
            if !live {
                file.folder_id = None;
            }
        }
        // A failed statement ends a PostgreSQL transaction: ask before trying.
        let on_conflict = match on_conflict {
            OnConflict::Fail => OnConflict::Rename,
            other => other,
        };
        let stored = match store_in(&tx, file.clone(), on_conflict).await {
            Err(e) if is_name_taken(&e) => store_in(&tx, file, OnConflict::Rename).await?,
            other => other?,
        };
        let stored_id = match &stored {
            Stored::New(f) | Stored::Replaced { file: f, .. } => f.id,
        };
        let n = execute(
            &tx,
            "UPDATE uploads SET file_id = $1, upload_offset = upload_length \
             WHERE id = $2 AND file_id IS NULL",
            &[&stored_id.0, &id],
        )
        .await?;
        if n == 0 {
            return Err(Error::NotFound);
        }
        tx.commit().await?;
        Ok(stored)
    }

    pub async fn delete_upload(&self, id: Uuid) -> Result<bool> {
        let c = self.client().await?;
        Ok(execute(&c, "DELETE FROM uploads WHERE id = $1", &[&id]).await? == 1)
    }

    pub async fn expire_uploads(&self, now: Timestamp, limit: usize) -> Result<Vec<Expired>> {
        let c = self.client().await?;
        query_all(
            &c,
            "DELETE FROM uploads WHERE id IN (SELECT id FROM uploads WHERE expires_at <= $1 \
             LIMIT $2) RETURNING id, owner_id, file_id IS NOT NULL",
            &[&now.to_system(), &(limit as i64)],
            |r| {
                Ok(Expired {
                    id: r.try_get(0)?,
                    owner_id: UserId(r.try_get(1)?),
                    finished: r.try_get(2)?,
                })
            },
        )
        .await
    }

    pub async fn count_expired_uploads(&self, now: Timestamp) -> Result<usize> {
        let c = self.client().await?;
        let n = query_opt(
            &c,
            "SELECT COUNT(*) FROM uploads WHERE expires_at <= $1",
            &[&now.to_system()],
            |r| Ok(r.try_get::<_, i64>(0)?),
        )
        .await?
        .unwrap_or(0);
        Ok(n as usize)
    }
}
