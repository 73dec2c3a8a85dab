//! The trash's SQL for PostgreSQL, the same behaviour as `sqlite/trash.rs`. Trashing a
//! folder and restoring lock the account's row first, as every namespace change does
//! (`tree.rs`), so an upload into a folder being trashed either lands before (and goes
//! with it) or finds the folder gone.

use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::Row;
use uuid::Uuid;

use super::super::fold;
use super::super::shares::NO_SHARE;
use super::super::trash::{ItemKind, Purged, Restored, TrashItem};
use super::super::tree::{numbered_name, suffixed_name};
use super::tree::{FOLDER_COLUMNS, folder_from, lock_account, name_in_use, owned_folder};
use super::{Postgres, execute, file_by_id, query_all, query_opt};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{BlobId, FileId, FolderId, UserId};

/// Trash items with their sizes (see the SQLite twin).
const ITEMS: &str = "SELECT * FROM ( \
       SELECT 'file'::text AS kind, id, owner_id, original_name AS name, folder_id AS parent, \
              size, trashed_at FROM files WHERE trashed_at IS NOT NULL AND trash_root = id \
       UNION ALL \
       SELECT 'folder', f.id, f.owner_id, f.name, f.parent_id, \
              (SELECT COALESCE(SUM(size), 0)::bigint FROM files WHERE trash_root = f.id \
                 AND trashed_at IS NOT NULL), \
              f.trashed_at FROM folders f WHERE f.trashed_at IS NOT NULL AND f.trash_root = f.id \
     ) t";

fn item_from(r: &Row) -> Result<TrashItem> {
    let kind: &str = r.try_get(0)?;
    Ok(TrashItem {
        kind: if kind == "file" {
            ItemKind::File
        } else {
            ItemKind::Folder
        },
        id: r.try_get(1)?,
        owner_id: UserId(r.try_get(2)?),
        name: r.try_get(3)?,
        parent: r.try_get::<_, Option<Uuid>>(4)?.map(FolderId),
        size: r.try_get::<_, i64>(5)? as u64,
        trashed_at: Timestamp::from_system(r.try_get(6)?),
    })
}

async fn item(c: &impl GenericClient, kind: ItemKind, id: Uuid) -> Result<Option<TrashItem>> {
    let sql = format!("{ITEMS} WHERE kind = $1 AND id = $2");
    query_opt(c, &sql, &[&kind.name(), &id], item_from).await
}

async fn free_name(
    c: &impl GenericClient,
    owner: UserId,
    folder: Option<FolderId>,
    name: &str,
) -> Result<String> {
    if !name_in_use(c, owner, folder, name, None).await? {
        return Ok(name.to_string());
    }
    let restored = suffixed_name(name, " (restored)");
    let mut candidate = restored.clone();
    let mut n = 2;
    while name_in_use(c, owner, folder, &candidate, None).await? {
        candidate = numbered_name(&restored, n);
        n += 1;
    }
    Ok(candidate)
}

fn blob_of(r: &Row) -> Result<(UserId, BlobId)> {
    Ok((UserId(r.try_get(0)?), BlobId(r.try_get(1)?)))
}

impl Postgres {
    pub async fn trash_file(&self, id: FileId, now: Timestamp) -> Result<()> {
        let c = self.client().await?;
        let sql = format!(
            "UPDATE files SET trashed_at = $1, trash_root = id, {NO_SHARE} \
             WHERE id = $2 AND trashed_at IS NULL"
        );
        if execute(&c, &sql, &[&now.to_system(), &id.0]).await? == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    pub async fn trash_folder(&self, id: FolderId, now: Timestamp) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let folder = owner_of_live_folder(&tx, id).await?;
        lock_account(&tx, folder).await?;
        let now = now.to_system();
        let live = "WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = $2 \
                      AND trashed_at IS NULL UNION ALL SELECT f.id FROM folders f \
                      JOIN sub ON f.parent_id = sub.id WHERE f.trashed_at IS NULL)";
        let sql = format!(
            "{live} UPDATE folders SET trashed_at = $1, trash_root = $2, {NO_SHARE} \
             WHERE id IN (SELECT id FROM sub)"
        );
        if execute(&tx, &sql, &[&now, &id.0]).await? == 0 {
            return Err(Error::NotFound);
        }
        let sql = format!(
            "UPDATE files SET trashed_at = $1, trash_root = $2, {NO_SHARE} \
             WHERE trashed_at IS NULL AND folder_id IN \
             (SELECT id FROM folders WHERE trash_root = $2)"
        );
        execute(&tx, &sql, &[&now, &id.0]).await?;
        let sql = "DELETE FROM file_requests WHERE folder_id IN \
                   (SELECT id FROM folders WHERE trash_root = $1)";
        execute(&tx, sql, &[&id.0]).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn trash_page(
        &self,
        owner: UserId,
        after: Option<(Timestamp, Uuid)>,
        limit: usize,
    ) -> Result<Vec<TrashItem>> {
        let c = self.client().await?;
        let limit = limit as i64;
        match after {
            Some((time, id)) => {
                let sql = format!(
                    "{ITEMS} WHERE owner_id = $1 AND trashed_at <= $2 \
                     AND (trashed_at < $2 OR id < $3) ORDER BY trashed_at DESC, id DESC LIMIT $4"
                );
                query_all(
                    &c,
                    &sql,
                    &[&owner.0, &time.to_system(), &id, &limit],
                    item_from,
                )
                .await
            }
            None => {
                let sql = format!(
                    "{ITEMS} WHERE owner_id = $1 ORDER BY trashed_at DESC, id DESC LIMIT $2"
                );
                query_all(&c, &sql, &[&owner.0, &limit], item_from).await
            }
        }
    }

    pub async fn trash_item(&self, kind: ItemKind, id: Uuid) -> Result<Option<TrashItem>> {
        item(&self.client().await?, kind, id).await
    }

    pub async fn restore(&self, kind: ItemKind, id: Uuid, now: Timestamp) -> Result<Restored> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let owner = item(&tx, kind, id).await?.ok_or(Error::NotFound)?.owner_id;
        lock_account(&tx, owner).await?;
        // Read again under the lock: a restore a moment ago may have taken it.
        let item = item(&tx, kind, id).await?.ok_or(Error::NotFound)?;
        let parent = match item.parent {
            Some(p) if owned_folder(&tx, owner, p).await.is_ok() => Some(p),
            _ => None,
        };
        let name = free_name(&tx, owner, parent, &item.name).await?;
        let parent = parent.map(|p| p.0);
        let restored = match kind {
            ItemKind::File => {
                let sql = "UPDATE files SET trashed_at = NULL, trash_root = NULL, \
                           original_name = $1, name_fold = $2, folder_id = $3 WHERE id = $4";
                execute(&tx, sql, &[&name, &fold(&name), &parent, &id]).await?;
                Restored::File(file_by_id(&tx, FileId(id)).await?.ok_or(Error::NotFound)?)
            }
            ItemKind::Folder => {
                // The folder itself first (see the SQLite twin).
                let sql = format!(
                    "UPDATE folders SET name = $1, name_fold = $2, parent_id = $3, \
                     updated_at = $4, trashed_at = NULL, trash_root = NULL WHERE id = $5 \
                     RETURNING {FOLDER_COLUMNS}"
                );
                let params: &super::Params<'_> =
                    &[&name, &fold(&name), &parent, &now.to_system(), &id];
                let folder = query_opt(&tx, &sql, params, folder_from)
                    .await?
                    .ok_or(Error::NotFound)?;
                let sql =
                    "UPDATE folders SET trashed_at = NULL, trash_root = NULL WHERE trash_root = $1";
                execute(&tx, sql, &[&id]).await?;
                let sql =
                    "UPDATE files SET trashed_at = NULL, trash_root = NULL WHERE trash_root = $1";
                execute(&tx, sql, &[&id]).await?;
                Restored::Folder(folder)
            }
        };
        tx.commit().await?;
        Ok(restored)
    }

    pub async fn purge_step(&self, kind: ItemKind, id: Uuid, batch: usize) -> Result<Purged> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let purged = match kind {
            ItemKind::File => {
                let sql = "DELETE FROM files WHERE id = $1 AND trash_root = $1 \
                           AND trashed_at IS NOT NULL RETURNING owner_id, blob_id";
                let blobs = query_all(&tx, sql, &[&id], blob_of).await?;
                if blobs.is_empty() {
                    return Err(Error::NotFound);
                }
                Purged { blobs, done: true }
            }
            ItemKind::Folder => {
                let sql = "SELECT owner_id FROM folders WHERE id = $1 AND trash_root = $1 \
                           AND trashed_at IS NOT NULL";
                let owner = query_opt(&tx, sql, &[&id], |r| Ok(UserId(r.try_get(0)?)))
                    .await?
                    .ok_or(Error::NotFound)?;
                lock_account(&tx, owner).await?;
                let sql = "DELETE FROM files WHERE id IN (SELECT id FROM files \
                           WHERE trash_root = $1 AND trashed_at IS NOT NULL LIMIT $2) \
                           RETURNING owner_id, blob_id";
                let blobs = query_all(&tx, sql, &[&id, &(batch as i64)], blob_of).await?;
                let done = blobs.len() < batch;
                if done {
                    let sql = "UPDATE files SET folder_id = NULL WHERE folder_id IN \
                               (SELECT id FROM folders WHERE trash_root = $1)";
                    execute(&tx, sql, &[&id]).await?;
                    let sql = "UPDATE folders SET parent_id = NULL \
                               WHERE trash_root IS DISTINCT FROM $1 \
                               AND parent_id IN (SELECT id FROM folders WHERE trash_root = $1)";
                    execute(&tx, sql, &[&id]).await?;
                    execute(&tx, "DELETE FROM folders WHERE trash_root = $1", &[&id]).await?;
                }
                Purged { blobs, done }
            }
        };
        tx.commit().await?;
        Ok(purged)
    }

    pub async fn trash_before(
        &self,
        cutoff: Timestamp,
        owner: Option<UserId>,
        limit: usize,
    ) -> Result<Vec<(ItemKind, Uuid)>> {
        let c = self.client().await?;
        let sql = format!(
            "{ITEMS} WHERE trashed_at < $1 AND ($2::uuid IS NULL OR owner_id = $2) \
             ORDER BY trashed_at, id LIMIT $3"
        );
        let owner = owner.map(|o| o.0);
        let items = query_all(
            &c,
            &sql,
            &[&cutoff.to_system(), &owner, &(limit as i64)],
            item_from,
        )
        .await?;
        Ok(items.into_iter().map(|i| (i.kind, i.id)).collect())
    }
}

/// The owner of the live folder `id`, or `NotFound`.
async fn owner_of_live_folder(tx: &Transaction<'_>, id: FolderId) -> Result<UserId> {
    let sql = "SELECT owner_id FROM folders WHERE id = $1 AND trashed_at IS NULL";
    query_opt(tx, sql, &[&id.0], |r| Ok(UserId(r.try_get(0)?)))
        .await?
        .ok_or(Error::NotFound)
}
