//! The folder tree's SQL for SQLite: folders, one namespace per folder, keyset pages,
//! search, moves and subtrees. Writes run in IMMEDIATE transactions, which SQLite runs
//! one at a time, so a name checked free in one is still free at its insert.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use uuid::Uuid;

use super::super::tree::{
    FolderChanges, FolderRow, OnConflict, Order, PathEntry, Sort, SortValue, Stored, TreeEntry,
    cycle, name_taken, numbered_name,
};
use super::super::{FileChanges, FileRow, fold};
use super::{
    FILE_COLUMNS, Sqlite, file_by_id, file_from, insert_file_row, is_foreign_key_violation,
    opt_uuid_at, share_at, share_params, time_at, trashed_at, uuid_at,
};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{BlobId, FileId, FolderId, UserId};

/// Ends with the share's columns, read by `share_at`.
pub const FOLDER_COLUMNS: &str = "id, owner_id, parent_id, name, created_at, updated_at, \
     trashed_at, trash_root, share_token, shared_at, share_expires_at, share_password, \
     share_max_downloads, share_downloads";

/// Every folder, each after its parent: what `migrate-data` sends, so that the importer
/// never inserts a child before its parent.
pub const FOLDERS_PARENTS_FIRST: &str = "WITH RECURSIVE t(id, depth) AS ( \
       SELECT id, 0 FROM folders WHERE parent_id IS NULL \
       UNION ALL SELECT f.id, t.depth + 1 FROM folders f JOIN t ON f.parent_id = t.id) \
     SELECT f.id, f.owner_id, f.parent_id, f.name, f.created_at, f.updated_at, f.trashed_at, \
     f.trash_root, f.share_token, f.shared_at, f.share_expires_at, f.share_password, \
     f.share_max_downloads, f.share_downloads \
     FROM t JOIN folders f ON f.id = t.id ORDER BY t.depth, f.id";

/// The ids of folder ?1 and every folder below it.
const SUBTREE: &str = "WITH RECURSIVE sub(id) AS ( \
       SELECT ?1 UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id)";

pub fn folder_from(row: &Row<'_>) -> rusqlite::Result<FolderRow> {
    Ok(FolderRow {
        id: FolderId(uuid_at(row, 0)?),
        owner_id: UserId(uuid_at(row, 1)?),
        parent_id: opt_uuid_at(row, 2)?.map(FolderId),
        name: row.get(3)?,
        created_at: time_at(row, 4)?,
        updated_at: time_at(row, 5)?,
        trash: trashed_at(row, 6)?,
        share: share_at(row, 8)?,
    })
}

pub fn insert_folder_row(conn: &Connection, f: &FolderRow) -> rusqlite::Result<usize> {
    let [token, shared_at, expires, password, max, count] = share_params(f.share.as_ref());
    conn.prepare_cached(
        "INSERT INTO folders (id, owner_id, parent_id, name, name_fold, created_at, updated_at, \
         trashed_at, trash_root, share_token, shared_at, share_expires_at, share_password, \
         share_max_downloads, share_downloads) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        f.id.to_string(),
        f.owner_id.to_string(),
        f.parent_id.map(|p| p.to_string()),
        f.name,
        fold(&f.name),
        f.created_at.millis(),
        f.updated_at.millis(),
        f.trash.map(|t| t.at.millis()),
        f.trash.map(|t| t.root.hyphenated().to_string()),
        token,
        shared_at,
        expires,
        password,
        max,
        count
    ])
}

/// Between V5 and V6: the real fold of every name and comment, then Part I's duplicate
/// names (all at the root) renamed ` (2)`, ` (3)`… with the oldest keeping its name.
pub fn prepare_unique_names(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut rows: Vec<(String, String, Option<String>, String, String)> = tx
        .prepare(
            "SELECT id, owner_id, folder_id, original_name, comment FROM files \
             ORDER BY owner_id, folder_id, original_name, uploaded_at, id",
        )?
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (id, _, _, name, comment) in &rows {
        tx.prepare_cached("UPDATE files SET name_fold = ?1, comment_fold = ?2 WHERE id = ?3")?
            .execute(params![fold(name), fold(comment), id])?;
    }
    // Rows come grouped by (owner, folder, name), oldest first: each later one of a group
    // takes the first free numbered name. The names are checked against this set, not
    // with `name_in_use`, whose SQL knows the columns of later migrations.
    let mut taken: std::collections::HashSet<(String, Option<String>, String)> = rows
        .iter()
        .map(|(_, owner, folder, name, _)| (owner.clone(), folder.clone(), name.clone()))
        .collect();
    let mut previous: Option<(String, Option<String>, String)> = None;
    for (id, owner, folder, name, _) in rows.drain(..) {
        let key = (owner.clone(), folder.clone(), name.clone());
        if previous.as_ref() != Some(&key) {
            previous = Some(key);
            continue;
        }
        let mut n = 2;
        let mut candidate = numbered_name(&name, n);
        while taken.contains(&(owner.clone(), folder.clone(), candidate.clone())) {
            n += 1;
            candidate = numbered_name(&name, n);
        }
        taken.insert((owner.clone(), folder.clone(), candidate.clone()));
        tx.prepare_cached("UPDATE files SET original_name = ?1, name_fold = ?2 WHERE id = ?3")?
            .execute(params![candidate, fold(&candidate), id])?;
        log::info!("renamed a duplicate file name at the root of user {owner} to {candidate:?}");
    }
    let folders: Vec<(String, String)> = tx
        .prepare("SELECT id, name FROM folders")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, name) in folders {
        tx.execute(
            "UPDATE folders SET name_fold = ?1 WHERE id = ?2",
            params![fold(&name), id],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn folder_by_id(conn: &Connection, id: FolderId) -> Result<Option<FolderRow>> {
    let sql = format!("SELECT {FOLDER_COLUMNS} FROM folders WHERE id = ?1 AND trashed_at IS NULL");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id.to_string()], folder_from)
        .optional()?)
}

/// The folder if `owner` has it; anything else (missing, someone else's) is `NotFound`.
pub(super) fn owned_folder(conn: &Connection, owner: UserId, id: FolderId) -> Result<FolderRow> {
    folder_by_id(conn, id)?
        .filter(|f| f.owner_id == owner)
        .ok_or(Error::NotFound)
}

/// Whether a folder or file of `folder` (`None`: the root) is called exactly `name`,
/// other than the entry `except`.
pub(super) fn name_in_use(
    conn: &Connection,
    owner: UserId,
    folder: Option<FolderId>,
    name: &str,
    except: Option<Uuid>,
) -> Result<bool> {
    let sql = "SELECT EXISTS (SELECT 1 FROM folders WHERE owner_id = ?1 AND parent_id IS ?2 \
                 AND name_fold = ?3 AND name = ?4 AND id IS NOT ?5 AND trashed_at IS NULL) \
               OR EXISTS (SELECT 1 FROM files WHERE owner_id = ?1 AND folder_id IS ?2 \
                 AND name_fold = ?3 AND original_name = ?4 AND id IS NOT ?5 \
                 AND trashed_at IS NULL)";
    Ok(conn.prepare_cached(sql)?.query_row(
        params![
            owner.to_string(),
            folder.map(|f| f.to_string()),
            fold(name),
            name,
            except.map(|e| e.hyphenated().to_string())
        ],
        |r| r.get(0),
    )?)
}

/// Whether `ancestor` is `folder` or one of the folders above it.
fn is_at_or_above(conn: &Connection, ancestor: FolderId, folder: FolderId) -> Result<bool> {
    let sql = "WITH RECURSIVE up(id) AS ( \
                 SELECT ?1 UNION SELECT f.parent_id FROM folders f JOIN up ON f.id = up.id \
                 WHERE f.parent_id IS NOT NULL) \
               SELECT EXISTS (SELECT 1 FROM up WHERE id = ?2)";
    Ok(conn
        .prepare_cached(sql)?
        .query_row(params![folder.to_string(), ancestor.to_string()], |r| {
            r.get(0)
        })?)
}

fn sort_value(value: SortValue) -> Value {
    match value {
        SortValue::Text(text) => Value::Text(text),
        SortValue::Int(n) => Value::Integer(n),
    }
}

/// `AND key >= ?3 AND (key > ?3 OR id > ?4) ORDER BY key, id` for a page after a
/// position, in either direction; written so the index range starts at the position.
fn keyset(key: &str, order: Order, after: bool) -> String {
    let (cmp, dir) = match order {
        Order::Asc => (">", "ASC"),
        Order::Desc => ("<", "DESC"),
    };
    let range = if after {
        format!(" AND {key} {cmp}= ?3 AND ({key} {cmp} ?3 OR id {cmp} ?4)")
    } else {
        String::new()
    };
    format!("{range} ORDER BY {key} {dir}, id {dir} LIMIT ?5")
}

type Position = Option<(SortValue, Uuid)>;

fn position_params(after: Position) -> (Value, Value) {
    match after {
        Some((key, id)) => (sort_value(key), Value::Text(id.hyphenated().to_string())),
        None => (Value::Null, Value::Null),
    }
}

/// Runs a page query whose parameters are `first`, `second`, then the position (`?3`,
/// `?4`, NULL when there is none) and the limit (`?5`).
fn run_page<T>(
    c: &Connection,
    sql: &str,
    first: Value,
    second: Value,
    after: Position,
    limit: usize,
    from_row: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let (key, id) = position_params(after);
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt.query_map(params![first, second, key, id, limit as i64], from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn text(id: impl ToString) -> Value {
    Value::Text(id.to_string())
}

fn opt_text(id: Option<impl ToString>) -> Value {
    id.map_or(Value::Null, text)
}

/// The paths of `ids`: for each, its ancestors from the root's child down, then itself.
fn paths_of(conn: &Connection, ids: &[FolderId]) -> Result<Vec<(FolderId, Vec<PathEntry>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = serde_json::to_string(&ids.iter().map(|i| i.to_string()).collect::<Vec<_>>())
        .map_err(|e| Error::internal("folder ids", e))?;
    let sql = "WITH RECURSIVE up(start, id, parent_id, name, depth) AS ( \
                 SELECT id, id, parent_id, name, 0 FROM folders \
                 WHERE id IN (SELECT value FROM json_each(?1)) \
                 UNION ALL SELECT up.start, f.id, f.parent_id, f.name, up.depth + 1 \
                 FROM folders f JOIN up ON f.id = up.parent_id) \
               SELECT start, id, name FROM up ORDER BY start, depth DESC";
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query([list])?;
    let mut out: Vec<(FolderId, Vec<PathEntry>)> = Vec::new();
    while let Some(r) = rows.next()? {
        let start = FolderId(uuid_at(r, 0)?);
        let entry = PathEntry {
            id: FolderId(uuid_at(r, 1)?),
            name: r.get(2)?,
        };
        match out.last_mut() {
            Some((id, path)) if *id == start => path.push(entry),
            _ => out.push((start, vec![entry])),
        }
    }
    Ok(out)
}

impl Sqlite {
    pub async fn create_folder(&self, folder: FolderRow) -> Result<FolderRow> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some(parent) = folder.parent_id {
                owned_folder(&tx, folder.owner_id, parent)?;
            }
            if name_in_use(&tx, folder.owner_id, folder.parent_id, &folder.name, None)? {
                return Err(name_taken());
            }
            match insert_folder_row(&tx, &folder) {
                Err(e) if is_foreign_key_violation(&e) => return Err(Error::NotFound),
                other => other?,
            };
            tx.commit()?;
            Ok(folder)
        })
        .await
    }

    pub async fn name_in_use(
        &self,
        owner: UserId,
        folder: Option<FolderId>,
        name: String,
    ) -> Result<bool> {
        self.run(move |c| name_in_use(c, owner, folder, &name, None))
            .await
    }

    pub async fn folder(&self, id: FolderId) -> Result<Option<FolderRow>> {
        self.run(move |c| folder_by_id(c, id)).await
    }

    pub async fn folder_path(&self, id: FolderId) -> Result<Vec<PathEntry>> {
        self.run(move |c| {
            Ok(paths_of(c, &[id])?
                .pop()
                .map(|(_, p)| p)
                .unwrap_or_default())
        })
        .await
    }

    pub async fn folder_paths(
        &self,
        ids: Vec<FolderId>,
    ) -> Result<Vec<(FolderId, Vec<PathEntry>)>> {
        self.run(move |c| paths_of(c, &ids)).await
    }

    pub async fn update_folder(
        &self,
        id: FolderId,
        changes: FolderChanges,
        now: Timestamp,
    ) -> Result<FolderRow> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let folder = folder_by_id(&tx, id)?.ok_or(Error::NotFound)?;
            let parent = changes.parent.unwrap_or(folder.parent_id);
            if let Some(Some(target)) = changes.parent {
                owned_folder(&tx, folder.owner_id, target)?;
                if is_at_or_above(&tx, id, target)? {
                    return Err(cycle());
                }
            }
            let name = changes.name.unwrap_or_else(|| folder.name.clone());
            if (name != folder.name || parent != folder.parent_id)
                && name_in_use(&tx, folder.owner_id, parent, &name, Some(id.0))?
            {
                return Err(name_taken());
            }
            tx.prepare_cached(
                "UPDATE folders SET name = ?1, name_fold = ?2, parent_id = ?3, updated_at = ?4 \
                 WHERE id = ?5",
            )?
            .execute(params![
                name,
                fold(&name),
                parent.map(|p| p.to_string()),
                now.millis(),
                id.to_string()
            ])?;
            let updated = folder_by_id(&tx, id)?.ok_or(Error::NotFound)?;
            tx.commit()?;
            Ok(updated)
        })
        .await
    }

    pub async fn delete_folder(&self, id: FolderId) -> Result<Vec<(UserId, BlobId)>> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            folder_by_id(&tx, id)?.ok_or(Error::NotFound)?;
            let blobs = tx
                .prepare(&format!(
                    "{SUBTREE} SELECT owner_id, blob_id FROM files WHERE folder_id IN sub"
                ))?
                .query_map([id.to_string()], |r| {
                    Ok((UserId(uuid_at(r, 0)?), BlobId(uuid_at(r, 1)?)))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            tx.execute(
                &format!("{SUBTREE} DELETE FROM files WHERE folder_id IN sub"),
                [id.to_string()],
            )?;
            tx.execute(
                &format!("{SUBTREE} DELETE FROM folders WHERE id IN sub"),
                [id.to_string()],
            )?;
            tx.commit()?;
            Ok(blobs)
        })
        .await
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
        let key = match sort {
            Sort::Name | Sort::Size => "name_fold",
            Sort::Uploaded => "created_at",
        };
        let sql = format!(
            "SELECT {FOLDER_COLUMNS} FROM folders WHERE owner_id = ?1 AND parent_id IS ?2 \
             AND trashed_at IS NULL{}",
            keyset(key, order, after.is_some())
        );
        self.run(move |c| {
            let (owner, parent) = (text(owner), opt_text(parent));
            run_page(c, &sql, owner, parent, after, limit, folder_from)
        })
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
        let key = match sort {
            Sort::Name => "name_fold",
            Sort::Size => "size",
            Sort::Uploaded => "uploaded_at",
        };
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM files WHERE owner_id = ?1 AND folder_id IS ?2 \
             AND trashed_at IS NULL{}",
            keyset(key, order, after.is_some())
        );
        self.run(move |c| {
            let (owner, folder) = (text(owner), opt_text(folder));
            run_page(c, &sql, owner, folder, after, limit, file_from)
        })
        .await
    }

    pub async fn files_page(
        &self,
        owner: UserId,
        after: Option<(Timestamp, FileId)>,
        limit: usize,
    ) -> Result<Vec<FileRow>> {
        self.run(move |c| {
            // Newest first, ties by id: the order of the files_by_owner index.
            let range = if after.is_some() {
                " AND uploaded_at <= ?2 AND (uploaded_at < ?2 OR id > ?3)"
            } else {
                ""
            };
            let sql = format!(
                "SELECT {FILE_COLUMNS} FROM files WHERE owner_id = ?1 AND trashed_at IS NULL{range} \
                 ORDER BY uploaded_at DESC, id LIMIT ?4"
            );
            let (time, id) = after
                .map(|(t, id)| (Some(t.millis()), Some(id.to_string())))
                .unwrap_or_default();
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![owner.to_string(), time, id, limit as i64],
                file_from,
            )?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    pub async fn search_folders(
        &self,
        owner: UserId,
        pattern: String,
        after: Position,
        limit: usize,
    ) -> Result<Vec<FolderRow>> {
        let sql = format!(
            "SELECT {FOLDER_COLUMNS} FROM folders WHERE owner_id = ?1 AND trashed_at IS NULL \
             AND name_fold LIKE ?2 ESCAPE '\\'{}",
            keyset("name_fold", Order::Asc, after.is_some())
        );
        self.run(move |c| {
            run_page(
                c,
                &sql,
                text(owner),
                text(pattern),
                after,
                limit,
                folder_from,
            )
        })
        .await
    }

    pub async fn search_files(
        &self,
        owner: UserId,
        pattern: String,
        after: Position,
        limit: usize,
    ) -> Result<Vec<FileRow>> {
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM files WHERE owner_id = ?1 AND trashed_at IS NULL \
             AND (name_fold LIKE ?2 ESCAPE '\\' OR comment_fold LIKE ?2 ESCAPE '\\'){}",
            keyset("name_fold", Order::Asc, after.is_some())
        );
        self.run(move |c| run_page(c, &sql, text(owner), text(pattern), after, limit, file_from))
            .await
    }

    pub async fn store_file(&self, file: FileRow, on_conflict: OnConflict) -> Result<Stored> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let stored = store_in(&tx, file, on_conflict)?;
            tx.commit()?;
            Ok(stored)
        })
        .await
    }

    pub async fn update_file(&self, id: FileId, changes: FileChanges) -> Result<Option<FileRow>> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(file) = file_by_id(&tx, id)? else {
                return Ok(None);
            };
            let folder = changes.folder.unwrap_or(file.folder_id);
            if let Some(Some(target)) = changes.folder {
                owned_folder(&tx, file.owner_id, target)?;
            }
            let name = changes.name.unwrap_or_else(|| file.name.clone());
            if (name != file.name || folder != file.folder_id)
                && name_in_use(&tx, file.owner_id, folder, &name, Some(id.0))?
            {
                return Err(name_taken());
            }
            let comment_fold = changes.comment.as_deref().map(fold);
            tx.prepare_cached(
                "UPDATE files SET original_name = ?1, name_fold = ?2, \
                 content_type = COALESCE(?3, content_type), comment = COALESCE(?4, comment), \
                 comment_fold = COALESCE(?5, comment_fold), folder_id = ?6 WHERE id = ?7",
            )?
            .execute(params![
                name,
                fold(&name),
                changes.content_type,
                changes.comment,
                comment_fold,
                folder.map(|f| f.to_string()),
                id.to_string()
            ])?;
            let updated = file_by_id(&tx, id)?;
            tx.commit()?;
            Ok(updated)
        })
        .await
    }

    pub async fn subtree(&self, owner: UserId, root: Option<FolderId>) -> Result<Vec<TreeEntry>> {
        self.run(move |c| {
            let tx = c.transaction()?;
            if let Some(root) = root {
                owned_folder(&tx, owner, root)?;
            }
            // Every folder below the root with its path; one read transaction, so the
            // files read next belong to exactly these folders.
            let sql = "WITH RECURSIVE sub(id, path) AS ( \
                         SELECT id, name FROM folders WHERE owner_id = ?1 AND parent_id IS ?2 \
                         AND trashed_at IS NULL \
                         UNION ALL SELECT f.id, sub.path || '/' || f.name \
                         FROM folders f JOIN sub ON f.parent_id = sub.id \
                         WHERE f.trashed_at IS NULL) \
                       SELECT id, path FROM sub";
            let folders: Vec<(String, String)> = tx
                .prepare(sql)?
                .query_map(
                    params![owner.to_string(), root.map(|r| r.to_string())],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?
                .collect::<rusqlite::Result<_>>()?;
            let paths: std::collections::HashMap<&str, &str> = folders
                .iter()
                .map(|(id, path)| (id.as_str(), path.as_str()))
                .collect();
            let mut entries: Vec<TreeEntry> = folders
                .iter()
                .map(|(_, path)| TreeEntry::Folder { path: path.clone() })
                .collect();
            let sql = format!(
                "SELECT {FILE_COLUMNS} FROM files WHERE owner_id = ?1 AND trashed_at IS NULL \
                 AND (folder_id IS ?2 OR folder_id IN ({} SELECT id FROM sub))",
                "WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE owner_id = ?1 AND \
                 parent_id IS ?2 AND trashed_at IS NULL UNION ALL SELECT f.id FROM folders f \
                 JOIN sub ON f.parent_id = sub.id WHERE f.trashed_at IS NULL)"
            );
            let mut stmt = tx.prepare(&sql)?;
            let files = stmt.query_map(
                params![owner.to_string(), root.map(|r| r.to_string())],
                file_from,
            )?;
            for file in files {
                let file = file?;
                let path = match file.folder_id.filter(|f| Some(*f) != root) {
                    Some(folder) => {
                        let folder = folder.to_string();
                        let Some(dir) = paths.get(folder.as_str()) else {
                            continue;
                        };
                        format!("{dir}/{}", file.name)
                    }
                    None => file.name.clone(),
                };
                entries.push(TreeEntry::File {
                    path,
                    file: Box::new(file),
                });
            }
            drop(stmt);
            entries.sort_by(|a, b| entry_path(a).cmp(entry_path(b)));
            Ok(entries)
        })
        .await
    }
}

fn entry_path(entry: &TreeEntry) -> &str {
    match entry {
        TreeEntry::Folder { path } | TreeEntry::File { path, .. } => path,
    }
}

/// Stores a new file row in the caller's transaction, by `on_conflict` when its name is
/// taken. `NotFound` when the folder is not the owner's.
pub(super) fn store_in(tx: &Connection, file: FileRow, on_conflict: OnConflict) -> Result<Stored> {
    if let Some(folder) = file.folder_id {
        owned_folder(tx, file.owner_id, folder)?;
    }
    let mut file = file;
    if !name_in_use(tx, file.owner_id, file.folder_id, &file.name, None)? {
        return insert_new(tx, file);
    }
    match on_conflict {
        OnConflict::Fail => Err(name_taken()),
        OnConflict::Rename => {
            let mut n = 1;
            let base = file.name.clone();
            file.name = numbered_name(&base, n);
            while name_in_use(tx, file.owner_id, file.folder_id, &file.name, None)? {
                n += 1;
                file.name = numbered_name(&base, n);
            }
            insert_new(tx, file)
        }
        OnConflict::Replace => replace(tx, file),
    }
}

fn insert_new(conn: &Connection, file: FileRow) -> Result<Stored> {
    match insert_file_row(conn, &file) {
        Err(e) if is_foreign_key_violation(&e) => Err(Error::NotFound),
        Err(e) => Err(e.into()),
        Ok(_) => Ok(Stored::New(file)),
    }
}

/// The file of that name takes the new bytes, size, type and time; its id, comment and
/// share link stay. A folder of that name cannot be replaced by a file.
fn replace(conn: &Connection, new: FileRow) -> Result<Stored> {
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM files WHERE owner_id = ?1 AND folder_id IS ?2 \
         AND name_fold = ?3 AND original_name = ?4 AND trashed_at IS NULL"
    );
    let existing = conn
        .prepare_cached(&sql)?
        .query_row(
            params![
                new.owner_id.to_string(),
                new.folder_id.map(|f| f.to_string()),
                fold(&new.name),
                new.name
            ],
            file_from,
        )
        .optional()?
        .ok_or_else(name_taken)?;
    conn.prepare_cached(
        "UPDATE files SET blob_id = ?1, size = ?2, content_type = ?3, uploaded_at = ?4, \
         missing_since = NULL WHERE id = ?5",
    )?
    .execute(params![
        new.blob_id.to_string(),
        new.size as i64,
        new.content_type,
        new.uploaded_at.millis(),
        existing.id.to_string()
    ])?;
    let file = file_by_id(conn, existing.id)?.ok_or(Error::NotFound)?;
    Ok(Stored::Replaced {
        file,
        old_blob: existing.blob_id,
    })
}
