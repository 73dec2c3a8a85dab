//! What a visitor sees of a share (DESIGN §12). `/s/{token}` gives a file's bytes, or a
//! folder as a zip, to clients such as curl; browsers get the web app's share page
//! (the router decides, see `page_status`), which reads `/s/{token}/info`. A password
//! is traded for a grant at `/s/{token}/unlock`. Nothing here names the owner or an id.

use hyper::StatusCode;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use serde::Serialize;
use serde_json::json;

use crate::api::content::{self, Counted};
use crate::api::cursor::{self, Scope};
use crate::api::visitor::{self, LinkKind};
use crate::api::zip;
use crate::app::App;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::http::{Request, Response, empty, ok_json, query};
use crate::store::{FolderRow, Order, Share, Shared, Sort};

/// Entries per page of a shared folder.
const PAGE: usize = 200;
/// The deepest path a visitor may ask for inside a shared folder.
const MAX_DEPTH: usize = 64;

/// A share as a visitor reaches it: live, not expired, and its password (if any) given.
struct Visit {
    entry: Shared,
    share: Share,
}

/// Finds the live share of `token` and checks it: 404 for no such link (counted as a
/// guess), 410 `share_expired`, 401 `share_password_required` without a grant.
async fn visit(app: &App, req: &Request, token: &str) -> Result<Visit> {
    visitor::check_guesses(app, req)?;
    let entry = if visitor::well_formed(token) {
        app.store.shared(token.to_string()).await?
    } else {
        None
    };
    let Some((entry, share)) = entry.and_then(|e| Some((e.clone(), e.share()?.clone()))) else {
        return Err(visitor::unknown(app, req));
    };
    if share.expires_at.is_some_and(|t| t <= Timestamp::now()) {
        return Err(Error::Closed("share_expired"));
    }
    if let Some(hash) = &share.password_hash
        && !visitor::granted(app, req, LinkKind::Share, token, hash)
    {
        return Err(Error::PasswordRequired("share_password_required"));
    }
    Ok(Visit { entry, share })
}

/// `visit`, for what shows the share rather than sends its bytes (the page, `info`): a
/// share with no download left is 410 `share_exhausted` there too. (A download may still
/// resume past the limit: see `content::Counted`.)
async fn visit_to_look(app: &App, req: &Request, token: &str) -> Result<Visit> {
    let visit = visit(app, req, token).await?;
    if visit
        .share
        .max_downloads
        .is_some_and(|max| visit.share.download_count >= max)
    {
        return Err(Error::Closed("share_exhausted"));
    }
    Ok(visit)
}

/// The status a browser's page for `/s/{token}` carries: what the link answers (200, 401
/// with the password form, 404, 410, 429).
pub async fn page_status(app: &App, req: &Request, token: &str) -> StatusCode {
    match visit_to_look(app, req, token).await {
        Ok(_) => StatusCode::OK,
        Err(e) => e.status(),
    }
}

/// `GET`/`HEAD /s/{token}` for clients that are not browsers, and
/// `/s/{token}/download[?path=a/b.txt]`: the file's bytes, a file inside a shared folder,
/// or the folder (or a subfolder) as a zip.
pub async fn download(app: &App, req: Request, token: &str) -> Result<Response> {
    let Visit { entry, share } = visit(app, &req, token).await?;
    let params = query(&req);
    let inline = params.contains_key("inline");
    let target = match (&entry, params.get("path")) {
        (Shared::Folder(folder), Some(path)) => resolve(app, folder, path).await?,
        _ => entry.clone(),
    };
    let counted = Counted {
        kind: entry.kind(),
        id: entry.id(),
        token: share.token.clone(),
    };
    match target {
        Shared::File(file) => content::send_counted(app, &req, file, inline, Some(counted)).await,
        Shared::Folder(folder) => {
            if req.method() == hyper::Method::HEAD {
                let mut response = hyper::Response::new(empty());
                let h = response.headers_mut();
                h.insert(CONTENT_TYPE, HeaderValue::from_static("application/zip"));
                h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
                return Ok(response);
            }
            counted.count(app).await?;
            zip::respond(app, folder.owner_id, Some(folder.id), &folder.name).await
        }
    }
}

/// The entry at `path` (names joined by `/`) below the shared `root`: walked name by
/// name from the root, so no path can lead out of it. Empty names, `.`, `..` and
/// anything that is not there are 404 alike.
async fn resolve(app: &App, root: &FolderRow, path: &str) -> Result<Shared> {
    let mut here = Shared::Folder(root.clone());
    if path.is_empty() {
        return Ok(here);
    }
    let names: Vec<&str> = path.split('/').collect();
    if names.len() > MAX_DEPTH {
        return Err(Error::NotFound);
    }
    for name in names {
        if name.is_empty() || name == "." || name == ".." || name.chars().any(char::is_control) {
            return Err(Error::NotFound);
        }
        let Shared::Folder(folder) = &here else {
            return Err(Error::NotFound);
        };
        here = app
            .store
            .child_named(root.owner_id, folder.id, name.to_string())
            .await?
            .ok_or(Error::NotFound)?;
    }
    Ok(here)
}

#[derive(Serialize)]
struct FileInfo<'a> {
    name: &'a str,
    size: u64,
    content_type: &'a str,
    uploaded_at: Timestamp,
}

/// `GET /s/{token}/info[?path=…&cursor=…]`: what the share page shows. For a file:
/// `{kind, name, size, content_type, uploaded_at, expires_at, downloads_left}`; for a
/// folder, the same head and one page of the folder at `path`: `{…, path: [names],
/// folders: [{name}], files: [{name, size, content_type, uploaded_at}], next_cursor}`.
pub async fn info(app: &App, req: Request, token: &str) -> Result<Response> {
    let Visit { entry, share } = visit_to_look(app, &req, token).await?;
    let downloads_left = share
        .max_downloads
        .map(|max| max.saturating_sub(share.download_count));
    let head = json!({
        "kind": entry.kind().name(),
        "name": entry.name(),
        "expires_at": share.expires_at,
        "downloads_left": downloads_left,
    });
    let root = match &entry {
        Shared::File(file) => {
            let mut answer = head;
            answer["size"] = json!(file.size);
            answer["content_type"] = json!(file.content_type);
            answer["uploaded_at"] = json!(file.uploaded_at);
            return Ok(ok_json(answer));
        }
        Shared::Folder(folder) => folder,
    };
    let mut params = query(&req);
    let path = params.remove("path").unwrap_or_default();
    let Shared::Folder(folder) = resolve(app, root, &path).await? else {
        return Err(Error::NotFound);
    };
    let scope = Scope {
        listing: "share".into(),
        within: format!("{token}\n{}", folder.id),
        sort: "name".into(),
    };
    let after = params
        .get("cursor")
        .map(|c| cursor::decode(&app.signer, &scope, c))
        .transpose()?;
    let page = app
        .store
        .folder_page(
            root.owner_id,
            Some(folder.id),
            Sort::Name,
            Order::Asc,
            after,
            PAGE,
        )
        .await?;
    let next = page
        .next
        .as_ref()
        .map(|after| cursor::encode(&app.signer, &scope, after));
    let names: Vec<&str> = path.split('/').filter(|n| !n.is_empty()).collect();
    let folders: Vec<_> = page
        .folders
        .iter()
        .map(|f| json!({ "name": f.name }))
        .collect();
    let files: Vec<_> = page
        .files
        .iter()
        .map(|f| FileInfo {
            name: &f.name,
            size: f.size,
            content_type: &f.content_type,
            uploaded_at: f.uploaded_at,
        })
        .collect();
    let mut answer = head;
    answer["path"] = json!(names);
    answer["folders"] = json!(folders);
    answer["files"] = json!(files);
    answer["next_cursor"] = json!(next);
    Ok(ok_json(answer))
}

/// `POST /s/{token}/unlock` `{password}`: `{url, expires_at}`, the share's address with a
/// grant valid for 12 hours (or the plain address when it has no password).
pub async fn unlock(app: &App, req: Request, token: &str) -> Result<Response> {
    visitor::check_guesses(app, &req)?;
    let shared = if visitor::well_formed(token) {
        app.store.shared(token.to_string()).await?
    } else {
        None
    };
    let Some(share) = shared.as_ref().and_then(Shared::share).cloned() else {
        return Err(visitor::unknown(app, &req));
    };
    if share.expires_at.is_some_and(|t| t <= Timestamp::now()) {
        return Err(Error::Closed("share_expired"));
    }
    let base = format!("{}/s/{token}", app.base_url(&req));
    Ok(
        match visitor::unlock(app, req, LinkKind::Share, token, share.password_hash).await? {
            Some((grant, expires_at)) => ok_json(json!({
                "url": format!("{base}?grant={grant}"),
                "expires_at": expires_at,
            })),
            None => ok_json(json!({ "url": base, "expires_at": share.expires_at })),
        },
    )
}
