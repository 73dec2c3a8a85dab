//! A user's folders (DESIGN §10): create, read with breadcrumbs, rename and move, delete,
//! list the contents a page at a time, and a signed link to download one as a zip.
//! `root` stands for the account's top level wherever a folder id is taken in a path.

use hyper::StatusCode;
use serde::Serialize;
use serde_json::json;

use crate::api::cursor::{self, Scope};
use crate::api::file_json::{write_files, write_opt_str};
use crate::api::shares::{ShareJson, share_json};
use crate::api::{owner_for, parse_id};
use crate::app::App;
use crate::auth::Caller;
use crate::auth::links::LINK_LIFETIME;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::http::{
    Request, Response, json::read_object, json_bytes_response, json_response, no_content, ok_json,
    query,
};
use crate::ids::{FolderId, UserId};
use crate::store::{FolderChanges, FolderRow, Order, PathEntry, Sort};
use crate::validate::FileName;

/// Entries per page unless `limit` says otherwise, and the most it may say.
const DEFAULT_LIMIT: usize = 200;
pub const MAX_LIMIT: usize = 1000;

#[derive(Serialize)]
pub struct FolderJson<'a> {
    id: String,
    owner_id: String,
    parent_id: Option<String>,
    name: &'a str,
    created_at: String,
    updated_at: String,
    share: Option<ShareJson>,
}

/// The `folder` JSON; `base_url` makes its share's address.
pub fn folder_json<'a>(f: &'a FolderRow, base_url: &str) -> FolderJson<'a> {
    FolderJson {
        id: f.id.to_string(),
        owner_id: f.owner_id.to_string(),
        parent_id: f.parent_id.map(|p| p.to_string()),
        name: &f.name,
        created_at: f.created_at.rfc3339(),
        updated_at: f.updated_at.rfc3339(),
        share: f.share.as_ref().map(|s| share_json(s, base_url)),
    }
}

#[derive(Serialize)]
pub struct PathJson<'a> {
    id: String,
    name: &'a str,
}

pub fn path_json(path: &[PathEntry]) -> Vec<PathJson<'_>> {
    path.iter()
        .map(|p| PathJson {
            id: p.id.to_string(),
            name: &p.name,
        })
        .collect()
}

/// The folder if the caller may see it; someone else's is as absent as a missing one.
pub async fn folder_for(app: &App, caller: &Caller, id: &str) -> Result<FolderRow> {
    let id: FolderId = parse_id(id)?;
    let folder = app.store.folder(id).await?.ok_or(Error::NotFound)?;
    if folder.owner_id != caller.user().id && !caller.user().is_admin {
        return Err(Error::NotFound);
    }
    Ok(folder)
}

/// `root` (the caller's, or `?user=`'s for an admin) or a folder the caller may see:
/// whose tree it is, and the folder.
pub async fn folder_or_root(
    app: &App,
    caller: &Caller,
    req: &Request,
    id: &str,
) -> Result<(UserId, Option<FolderRow>)> {
    if id == "root" {
        return Ok((owner_for(app, caller, req).await?, None));
    }
    let folder = folder_for(app, caller, id).await?;
    Ok((folder.owner_id, Some(folder)))
}

/// A folder id given in a body or query (`field`): `None` for null or `root`. Not one of
/// `owner`'s folders is bad input naming the field, the same for missing and foreign.
pub async fn destination(
    app: &App,
    owner: UserId,
    field: &str,
    value: Option<&str>,
) -> Result<Option<FolderId>> {
    let Some(value) = value.filter(|v| *v != "root") else {
        return Ok(None);
    };
    let not_yours = || Error::invalid(field, "is not one of the account's folders");
    let id: FolderId = value.parse().map_err(|_| not_yours())?;
    match app.store.folder(id).await? {
        Some(folder) if folder.owner_id == owner => Ok(Some(id)),
        _ => Err(not_yours()),
    }
}

/// The store says `NotFound` when a destination vanished between our check and its write.
fn gone_as(field: &'static str) -> impl Fn(Error) -> Error {
    move |e| match e {
        Error::NotFound => Error::invalid(field, "is not one of the account's folders"),
        other => other,
    }
}

/// `POST /api/folders[?user=]`: `{name, parent_id?}` → 201 `{folder}`.
pub async fn create(app: &App, caller: Caller, req: Request) -> Result<Response> {
    let owner = owner_for(app, &caller, &req).await?;
    let base = app.base_url(&req);
    let mut body = read_object(req.into_body()).await?;
    let name = body.str("name")?;
    let parent = body.opt_str("parent_id")?;
    body.finish()?;
    let name = FileName::parse(&name).map_err(|m| Error::invalid("name", m))?;
    let parent = destination(app, owner, "parent_id", parent.as_deref()).await?;
    let folder = app
        .store
        .create_folder(owner, parent, name.into_string(), Timestamp::now())
        .await
        .map_err(gone_as("parent_id"))?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "folder": folder_json(&folder, &base) }),
    ))
}

/// `GET /api/folders/{id}`: `{folder, path}`.
pub async fn get(app: &App, caller: Caller, req: Request, id: &str) -> Result<Response> {
    let folder = folder_for(app, &caller, id).await?;
    let path = app.store.folder_path(folder.id).await?;
    Ok(ok_json(
        json!({ "folder": folder_json(&folder, &app.base_url(&req)), "path": path_json(&path) }),
    ))
}

/// `PATCH /api/folders/{id}`: `{name?, parent_id?}`; `parent_id: null` moves to the root.
pub async fn patch(app: &App, caller: Caller, req: Request, id: &str) -> Result<Response> {
    let folder = folder_for(app, &caller, id).await?;
    let base = app.base_url(&req);
    let mut body = read_object(req.into_body()).await?;
    let name = body.opt_str("name")?;
    let parent = body.nullable_str("parent_id")?;
    body.finish()?;
    let mut changes = FolderChanges::default();
    if let Some(name) = name {
        let name = FileName::parse(&name).map_err(|m| Error::invalid("name", m))?;
        changes.name = Some(name.into_string());
    }
    if let Some(parent) = parent {
        let parent = destination(app, folder.owner_id, "parent_id", parent.as_deref()).await?;
        changes.parent = Some(parent);
    }
    let folder = app
        .store
        .update_folder(folder.id, changes, Timestamp::now())
        .await
        .map_err(|e| match e {
            // The folder itself went meanwhile: 404 as for any missing folder.
            Error::NotFound => Error::NotFound,
            other => other,
        })?;
    Ok(ok_json(json!({ "folder": folder_json(&folder, &base) })))
}

/// `DELETE /api/folders/{id}`: the folder and everything below it, to the trash; with
/// `--trash-retention 0` for good: the rows in one transaction, then the bytes, so a crash
/// in between leaves only unreferenced blobs.
pub async fn delete(app: &App, caller: Caller, id: &str) -> Result<Response> {
    let folder = folder_for(app, &caller, id).await?;
    if app.keeps_trash() {
        app.store.trash_folder(folder.id, Timestamp::now()).await?;
        return Ok(no_content());
    }
    let blobs = app.store.delete_folder(folder.id).await?;
    for (owner, blob) in blobs {
        app.blobs.remove_file(owner, blob).await;
    }
    Ok(no_content())
}

/// `limit`, `sort`, `order` and `cursor` of a listing, checked.
pub struct PageRequest {
    pub limit: usize,
    pub sort: Sort,
    pub order: Order,
    pub cursor: Option<String>,
}

impl PageRequest {
    pub fn from_query(req: &Request, default_limit: usize) -> Result<PageRequest> {
        let mut params = query(req);
        let limit = match params.remove("limit") {
            None => default_limit,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(Error::invalid(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    ));
                }
            },
        };
        let sort = match params.remove("sort").as_deref() {
            None | Some("name") => Sort::Name,
            Some("size") => Sort::Size,
            Some("uploaded") => Sort::Uploaded,
            Some(_) => return Err(Error::invalid("sort", "must be name, size or uploaded")),
        };
        let order = match params.remove("order").as_deref() {
            None | Some("asc") => Order::Asc,
            Some("desc") => Order::Desc,
            Some(_) => return Err(Error::invalid("order", "must be asc or desc")),
        };
        Ok(PageRequest {
            limit,
            sort,
            order,
            cursor: params.remove("cursor").filter(|c| !c.is_empty()),
        })
    }

    fn sort_name(&self) -> String {
        let sort = match self.sort {
            Sort::Name => "name",
            Sort::Size => "size",
            Sort::Uploaded => "uploaded",
        };
        let order = match self.order {
            Order::Asc => "asc",
            Order::Desc => "desc",
        };
        format!("{sort} {order}")
    }
}

/// `GET /api/folders/{id|root}/contents`: `{folder, path, folders, files, next_cursor}`.
pub async fn contents(app: &App, caller: Caller, req: Request, id: &str) -> Result<Response> {
    let (owner, folder) = folder_or_root(app, &caller, &req, id).await?;
    let page = PageRequest::from_query(&req, DEFAULT_LIMIT)?;
    let scope = Scope {
        listing: "contents".into(),
        within: match &folder {
            Some(f) => f.id.to_string(),
            None => format!("root of {owner}"),
        },
        sort: page.sort_name(),
    };
    let after = page
        .cursor
        .as_deref()
        .map(|c| cursor::decode(&app.signer, &scope, c))
        .transpose()?;
    let folder_id = folder.as_ref().map(|f| f.id);
    let path = match folder_id {
        Some(id) => app.store.folder_path(id).await?,
        None => Vec::new(),
    };
    let listed = app
        .store
        .folder_page(owner, folder_id, page.sort, page.order, after, page.limit)
        .await?;
    let next = listed
        .next
        .as_ref()
        .map(|after| cursor::encode(&app.signer, &scope, after));
    let base = app.base_url(&req);
    let mut out = Vec::new();
    let head = json!({
        "folder": folder.as_ref().map(|f| folder_json(f, &base)),
        "path": path_json(&path),
        "folders": listed.folders.iter().map(|f| folder_json(f, &base)).collect::<Vec<_>>(),
    });
    serialize_into(&mut out, &head)?;
    out.pop();
    out.extend_from_slice(b",\"files\":");
    write_files(&mut out, &listed.files, &base, |_| None);
    out.extend_from_slice(b",\"next_cursor\":");
    write_opt_str(&mut out, next.as_deref());
    out.push(b'}');
    Ok(json_bytes_response(StatusCode::OK, out))
}

/// `value` as JSON onto `out`.
pub fn serialize_into(out: &mut Vec<u8>, value: &impl Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(|e| Error::internal("writing JSON", e))
}

/// `POST /api/folders/{id|root}/link[?user=]`: a signed URL that downloads the folder as
/// a zip without a token, for the browser's `<a href>`.
pub async fn link(app: &App, caller: Caller, req: Request, id: &str) -> Result<Response> {
    let (owner, folder) = folder_or_root(app, &caller, &req, id).await?;
    let target = folder.map_or("root".to_string(), |f| f.id.to_string());
    let expires = Timestamp::now().plus(LINK_LIFETIME).secs();
    let sig = app
        .signer
        .sign_message("folder-zip", &zip_link_message(owner, &target, expires));
    let url = format!(
        "{}/api/folders/{target}/zip?owner={owner}&expires={expires}&sig={sig}",
        app.base_url(&req)
    );
    Ok(ok_json(json!({
        "url": url,
        "expires_at": Timestamp(expires * 1000).rfc3339(),
    })))
}

/// What a zip link signs: whose tree, which folder of it, until when.
pub fn zip_link_message(owner: UserId, target: &str, expires: i64) -> String {
    format!("{owner}\n{target}\n{expires}")
}
