//! The web interface embedded in the binary: files from `assets/` with their types and
//! ETags, and `index.html` for every other path so the app can route on the client.

use hyper::StatusCode;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, HeaderValue, IF_NONE_MATCH};
use rust_embed::RustEmbed;

use crate::http::{Request, Response, empty, full, header_str};

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
        None => match Assets::get("index.html") {
            Some(file) => ("index.html", file),
            None => return missing_index(),
        },
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let content_type = mime_guess::from_path(name).first_or_octet_stream();
    let mut response = if header_str(req.headers(), IF_NONE_MATCH) == Some(etag.as_str()) {
        let mut r = hyper::Response::new(empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        // hyper sends only the headers (with Content-Length) for HEAD.
        // Release builds embed the bytes: hand out the static slice without copying.
        let bytes = match file.data {
            std::borrow::Cow::Borrowed(b) => bytes::Bytes::from_static(b),
            std::borrow::Cow::Owned(v) => bytes::Bytes::from(v),
        };
        hyper::Response::new(full(bytes))
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type.as_ref()) {
        headers.insert(CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, v);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(PAGE_CSP),
    );
    response
}

fn missing_index() -> Response {
    let mut r = hyper::Response::new(full("index.html is missing from this build"));
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
