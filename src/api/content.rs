//! Sending a file's bytes: for its owner or an admin, through a signed link, or through a
//! public share. Conditional requests, single ranges, and a type policy that never lets
//! an uploaded page run in our origin.

use std::time::Duration;

use hyper::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE,
    ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_RANGE, LAST_MODIFIED,
};
use hyper::{Method, StatusCode};
use uuid::Uuid;

use crate::api::files::file_for;
use crate::api::parse_id;
use crate::app::App;
use crate::blobs::{disk_error, stream_file};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::http::disposition::{self, Disposition};
use crate::http::range::{self, ByteRange};
use crate::http::{self, Request, Response, empty, header_str, query};
use crate::ids::FileId;
use crate::store::{FileRow, ItemKind};

/// How precisely `last_downloaded_at` follows downloads (see `send`).
const DOWNLOAD_TIME_RESOLUTION: Duration = Duration::from_secs(1);

/// `GET`/`HEAD /api/files/{id}/content`: with a token, or with `expires` and `sig` from
/// `POST …/link` (no header needed, for `<img>` and `<a href>`).
pub async fn for_owner(app: &App, req: Request, id: &str) -> Result<Response> {
    let params = query(&req);
    let file = match (params.get("expires"), params.get("sig")) {
        (Some(expires), Some(sig)) => {
            let file_id: FileId = parse_id(id).map_err(|_| Error::Forbidden("invalid_link"))?;
            app.signer.verify(file_id, expires, sig, Timestamp::now())?;
            app.store.file(file_id).await?.ok_or(Error::NotFound)?
        }
        _ => {
            let caller = app.caller(&req).await?;
            file_for(app, &caller, id).await?
        }
    };
    send(app, &req, file, params.contains_key("inline")).await
}

/// A share whose download limit a response must pass: counted when the response starts
/// at byte 0 (a whole file, or a range from its start), never for `HEAD`, a 304 or a
/// resumed range, which carry no new download.
pub struct Counted {
    pub kind: ItemKind,
    pub id: Uuid,
    pub token: String,
}

impl Counted {
    /// Counts one download, or refuses with 410 `share_exhausted` past the limit.
    pub async fn count(self, app: &App) -> Result<()> {
        if app
            .store
            .count_download(self.kind, self.id, self.token)
            .await?
        {
            Ok(())
        } else {
            Err(Error::Closed("share_exhausted"))
        }
    }
}

/// Sends the bytes of `file` as the request asks (HEAD, conditional, range, inline).
pub async fn send(app: &App, req: &Request, file: FileRow, inline: bool) -> Result<Response> {
    send_counted(app, req, file, inline, None).await
}

/// `send`, counting the response against a share's download limit when it starts at 0.
pub async fn send_counted(
    app: &App,
    req: &Request,
    file: FileRow,
    inline: bool,
    counted: Option<Counted>,
) -> Result<Response> {
    // Marked by the reaper: answer as the list says, even if the bytes came back a moment
    // ago (the next pass, triggered by the watcher, clears the mark).
    if file.missing_since.is_some() {
        return Err(Error::Gone);
    }
    let path = app.blobs.file_path(file.owner_id, file.blob_id);
    let blob = app.blobs.open_blob(path).await?.ok_or(Error::Gone)?;
    let on_disk = blob.metadata().map_err(disk_error)?.len();
    // A blob never changes once written (replacing a file's bytes writes a new blob):
    // its id is a strong validator.
    let etag = format!("\"{}\"", file.blob_id);
    let last_modified = file.uploaded_at.http_date();
    let headers = req.headers();

    if not_modified(headers, &etag, file.uploaded_at) {
        let mut response = hyper::Response::new(empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        set(response.headers_mut(), ETAG, &etag);
        set(response.headers_mut(), LAST_MODIFIED, &last_modified);
        return Ok(response);
    }

    let size = on_disk;
    let range_header = header_str(headers, hyper::header::RANGE)
        .filter(|_| if_range_holds(headers, &etag, &last_modified));
    let (status, start, len) = match range::parse(range_header, size) {
        ByteRange::Full => (StatusCode::OK, 0, size),
        ByteRange::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        ByteRange::Unsatisfiable => return Err(Error::RangeNotSatisfiable { size }),
    };

    let is_head = req.method() == Method::HEAD;
    if let Some(counted) = counted
        && !is_head
        && start == 0
    {
        counted.count(app).await?;
    }
    // To the second: a file fetched again within a second of the recorded download keeps
    // that time. Otherwise a busy file (a shared link going round) would turn every
    // download into a write, each fsynced and all queued behind the database's one lock.
    let now = Timestamp::now();
    let recorded_just_now = file
        .last_downloaded_at
        .is_some_and(|t| t > now.minus(DOWNLOAD_TIME_RESOLUTION));
    if !is_head && !recorded_just_now {
        app.store.mark_downloaded(file.id, now).await?;
    }
    let body = if is_head {
        empty()
    } else {
        stream_file(blob, start, len)
    };
    let mut response = hyper::Response::new(body);
    *response.status_mut() = status;
    let policy = Policy::for_type(&file.content_type, inline);
    let h = response.headers_mut();
    set(h, CONTENT_TYPE, &policy.content_type);
    set(
        h,
        CONTENT_DISPOSITION,
        &disposition::header_value(policy.disposition, &file.name),
    );
    if policy.sandbox {
        set(
            h,
            "content-security-policy",
            "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'",
        );
    }
    h.insert(CONTENT_LENGTH, len.into());
    set(h, ACCEPT_RANGES, "bytes");
    set(h, ETAG, &etag);
    set(h, LAST_MODIFIED, &last_modified);
    // Revalidate every time (cheap, thanks to the ETag): access can be revoked.
    set(h, CACHE_CONTROL, "private, no-cache");
    if status == StatusCode::PARTIAL_CONTENT {
        set(
            h,
            CONTENT_RANGE,
            &range::content_range(start, start + len - 1, size),
        );
    }
    Ok(response)
}

fn set(headers: &mut HeaderMap, name: impl hyper::header::IntoHeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

/// `If-None-Match` wins over `If-Modified-Since` (RFC 9110 §13.2.2).
fn not_modified(headers: &HeaderMap, etag: &str, modified: Timestamp) -> bool {
    if let Some(listed) = http::if_none_match(headers, etag) {
        return listed;
    }
    header_str(headers, IF_MODIFIED_SINCE)
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .is_some_and(|since| Timestamp::from_system(since).secs() >= modified.secs())
}

/// A `Range` applies only if `If-Range` (when present) still names this version.
fn if_range_holds(headers: &HeaderMap, etag: &str, last_modified: &str) -> bool {
    match header_str(headers, IF_RANGE) {
        None => true,
        Some(v) => v.trim() == etag || v.trim() == last_modified,
    }
}

/// How a stored type goes out: what a browser would run is never served as itself inline.
struct Policy {
    content_type: String,
    disposition: Disposition,
    sandbox: bool,
}

impl Policy {
    fn for_type(stored: &str, inline: bool) -> Policy {
        let essence = stored
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let disposition = if inline {
            Disposition::Inline
        } else {
            Disposition::Attachment
        };
        // Browsers refuse to show PDFs in a sandboxed document, and their PDF viewers run
        // outside our origin anyway.
        let sandbox = !(inline && essence == "application/pdf");
        let content_type = if inline && runs_in_browser(&essence) {
            "text/plain; charset=utf-8".to_string()
        } else {
            stored.to_string()
        };
        Policy {
            content_type,
            disposition,
            sandbox,
        }
    }
}

/// Types a browser would execute or render as a document with scripts.
fn runs_in_browser(essence: &str) -> bool {
    matches!(
        essence,
        "text/html"
            | "application/xhtml+xml"
            | "image/svg+xml"
            | "text/xml"
            | "application/xml"
            | "text/xsl"
    ) || essence.ends_with("+xml")
        || essence.contains("javascript")
        || essence.contains("ecmascript")
        || essence == "text/css"
        || essence == "application/wasm"
        || essence.starts_with("multipart/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::IF_NONE_MATCH;

    #[test]
    fn active_types_are_neutralised_inline_but_keep_their_type_as_attachment() {
        for t in [
            "text/html",
            "image/svg+xml",
            "application/xhtml+xml",
            "text/javascript",
            "application/xml",
        ] {
            let p = Policy::for_type(t, true);
            assert_eq!(p.content_type, "text/plain; charset=utf-8", "{t}");
            assert!(p.sandbox);
            let p = Policy::for_type(t, false);
            assert_eq!(p.content_type, t);
            assert!(matches!(p.disposition, Disposition::Attachment));
        }
    }

    #[test]
    fn passive_types_show_inline_and_pdf_is_not_sandboxed() {
        let p = Policy::for_type("image/png", true);
        assert_eq!(p.content_type, "image/png");
        assert!(matches!(p.disposition, Disposition::Inline) && p.sandbox);
        assert!(!Policy::for_type("application/pdf", true).sandbox);
        assert!(Policy::for_type("application/pdf", false).sandbox);
    }

    #[test]
    fn conditional_requests() {
        let mut h = HeaderMap::new();
        let t = Timestamp(1_700_000_000_000);
        h.insert(IF_NONE_MATCH, HeaderValue::from_static("\"a\", W/\"b\""));
        assert!(not_modified(&h, "\"b\"", t));
        assert!(!not_modified(&h, "\"c\"", t));
        let mut h = HeaderMap::new();
        h.insert(
            IF_MODIFIED_SINCE,
            HeaderValue::from_str(&t.http_date()).expect("date"),
        );
        assert!(not_modified(&h, "\"c\"", t));
        assert!(!not_modified(&h, "\"c\"", Timestamp(t.0 + 5_000)));
    }
}
