//! The folder tree's SQL for PostgreSQL, the same behaviour as `sqlite/tree.rs`. Every
//! write that changes an account's namespace first locks the account's row, so two of
//! them never both find a name free, nor both pass a cycle check, whatever the isolation.
//! A condition on a folder is written per case (`IS NULL` for the root, `= $n` for a
//! folder), because `IS NOT DISTINCT FROM` cannot use an index.

use std::collections::HashMap;
use std::time::SystemTime;

use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};
use uuid::Uuid;

use super::super::tree::{
    FolderChanges, FolderRow, OnConflict, Order, PathEntry, Sort, SortValue, Stored, TreeEntry,
    cycle, name_taken, numbered_name,
};
use super::super::{FileChanges, FileRow, fold};
use super::{
    FILE_COLUMNS, INSERT_FILE, Params, Postgres, ShareParams, execute, file_by_id, file_from,
    insert_file_row, query_all, query_opt, share_at, trashed_at,
};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{BlobId, FileId, FolderId, UserId};

/// Ends with the share's columns, read by `share_at`.
pub const FOLDER_COLUMNS: &str = "id, owner_id, parent_id, name, created_at, updated_at, \
     trashed_at, trash_root, share_token, shared_at, share_expires_at, share_password, \
     share_max_downloads, share_downloads";

pub const INSERT_FOLDER: &str = "INSERT INTO folders \
     (id, owner_id, parent_id, name, name_fold, created_at, updated_at, trashed_at, trash_root, \
     share_token, shared_at, share_expires_at, share_password, share_max_downloads, \
     share_downloads) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

/// Every folder, each after its parent (see the SQLite twin).
pub const FOLDERS_PARENTS_FIRST: &str = "WITH RECURSIVE t(id, depth) AS ( \
       SELECT id, 0 FROM folders WHERE parent_id IS NULL \
       UNION ALL SELECT f.id, t.depth + 1 FROM folders f JOIN t ON f.parent_id = t.id) \
     SELECT f.id, f.owner_id, f.parent_id, f.name, f.created_at, f.updated_at, f.trashed_at, \
     f.trash_root, f.share_token, f.shared_at, f.share_expires_at, f.share_password, \
     f.share_max_downloads, f.share_downloads \
     FROM t JOIN folders f ON f.id = t.id ORDER BY t.depth, f.id";

/// The ids of folder $1 and every folder below it.
const SUBTREE: &str = "WITH RECURSIVE sub(id) AS ( \
       SELECT $1::uuid UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id)";

pub fn folder_from(r: &Row) -> Result<FolderRow> {
    Ok(FolderRow {
        id: FolderId(r.try_get(0)?),
        owner_id: UserId(r.try_get(1)?),
        parent_id: r.try_get::<_, Option<Uuid>>(2)?.map(FolderId),
        name: r.try_get(3)?,
        created_at: Timestamp::from_system(r.try_get(4)?),
        updated_at: Timestamp::from_system(r.try_get(5)?),
        trash: trashed_at(r, 6)?,
        share: share_at(r, 8)?,
    })
}

pub async fn insert_folder_row(
    c: &impl GenericClient,
    stmt: &Statement,
    f: &FolderRow,
) -> Result<(), tokio_postgres::Error> {
    let parent = f.parent_id.map(|p| p.0);
    let (created, updated) = (f.created_at.to_system(), f.updated_at.to_system());
    let trashed_at = f.trash.map(|t| t.at.to_system());
    let trash_root = f.trash.map(|t| t.root);
    let share = ShareParams::of(f.share.as_ref());
    c.execute(
        stmt,
        &[
            &f.id.0,
            &f.owner_id.0,
            &parent,
            &f.name,
            &fold(&f.name),
            &created,
            &updated,
            &trashed_at,
            &trash_root,
            &share.token,
            &share.created_at,
            &share.expires_at,
            &share.password_hash,
            &share.max_downloads,
            &share.download_count,
        ],
    )
    .await?;
    Ok(())
}

/// `column` is in `folder`: `$n` is the folder's id, NULL for the root. The root's form
/// still names `$n`, so both forms take the same parameters.
fn in_folder(column: &str, folder: Option<FolderId>, n: usize) -> String {
    match folder {
        Some(_) => format!("{column} = ${n}"),
        None => format!("{column} IS NULL AND ${n}::uuid IS NULL"),
    }
}

/// Between V5 and V6: see the SQLite twin.
pub async fn prepare_unique_names(client: &mut tokio_postgres::Client) -> Result<()> {
    let tx = client.transaction().await?;
    let rows = tx
        .query(
            "SELECT id, owner_id, folder_id, original_name, comment FROM files \
             ORDER BY owner_id, folder_id, original_name COLLATE \"C\", uploaded_at, id",
            &[],
        )
        .await?;
    let refold = tx
        .prepare("UPDATE files SET name_fold = $1, comment_fold = $2 WHERE id = $3")
        .await?;
    let rename = tx
        .prepare("UPDATE files SET original_name = $1, name_fold = $2 WHERE id = $3")
        .await?;
    // V5 made the folders table: every name so far is a file's, all here.
    let mut taken = std::collections::HashSet::new();
    for row in &rows {
        let key: (Uuid, Option<Uuid>, String) = (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
        taken.insert(key);
    }
    let mut previous: Option<(Uuid, Option<Uuid>, String)> = None;
    for row in &rows {
        let id: Uuid = row.try_get(0)?;
        let owner: Uuid = row.try_get(1)?;
        let folder: Option<Uuid> = row.try_get(2)?;
        let name: String = row.try_get(3)?;
        let comment: String = row.try_get(4)?;
        tx.execute(&refold, &[&fold(&name), &fold(&comment), &id])
            .await?;
        let key = (owner, folder, name.clone());
        if previous.as_ref() != Some(&key) {
            previous = Some(key);
            continue;
        }
        let mut n = 2;
        let mut candidate = numbered_name(&name, n);
        while taken.contains(&(owner, folder, candidate.clone())) {
            n += 1;
            candidate = numbered_name(&name, n);
        }
        taken.insert((owner, folder, candidate.clone()));
        tx.execute(&rename, &[&candidate, &fold(&candidate), &id])
            .await?;
        log::info!("renamed a duplicate file name at the root of user {owner} to {candidate:?}");
    }
    for row in tx.query("SELECT id, name FROM folders", &[]).await? {
        let id: Uuid = row.try_get(0)?;
        let name: String = row.try_get(1)?;
        tx.execute(
            "UPDATE folders SET name_fold = $1 WHERE id = $2",
            &[&fold(&name), &id],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Serialises the namespace changes of one account (see the module's comment).
pub(super) async fn lock_account(tx: &Transaction<'_>, owner: UserId) -> Result<()> {
    let found = query_opt(
        tx,
        "SELECT 1 FROM users WHERE id = $1 FOR UPDATE",
        &[&owner.0],
        |_| Ok(()),
    )
    .await?;
    found.ok_or(Error::NotFound)
}

async fn folder_by_id(c: &impl GenericClient, id: FolderId) -> Result<Option<FolderRow>> {
    let sql = format!("SELECT {FOLDER_COLUMNS} FROM folders WHERE id = $1 AND trashed_at IS NULL");
    query_opt(c, &sql, &[&id.0], folder_from).await
}

pub(super) async fn owned_folder(
    c: &impl GenericClient,
    owner: UserId,
    id: FolderId,
) -> Result<FolderRow> {
    folder_by_id(c, id)
        .await?
        .filter(|f| f.owner_id == owner)
        .ok_or(Error::NotFound)
}

pub(super) async fn name_in_use(
    c: &impl GenericClient,
    owner: UserId,
    folder: Option<FolderId>,
    name: &str,
    except: Option<Uuid>,
) -> Result<bool> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM folders WHERE owner_id = $1 AND {} \
           AND name_fold = $3 AND name = $4 AND id IS DISTINCT FROM $5 AND trashed_at IS NULL) \
         OR EXISTS (SELECT 1 FROM files WHERE owner_id = $1 AND {} \
           AND name_fold = $3 AND original_name = $4 AND id IS DISTINCT FROM $5 \
           AND trashed_at IS NULL)",
        in_folder("parent_id", folder, 2),
        in_folder("folder_id", folder, 2)
    );
    let folder = folder.map(|f| f.0);
    let found = query_opt(
        c,
        &sql,
        &[&owner.0, &folder, &fold(name), &name, &except],
        |r| Ok(r.try_get::<_, bool>(0)?),
    )
    .await?;
    Ok(found.unwrap_or(false))
}

async fn is_at_or_above(
    c: &impl GenericClient,
    ancestor: FolderId,
    folder: FolderId,
) -> Result<bool> {
    let sql = "WITH RECURSIVE up(id) AS ( \
                 SELECT $1::uuid UNION SELECT f.parent_id FROM folders f JOIN up ON f.id = up.id \
                 WHERE f.parent_id IS NOT NULL) \
               SELECT EXISTS (SELECT 1 FROM up WHERE id = $2)";
    let found = query_opt(c, sql, &[&folder.0, &ancestor.0], |r| {
        Ok(r.try_get::<_, bool>(0)?)
    })
    .await?;
    Ok(found.unwrap_or(false))
}

/// A sort key as the column's type: text, bigint or timestamptz.
enum KeyParam {
    Text(String),
    Int(i64),
    Time(SystemTime),
    None,
}

impl KeyParam {
    fn of(value: Option<SortValue>, is_time: bool) -> KeyParam {
        match value {
            None => KeyParam::None,
            Some(SortValue::Text(text)) => KeyParam::Text(text),
            Some(SortValue::Int(n)) if is_time => KeyParam::Time(Timestamp(n).to_system()),
            Some(SortValue::Int(n)) => KeyParam::Int(n),
        }
    }

    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            KeyParam::Text(text) => text,
            KeyParam::Int(n) => n,
            KeyParam::Time(t) => t,
            KeyParam::None => &NO_KEY,
        }
    }
}

static NO_KEY: Option<i64> = None;

/// The page after a position, in either direction (see the SQLite twin); `$3` is the
/// key, `$4` the id and `$5` the limit when `after`, else only `$3` (the limit).
fn keyset(key: &str, order: Order, after: bool) -> String {
    let (cmp, dir) = match order {
        Order::Asc => (">", "ASC"),
        Order::Desc => ("<", "DESC"),
    };
    if after {
        format!(
            " AND {key} {cmp}= $3 AND ({key} {cmp} $3 OR id {cmp} $4) \
             ORDER BY {key} {dir}, id {dir} LIMIT $5"
        )
    } else {
        format!(" ORDER BY {key} {dir}, id {dir} LIMIT $3")
    }
}

type Position = Option<(SortValue, Uuid)>;

/// Runs a page query whose first two parameters are `fixed`; `is_time` when the key is a
/// timestamptz column.
async fn page<T>(
    c: &impl GenericClient,
    sql: &str,
    fixed: [&(dyn ToSql + Sync); 2],
    after: Position,
    is_time: bool,
    limit: usize,
    from_row: fn(&Row) -> Result<T>,
) -> Result<Vec<T>> {
    let limit = limit as i64;
    let [first, second] = fixed;
    match after {
        Some((key, id)) => {
            let key = KeyParam::of(Some(key), is_time);
            query_all(
                c,
                sql,
                &[first, second, key.as_sql(), &id, &limit],
                from_row,
            )
            .await
        }
        None => query_all(c, sql, &[first, second, &limit], from_row).await,
    }
}

async fn paths_of(
    c: &impl GenericClient,
    ids: &[FolderId],
) -> Result<Vec<(FolderId, Vec<PathEntry>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
    let sql = "WITH RECURSIVE up(start, id, parent_id, name, depth) AS ( \
                 SELECT id, id, parent_id, name, 0 FROM folders WHERE id = ANY($1) \
                 UNION ALL SELECT up.start, f.id, f.parent_id, f.name, up.depth + 1 \
                 FROM folders f JOIN up ON f.id = up.parent_id) \
               SELECT start, id, name FROM up ORDER BY start, depth DESC";
    let rows = query_all(c, sql, &[&ids], |r| {
        Ok((
            FolderId(r.try_get(0)?),
            PathEntry {
                id: FolderId(r.try_get(1)?),
                name: r.try_get(2)?,
            },
        ))
    })
    .await?;
    let mut out: Vec<(FolderId, Vec<PathEntry>)> = Vec::new();
    for (start, entry) in rows {
        match out.last_mut() {
            Some((id, path)) if *id == start => path.push(entry),
            _ => out.push((start, vec![entry])),
        }
    }
    Ok(out)
}

impl Postgres {
    pub async fn create_folder(&self, folder: FolderRow) -> Result<FolderRow> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        lock_account(&tx, folder.owner_id).await?;
        if let Some(parent) = folder.parent_id {
            owned_folder(&tx, folder.owner_id, parent).await?;
        }
        if name_in_use(&tx, folder.owner_id, folder.parent_id, &folder.name, None).await? {
            return Err(name_taken());
        }
        let stmt = tx.prepare_cached(INSERT_FOLDER).await?;
        insert_folder_row(&tx, &stmt, &folder).await?;
        tx.commit().await?;
        Ok(folder)
    }

    pub async fn name_in_use(
        &self,
        owner: UserId,
        folder: Option<FolderId>,
        name: String,
    ) -> Result<bool> {
        name_in_use(&self.client().await?, owner, folder, &name, None).await
    }

    pub async fn folder(&self, id: FolderId) -> Result<Option<FolderRow>> {
        folder_by_id(&self.client().await?, id).await
    }

    pub async fn folder_path(&self, id: FolderId) -> Result<Vec<PathEntry>> {
        let c = self.client().await?;
        Ok(paths_of(&c, &[id])
            .await?
            .pop()
            .map(|(_, p)| p)
            .unwrap_or_default())
    }

    pub async fn folder_paths(
        &self,
        ids: Vec<FolderId>,
    ) -> Result<Vec<(FolderId, Vec<PathEntry>)>> {
        paths_of(&self.client().await?, &ids).await
    }

    pub async fn update_folder(
        &self,
        id: FolderId,
        changes: FolderChanges,
        now: Timestamp,
    ) -> Result<FolderRow> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let owner = folder_by_id(&tx, id)
            .await?
            .ok_or(Error::NotFound)?
            .owner_id;
        lock_account(&tx, owner).await?;
        // Read again under the lock: a move a moment ago may have changed it.
        let folder = folder_by_id(&tx, id).await?.ok_or(Error::NotFound)?;
        let parent = changes.parent.unwrap_or(folder.parent_id);
        if let Some(Some(target)) = changes.parent {
            owned_folder(&tx, owner, target).await?;
            if is_at_or_above(&tx, id, target).await? {
                return Err(cycle());
            }
        }
        let name = changes.name.unwrap_or_else(|| folder.name.clone());
        if (name != folder.name || parent != folder.parent_id)
            && name_in_use(&tx, owner, parent, &name, Some(id.0)).await?
        {
            return Err(name_taken());
        }
        let sql = format!(
            "UPDATE folders SET name = $1, name_fold = $2, parent_id = $3, updated_at = $4 \
             WHERE id = $5 RETURNING {FOLDER_COLUMNS}"
        );
        let parent = parent.map(|p| p.0);
        let params: &Params<'_> = &[&name, &fold(&name), &parent, &now.to_system(), &id.0];
        let updated = query_opt(&tx, &sql, params, folder_from)
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(updated)
    }

    pub async fn delete_folder(&self, id: FolderId) -> Result<Vec<(UserId, BlobId)>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let owner = folder_by_id(&tx, id)
            .await?
            .ok_or(Error::NotFound)?
            .owner_id;
        lock_account(&tx, owner).await?;
        let sql = format!(
            "{SUBTREE} DELETE FROM files WHERE folder_id IN (SELECT id FROM sub) \
             RETURNING owner_id, blob_id"
        );
        let blobs = query_all(&tx, &sql, &[&id.0], |r| {
            Ok((UserId(r.try_get(0)?), BlobId(r.try_get(1)?)))
        })
        .await?;
        let sql = format!("{SUBTREE} DELETE FROM folders WHERE id IN (SELECT id FROM sub)");
        execute(&tx, &sql, &[&id.0]).await?;
        tx.commit().await?;
        Ok(blobs)
    }

    pub async fn child_folders(
        &self,
        owner: UserId,
        parent: Option<FolderId>,
        sort: Sort,
        order: Order,
        after: Position,
        limit: usize,
    ) -> Result<Vec<FolderRow>> {
        let c = self.client().await?;
        let (key, is_time) = match sort {
            Sort::Name | Sort::Size => ("name_fold", false),
            Sort::Uploaded => ("created_at", true),
        };
        let sql = format!(
            "SELECT {FOLDER_COLUMNS} FROM folders WHERE owner_id = $1 AND {} \
             AND trashed_at IS NULL{}",
            in_folder("parent_id", parent, 2),
            keyset(key, order, after.is_some())
        );
        let parent = parent.map(|p| p.0);
        page(
            &c,
            &sql,
            [&owner.0, &parent],
            after,
            is_time,
            limit,
            folder_from,
        )
        .await
    }

    pub async fn child_files(
        &self,
        owner: UserId,
        folder: Option<FolderId>,
        sort: Sort,
        order: Order,
        after: Position,
        limit: usize,
    ) -> Result<Vec<FileRow>> {
        let c = self.client().await?;
        let (key, is_time) = match sort {
            Sort::Name => ("name_fold", false),
            Sort::Size => ("size", false),
            Sort::Uploaded => ("uploaded_at", true),
        };
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM files WHERE owner_id = $1 AND {} \
             AND trashed_at IS NULL{}",
            in_folder("folder_id", folder, 2),
            keyset(key, order, after.is_some())
        );
        let folder = folder.map(|f| f.0);
        page(
            &c,
            &sql,
            [&owner.0, &folder],
            after,
            is_time,
            limit,
            file_from,
        )
        .await
    }

    pub async fn files_page(
        &self,
        owner: UserId,
        after: Option<(Timestamp, FileId)>,
        limit: usize,
    ) -> Result<Vec<FileRow>> {
        let c = self.client().await?;
        let limit = limit as i64;
        match after {
            Some((time, id)) => {
                let sql = format!(
                    "SELECT {FILE_COLUMNS} FROM files WHERE owner_id = $1 AND trashed_at IS NULL \
                     AND uploaded_at <= $2 AND (uploaded_at < $2 OR id > $3) \
                     ORDER BY uploaded_at DESC, id LIMIT $4"
                );
                let params: &Params<'_> = &[&owner.0, &time.to_system(), &id.0, &limit];
                query_all(&c, &sql, params, file_from).await
            }
            None => {
                let sql = format!(
                    "SELECT {FILE_COLUMNS} FROM files WHERE owner_id = $1 AND trashed_at IS NULL \
                     ORDER BY uploaded_at DESC, id LIMIT $2"
                );
                query_all(&c, &sql, &[&owner.0, &limit], file_from).await
            }
        }
    }

    pub async fn search_folders(
        &self,
        owner: UserId,
        pattern: String,
        after: Position,
        limit: usize,
    ) -> Result<Vec<FolderRow>> {
        let c = self.client().await?;
        let sql = format!(
            "SELECT {FOLDER_COLUMNS} FROM folders WHERE owner_id = $1 AND trashed_at IS NULL \
             AND name_fold LIKE $2 ESCAPE '\\'{}",
            keyset("name_fold", Order::Asc, after.is_some())
        );
        page(
            &c,
            &sql,
            [&owner.0, &pattern],
            after,
            false,
            limit,
            folder_from,
        )
        .await
    }

    pub async fn search_files(
        &self,
        owner: UserId,
        pattern: String,
        after: Position,
        limit: usize,
    ) -> Result<Vec<FileRow>> {
        let c = self.client().await?;
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM files WHERE owner_id = $1 AND trashed_at IS NULL \
             AND (name_fold LIKE $2 ESCAPE '\\' OR comment_fold LIKE $2 ESCAPE '\\'){}",
            keyset("name_fold", Order::Asc, after.is_some())
        );
        page(
            &c,
            &sql,
            [&owner.0, &pattern],
            after,
            false,
            limit,
            file_from,
        )
        .await
    }

    pub async fn store_file(&self, file: FileRow, on_conflict: OnConflict) -> Result<Stored> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        lock_account(&tx, file.owner_id).await?;
        let stored = store_in(&tx, file, on_conflict).await?;
        tx.commit().await?;
        Ok(stored)
    }

    pub async fn update_file(&self, id: FileId, changes: FileChanges) -> Result<Option<FileRow>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let Some(found) = file_by_id(&tx, id).await? else {
            return Ok(None);
        };
        lock_account(&tx, found.owner_id).await?;
        let Some(file) = file_by_id(&tx, id).await? else {
            return Ok(None);
        };
        let folder = changes.folder.unwrap_or(file.folder_id);
        if let Some(Some(target)) = changes.folder {
            owned_folder(&tx, file.owner_id, target).await?;
        }
        let name = changes.name.unwrap_or_else(|| file.name.clone());
        if (name != file.name || folder != file.folder_id)
            && name_in_use(&tx, file.owner_id, folder, &name, Some(id.0)).await?
        {
            return Err(name_taken());
        }
        let comment_fold = changes.comment.as_deref().map(fold);
        let sql = format!(
            "UPDATE files SET original_name = $1, name_fold = $2, \
             content_type = COALESCE($3, content_type), comment = COALESCE($4, comment), \
             comment_fold = COALESCE($5, comment_fold), folder_id = $6 WHERE id = $7 \
             RETURNING {FILE_COLUMNS}"
        );
        let folder = folder.map(|f| f.0);
        let params: &Params<'_> = &[
            &name,
            &fold(&name),
            &changes.content_type,
            &changes.comment,
            &comment_fold,
            &folder,
            &id.0,
        ];
        let updated = query_opt(&tx, &sql, params, file_from).await?;
        tx.commit().await?;
        Ok(updated)
    }

    pub async fn subtree(&self, owner: UserId, root: Option<FolderId>) -> Result<Vec<TreeEntry>> {
        let mut c = self.client().await?;
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        if let Some(root) = root {
            owned_folder(&tx, owner, root).await?;
        }
        let sql = format!(
            "WITH RECURSIVE sub(id, path) AS ( \
               SELECT id, name FROM folders WHERE owner_id = $1 AND {} AND trashed_at IS NULL \
               UNION ALL SELECT f.id, sub.path || '/' || f.name \
               FROM folders f JOIN sub ON f.parent_id = sub.id WHERE f.trashed_at IS NULL) \
             SELECT id, path FROM sub",
            in_folder("parent_id", root, 2)
        );
        let root_id = root.map(|r| r.0);
        let folders: Vec<(Uuid, String)> = query_all(&tx, &sql, &[&owner.0, &root_id], |r| {
            Ok((r.try_get(0)?, r.try_get(1)?))
        })
        .await?;
        let paths: HashMap<Uuid, &str> = folders.iter().map(|(id, p)| (*id, p.as_str())).collect();
        let mut entries: Vec<TreeEntry> = folders
            .iter()
            .map(|(_, path)| TreeEntry::Folder { path: path.clone() })
            .collect();
        let ids: Vec<Uuid> = folders.iter().map(|(id, _)| *id).collect();
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM files WHERE owner_id = $1 AND trashed_at IS NULL \
             AND (({}) OR folder_id = ANY($3))",
            in_folder("folder_id", root, 2)
        );
        let files = query_all(&tx, &sql, &[&owner.0, &root_id, &ids], file_from).await?;
        for file in files {
            let path = match file.folder_id.filter(|f| Some(*f) != root) {
                Some(folder) => match paths.get(&folder.0) {
                    Some(dir) => format!("{dir}/{}", file.name),
                    None => continue,
                },
                None => file.name.clone(),
            };
            entries.push(TreeEntry::File {
                path,
                file: Box::new(file),
            });
        }
        entries.sort_by(|a, b| entry_path(a).cmp(entry_path(b)));
        tx.commit().await?;
        Ok(entries)
    }
}

fn entry_path(entry: &TreeEntry) -> &str {
    match entry {
        TreeEntry::Folder { path } | TreeEntry::File { path, .. } => path,
    }
}

/// Stores a new file row in the caller's transaction (which holds the account's lock), by
/// `on_conflict` when its name is taken. `NotFound` when the folder is not the owner's.
pub(super) async fn store_in(
    tx: &Transaction<'_>,
    file: FileRow,
    on_conflict: OnConflict,
) -> Result<Stored> {
    if let Some(folder) = file.folder_id {
        owned_folder(tx, file.owner_id, folder).await?;
    }
    let mut file = file;
    if !name_in_use(tx, file.owner_id, file.folder_id, &file.name, None).await? {
        return insert_new(tx, file).await;
    }
    match on_conflict {
        OnConflict::Fail => Err(name_taken()),
        OnConflict::Rename => {
            let base = file.name.clone();
            let mut n = 1;
            file.name = numbered_name(&base, n);
            while name_in_use(tx, file.owner_id, file.folder_id, &file.name, None).await? {
                n += 1;
                file.name = numbered_name(&base, n);
            }
            insert_new(tx, file).await
        }
        OnConflict::Replace => replace(tx, file).await,
    }
}

async fn insert_new(tx: &Transaction<'_>, file: FileRow) -> Result<Stored> {
    let stmt = tx.prepare_cached(INSERT_FILE).await?;
    match insert_file_row(tx, &stmt, &file).await {
        Err(e) if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => Err(Error::NotFound),
        Err(e) => Err(e.into()),
        Ok(()) => Ok(Stored::New(file)),
    }
}

async fn replace(tx: &Transaction<'_>, new: FileRow) -> Result<Stored> {
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM files WHERE owner_id = $1 AND {} \
         AND name_fold = $3 AND original_name = $4 AND trashed_at IS NULL",
        in_folder("folder_id", new.folder_id, 2)
    );
    let folder = new.folder_id.map(|f| f.0);
    let existing = query_opt(
        tx,
        &sql,
        &[&new.owner_id.0, &folder, &fold(&new.name), &new.name],
        file_from,
    )
    .await?
    .ok_or_else(name_taken)?;
    let sql = format!(
        "UPDATE files SET blob_id = $1, size = $2, content_type = $3, uploaded_at = $4, \
         missing_since = NULL WHERE id = $5 RETURNING {FILE_COLUMNS}"
    );
    let params: &Params<'_> = &[
        &new.blob_id.0,
        &(new.size as i64),
        &new.content_type,
        &new.uploaded_at.to_system(),
        &existing.id.0,
    ];
    let file = query_opt(tx, &sql, params, file_from)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Stored::Replaced {
        file,
        old_blob: existing.blob_id,
    })
}
