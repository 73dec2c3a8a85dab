//! The trash's SQL for SQLite (see `store/trash.rs`). Writes run in IMMEDIATE
//! transactions, one at a time.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use uuid::Uuid;

use super::super::fold;
use super::super::shares::NO_SHARE;
use super::super::trash::{ItemKind, Purged, Restored, TrashItem};
use super::super::tree::{numbered_name, suffixed_name};
use super::tree::{FOLDER_COLUMNS, folder_from, name_in_use, owned_folder};
use super::{Sqlite, file_by_id, opt_uuid_at, time_at, uuid_at};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{BlobId, FileId, FolderId, UserId};

/// Trash items (rows deleted as such) with their sizes: `kind, id, owner_id, name, parent,
/// size, trashed_at`, filtered by the caller's `WHERE` on `t`.
const ITEMS: &str = "SELECT * FROM ( \
       SELECT 'file' AS kind, id, owner_id, original_name AS name, folder_id AS parent, size, \
              trashed_at FROM files WHERE trashed_at IS NOT NULL AND trash_root = id \
       UNION ALL \
       SELECT 'folder', f.id, f.owner_id, f.name, f.parent_id, \
              (SELECT COALESCE(SUM(size), 0) FROM files WHERE trash_root = f.id \
                 AND trashed_at IS NOT NULL), \
              f.trashed_at FROM folders f WHERE f.trashed_at IS NOT NULL AND f.trash_root = f.id \
     ) t";

fn item_from(row: &Row<'_>) -> rusqlite::Result<TrashItem> {
    let kind: String = row.get(0)?;
    Ok(TrashItem {
        kind: if kind == "file" {
            ItemKind::File
        } else {
            ItemKind::Folder
        },
        id: uuid_at(row, 1)?,
        owner_id: UserId(uuid_at(row, 2)?),
        name: row.get(3)?,
        parent: opt_uuid_at(row, 4)?.map(FolderId),
        size: row.get::<_, i64>(5)? as u64,
        trashed_at: time_at(row, 6)?,
    })
}

fn item(conn: &Connection, kind: ItemKind, id: Uuid) -> Result<Option<TrashItem>> {
    let sql = format!("{ITEMS} WHERE kind = ?1 AND id = ?2");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![kind.name(), id.hyphenated().to_string()], item_from)
        .optional()?)
}

/// A name free in `folder`: `name`, else `name (restored)`, else numbered after that.
fn free_name(
    conn: &Connection,
    owner: UserId,
    folder: Option<FolderId>,
    name: &str,
) -> Result<String> {
    if !name_in_use(conn, owner, folder, name, None)? {
        return Ok(name.to_string());
    }
    let restored = suffixed_name(name, " (restored)");
    let mut candidate = restored.clone();
    let mut n = 2;
    while name_in_use(conn, owner, folder, &candidate, None)? {
        candidate = numbered_name(&restored, n);
        n += 1;
    }
    Ok(candidate)
}

impl Sqlite {
    pub async fn trash_file(&self, id: FileId, now: Timestamp) -> Result<()> {
        self.run(move |c| {
            // Its share link dies for good: a restore does not bring it back.
            let sql = format!(
                "UPDATE files SET trashed_at = ?1, trash_root = id, {NO_SHARE} \
                 WHERE id = ?2 AND trashed_at IS NULL"
            );
            let n = c
                .prepare_cached(&sql)?
                .execute(params![now.millis(), id.to_string()])?;
            if n == 0 {
                return Err(Error::NotFound);
            }
            Ok(())
        })
        .await
    }

    pub async fn trash_folder(&self, id: FolderId, now: Timestamp) -> Result<()> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let live = "WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = ?2 \
                          AND trashed_at IS NULL UNION ALL SELECT f.id FROM folders f \
                          JOIN sub ON f.parent_id = sub.id WHERE f.trashed_at IS NULL)";
            let n = tx.execute(
                &format!(
                    "{live} UPDATE folders SET trashed_at = ?1, trash_root = ?2, {NO_SHARE} \
                     WHERE id IN sub"
                ),
                params![now.millis(), id.to_string()],
            )?;
            if n == 0 {
                return Err(Error::NotFound);
            }
            // The folders are stamped now: their live files are those still unstamped.
            tx.execute(
                &format!(
                    "UPDATE files SET trashed_at = ?1, trash_root = ?2, {NO_SHARE} \
                     WHERE trashed_at IS NULL AND folder_id IN \
                     (SELECT id FROM folders WHERE trash_root = ?2)"
                ),
                params![now.millis(), id.to_string()],
            )?;
            // Links that let visitors drop files into these folders die too.
            tx.execute(
                "DELETE FROM file_requests WHERE folder_id IN \
                 (SELECT id FROM folders WHERE trash_root = ?1)",
                [id.to_string()],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn trash_page(
        &self,
        owner: UserId,
        after: Option<(Timestamp, Uuid)>,
        limit: usize,
    ) -> Result<Vec<TrashItem>> {
        self.run(move |c| {
            let range = if after.is_some() {
                " AND trashed_at <= ?2 AND (trashed_at < ?2 OR id < ?3)"
            } else {
                ""
            };
            let sql = format!(
                "{ITEMS} WHERE owner_id = ?1{range} ORDER BY trashed_at DESC, id DESC LIMIT ?4"
            );
            let (time, id) = after
                .map(|(t, id)| (Some(t.millis()), Some(id.hyphenated().to_string())))
                .unwrap_or_default();
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![owner.to_string(), time, id, limit as i64],
                item_from,
            )?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    pub async fn trash_item(&self, kind: ItemKind, id: Uuid) -> Result<Option<TrashItem>> {
        self.run(move |c| item(c, kind, id)).await
    }

    pub async fn restore(&self, kind: ItemKind, id: Uuid, now: Timestamp) -> Result<Restored> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let item = item(&tx, kind, id)?.ok_or(Error::NotFound)?;
            let owner = item.owner_id;
            // Back where it was if that folder is live, else at the root.
            let parent = match item.parent {
                Some(p) if owned_folder(&tx, owner, p).is_ok() => Some(p),
                _ => None,
            };
            let name = free_name(&tx, owner, parent, &item.name)?;
            let id_text = id.hyphenated().to_string();
            let parent_text = parent.map(|p| p.to_string());
            let restored = match kind {
                ItemKind::File => {
                    tx.prepare_cached(
                        "UPDATE files SET trashed_at = NULL, trash_root = NULL, \
                         original_name = ?1, name_fold = ?2, folder_id = ?3 WHERE id = ?4",
                    )?
                    .execute(params![
                        name,
                        fold(&name),
                        parent_text,
                        id_text
                    ])?;
                    Restored::File(file_by_id(&tx, FileId(id))?.ok_or(Error::NotFound)?)
                }
                ItemKind::Folder => {
                    // The folder itself first, under its free name; what is below it cannot
                    // clash, its parents being in the subtree too.
                    tx.execute(
                        "UPDATE folders SET name = ?1, name_fold = ?2, parent_id = ?3, \
                         updated_at = ?4, trashed_at = NULL, trash_root = NULL WHERE id = ?5",
                        params![name, fold(&name), parent_text, now.millis(), id_text],
                    )?;
                    tx.execute(
                        "UPDATE folders SET trashed_at = NULL, trash_root = NULL \
                         WHERE trash_root = ?1",
                        [&id_text],
                    )?;
                    tx.execute(
                        "UPDATE files SET trashed_at = NULL, trash_root = NULL \
                         WHERE trash_root = ?1",
                        [&id_text],
                    )?;
                    let sql = format!("SELECT {FOLDER_COLUMNS} FROM folders WHERE id = ?1");
                    Restored::Folder(tx.query_row(&sql, [&id_text], folder_from)?)
                }
            };
            tx.commit()?;
            Ok(restored)
        })
        .await
    }

    pub async fn purge_step(&self, kind: ItemKind, id: Uuid, batch: usize) -> Result<Purged> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let id_text = id.hyphenated().to_string();
            let blob_of = |r: &Row<'_>| Ok((UserId(uuid_at(r, 0)?), BlobId(uuid_at(r, 1)?)));
            let purged = match kind {
                ItemKind::File => {
                    let blobs = tx
                        .prepare_cached(
                            "DELETE FROM files WHERE id = ?1 AND trash_root = ?1 \
                             AND trashed_at IS NOT NULL RETURNING owner_id, blob_id",
                        )?
                        .query_map([&id_text], blob_of)?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    if blobs.is_empty() {
                        return Err(Error::NotFound);
                    }
                    Purged { blobs, done: true }
                }
                ItemKind::Folder => {
                    let exists: bool = tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM folders WHERE id = ?1 AND trash_root = ?1 \
                         AND trashed_at IS NOT NULL)",
                        [&id_text],
                        |r| r.get(0),
                    )?;
                    if !exists {
                        return Err(Error::NotFound);
                    }
                    let blobs = tx
                        .prepare_cached(
                            "DELETE FROM files WHERE id IN (SELECT id FROM files \
                             WHERE trash_root = ?1 AND trashed_at IS NOT NULL LIMIT ?2) \
                             RETURNING owner_id, blob_id",
                        )?
                        .query_map(params![id_text, batch as i64], blob_of)?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    let done = blobs.len() < batch;
                    if done {
                        // Items trashed on their own from inside this folder keep their
                        // place in the trash; their folder is gone: they restore to the root.
                        tx.execute(
                            "UPDATE files SET folder_id = NULL WHERE folder_id IN \
                             (SELECT id FROM folders WHERE trash_root = ?1)",
                            [&id_text],
                        )?;
                        tx.execute(
                            "UPDATE folders SET parent_id = NULL WHERE trash_root IS NOT ?1 \
                             AND parent_id IN (SELECT id FROM folders WHERE trash_root = ?1)",
                            [&id_text],
                        )?;
                        tx.execute("DELETE FROM folders WHERE trash_root = ?1", [&id_text])?;
                    }
                    Purged { blobs, done }
                }
            };
            tx.commit()?;
            Ok(purged)
        })
        .await
    }

    pub async fn trash_before(
        &self,
        cutoff: Timestamp,
        owner: Option<UserId>,
        limit: usize,
    ) -> Result<Vec<(ItemKind, Uuid)>> {
        self.run(move |c| {
            let sql = format!(
                "{ITEMS} WHERE trashed_at < ?1 AND (?2 IS NULL OR owner_id = ?2) \
                 ORDER BY trashed_at, id LIMIT ?3"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![cutoff.millis(), owner.map(|o| o.to_string()), limit as i64],
                |r| item_from(r).map(|i| (i.kind, i.id)),
            )?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }
}
