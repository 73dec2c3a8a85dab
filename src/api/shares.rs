//! Shares with rules (DESIGN §12), the owner's side: share a file or a folder with an
//! expiry, a password and a download limit, change or revoke them, and list what is
//! shared. What a visitor sees of a share is `api/shared.rs`.

use hyper::StatusCode;
use serde::Serialize;
use serde_json::json;

use crate::api::file_json::{file_response, share_url};
use crate::api::files::file_for;
use crate::api::folders::{folder_for, folder_json};
use crate::api::owner_for;
use crate::app::App;
use crate::auth::{Caller, random_base64url};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::http::json::{Fields, read_object, read_optional_object};
use crate::http::{Request, Response, no_content, ok_json};
use crate::store::{ItemKind, Share, ShareRules, Shared};

/// A share or file request password: any text, but bounded so hashing cost is too.
pub const MAX_LINK_PASSWORD_CHARS: usize = 1024;

/// The `share` object on a file or folder.
#[derive(Serialize)]
pub struct ShareJson {
    url: String,
    created_at: Timestamp,
    expires_at: Option<Timestamp>,
    has_password: bool,
    max_downloads: Option<u64>,
    download_count: u64,
}

pub fn share_json(share: &Share, base_url: &str) -> ShareJson {
    ShareJson {
        url: share_url(base_url, share),
        created_at: share.created_at,
        expires_at: share.expires_at,
        has_password: share.password_hash.is_some(),
        max_downloads: share.max_downloads,
        download_count: share.download_count,
    }
}

/// `expires_at`: an RFC 3339 time in the future, or `null` for none.
pub fn expiry(body: &mut Fields, now: Timestamp) -> Result<Option<Option<Timestamp>>> {
    let Some(value) = body.nullable_str("expires_at")? else {
        return Ok(None);
    };
    let Some(text) = value else {
        return Ok(Some(None));
    };
    let at = Timestamp::parse_rfc3339(&text).ok_or_else(|| {
        Error::invalid(
            "expires_at",
            "must be an RFC 3339 time with its offset, e.g. 2026-12-31T23:00:00Z",
        )
    })?;
    if at <= now {
        return Err(Error::invalid("expires_at", "must be in the future"));
    }
    Ok(Some(Some(at)))
}

/// `password`: 1 to 1,024 characters, or `null` for none; checked here, hashed by
/// `hash_password` once every other field has passed.
pub fn password(body: &mut Fields) -> Result<Option<Option<String>>> {
    let value = body.nullable_str("password")?;
    if let Some(Some(password)) = &value {
        let chars = password.chars().count();
        if chars == 0 {
            return Err(Error::invalid(
                "password",
                "must not be empty (null removes the password)",
            ));
        }
        if chars > MAX_LINK_PASSWORD_CHARS {
            return Err(Error::invalid(
                "password",
                format!("must be at most {MAX_LINK_PASSWORD_CHARS} characters"),
            ));
        }
    }
    Ok(value)
}

/// The stored form of a `password` field: hashed like an account's password.
pub async fn hash_password(
    app: &App,
    password: Option<Option<String>>,
) -> Result<Option<Option<String>>> {
    Ok(match password {
        Some(Some(text)) => Some(Some(app.hasher.hash(text).await?)),
        other => other,
    })
}

/// The rules a share's POST or PATCH body sets.
async fn read_rules(app: &App, mut body: Fields) -> Result<ShareRules> {
    let expires_at = expiry(&mut body, Timestamp::now())?;
    let max_downloads = body.nullable_count("max_downloads")?;
    let password = password(&mut body)?;
    body.finish()?;
    Ok(ShareRules {
        expires_at,
        password_hash: hash_password(app, password).await?,
        max_downloads,
    })
}

/// The entry the caller may share: its kind and id, checked like any other access.
async fn entry(app: &App, caller: &Caller, kind: ItemKind, id: &str) -> Result<uuid::Uuid> {
    Ok(match kind {
        ItemKind::File => file_for(app, caller, id).await?.id.0,
        ItemKind::Folder => folder_for(app, caller, id).await?.id.0,
    })
}

/// `{file}` or `{folder}` as it is now.
async fn entry_response(app: &App, base: &str, kind: ItemKind, id: uuid::Uuid) -> Result<Response> {
    match kind {
        ItemKind::File => {
            let file = app
                .store
                .file(crate::ids::FileId(id))
                .await?
                .ok_or(Error::NotFound)?;
            Ok(file_response(StatusCode::OK, &file, base))
        }
        ItemKind::Folder => {
            let folder = app
                .store
                .folder(crate::ids::FolderId(id))
                .await?
                .ok_or(Error::NotFound)?;
            Ok(ok_json(json!({ "folder": folder_json(&folder, base) })))
        }
    }
}

/// `POST /api/{files,folders}/{id}/share` with an optional body
/// `{expires_at?, password?, max_downloads?}`: shares the entry (sharing again keeps the
/// link) and sets the rules given.
pub async fn share(
    app: &App,
    caller: Caller,
    req: Request,
    kind: ItemKind,
    id: &str,
) -> Result<Response> {
    let id = entry(app, &caller, kind, id).await?;
    let base = app.base_url(&req);
    let rules = read_rules(app, read_optional_object(req.into_body()).await?).await?;
    let token = random_base64url::<32>()?;
    if !app
        .store
        .share(kind, id, token, rules, Timestamp::now())
        .await?
    {
        return Err(Error::NotFound);
    }
    entry_response(app, &base, kind, id).await
}

/// `PATCH /api/{files,folders}/{id}/share`: changes the rules named in the body (`null`
/// removes one); 404 when the entry is not shared.
pub async fn update(
    app: &App,
    caller: Caller,
    req: Request,
    kind: ItemKind,
    id: &str,
) -> Result<Response> {
    let id = entry(app, &caller, kind, id).await?;
    let base = app.base_url(&req);
    let rules = read_rules(app, read_object(req.into_body()).await?).await?;
    if !app.store.update_share(kind, id, rules).await? {
        return Err(Error::NotFound);
    }
    entry_response(app, &base, kind, id).await
}

/// `DELETE /api/{files,folders}/{id}/share`: the link dies at once, for good.
pub async fn unshare(app: &App, caller: Caller, kind: ItemKind, id: &str) -> Result<Response> {
    let id = entry(app, &caller, kind, id).await?;
    app.store.unshare(kind, id).await?;
    Ok(no_content())
}

/// One line of a share listing: what is shared, where, and the share.
#[derive(Serialize)]
struct Listed<'a> {
    kind: &'static str,
    id: String,
    name: &'a str,
    /// The folder it is in (`null`: the root).
    parent_id: Option<String>,
    /// A file's size; absent for folders.
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    owner_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner_username: Option<String>,
    share: ShareJson,
}

/// `None` for an entry without a share (the store lists only shared ones).
fn listed<'a>(entry: &'a Shared, base: &str, owner_username: Option<String>) -> Option<Listed<'a>> {
    let share = share_json(entry.share()?, base);
    let (parent, size) = match entry {
        Shared::File(f) => (f.folder_id.map(|p| p.to_string()), Some(f.size)),
        Shared::Folder(f) => (f.parent_id.map(|p| p.to_string()), None),
    };
    Some(Listed {
        kind: entry.kind().name(),
        id: entry.id().to_string(),
        name: entry.name(),
        parent_id: parent,
        size,
        owner_id: entry.owner_id().to_string(),
        owner_username,
        share,
    })
}

/// `GET /api/shares[?user=]`: the caller's live shares (an admin's `?user=`'s), newest
/// first, expired and exhausted ones included (their owner still sees and can revoke them).
pub async fn list(app: &App, caller: Caller, req: Request) -> Result<Response> {
    let owner = owner_for(app, &caller, &req).await?;
    let base = app.base_url(&req);
    let shares = app.store.shares(Some(owner)).await?;
    let listed: Vec<_> = shares
        .iter()
        .filter_map(|s| listed(s, &base, None))
        .collect();
    Ok(ok_json(json!({ "shares": listed })))
}

/// `GET /api/admin/shares`: everyone's live shares with their owners' usernames. An admin
/// revokes one with `DELETE /api/{files,folders}/{id}/share`.
pub async fn list_all(app: &App, caller: Caller, req: Request) -> Result<Response> {
    caller.require_admin()?;
    let base = app.base_url(&req);
    let shares = app.store.shares(None).await?;
    let mut usernames = std::collections::HashMap::new();
    for owner in shares.iter().map(Shared::owner_id) {
        if let std::collections::hash_map::Entry::Vacant(slot) = usernames.entry(owner) {
            slot.insert(app.store.user(owner).await?.map(|u| u.username));
        }
    }
    let listed: Vec<_> = shares
        .iter()
        .filter_map(|s| listed(s, &base, usernames.get(&s.owner_id()).cloned().flatten()))
        .collect();
    Ok(ok_json(json!({ "shares": listed })))
}
