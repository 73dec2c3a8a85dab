//! The web interface embedded in the binary: files from `assets/` with their types,
//! ETags and a gzip variant, and `index.html` for every path that names no file, so the
//! app can route on the client.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, HeaderValue, VARY,
};
use rust_embed::RustEmbed;

use crate::error::Error;
use crate::http::{self, Request, Response, empty, full, header_str};

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// No inline script or style, no eval, nothing from elsewhere, never framed.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
     media-src 'self' blob:; font-src 'self'; connect-src 'self'; frame-src 'self'; manifest-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn serve(req: &Request) -> Response {
    let path = req.uri().path().trim_start_matches('/');
    let (name, file) = match Assets::get(path).filter(|_| !path.is_empty()) {
        Some(file) => (path, file),
        // A path that names a file (`/js/gone.js`) must not get the page: a browser would
        // try to run HTML as a script. Everything else is a route of the app.
        None if last_segment_has_extension(path) => return Error::NotFound.into_response(),
        None => match Assets::get("index.html") {
            Some(file) => ("index.html", file),
            None => return missing_index(),
        },
    };
    let content_type = mime_guess::from_path(name).first_or_octet_stream();
    let hash = hex(&file.metadata.sha256_hash()[..16]);
    let bytes = match file.data {
        // Release builds embed the bytes: hand out the static slice without copying.
        std::borrow::Cow::Borrowed(b) => Bytes::from_static(b),
        std::borrow::Cow::Owned(v) => Bytes::from(v),
    };
    let compressible = is_compressible(content_type.essence_str());
    let (body, etag, encoding) = if compressible && accepts_gzip(req) {
        // A different representation needs a different strong ETag.
        (
            gzipped(&hash, &bytes),
            format!("\"{hash}-gz\""),
            Some("gzip"),
        )
    } else {
        (bytes, format!("\"{hash}\""), None)
    };

    let mut response = if http::if_none_match(req.headers(), &etag) == Some(true) {
        let mut r = hyper::Response::new(empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        // hyper sends only the headers (with Content-Length) for HEAD.
        hyper::Response::new(full(body))
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type.as_ref()) {
        headers.insert(CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, v);
    }
    if let Some(encoding) = encoding {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    if compressible {
        headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    // Revalidate every time: without a build step the file names carry no hash, and a
    // 304 for an unchanged file costs one small round trip.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(PAGE_CSP),
    );
    response
}

/// The app's page with `status`: what a browser gets at a share or file request link,
/// the status telling what the link answers (200, 401 for a password, 404, 410).
pub fn app_page(req: &Request, status: StatusCode) -> Response {
    let Some(file) = Assets::get("index.html") else {
        return missing_index();
    };
    let mut response = hyper::Response::new(full(Bytes::from(file.data.into_owned())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(PAGE_CSP),
    );
    if req.method() == hyper::Method::HEAD {
        *response.body_mut() = empty();
    }
    response
}

fn last_segment_has_extension(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

fn is_compressible(essence: &str) -> bool {
    essence.starts_with("text/")
        || matches!(
            essence,
            "application/javascript" | "application/json" | "image/svg+xml"
        )
}

/// `gzip` listed in `Accept-Encoding` without `q=0`.
fn accepts_gzip(req: &Request) -> bool {
    header_str(req.headers(), ACCEPT_ENCODING).is_some_and(|list| {
        list.split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let refused = parts.any(|p| p.replace(' ', "") == "q=0");
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
    })
}

/// Each asset is compressed once, on first request, and kept: the whole app is a few
/// hundred KiB, so memory stays small and no build step is needed.
fn gzipped(hash: &str, bytes: &Bytes) -> Bytes {
    static CACHE: OnceLock<Mutex<HashMap<String, Bytes>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(hash) {
        return hit.clone();
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let compressed = encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map(Bytes::from)
        .expect("gzip into memory cannot fail");
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(hash.to_string(), compressed.clone());
    compressed
}

fn missing_index() -> Response {
    let mut r = hyper::Response::new(full("index.html is missing from this build"));
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_that_look_like_files_skip_the_page() {
        assert!(last_segment_has_extension("js/gone.js"));
        assert!(!last_segment_has_extension("admin/users/01a2"));
        assert!(!last_segment_has_extension(""));
        assert!(!last_segment_has_extension("v1.2/files"));
    }

    #[test]
    fn text_scripts_and_svg_are_compressed_images_are_not() {
        assert!(is_compressible("text/css"));
        assert!(is_compressible("application/javascript"));
        assert!(is_compressible("image/svg+xml"));
        assert!(!is_compressible("image/png"));
    }
}
