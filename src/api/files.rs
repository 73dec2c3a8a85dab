//! A user's files: list, upload (multipart and raw) into a folder, read, rename, comment
//! and move, delete, and signed content links.

use bytes::Bytes;
use http_body_util::{BodyDataStream, BodyExt};
use hyper::StatusCode;
use serde_json::json;

use crate::api::cursor::{self, Scope};
use crate::api::file_json::{file_response, files_response};
use crate::api::folders::{MAX_LIMIT, PageRequest, destination};
use crate::api::{owner_for, parse_id};
use crate::app::App;
use crate::auth::Caller;
use crate::auth::links::LINK_LIFETIME;
use crate::blobs::Upload;
use crate::clock::Timestamp;
use crate::crash_hook::crash_point;
use crate::error::{Error, Result};
use crate::http::{
    Request, RequestBody, Response, header_str, json::read_object, no_content, ok_json, query,
};
use crate::ids::{BlobId, FileId, FolderId, UserId};
use crate::store::{FileChanges, FileRow, OnConflict, Stored};
use crate::validate::{self, FileName};

/// A multipart `comment` part is small text; anything bigger is an attack or a mistake.
const MAX_COMMENT_PART: u64 = 16 * 1024;

/// The file if the caller may see it; someone else's file is as absent as a missing one.
pub async fn file_for(app: &App, caller: &Caller, id: &str) -> Result<FileRow> {
    let id: FileId = parse_id(id)?;
    let file = app.store.file(id).await?.ok_or(Error::NotFound)?;
    if file.owner_id != caller.user().id && !caller.user().is_admin {
        return Err(Error::NotFound);
    }
    Ok(file)
}

/// `GET /api/files[?user=]`: every file of the account, newest first, a page at a time
/// (`limit`, default and at most 1,000; `cursor`).
pub async fn list(app: &App, caller: Caller, req: Request) -> Result<Response> {
    let owner = owner_for(app, &caller, &req).await?;
    let page = PageRequest::from_query(&req, MAX_LIMIT)?;
    let scope = Scope::account("files", owner);
    let after = page
        .cursor
        .as_deref()
        .map(|c| cursor::decode_timed(&app.signer, &scope, c))
        .transpose()?
        .map(|(time, id)| (time, FileId(id)));
    let (files, next) = app.store.files_page(owner, after, page.limit).await?;
    let next = next.map(|(time, id)| cursor::encode_timed(&app.signer, &scope, time, id.0));
    Ok(files_response(&files, next.as_deref(), &app.base_url(&req)))
}

/// Where an upload goes and what it does on a name clash: `folder_id` (none, or `root`:
/// the root) and `on_conflict` from the query, checked before any byte is read.
pub struct Placement {
    pub owner: UserId,
    pub folder: Option<FolderId>,
    pub on_conflict: OnConflict,
}

async fn placement(app: &App, caller: &Caller, req: &Request) -> Result<Placement> {
    let owner = owner_for(app, caller, req).await?;
    let params = query(req);
    let folder = destination(
        app,
        owner,
        "folder_id",
        params.get("folder_id").map(String::as_str),
    )
    .await?;
    let on_conflict = match params.get("on_conflict").map(String::as_str) {
        None | Some("fail") => OnConflict::Fail,
        Some("rename") => OnConflict::Rename,
        Some("replace") => OnConflict::Replace,
        Some(_) => {
            return Err(Error::invalid(
                "on_conflict",
                "must be fail, rename or replace",
            ));
        }
    };
    Ok(Placement {
        owner,
        folder,
        on_conflict,
    })
}

/// With `on_conflict=fail`, a name already taken is refused before the bytes are sent.
async fn refuse_taken_name(app: &App, placement: &Placement, name: &FileName) -> Result<()> {
    if placement.on_conflict == OnConflict::Fail
        && app
            .store
            .name_in_use(placement.owner, placement.folder, name.as_str())
            .await?
    {
        return Err(crate::store::name_taken());
    }
    Ok(())
}

pub fn declared_length(req: &Request) -> Option<u64> {
    header_str(req.headers(), hyper::header::CONTENT_LENGTH).and_then(|v| v.parse().ok())
}

pub fn check_declared_length(app: &App, req: &Request) -> Result<()> {
    match (app.config.max_upload_size, declared_length(req)) {
        (Some(limit), Some(n)) if n > limit => Err(too_large(limit)),
        _ => Ok(()),
    }
}

fn too_large(limit: u64) -> Error {
    Error::TooLarge(format!(
        "uploads are limited to {limit} bytes on this server"
    ))
}

/// The next chunk of a request body; a client that hangs up is a bad request.
pub async fn next_data(body: &mut RequestBody) -> Result<Option<Bytes>> {
    loop {
        match body.frame().await {
            None => return Ok(None),
            Some(Err(_)) => return Err(Error::bad_request("the upload was interrupted")),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    return Ok(Some(data));
                }
            }
        }
    }
}

/// `PUT /api/files?name=…&comment=…[&folder_id=…][&on_conflict=…][&user=]`: the raw
/// body is the file.
pub async fn upload_raw(app: &App, caller: Caller, req: Request) -> Result<Response> {
    let placement = placement(app, &caller, &req).await?;
    let mut params = query(&req);
    let name = params
        .remove("name")
        .ok_or_else(|| Error::invalid("name", "is required"))?;
    let name = FileName::parse(&name).map_err(|m| Error::invalid("name", m))?;
    let comment = params.remove("comment").unwrap_or_default();
    validate::comment(&comment).map_err(|m| Error::invalid("comment", m))?;
    check_declared_length(app, &req)?;
    refuse_taken_name(app, &placement, &name).await?;
    let client_type = header_str(req.headers(), hyper::header::CONTENT_TYPE).map(str::to_string);
    let base = app.base_url(&req);

    let mut upload = app
        .start_file_upload(placement.owner, declared_length(&req), None)
        .await?;
    let mut body = req.into_body();
    while let Some(data) = next_data(&mut body).await? {
        upload.write(&data).await?;
    }
    store_upload(app, placement, name, comment, client_type, upload, &base).await
}

/// `POST /api/files[?folder_id=…][&on_conflict=…][&user=]`: multipart with a `file`
/// part and an optional `comment`.
pub async fn upload_multipart(app: &App, caller: Caller, req: Request) -> Result<Response> {
    let placement = placement(app, &caller, &req).await?;
    let content_type = header_str(req.headers(), hyper::header::CONTENT_TYPE).unwrap_or("");
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        Error::UnsupportedMediaType("send multipart/form-data, or PUT the raw bytes".into())
    })?;
    check_declared_length(app, &req)?;
    let declared = declared_length(&req);
    let base = app.base_url(&req);
    let constraints = multer::Constraints::new()
        .allowed_fields(vec!["file", "comment"])
        .size_limit(multer::SizeLimit::new().for_field("comment", MAX_COMMENT_PART));
    let mut multipart = multer::Multipart::with_constraints(
        BodyDataStream::new(req.into_body()),
        boundary,
        constraints,
    );

    let mut comment = String::new();
    let mut received: Option<(FileName, Option<String>, Upload)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() == Some("comment") {
            comment = field.text().await.map_err(multipart_error)?;
            continue;
        }
        if received.is_some() {
            return Err(Error::invalid("file", "send one file per upload"));
        }
        let name = field
            .file_name()
            .ok_or_else(|| Error::invalid("file", "the file part needs a filename"))?;
        let name = FileName::parse(name).map_err(|m| Error::invalid("name", m))?;
        refuse_taken_name(app, &placement, &name).await?;
        let client_type = field.content_type().map(|m| m.to_string());
        // The body's length holds a little more than the file: a conservative claim.
        let mut upload = app
            .start_file_upload(placement.owner, declared, None)
            .await?;
        while let Some(data) = field.chunk().await.map_err(multipart_error)? {
            upload.write(&data).await?;
        }
        received = Some((name, client_type, upload));
    }
    validate::comment(&comment).map_err(|m| Error::invalid("comment", m))?;
    let (name, client_type, upload) =
        received.ok_or_else(|| Error::invalid("file", "is required"))?;
    store_upload(app, placement, name, comment, client_type, upload, &base).await
}

pub fn multipart_error(e: multer::Error) -> Error {
    match e {
        multer::Error::UnknownField { field_name } => Error::invalid(
            field_name.as_deref().unwrap_or("(unnamed)"),
            "unknown part; send `file` and optionally `comment`",
        ),
        multer::Error::FieldSizeExceeded { .. } => Error::invalid("comment", "is too long"),
        multer::Error::StreamReadFailed(_) => Error::bad_request("the upload was interrupted"),
        other => Error::bad_request(format!("malformed multipart body: {other}")),
    }
}

/// `save_upload`, answered: 201 with the new file, 200 with a replaced one.
async fn store_upload(
    app: &App,
    placement: Placement,
    name: FileName,
    comment: String,
    client_type: Option<String>,
    upload: Upload,
    base: &str,
) -> Result<Response> {
    Ok(
        match save_upload(app, placement, name, comment, client_type, upload).await? {
            Stored::New(file) => file_response(StatusCode::CREATED, &file, base),
            Stored::Replaced { file, .. } => file_response(StatusCode::OK, &file, base),
        },
    )
}

/// Finishes an upload durably, then records it: fsync, rename, fsync the folder, and only
/// then the row. If the row cannot be written the bytes go too; if it replaced a file's
/// bytes, the old ones go after the commit.
pub async fn save_upload(
    app: &App,
    placement: Placement,
    name: FileName,
    comment: String,
    client_type: Option<String>,
    upload: Upload,
) -> Result<Stored> {
    let finished = upload.finish().await?;
    let owner = placement.owner;
    // A new file's blob is named by its id, as every file's was before replace existed.
    let id = FileId::new();
    let blob = BlobId::from(id);
    let size = finished.size;
    let held = app.blobs.commit_file(finished, owner, blob).await?;
    let row = FileRow {
        id,
        owner_id: owner,
        folder_id: placement.folder,
        blob_id: blob,
        content_type: content_type_for(name.as_str(), client_type.as_deref()),
        name: name.into_string(),
        size,
        comment,
        uploaded_at: Timestamp::now(),
        last_downloaded_at: None,
        share: None,
        missing_since: None,
        trash: None,
    };
    crash_point("before_commit");
    let stored = match app.store.store_file(row, placement.on_conflict).await {
        Ok(stored) => stored,
        Err(e) => {
            app.blobs.remove_file(owner, blob).await;
            return Err(match e {
                Error::NotFound if placement.folder.is_some() => {
                    Error::invalid("folder_id", "is not one of the account's folders")
                }
                other => other,
            });
        }
    };
    crash_point("after_commit");
    held.landed();
    if let Stored::Replaced { old_blob, .. } = &stored {
        app.blobs.remove_file(owner, *old_blob).await;
    }
    Ok(stored)
}

/// The type by the name's extension; else the client's, if it looks like a media type.
pub fn content_type_for(name: &str, client: Option<&str>) -> String {
    if let Some(guess) = mime_guess::from_path(name).first() {
        return guess.essence_str().to_string();
    }
    client
        .and_then(|c| c.parse::<mime_guess::mime::Mime>().ok())
        .map(|m| m.essence_str().to_string())
        .unwrap_or_else(|| "application/octet-stream".to_string())
}

/// `GET /api/files/{id}`.
pub async fn get(app: &App, caller: Caller, req: Request, id: &str) -> Result<Response> {
    let file = file_for(app, &caller, id).await?;
    Ok(file_response(StatusCode::OK, &file, &app.base_url(&req)))
}

/// `PATCH /api/files/{id}`: `{name?, comment?, folder_id?}`; `folder_id: null` moves the
/// file to the root.
pub async fn patch(app: &App, caller: Caller, req: Request, id: &str) -> Result<Response> {
    let file = file_for(app, &caller, id).await?;
    let base = app.base_url(&req);
    let mut body = read_object(req.into_body()).await?;
    let name = body.opt_str("name")?;
    let comment = body.opt_str("comment")?;
    let folder = body.nullable_str("folder_id")?;
    body.finish()?;
    let mut changes = FileChanges::default();
    if let Some(folder) = folder {
        changes.folder =
            Some(destination(app, file.owner_id, "folder_id", folder.as_deref()).await?);
    }
    if let Some(name) = name {
        let name = FileName::parse(&name).map_err(|m| Error::invalid("name", m))?;
        changes.content_type = mime_guess::from_path(name.as_str())
            .first()
            .map(|m| m.essence_str().to_string());
        changes.name = Some(name.into_string());
    }
    if let Some(comment) = comment {
        validate::comment(&comment).map_err(|m| Error::invalid("comment", m))?;
        changes.comment = Some(comment);
    }
    let file = app
        .store
        .update_file(file.id, changes)
        .await
        .map_err(|e| match e {
            Error::NotFound => Error::invalid("folder_id", "is not one of the account's folders"),
            other => other,
        })?
        .ok_or(Error::NotFound)?;
    Ok(file_response(StatusCode::OK, &file, &base))
}

/// `DELETE /api/files/{id}`: to the trash; with `--trash-retention 0` for good, the row
/// first, then the bytes, so a crash in between leaves only an unreferenced blob for the
/// reaper.
pub async fn delete(app: &App, caller: Caller, id: &str) -> Result<Response> {
    let file = file_for(app, &caller, id).await?;
    if app.keeps_trash() {
        app.store.trash_file(file.id, Timestamp::now()).await?;
        return Ok(no_content());
    }
    if let Some(gone) = app.store.delete_file(file.id).await? {
        app.blobs.remove_file(gone.owner_id, gone.blob_id).await;
    }
    Ok(no_content())
}

/// `POST /api/files/{id}/link`: a signed content URL for the browser.
pub async fn link(app: &App, caller: Caller, req: Request, id: &str) -> Result<Response> {
    let file = file_for(app, &caller, id).await?;
    let expires = Timestamp::now().plus(LINK_LIFETIME);
    let sig = app.signer.sign(file.id, expires.secs());
    let url = format!(
        "{}/api/files/{}/content?expires={}&sig={sig}",
        app.base_url(&req),
        file.id,
        expires.secs()
    );
    Ok(ok_json(
        json!({ "url": url, "expires_at": crate::clock::Timestamp(expires.secs() * 1000).rfc3339() }),
    ))
}

#[cfg(test)]
mod tests {
    use super::content_type_for;

    #[test]
    fn content_type_prefers_the_extension_then_a_valid_client_type() {
        assert_eq!(content_type_for("a.png", Some("text/html")), "image/png");
        assert_eq!(
            content_type_for("noext", Some("text/csv; charset=utf-8")),
            "text/csv"
        );
        assert_eq!(
            content_type_for("noext", Some("not a type")),
            "application/octet-stream"
        );
        assert_eq!(content_type_for("noext", None), "application/octet-stream");
    }
}
