//! A multipart upload body as `POST /api/files` reads it: the `Content-Type` header (its
//! boundary), each part's headers, the `file` part's file name (through our name rule) and
//! the `comment` part. Input: the header value on the first line, the body after it.
//!
//! Checks: an accepted upload has a valid file name (no `/`, `\` or control character, at
//! most 255 bytes), a valid comment, and no more bytes than the body; and the answer does
//! not depend on how the body was split into network reads (whole, byte by byte, or in
//! chunks of a size the input picks), since a boundary may fall across two reads.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mycloud::fuzzing::{Upload, multipart};

fuzz_target!(|data: &[u8]| {
    let Some(newline) = data.iter().position(|&b| b == b'\n') else {
        return;
    };
    let Ok(content_type) = std::str::from_utf8(&data[..newline]) else {
        return;
    };
    let body = &data[newline + 1..];

    let whole = multipart(content_type, vec![Bytes::copy_from_slice(body)]);
    if let Ok(upload) = &whole {
        check(upload, body.len());
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
});

fn check(upload: &Upload, body_len: usize) {
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
