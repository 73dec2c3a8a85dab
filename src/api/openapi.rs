//! `GET /api/openapi.json`: the OpenAPI 3.1 description of the API, `docs/openapi.json`,
//! built into the binary so the server always serves the document of its own version.

use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};

use crate::http::{Response, full};

/// The document, as committed. `server::router`'s tests hold it equal to the route table.
pub const DOCUMENT: &[u8] = include_bytes!("../../docs/openapi.json");

pub fn document() -> Response {
    let mut response = hyper::Response::new(full(DOCUMENT));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // It changes only with the binary; an hour saves clients the refetch.
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}
