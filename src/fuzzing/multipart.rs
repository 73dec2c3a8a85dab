//! The `multipart` fuzz target: a multipart upload body as `POST /api/files` reads it,
//! rebuilt without an `App` from the same calls and constraints as
//! `api::files::upload_multipart` (keep the two in step).

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;

use super::FileName;

/// `api::files::MAX_COMMENT_PART`, which is private to its handler.
const MAX_COMMENT_PART: u64 = 16 * 1024;

/// What a multipart upload body yields once accepted.
#[derive(Debug, PartialEq, Eq)]
pub struct Upload {
    pub name: FileName,
    pub content_type: Option<String>,
    pub comment: String,
    pub size: u64,
}

/// A multipart upload as `upload_multipart` reads it, from a `Content-Type` header and
/// a body arriving in `chunks`: the same boundary parsing, multer constraints, order of
/// checks and validation. `Err` is the reason it would be refused.
pub fn multipart(content_type: &str, chunks: Vec<Bytes>) -> Result<Upload, String> {
    let boundary = multer::parse_boundary(content_type).map_err(|e| e.to_string())?;
    let constraints = multer::Constraints::new()
        .allowed_fields(vec!["file", "comment"])
        .size_limit(multer::SizeLimit::new().for_field("comment", MAX_COMMENT_PART));
    let stream = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, Infallible>));
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut comment = String::new();
    let mut received = None;
    while let Some(mut field) = ready(multipart.next_field()).map_err(|e| e.to_string())? {
        if field.name() == Some("comment") {
            comment = ready(field.text()).map_err(|e| e.to_string())?;
            continue;
        }
        if received.is_some() {
            return Err("send one file per upload".into());
        }
        let name = field
            .file_name()
            .ok_or("the file part needs a filename")?
            .to_string();
        let name = FileName::parse(&name)?;
        let content_type = field.content_type().map(|m| m.to_string());
        let mut size = 0;
        while let Some(data) = ready(field.chunk()).map_err(|e| e.to_string())? {
            size += data.len() as u64;
        }
        received = Some((name, content_type, size));
    }
    crate::validate::comment(&comment)?;
    let (name, content_type, size) = received.ok_or("file is required")?;
    Ok(Upload {
        name,
        content_type,
        comment,
        size,
    })
}

/// Runs a future over an in-memory body to completion: with every chunk already there,
/// nothing ever waits, so a pending poll is a bug worth a crash.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a multipart body held in memory left a future pending"),
    }
}

/// Input: the `Content-Type` header value (its boundary) on the first line, the body after
/// it; each part's headers, the `file` part's file name (through our name rule) and the
/// `comment` part are read as the handler reads them.
///
/// Checks: an accepted upload has a valid file name (no `/`, `\` or control character, at
/// most 255 bytes), a valid comment, and no more bytes than the body; and the answer does
/// not depend on how the body was split into network reads (whole, byte by byte, or in
/// chunks of a size the input picks), since a boundary may fall across two reads.
pub fn check(data: &[u8]) {
    let Some(newline) = data.iter().position(|&b| b == b'\n') else {
        return;
    };
    let Ok(content_type) = std::str::from_utf8(&data[..newline]) else {
        return;
    };
    let body = &data[newline + 1..];

    let whole = multipart(content_type, vec![Bytes::copy_from_slice(body)]);
    if let Ok(upload) = &whole {
        check_upload(upload, body.len());
    }
    let step = 1 + body.len() % 11;
    for size in [1, step] {
        let chunks = body.chunks(size).map(Bytes::copy_from_slice).collect();
        let split = multipart(content_type, chunks);
        assert_eq!(
            whole.as_ref().ok(),
            split.as_ref().ok(),
            "whole body gave {whole:?}, reads of {size} bytes gave {split:?}"
        );
    }
}

fn check_upload(upload: &Upload, body_len: usize) {
    let name = upload.name.as_str();
    assert!((1..=255).contains(&name.len()));
    assert!(!name.contains(['/', '\\']));
    assert!(!name.chars().any(char::is_control));
    assert!(upload.comment.chars().count() <= 1000);
    assert!(
        !upload
            .comment
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    );
    assert!(upload.size <= body_len as u64);
}
