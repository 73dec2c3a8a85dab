//! The `file` JSON shape, written by hand:
//! `{comment, content_type, folder_id, id, last_downloaded_at, missing?, name, owner_id,
//! share_url, size, uploaded_at}`, `missing: true` only once the reaper found the bytes gone (absent
//! otherwise, so clients that never heard of it see the same shape).
//!
//! Not derived with serde because of `GET /api/files`: a listing of 1,000 files is 17,000
//! JSON strings, and serde_json escapes every one byte by byte, keys, ids and timestamps
//! included; that was a fifth of the listing's CPU. Here keys are constants, ids and
//! timestamps are written as they are (they never need escaping), and a string a user
//! chose goes through serde_json's escaper only when one of its bytes needs it. The tests
//! hold the output to what serde_json makes of the same values.

use std::io::Write;

use hyper::StatusCode;
use uuid::Uuid;

use crate::clock::{RFC3339_MAX, Timestamp};
use crate::http::{Response, json_bytes_response};
use crate::store::{FileRow, Share};

/// `{"file": …}` with `status`: the answer of every endpoint that returns one file.
pub fn file_response(status: StatusCode, file: &FileRow, base_url: &str) -> Response {
    json_bytes_response(status, file_body(file, base_url))
}

/// `{"files": [file, …], "next_cursor": …}`, a page of the flat file list.
pub fn files_response(files: &[FileRow], next_cursor: Option<&str>, base_url: &str) -> Response {
    let mut out = files_body(files, base_url);
    out.pop();
    out.extend_from_slice(b",\"next_cursor\":");
    write_opt_str(&mut out, next_cursor);
    out.push(b'}');
    json_bytes_response(StatusCode::OK, out)
}

/// `[file, …]`, each with `extra(i)` (a JSON member such as `"path":[…]`) if any.
pub fn write_files(
    out: &mut Vec<u8>,
    files: &[FileRow],
    base_url: &str,
    mut extra: impl FnMut(usize) -> Option<Vec<u8>>,
) {
    out.reserve(files.len() * ESTIMATED_SIZE + 2);
    out.push(b'[');
    for (i, file) in files.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_file(out, file, base_url);
        if let Some(member) = extra(i) {
            out.pop();
            out.push(b',');
            out.extend_from_slice(&member);
            out.push(b'}');
        }
    }
    out.push(b']');
}

/// `s` as a JSON string, or `null`.
pub fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

fn file_body(file: &FileRow, base_url: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(ESTIMATED_SIZE + 16);
    out.extend_from_slice(b"{\"file\":");
    write_file(&mut out, file, base_url);
    out.push(b'}');
    out
}

fn files_body(files: &[FileRow], base_url: &str) -> Vec<u8> {
    // Sized up front: grown by doubling, a 300 KB listing was copied a dozen times.
    let mut out = Vec::with_capacity(files.len() * ESTIMATED_SIZE + 16);
    out.extend_from_slice(b"{\"files\":");
    write_files(&mut out, files, base_url, |_| None);
    out.push(b'}');
    out
}

/// About what one file takes with a short name and comment.
const ESTIMATED_SIZE: usize = 320;

fn write_file(out: &mut Vec<u8>, file: &FileRow, base_url: &str) {
    out.extend_from_slice(b"{\"comment\":");
    write_str(out, &file.comment);
    out.extend_from_slice(b",\"content_type\":");
    write_str(out, &file.content_type);
    out.extend_from_slice(b",\"folder_id\":");
    match file.folder_id {
        Some(folder) => write_id(out, folder.0),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"id\":");
    write_id(out, file.id.0);
    out.extend_from_slice(b",\"last_downloaded_at\":");
    write_opt_time(out, file.last_downloaded_at);
    if file.missing_since.is_some() {
        out.extend_from_slice(b",\"missing\":true");
    }
    out.extend_from_slice(b",\"name\":");
    write_str(out, &file.name);
    out.extend_from_slice(b",\"owner_id\":");
    write_id(out, file.owner_id.0);
    out.extend_from_slice(b",\"share\":");
    write_share(out, file.share.as_ref(), base_url);
    out.extend_from_slice(b",\"share_url\":");
    match &file.share {
        // The base URL may come from the request's Host header: escaped like any string.
        Some(share) => write_str(out, &share_url(base_url, share)),
        None => out.extend_from_slice(b"null"),
    }
    // Writing to a Vec cannot fail.
    let _ = write!(out, ",\"size\":{}", file.size);
    out.extend_from_slice(b",\"uploaded_at\":");
    write_time(out, file.uploaded_at);
    out.push(b'}');
}

/// The public address of a share.
pub fn share_url(base_url: &str, share: &Share) -> String {
    format!("{base_url}/s/{}", share.token)
}

/// The `share` object of DESIGN §12, or `null`.
pub fn write_share(out: &mut Vec<u8>, share: Option<&Share>, base_url: &str) {
    let Some(share) = share else {
        out.extend_from_slice(b"null");
        return;
    };
    out.extend_from_slice(b"{\"created_at\":");
    write_time(out, share.created_at);
    // Writing to a Vec cannot fail.
    let _ = write!(out, ",\"download_count\":{}", share.download_count);
    out.extend_from_slice(b",\"expires_at\":");
    write_opt_time(out, share.expires_at);
    out.extend_from_slice(if share.password_hash.is_some() {
        b",\"has_password\":true"
    } else {
        b",\"has_password\":false"
    });
    out.extend_from_slice(b",\"max_downloads\":");
    match share.max_downloads {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"url\":");
    write_str(out, &share_url(base_url, share));
    out.push(b'}');
}

/// `s` as a JSON string. Most names and comments need no escape: those are copied as
/// they are, the rest go through serde_json.
fn write_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing a str to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

fn write_id(out: &mut Vec<u8>, id: Uuid) {
    out.push(b'"');
    out.extend_from_slice(
        id.hyphenated()
            .encode_lower(&mut Uuid::encode_buffer())
            .as_bytes(),
    );
    out.push(b'"');
}

fn write_time(out: &mut Vec<u8>, t: Timestamp) {
    out.push(b'"');
    out.extend_from_slice(t.write_rfc3339(&mut [0; RFC3339_MAX]).as_bytes());
    out.push(b'"');
}

fn write_opt_time(out: &mut Vec<u8>, t: Option<Timestamp>) {
    match t {
        Some(t) => write_time(out, t),
        None => out.extend_from_slice(b"null"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::ids::{BlobId, FileId, FolderId, UserId};

    /// What serde_json makes of the same values, field by field: the oracle.
    fn expected(file: &FileRow, base_url: &str) -> Value {
        let mut object = json!({
            "comment": file.comment,
            "content_type": file.content_type,
            "folder_id": file.folder_id.map(|f| f.0.to_string()),
            "id": file.id.0.to_string(),
            "last_downloaded_at": file.last_downloaded_at.map(Timestamp::rfc3339),
            "name": file.name,
            "owner_id": file.owner_id.0.to_string(),
            "share": file.share.as_ref().map(|s| json!({
                "created_at": s.created_at.rfc3339(),
                "download_count": s.download_count,
                "expires_at": s.expires_at.map(Timestamp::rfc3339),
                "has_password": s.password_hash.is_some(),
                "max_downloads": s.max_downloads,
                "url": format!("{base_url}/s/{}", s.token),
            })),
            "share_url": file.share.as_ref().map(|s| format!("{base_url}/s/{}", s.token)),
            "size": file.size,
            "uploaded_at": file.uploaded_at.rfc3339(),
        });
        if file.missing_since.is_some() {
            object["missing"] = json!(true);
        }
        object
    }

    fn row(name: &str, comment: &str, share: Option<&str>, seed: u64) -> FileRow {
        FileRow {
            id: FileId(Uuid::from_u64_pair(seed, !seed)),
            owner_id: UserId(Uuid::from_u64_pair(!seed, seed)),
            folder_id: seed
                .is_multiple_of(4)
                .then_some(FolderId(Uuid::from_u64_pair(seed, seed))),
            blob_id: BlobId(Uuid::from_u64_pair(seed, !seed)),
            name: name.to_string(),
            size: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (seed % 64),
            content_type: "text/plain".to_string(),
            comment: comment.to_string(),
            uploaded_at: Timestamp(seed as i64 * 7_919_000 - 1_000_000),
            last_downloaded_at: seed
                .is_multiple_of(2)
                .then_some(Timestamp(seed as i64 * 1_000)),
            share: share.map(|token| Share {
                token: token.to_string(),
                created_at: Timestamp(seed as i64 * 3_000),
                expires_at: seed
                    .is_multiple_of(5)
                    .then_some(Timestamp(seed as i64 * 9_000)),
                password_hash: seed
                    .is_multiple_of(2)
                    .then(|| "pbkdf2_sha256$1$x$y".to_string()),
                max_downloads: seed.is_multiple_of(3).then_some(seed),
                download_count: seed / 2,
            }),
            missing_since: seed.is_multiple_of(3).then_some(Timestamp(5)),
            trash: None,
        }
    }

    /// Every byte that JSON must escape, and the ones it must not, in names and comments.
    fn awkward_strings() -> Vec<String> {
        let mut strings: Vec<String> = [
            "",
            "plain.txt",
            "quote\".txt",
            "back\\slash",
            "ünï😀",
            "a\u{7f}b",
            "</script>",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        strings.extend((0u8..0x20).map(|b| format!("x{}y", b as char)));
        strings
    }

    fn parse(bytes: Vec<u8>) -> Value {
        serde_json::from_slice(&bytes).expect("valid JSON")
    }

    #[test]
    fn each_file_is_what_serde_json_writes_for_the_same_values() {
        let base = "http://host\"x:8080";
        for (seed, text) in awkward_strings().iter().enumerate() {
            let share = (!seed.is_multiple_of(2)).then_some("tok-EN_123");
            let file = row(text, text, share, seed as u64);
            let got = parse(file_body(&file, base));
            assert_eq!(got, json!({ "file": expected(&file, base) }), "{text:?}");
        }
    }

    #[test]
    fn the_list_holds_every_file_in_order() {
        let base = "https://example.org";
        let files: Vec<FileRow> = awkward_strings()
            .iter()
            .enumerate()
            .map(|(seed, text)| row(text, "c", Some("t"), seed as u64))
            .collect();
        let want: Vec<Value> = files.iter().map(|f| expected(f, base)).collect();
        assert_eq!(parse(files_body(&files, base)), json!({ "files": want }));
        assert_eq!(parse(files_body(&[], base)), json!({ "files": [] }));
    }

    #[test]
    fn the_bytes_are_exactly_serde_jsons_for_a_plain_file() {
        // Key order and spacing too, not only the parsed value: clients may diff them.
        let file = row("a.txt", "hello", None, 4);
        let mut out = Vec::new();
        write_file(&mut out, &file, "");
        let serde = serde_json::to_string(&expected(&file, "")).expect("serializes");
        assert_eq!(String::from_utf8(out).expect("utf-8"), serde);
    }
}
