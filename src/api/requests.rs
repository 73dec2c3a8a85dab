//! File requests (DESIGN §12): a link through which anyone drops files into one of the
//! owner's folders without an account, and reads nothing back: no listing, no names, no
//! sizes. The owner's side (create, list, delete) and the visitor's (`/r/{token}`).

use http_body_util::BodyDataStream;
use hyper::StatusCode;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::api::files::{
    Placement, check_declared_length, declared_length, multipart_error, next_data, save_upload,
};
use crate::api::folders::folder_for;
use crate::api::shares::{expiry, hash_password, password};
use crate::api::visitor::{self, LinkKind};
use crate::api::{owner_for, parse_id};
use crate::app::App;
use crate::auth::{Caller, random_base64url};
use crate::blobs::Upload;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::http::json::read_optional_object;
use crate::http::{Request, Response, header_str, json_response, no_content, ok_json, query};
use crate::store::{FileRequest, OnConflict};
use crate::validate::FileName;

/// The longest label, and the longest name a visitor may sign with.
const MAX_LABEL_CHARS: usize = 200;
const MAX_FROM_CHARS: usize = 100;

/// The `request` JSON.
#[derive(Serialize)]
struct RequestJson<'a> {
    id: String,
    url: String,
    folder_id: String,
    label: &'a str,
    created_at: Timestamp,
    expires_at: Option<Timestamp>,
    max_files: Option<u64>,
    max_bytes: Option<u64>,
    has_password: bool,
    file_count: u64,
    bytes_received: u64,
}

fn request_json<'a>(r: &'a FileRequest, base: &str) -> RequestJson<'a> {
    RequestJson {
        id: r.id.to_string(),
        url: format!("{base}/r/{}", r.token),
        folder_id: r.folder_id.to_string(),
        label: &r.label,
        created_at: r.created_at,
        expires_at: r.expires_at,
        max_files: r.max_files,
        max_bytes: r.max_bytes,
        has_password: r.password_hash.is_some(),
        file_count: r.file_count,
        bytes_received: r.bytes_received,
    }
}

/// A label or a visitor's name: bounded, one line.
fn short_text(field: &str, text: &str, max: usize) -> Result<()> {
    if text.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must be one line of text"));
    }
    Ok(())
}

/// `POST /api/folders/{id}/requests` `{label?, expires_at?, max_files?, max_bytes?,
/// password?}` → 201 `{request}`.
pub async fn create(app: &App, caller: Caller, req: Request, id: &str) -> Result<Response> {
    let folder = folder_for(app, &caller, id).await?;
    let base = app.base_url(&req);
    let mut body = read_optional_object(req.into_body()).await?;
    let now = Timestamp::now();
    let label = body.opt_str("label")?.unwrap_or_default();
    short_text("label", &label, MAX_LABEL_CHARS)?;
    let expires_at = expiry(&mut body, now)?.flatten();
    let max_files = body.nullable_count("max_files")?.flatten();
    let max_bytes = body.nullable_count("max_bytes")?.flatten();
    let password = password(&mut body)?;
    body.finish()?;
    let request = FileRequest {
        id: Uuid::now_v7(),
        token: random_base64url::<32>()?,
        owner_id: folder.owner_id,
        folder_id: folder.id,
        label,
        created_at: now,
        expires_at,
        max_files,
        max_bytes,
        password_hash: hash_password(app, password).await?.flatten(),
        file_count: 0,
        bytes_received: 0,
    };
    app.store.create_request(request.clone()).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "request": request_json(&request, &base) }),
    ))
}

/// `GET /api/requests[?user=]`: the caller's file requests, newest first, with what each
/// has received.
pub async fn list(app: &App, caller: Caller, req: Request) -> Result<Response> {
    let owner = owner_for(app, &caller, &req).await?;
    let base = app.base_url(&req);
    let requests = app.store.requests(Some(owner)).await?;
    let listed: Vec<_> = requests.iter().map(|r| request_json(r, &base)).collect();
    Ok(ok_json(json!({ "requests": listed })))
}

/// `DELETE /api/requests/{id}`: the link stops taking files; what it received stays.
pub async fn delete(app: &App, caller: Caller, id: &str) -> Result<Response> {
    let id: Uuid = parse_id(id)?;
    let request = app.store.request(id).await?.ok_or(Error::NotFound)?;
    if request.owner_id != caller.user().id && !caller.user().is_admin {
        return Err(Error::NotFound);
    }
    app.store.delete_request(id).await?;
    Ok(no_content())
}

// --- the visitor's side -------------------------------------------------------------

/// The live request of `token`, checked: 404 (a guess), 410 `request_expired`, 401
/// `share_password_required` without a grant. `full` also refuses one that takes no
/// more files (410 `request_full`).
async fn open(app: &App, req: &Request, token: &str) -> Result<FileRequest> {
    visitor::check_guesses(app, req)?;
    let request = if visitor::well_formed(token) {
        app.store.request_by_token(token.to_string()).await?
    } else {
        None
    };
    let Some(request) = request else {
        return Err(visitor::unknown(app, req));
    };
    if request.expires_at.is_some_and(|t| t <= Timestamp::now()) {
        return Err(Error::Closed("request_expired"));
    }
    if let Some(hash) = &request.password_hash
        && !visitor::granted(app, req, LinkKind::Request, token, hash)
    {
        return Err(Error::PasswordRequired("share_password_required"));
    }
    if is_full(&request) {
        return Err(Error::Closed("request_full"));
    }
    Ok(request)
}

fn is_full(r: &FileRequest) -> bool {
    r.max_files.is_some_and(|max| r.file_count >= max)
        || r.max_bytes.is_some_and(|max| r.bytes_received >= max)
}

/// The status a browser's drop page for `/r/{token}` carries.
pub async fn page_status(app: &App, req: &Request, token: &str) -> StatusCode {
    match open(app, req, token).await {
        Ok(_) => StatusCode::OK,
        Err(e) => e.status(),
    }
}

/// `GET /r/{token}` (clients other than browsers) and `/r/{token}/info`: what the drop
/// page shows, `{label, expires_at, files_left, bytes_left}`, and nothing of what the
/// folder holds.
pub async fn info(app: &App, req: Request, token: &str) -> Result<Response> {
    let request = open(app, &req, token).await?;
    Ok(ok_json(json!({
        "label": request.label,
        "expires_at": request.expires_at,
        "files_left": request.max_files.map(|m| m.saturating_sub(request.file_count)),
        "bytes_left": request.max_bytes.map(|m| m.saturating_sub(request.bytes_received)),
    })))
}

/// `POST /r/{token}/unlock` `{password}` → `{url, expires_at}`.
pub async fn unlock(app: &App, req: Request, token: &str) -> Result<Response> {
    visitor::check_guesses(app, &req)?;
    let request = if visitor::well_formed(token) {
        app.store.request_by_token(token.to_string()).await?
    } else {
        None
    };
    let Some(request) = request else {
        return Err(visitor::unknown(app, &req));
    };
    if request.expires_at.is_some_and(|t| t <= Timestamp::now()) {
        return Err(Error::Closed("request_expired"));
    }
    let base = format!("{}/r/{token}", app.base_url(&req));
    Ok(
        match visitor::unlock(app, req, LinkKind::Request, token, request.password_hash).await? {
            Some((grant, expires_at)) => ok_json(json!({
                "url": format!("{base}?grant={grant}"),
                "expires_at": expires_at,
            })),
            None => ok_json(json!({ "url": base, "expires_at": request.expires_at })),
        },
    )
}

/// A slot taken under the request's `max_files`, given back unless the file lands.
struct Slot<'a> {
    app: &'a App,
    request: Uuid,
    bytes: u64,
}

impl Slot<'_> {
    /// Gives the slot back (and the bytes it counted) when the upload failed.
    async fn settle(self, result: Result<Response>) -> Result<Response> {
        if result.is_err()
            && let Err(e) = self
                .app
                .store
                .release_request_file(self.request, self.bytes)
                .await
        {
            log::warn!("giving back a file request's slot: {e}");
        }
        result
    }
}

/// Starts one visitor's upload: the throttle, a slot under `max_files`, and an upload
/// bounded by the request's bytes left and by the owner's quota. `file_length` is the
/// file's own length when the request declares it (a raw `PUT`; a multipart body's
/// length also holds its part headers), refused at once when it cannot fit.
async fn start<'a>(
    app: &'a App,
    req: &Request,
    token: &str,
    file_length: Option<u64>,
) -> Result<(FileRequest, Slot<'a>, Option<u64>)> {
    let request = open(app, req, token).await?;
    let ip = app.client_ip(req).to_string();
    app.limits.drops_per_ip.check(&ip)?;
    app.limits.drops_per_ip.fail(&ip);
    check_declared_length(app, req)?;
    let bytes_left = request
        .max_bytes
        .map(|max| max.saturating_sub(request.bytes_received));
    if let (Some(left), Some(declared)) = (bytes_left, file_length)
        && declared > left
    {
        return Err(over_max_bytes(left));
    }
    if !app.store.claim_request_file(request.id).await? {
        return Err(Error::Closed("request_full"));
    }
    let slot = Slot {
        app,
        request: request.id,
        bytes: 0,
    };
    Ok((request, slot, bytes_left))
}

fn over_max_bytes(left: u64) -> Error {
    Error::TooLarge(format!("this upload link takes at most {left} more bytes"))
}

/// The upload's bytes are in: count them under `max_bytes` (exact however many arrive
/// at once), then store the file in the request's folder, renamed on a clash.
async fn land(
    app: &App,
    request: &FileRequest,
    slot: &mut Slot<'_>,
    name: FileName,
    from: String,
    client_type: Option<String>,
    upload: Upload,
) -> Result<Response> {
    let size = upload.size();
    if !app.store.add_request_bytes(request.id, size).await? {
        let left = request
            .max_bytes
            .map(|max| max.saturating_sub(request.bytes_received))
            .unwrap_or(0);
        return Err(over_max_bytes(left));
    }
    slot.bytes = size;
    let comment = if from.is_empty() {
        String::new()
    } else {
        format!("from {from}")
    };
    let sent_name = name.as_str().to_string();
    let placement = Placement {
        owner: request.owner_id,
        folder: Some(request.folder_id),
        on_conflict: OnConflict::Rename,
    };
    save_upload(app, placement, name, comment, client_type, upload).await?;
    // The name as sent, not as stored: a rename would tell the visitor what else is there.
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "received": { "name": sent_name, "size": size } }),
    ))
}

/// `PUT /r/{token}/files?name=…[&from=…]`: the raw body is the file.
pub async fn put(app: &App, req: Request, token: &str) -> Result<Response> {
    let mut params = query(&req);
    let name = params
        .remove("name")
        .ok_or_else(|| Error::invalid("name", "is required"))?;
    let name = FileName::parse(&name).map_err(|m| Error::invalid("name", m))?;
    let from = params.remove("from").unwrap_or_default();
    short_text("from", &from, MAX_FROM_CHARS)?;
    let (request, mut slot, bytes_left) = start(app, &req, token, declared_length(&req)).await?;
    let result = async {
        let client_type =
            header_str(req.headers(), hyper::header::CONTENT_TYPE).map(str::to_string);
        let mut upload = app
            .start_file_upload(request.owner_id, declared_length(&req), bytes_left)
            .await
            .map_err(|e| limit_error(app, e, bytes_left))?;
        let mut body = req.into_body();
        while let Some(data) = next_data(&mut body).await? {
            upload
                .write(&data)
                .await
                .map_err(|e| limit_error(app, e, bytes_left))?;
        }
        land(app, &request, &mut slot, name, from, client_type, upload).await
    }
    .await;
    slot.settle(result).await
}

/// `POST /r/{token}/files`: multipart with one `file` part and an optional `from` (who
/// sends it), as the drop page sends each file.
pub async fn post(app: &App, req: Request, token: &str) -> Result<Response> {
    let content_type = header_str(req.headers(), hyper::header::CONTENT_TYPE).unwrap_or("");
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        Error::UnsupportedMediaType("send multipart/form-data, or PUT the raw bytes".into())
    })?;
    let (request, mut slot, bytes_left) = start(app, &req, token, None).await?;
    let result = async {
        let constraints = multer::Constraints::new()
            .allowed_fields(vec!["file", "from"])
            .size_limit(multer::SizeLimit::new().for_field("from", 4 * 1024));
        let declared = declared_length(&req);
        let mut multipart = multer::Multipart::with_constraints(
            BodyDataStream::new(req.into_body()),
            boundary,
            constraints,
        );
        let mut from = String::new();
        let mut received: Option<(FileName, Option<String>, Upload)> = None;
        while let Some(mut field) = multipart.next_field().await.map_err(drop_part_error)? {
            if field.name() == Some("from") {
                from = field.text().await.map_err(drop_part_error)?;
                continue;
            }
            if received.is_some() {
                return Err(Error::invalid("file", "send one file per upload"));
            }
            let name = field
                .file_name()
                .ok_or_else(|| Error::invalid("file", "the file part needs a filename"))?;
            let name = FileName::parse(name).map_err(|m| Error::invalid("name", m))?;
            let client_type = field.content_type().map(|m| m.to_string());
            // The body's length holds a little more than the file: not held to bytes_left.
            let mut upload = app
                .start_file_upload(request.owner_id, declared, bytes_left)
                .await
                .map_err(|e| limit_error(app, e, bytes_left))?;
            while let Some(data) = field.chunk().await.map_err(drop_part_error)? {
                upload
                    .write(&data)
                    .await
                    .map_err(|e| limit_error(app, e, bytes_left))?;
            }
            received = Some((name, client_type, upload));
        }
        short_text("from", &from, MAX_FROM_CHARS)?;
        let (name, client_type, upload) =
            received.ok_or_else(|| Error::invalid("file", "is required"))?;
        land(app, &request, &mut slot, name, from, client_type, upload).await
    }
    .await;
    slot.settle(result).await
}

/// An upload stopped by the request's bytes left says so, rather than naming the
/// server's own limit (unless that one was the lower).
fn limit_error(app: &App, e: Error, bytes_left: Option<u64>) -> Error {
    match (e, bytes_left) {
        (Error::TooLarge(_), Some(left))
            if app
                .config
                .max_upload_size
                .is_none_or(|server| server >= left) =>
        {
            over_max_bytes(left)
        }
        (e, _) => e,
    }
}

fn drop_part_error(e: multer::Error) -> Error {
    match e {
        multer::Error::UnknownField { field_name } => Error::invalid(
            field_name.as_deref().unwrap_or("(unnamed)"),
            "unknown part; send `file` and optionally `from`",
        ),
        multer::Error::FieldSizeExceeded { .. } => Error::invalid("from", "is too long"),
        other => multipart_error(other),
    }
}
