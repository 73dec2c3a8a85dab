//! The trash (DESIGN §11): what was deleted, restoring an item to where it was, purging
//! one item or all of them now. Deleting itself is `DELETE /api/files/{id}` and
//! `DELETE /api/folders/{id}`; the reaper purges items older than `--trash-retention`.

use hyper::StatusCode;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::api::cursor::{self, Scope};
use crate::api::file_json::file_response;
use crate::api::folders::{MAX_LIMIT, PageRequest, folder_json};
use crate::api::{owner_for, parse_id};
use crate::app::{App, purge_trash_item};
use crate::auth::Caller;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::http::{Request, Response, json_response, no_content, ok_json};
use crate::ids::FolderId;
use crate::store::{ItemKind, Restored, TrashItem};

#[derive(Serialize)]
struct ItemJson<'a> {
    kind: &'static str,
    id: String,
    name: &'a str,
    /// Where it was: `/Docs/Work/report.pdf`.
    original_path: String,
    size: u64,
    trashed_at: Timestamp,
    purge_at: Timestamp,
}

/// `GET /api/trash[?user=][&limit][&cursor]`: `{items, next_cursor}`, newest first.
pub async fn list(app: &App, caller: Caller, req: Request) -> Result<Response> {
    let owner = owner_for(app, &caller, &req).await?;
    let page = PageRequest::from_query(&req, MAX_LIMIT)?;
    let scope = Scope::account("trash", owner);
    let after = page
        .cursor
        .as_deref()
        .map(|c| cursor::decode_timed(&app.signer, &scope, c))
        .transpose()?;
    let mut items = app.store.trash_page(owner, after, page.limit + 1).await?;
    let next = (items.len() > page.limit).then(|| {
        items.truncate(page.limit);
        items
            .last()
            .map(|last| cursor::encode_timed(&app.signer, &scope, last.trashed_at, last.id))
    });
    let mut parents: Vec<FolderId> = items.iter().filter_map(|i| i.parent).collect();
    parents.sort();
    parents.dedup();
    let paths = app.store.folder_paths(parents).await?;
    let original_path = |item: &TrashItem| -> String {
        let mut path = String::new();
        if let Some((_, entries)) = paths.iter().find(|(id, _)| Some(*id) == item.parent) {
            for entry in entries {
                path.push('/');
                path.push_str(&entry.name);
            }
        }
        path.push('/');
        path.push_str(&item.name);
        path
    };
    let retention = app.config.trash_retention;
    let items: Vec<ItemJson<'_>> = items
        .iter()
        .map(|item| ItemJson {
            kind: item.kind.name(),
            id: item.id.to_string(),
            name: &item.name,
            original_path: original_path(item),
            size: item.size,
            trashed_at: item.trashed_at,
            purge_at: item.trashed_at.plus(retention),
        })
        .collect();
    Ok(ok_json(
        json!({ "items": items, "next_cursor": next.flatten() }),
    ))
}

/// The trash item of `kind` named by the path, if the caller may see it; anything else
/// (not in the trash, someone else's, no such id) is 404.
async fn item_for(app: &App, caller: &Caller, kind: ItemKind, id: &str) -> Result<TrashItem> {
    let id: Uuid = parse_id(id)?;
    let item = app
        .store
        .trash_item(kind, id)
        .await?
        .ok_or(Error::NotFound)?;
    if item.owner_id != caller.user().id && !caller.user().is_admin {
        return Err(Error::NotFound);
    }
    Ok(item)
}

/// `POST /api/trash/{files|folders}/{id}/restore`: `{file}` or `{folder}`, back where it
/// was (the root when that folder is gone), ` (restored)` on a name clash.
pub async fn restore(
    app: &App,
    caller: Caller,
    req: Request,
    kind: ItemKind,
    id: &str,
) -> Result<Response> {
    let item = item_for(app, &caller, kind, id).await?;
    let restored = app.store.restore(kind, item.id, Timestamp::now()).await?;
    Ok(match restored {
        Restored::File(file) => file_response(StatusCode::OK, &file, &app.base_url(&req)),
        Restored::Folder(folder) => json_response(
            StatusCode::OK,
            &json!({ "folder": folder_json(&folder, &app.base_url(&req)) }),
        ),
    })
}

/// `DELETE /api/trash/{files|folders}/{id}`: that item, for good, now.
pub async fn purge(app: &App, caller: Caller, kind: ItemKind, id: &str) -> Result<Response> {
    let item = item_for(app, &caller, kind, id).await?;
    let files = purge_trash_item(&app.store, &app.blobs, kind, item.id).await?;
    log::info!(
        "purged {} {} of user {} from the trash ({files} files, by {})",
        kind.name(),
        item.id,
        item.owner_id,
        caller.user().id
    );
    Ok(no_content())
}

/// `DELETE /api/trash[?user=]`: empties the account's trash.
pub async fn empty(app: &App, caller: Caller, req: Request) -> Result<Response> {
    let owner = owner_for(app, &caller, &req).await?;
    // Everything trashed until now; what is deleted meanwhile stays for the next time.
    let now = Timestamp::now().plus(std::time::Duration::from_millis(1));
    let mut files = 0;
    loop {
        let batch = app.store.trash_before(now, Some(owner), 100).await?;
        if batch.is_empty() {
            break;
        }
        for (kind, id) in batch {
            match purge_trash_item(&app.store, &app.blobs, kind, id).await {
                // Purged meanwhile by another request or the reaper.
                Ok(n) => files += n,
                Err(Error::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
    }
    log::info!(
        "emptied the trash of user {owner} ({files} files, by {})",
        caller.user().id
    );
    Ok(no_content())
}
