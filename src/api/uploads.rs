//! Resumable uploads: tus 1.0.0 (https://tus.io/protocols/resumable-upload) with the
//! creation, creation-with-upload, termination, expiration and checksum extensions, at
//! `/api/uploads` (DESIGN §13). Everything is checked at creation (name, folder, length,
//! `--max-upload-size`, the quota, which then holds the whole length until the upload
//! finishes or expires), so a client learns at once, not after sending gigabytes. The
//! bytes grow in place in `tmp/tus/` (`blobs/partial.rs`); the offset the database holds,
//! and so every offset a client is told, is always fsynced.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http_body_util::BodyExt;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::api::files::content_type_for;
use crate::api::folders::destination;
use crate::api::{owner_for, parse_id};
use crate::app::App;
use crate::auth::Caller;
use crate::blobs::{Appending, Checksum};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::http::{Request, Response, empty, header_str, ok_json};
use crate::ids::{BlobId, FileId};
use crate::store::{FileRow, OnConflict, Stored, UploadRow};
use crate::validate::{self, FileName};

/// The protocol's version; `server::handle` puts it on every answer under `/api/uploads`.
pub const TUS_VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,creation-with-upload,termination,expiration,checksum";
const CHECKSUMS: &str = "sha1,sha256";
const OFFSET_STREAM: &str = "application/offset+octet-stream";
/// Unfinished uploads one account may have at once: each holds its length of the quota
/// and a file in `tmp/`, so a script cannot pile them up.
pub const MAX_UNFINISHED: u64 = 100;

fn set(headers: &mut HeaderMap, name: &'static str, value: impl ToString) {
    if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

/// 412 unless the client speaks our version.
fn check_version(req: &Request) -> Result<()> {
    match header_str(req.headers(), "tus-resumable") {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(Error::TusVersion),
    }
}

fn number_header(req: &Request, name: &'static str) -> Result<Option<u64>> {
    let Some(value) = req.headers().get(name) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| Error::invalid(&name_of(name), "must be a whole number of bytes"))
}

/// The header's name as the error's `field` names it (`Upload-Length`).
fn name_of(header: &str) -> String {
    header
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (a key alone has no value).
fn parse_metadata(header: &str) -> Result<HashMap<String, Option<String>>> {
    let invalid = |m: &str| Error::invalid("Upload-Metadata", m);
    let mut pairs = HashMap::new();
    for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut parts = pair.split(' ');
        let key = parts.next().unwrap_or_default();
        let value = parts.next();
        if parts.next().is_some() || key.is_empty() {
            return Err(invalid(
                "must be `key base64value` pairs separated by commas",
            ));
        }
        let value = match value {
            None => None,
            Some(encoded) => {
                let bytes = STANDARD
                    .decode(encoded)
                    .map_err(|_| invalid(&format!("the value of {key} is not valid base64")))?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| invalid(&format!("the value of {key} is not UTF-8 text")))?;
                Some(text)
            }
        };
        if pairs.insert(key.to_string(), value).is_some() {
            return Err(invalid(&format!("{key} is given twice")));
        }
    }
    Ok(pairs)
}

/// `Upload-Checksum: <algorithm> <base64 digest>`.
fn parse_checksum(req: &Request) -> Result<Option<Checksum>> {
    let Some(value) = header_str(req.headers(), "upload-checksum") else {
        return Ok(None);
    };
    let invalid = |m: &str| Error::invalid("Upload-Checksum", m);
    let (name, digest) = value
        .split_once(' ')
        .ok_or_else(|| invalid("must be `<algorithm> <base64 digest>`"))?;
    let algorithm = match name {
        "sha1" => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        "sha256" => &ring::digest::SHA256,
        _ => return Err(invalid("the algorithm must be sha1 or sha256")),
    };
    let expected = STANDARD
        .decode(digest.trim())
        .map_err(|_| invalid("the digest is not valid base64"))?;
    if expected.len() != algorithm.output_len() {
        return Err(invalid("the digest has the wrong length for its algorithm"));
    }
    Ok(Some(Checksum {
        algorithm,
        expected,
    }))
}

/// `OPTIONS /api/uploads[/{id}]`: what this server speaks.
pub fn options(app: &App) -> Result<Response> {
    let mut response = hyper::Response::new(empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let h = response.headers_mut();
    set(h, "tus-resumable", TUS_VERSION);
    set(h, "tus-version", TUS_VERSION);
    set(h, "tus-extension", EXTENSIONS);
    set(h, "tus-checksum-algorithm", CHECKSUMS);
    if let Some(max) = app.config.max_upload_size {
        set(h, "tus-max-size", max);
    }
    Ok(response)
}

/// The upload `id` the caller created: anyone else's is as absent as a missing one.
async fn owned(app: &App, caller: &Caller, id: &str) -> Result<UploadRow> {
    let id: Uuid = parse_id(id)?;
    app.store
        .upload(id)
        .await?
        .filter(|u| u.created_by == caller.user().id)
        .ok_or(Error::NotFound)
}

fn expired(upload: &UploadRow) -> bool {
    upload.file_id.is_none() && upload.expires_at <= Timestamp::now()
}

fn upload_expired() -> Error {
    Error::Closed("upload_expired")
}

/// The headers every answer about an upload carries.
fn describe(response: &mut Response, upload: &UploadRow, offset: u64) {
    let h = response.headers_mut();
    set(h, "upload-offset", offset);
    if upload.file_id.is_none() {
        set(h, "upload-expires", upload.expires_at.http_date());
    }
    if let Some(file) = upload.file_id {
        set(h, "mycloud-file-id", file);
    }
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn no_content() -> Response {
    let mut response = hyper::Response::new(empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// `POST /api/uploads`: creates an upload (`Upload-Length`, `Upload-Metadata` with
/// `filename` and optionally `comment`, `folder_id`, `on_conflict`, `filetype`), and takes
/// its first bytes when the body carries them (creation-with-upload).
pub async fn create(app: &App, caller: Caller, req: Request) -> Result<Response> {
    check_version(&req)?;
    // An admin may upload into another account's files with `?user=`.
    let owner = owner_for(app, &caller, &req).await?;
    let Some(length) = number_header(&req, "upload-length")? else {
        return Err(if req.headers().contains_key("upload-defer-length") {
            Error::invalid(
                "Upload-Defer-Length",
                "is not supported: send Upload-Length",
            )
        } else {
            Error::invalid("Upload-Length", "is required")
        });
    };
    if let Some(max) = app.config.max_upload_size
        && length > max
    {
        return Err(Error::TooLarge(format!(
            "uploads are limited to {max} bytes on this server"
        )));
    }
    let raw_metadata = header_str(req.headers(), "upload-metadata")
        .unwrap_or_default()
        .to_string();
    let mut metadata = parse_metadata(&raw_metadata)?;
    let filename = metadata
        .remove("filename")
        .flatten()
        .ok_or_else(|| Error::invalid("filename", "is required in Upload-Metadata"))?;
    let name = FileName::parse(&filename).map_err(|m| Error::invalid("filename", m))?;
    let comment = metadata.remove("comment").flatten().unwrap_or_default();
    validate::comment(&comment).map_err(|m| Error::invalid("comment", m))?;
    let folder_text = metadata.remove("folder_id").flatten();
    let folder = destination(app, owner, "folder_id", folder_text.as_deref()).await?;
    let on_conflict = match metadata.remove("on_conflict").flatten().as_deref() {
        None => OnConflict::Fail,
        Some(name) => OnConflict::parse(name)
            .ok_or_else(|| Error::invalid("on_conflict", "must be fail, rename or replace"))?,
    };
    let content_type = metadata.remove("filetype").flatten();
    if on_conflict == OnConflict::Fail
        && app.store.name_in_use(owner, folder, name.as_str()).await?
    {
        // Named after the metadata key the client sent.
        return Err(Error::Conflict {
            code: "name_taken",
            field: Some("filename"),
            message: "a file or folder of this name is already in that folder".into(),
        });
    }
    let first_bytes = header_str(req.headers(), CONTENT_TYPE) == Some(OFFSET_STREAM);
    let base = app.base_url(&req);

    let allowance = app.allowance(owner, length).await?;
    let now = Timestamp::now();
    let upload = UploadRow {
        id: Uuid::now_v7(),
        owner_id: owner,
        created_by: caller.user().id,
        folder_id: folder,
        filename: name.into_string(),
        comment,
        content_type,
        on_conflict,
        length,
        offset: 0,
        metadata: raw_metadata,
        created_at: now,
        expires_at: now.plus(app.config.upload_expiry),
        file_id: None,
    };
    app.blobs.create_part(upload.id).await?;
    {
        // The row counts the length in the database: the hold becomes that.
        let _committing = match &allowance {
            Some(a) => Some(a.committing().await),
            None => None,
        };
        let created = app
            .store
            .create_upload(upload.clone(), MAX_UNFINISHED)
            .await;
        if !matches!(created, Ok(true)) {
            app.blobs.remove_part(upload.id).await;
            created?;
            return Err(Error::TooManyUploads(MAX_UNFINISHED));
        }
        if let Some(mut allowance) = allowance {
            allowance.landed();
        }
    }
    let (upload, offset) = if first_bytes {
        let lock = app.blobs.lock_part(upload.id).await;
        let id = upload.id;
        match receive(app, upload, 0, req, lock).await {
            Ok(received) => received,
            Err(e) => {
                // The client never learnt where the upload is: it must not linger,
                // holding its length of the quota and a place among the 100.
                let _lock = app.blobs.lock_part(id).await;
                app.store.delete_upload(id).await?;
                app.blobs.remove_part(id).await;
                return Err(e);
            }
        }
    } else if upload.length == 0 {
        // Nothing to wait for: clients consider an empty upload done at creation.
        let lock = app.blobs.lock_part(upload.id).await;
        (finish(app, upload, &lock).await?, 0)
    } else {
        (upload, 0)
    };
    let mut response = hyper::Response::new(empty());
    *response.status_mut() = StatusCode::CREATED;
    let location = format!("{base}/api/uploads/{}", upload.id);
    set(response.headers_mut(), "location", location);
    describe(&mut response, &upload, offset);
    Ok(response)
}

/// `HEAD /api/uploads/{id}`: how far it is (`Upload-Offset`), its length and metadata;
/// `Mycloud-File-Id` once finished.
pub async fn head(app: &App, caller: Caller, req: Request, id: &str) -> Result<Response> {
    check_version(&req)?;
    let mut upload = owned(app, &caller, id).await?;
    if expired(&upload) {
        return Err(upload_expired());
    }
    if upload.file_id.is_none() && upload.offset == upload.length {
        // The last PATCH was cut short between its bytes and the file's row.
        let lock = app.blobs.lock_part(upload.id).await;
        upload = finish(app, upload, &lock).await?;
    }
    let mut response = hyper::Response::new(empty());
    *response.status_mut() = StatusCode::OK;
    let offset = upload.offset;
    describe(&mut response, &upload, offset);
    let h = response.headers_mut();
    set(h, "upload-length", upload.length);
    if !upload.metadata.is_empty() {
        set(h, "upload-metadata", &upload.metadata);
    }
    Ok(response)
}

/// `PATCH /api/uploads/{id}` (`application/offset+octet-stream`, `Upload-Offset` where
/// the upload stands): appends the body; on the last byte the file is stored.
pub async fn patch(app: &App, caller: Caller, req: Request, id: &str) -> Result<Response> {
    check_version(&req)?;
    if header_str(req.headers(), CONTENT_TYPE) != Some(OFFSET_STREAM) {
        return Err(Error::UnsupportedMediaType(format!(
            "a PATCH's body must be {OFFSET_STREAM}"
        )));
    }
    let offset = number_header(&req, "upload-offset")?
        .ok_or_else(|| Error::invalid("Upload-Offset", "is required"))?;
    let upload = owned(app, &caller, id).await?;
    // One PATCH at a time: the next one waits, then finds the offset the first left.
    let lock = app.blobs.lock_part(upload.id).await;
    let mut upload = app.store.upload(upload.id).await?.ok_or(Error::NotFound)?;
    if expired(&upload) {
        return Err(upload_expired());
    }
    if upload.file_id.is_none() && upload.offset == upload.length {
        upload = finish(app, upload, &lock).await?;
    }
    if offset != upload.offset {
        return Err(Error::Conflict {
            code: "offset_mismatch",
            field: Some("Upload-Offset"),
            message: format!("the upload stands at {} bytes, not {offset}", upload.offset),
        });
    }
    if upload.file_id.is_some() {
        if crate::api::files::declared_length(&req).unwrap_or(0) > 0 {
            return Err(Error::TooLarge("the upload is complete".into()));
        }
        let mut response = no_content();
        describe(&mut response, &upload, upload.length);
        return Ok(response);
    }
    let (upload, offset) = receive(app, upload, offset, req, lock).await?;
    let mut response = no_content();
    describe(&mut response, &upload, offset);
    Ok(response)
}

/// Appends the request's body to `upload` at `offset` and records how far it got; on the
/// last byte stores the file. Returns the upload as it now is, and its offset.
async fn receive(
    app: &App,
    upload: UploadRow,
    offset: u64,
    req: Request,
    lock: crate::blobs::PartLock,
) -> Result<(UploadRow, u64)> {
    let room = upload.length - offset;
    if crate::api::files::declared_length(&req).is_some_and(|n| n > room) {
        return Err(Error::TooLarge(format!(
            "this upload's length leaves room for {room} more bytes"
        )));
    }
    let checksum = parse_checksum(&req)?;
    let mut appending = match app
        .blobs
        .append(upload.id, offset, room, checksum, lock)
        .await
    {
        Ok(appending) => appending,
        Err(Error::NotFound) => return Err(lost(app, &upload).await),
        Err(e) => return Err(e),
    };
    let body_ended = copy_body(&mut appending, req.into_body()).await;
    let new_offset = match body_ended {
        Ok(BodyEnd::Complete) => appending.finish().await?,
        Ok(BodyEnd::Interrupted) => appending.keep_what_arrived().await?,
        Err(e) => {
            if let Err(cut) = appending.abort().await {
                log::warn!("dropping a refused PATCH of upload {}: {cut}", upload.id);
            }
            return Err(e);
        }
    };
    let expires_at = Timestamp::now().plus(app.config.upload_expiry);
    if new_offset != offset
        && !app
            .store
            .advance_upload(upload.id, offset, new_offset, expires_at)
            .await?
    {
        return Err(Error::Internal(format!(
            "upload {} moved on during a PATCH that held its lock",
            upload.id
        )));
    }
    let mut upload = UploadRow {
        offset: new_offset,
        expires_at: if new_offset != offset {
            expires_at
        } else {
            upload.expires_at
        },
        ..upload
    };
    if matches!(body_ended, Ok(BodyEnd::Interrupted)) {
        return Err(Error::bad_request("the upload was interrupted"));
    }
    if new_offset == upload.length {
        let lock = app.blobs.lock_part(upload.id).await;
        upload = finish(app, upload, &lock).await?;
    }
    Ok((upload, new_offset))
}

enum BodyEnd {
    Complete,
    /// The client went away, or sent nothing for too long.
    Interrupted,
}

async fn copy_body(
    appending: &mut Appending,
    mut body: crate::http::RequestBody,
) -> Result<BodyEnd> {
    loop {
        match body.frame().await {
            None => return Ok(BodyEnd::Complete),
            Some(Err(_)) => return Ok(BodyEnd::Interrupted),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    appending.write(&data).await?;
                }
            }
        }
    }
}

/// The whole of `upload` is on disk: moves it into place and stores its file row. Also
/// finishes an upload whose last `PATCH` was cut short after its bytes were in.
async fn finish(app: &App, upload: UploadRow, _lock: &crate::blobs::PartLock) -> Result<UploadRow> {
    let blob = BlobId(upload.id);
    if app.blobs.part_exists(upload.id).await? {
        app.blobs
            .commit_part(upload.id, upload.owner_id, blob)
            .await?;
    } else if app
        .blobs
        .open_blob(app.blobs.file_path(upload.owner_id, blob))
        .await?
        .is_none()
    {
        return Err(lost(app, &upload).await);
    }
    let file = FileRow {
        id: FileId::new(),
        owner_id: upload.owner_id,
        folder_id: upload.folder_id,
        blob_id: blob,
        name: upload.filename.clone(),
        size: upload.length,
        content_type: content_type_for(&upload.filename, upload.content_type.as_deref()),
        comment: upload.comment.clone(),
        uploaded_at: Timestamp::now(),
        last_downloaded_at: None,
        share: None,
        missing_since: None,
        trash: None,
    };
    let stored = app
        .store
        .complete_upload(upload.id, file, upload.on_conflict)
        .await?;
    let file_id = match stored {
        Stored::New(file) => file.id,
        Stored::Replaced { file, old_blob } => {
            app.blobs.remove_file(upload.owner_id, old_blob).await;
            file.id
        }
    };
    Ok(UploadRow {
        offset: upload.length,
        file_id: Some(file_id),
        ..upload
    })
}

/// An upload whose bytes are gone from the disk (removed or cut by hand): it cannot go
/// on, and what is left of it goes.
async fn lost(app: &App, upload: &UploadRow) -> Error {
    log::warn!(
        "upload {}: its bytes are gone from the disk; removing it",
        upload.id
    );
    if let Err(e) = app.store.delete_upload(upload.id).await {
        return e;
    }
    app.blobs.remove_part(upload.id).await;
    Error::Closed("upload_lost")
}

/// `DELETE /api/uploads/{id}` (termination): the upload and its bytes go; a finished
/// upload's file stays.
pub async fn delete(app: &App, caller: Caller, req: Request, id: &str) -> Result<Response> {
    check_version(&req)?;
    let upload = owned(app, &caller, id).await?;
    let _lock = app.blobs.lock_part(upload.id).await;
    app.store.delete_upload(upload.id).await?;
    if upload.file_id.is_none() {
        app.blobs.remove_part(upload.id).await;
        // A last PATCH cut short may have moved the bytes into place already.
        app.blobs
            .remove_file(upload.owner_id, BlobId(upload.id))
            .await;
    }
    Ok(no_content())
}

#[derive(Serialize)]
struct UploadJson<'a> {
    id: String,
    url: String,
    /// Whose files it goes into (an admin's `?user=` upload: that account).
    owner_id: String,
    filename: &'a str,
    folder_id: Option<String>,
    comment: &'a str,
    length: u64,
    offset: u64,
    created_at: Timestamp,
    expires_at: Timestamp,
}

/// `GET /api/uploads`: the caller's unfinished uploads, oldest first, so that a client
/// (the web app after a reload) can offer to resume them.
pub async fn list(app: &App, caller: Caller, req: Request) -> Result<Response> {
    let base = app.base_url(&req);
    let uploads = app.store.unfinished_uploads(caller.user().id).await?;
    let listed: Vec<_> = uploads
        .iter()
        .filter(|u| !expired(u))
        .map(|u| UploadJson {
            id: u.id.to_string(),
            url: format!("{base}/api/uploads/{}", u.id),
            owner_id: u.owner_id.to_string(),
            filename: &u.filename,
            folder_id: u.folder_id.map(|f| f.to_string()),
            comment: &u.comment,
            length: u.length,
            offset: u.offset,
            created_at: u.created_at,
            expires_at: u.expires_at,
        })
        .collect();
    Ok(ok_json(json!({ "uploads": listed })))
}
