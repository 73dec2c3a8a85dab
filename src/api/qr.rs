//! `GET /api/qr?text=…`: a QR code as SVG, drawn here so that a phone can pick up a share
//! or file request link without the address going to any outside service. The SVG holds
//! only squares; the text is in the pattern, never in the markup.

use hyper::StatusCode;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::error::{Error, Result};
use crate::http::{Request, Response, full, query};

/// Longer texts make codes too dense for a phone held at arm's length.
const MAX_TEXT: usize = 1000;

pub fn svg(req: &Request) -> Result<Response> {
    let text = query(req)
        .remove("text")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::invalid("text", "is required"))?;
    if text.len() > MAX_TEXT {
        return Err(Error::invalid(
            "text",
            format!("must be at most {MAX_TEXT} bytes"),
        ));
    }
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| Error::invalid("text", format!("cannot be drawn as a QR code: {e}")))?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build();
    let mut response = hyper::Response::new(full(image));
    *response.status_mut() = StatusCode::OK;
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    // An image, never a document: nothing in it may run even if opened on its own.
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    Ok(response)
}
