//! Opaque page cursors: the position after the last entry of a page, with what it is a
//! position in (which listing, which folder, which sort), signed with the server's secret.
//! A client hands it back unchanged; a cursor that was altered, cut short, or belongs to
//! another listing, folder or sort is 400 naming `cursor`, never a 500 and never a wrong
//! page. The HMAC also keeps the encoding ours to change.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::links::LinkSigner;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::store::{After, SortValue};

/// What a cursor is a position in; a cursor is only accepted back in the same one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// `contents`, `files` or `search`.
    pub listing: String,
    /// The folder (or `root`), the user, the query: whatever else the listing depends on.
    pub within: String,
    /// The sort and order, where the listing has them.
    pub sort: String,
}

impl Scope {
    /// An account's listing with one fixed order (the flat file list, the trash).
    pub fn account(listing: &str, owner: impl std::fmt::Display) -> Scope {
        Scope {
            listing: listing.into(),
            within: owner.to_string(),
            sort: String::new(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Payload {
    scope: Scope,
    /// `d` for a folder, `f` for a file.
    kind: char,
    text: Option<String>,
    int: Option<i64>,
    id: String,
}

/// The cursor of the page after `after`.
pub fn encode(signer: &LinkSigner, scope: &Scope, after: &After) -> String {
    let (kind, key, id) = match after {
        After::Folder { key, id } => ('d', key, id),
        After::File { key, id } => ('f', key, id),
    };
    let (text, int) = match key {
        SortValue::Text(text) => (Some(text.clone()), None),
        SortValue::Int(n) => (None, Some(*n)),
    };
    let payload = Payload {
        scope: scope.clone(),
        kind,
        text,
        int,
        id: id.hyphenated().to_string(),
    };
    // A struct of strings and numbers always serializes.
    let json = serde_json::to_vec(&payload).unwrap_or_default();
    let body = URL_SAFE_NO_PAD.encode(json);
    let sig = signer.sign_message("cursor", &body);
    format!("{body}.{sig}")
}

/// The position a cursor names, if it is ours, intact, and of `scope`.
pub fn decode(signer: &LinkSigner, scope: &Scope, cursor: &str) -> Result<After> {
    let (body, sig) = cursor.split_once('.').ok_or_else(invalid)?;
    if !signer.verify_message("cursor", body, sig) {
        return Err(invalid());
    }
    let json = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
    let payload: Payload = serde_json::from_slice(&json).map_err(|_| invalid())?;
    if payload.scope != *scope {
        return Err(Error::invalid(
            "cursor",
            "belongs to another listing, folder or sort; start again without it",
        ));
    }
    let id = Uuid::parse_str(&payload.id).map_err(|_| invalid())?;
    let key = match (payload.text, payload.int) {
        (Some(text), None) => SortValue::Text(text),
        (None, Some(n)) => SortValue::Int(n),
        _ => return Err(invalid()),
    };
    match payload.kind {
        'd' => Ok(After::Folder { key, id }),
        'f' => Ok(After::File { key, id }),
        _ => Err(invalid()),
    }
}

/// The cursor of a listing ordered by a time, then an id (the flat file list, the trash).
pub fn encode_timed(signer: &LinkSigner, scope: &Scope, time: Timestamp, id: Uuid) -> String {
    let after = After::File {
        key: SortValue::Int(time.millis()),
        id,
    };
    encode(signer, scope, &after)
}

/// The time and id an `encode_timed` cursor names, if it is ours, intact, and of `scope`.
pub fn decode_timed(signer: &LinkSigner, scope: &Scope, cursor: &str) -> Result<(Timestamp, Uuid)> {
    match decode(signer, scope, cursor)? {
        After::File {
            key: SortValue::Int(millis),
            id,
        } => Ok((Timestamp(millis), id)),
        _ => Err(invalid()),
    }
}

fn invalid() -> Error {
    Error::invalid(
        "cursor",
        "is not a cursor this server gave out; pass next_cursor back unchanged",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> (tempfile::TempDir, LinkSigner) {
        let dir = tempfile::tempdir().expect("temp dir");
        let signer = LinkSigner::load_or_create(dir.path()).expect("signer");
        (dir, signer)
    }

    fn scope(within: &str) -> Scope {
        Scope {
            listing: "contents".into(),
            within: within.into(),
            sort: "name asc".into(),
        }
    }

    #[test]
    fn a_cursor_round_trips_in_its_own_scope_only() {
        let (_dir, signer) = signer();
        let after = After::File {
            key: SortValue::Text("é \"x\"".into()),
            id: Uuid::now_v7(),
        };
        let cursor = encode(&signer, &scope("root"), &after);
        assert_eq!(decode(&signer, &scope("root"), &cursor).expect("ok"), after);
        let other = decode(&signer, &scope("elsewhere"), &cursor).expect_err("scope");
        assert_eq!(other.status(), hyper::StatusCode::BAD_REQUEST);
    }

    #[test]
    fn any_change_to_a_cursor_is_refused_as_bad_input() {
        let (_dir, signer) = signer();
        let after = After::Folder {
            key: SortValue::Int(42),
            id: Uuid::now_v7(),
        };
        let cursor = encode(&signer, &scope("root"), &after);
        for i in 0..cursor.len() {
            let mut bytes = cursor.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).expect("ascii");
            if tampered == cursor {
                continue;
            }
            let err = decode(&signer, &scope("root"), &tampered).expect_err("tampered");
            assert_eq!(err.status(), hyper::StatusCode::BAD_REQUEST, "at {i}");
        }
        for junk in ["", ".", "abc", "a.b.c", &cursor[..cursor.len() - 1]] {
            assert!(decode(&signer, &scope("root"), junk).is_err(), "{junk:?}");
        }
    }
}
