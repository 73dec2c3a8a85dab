//! The JSON API, one file per resource. Each handler reads like the spec: check access,
//! validate, do it, answer. This file holds the JSON shapes shared between them.

pub mod admin;
pub mod auth;
pub mod content;
pub mod files;
pub mod me;
pub mod shares;

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::store::{FileRow, Storage, User};

/// `user` = `{id, username, full_name, email, is_admin, avatar_url, created_at}`.
pub fn user_json(user: &User) -> Value {
    json!({
        "id": user.id.to_string(),
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "is_admin": user.is_admin,
        "avatar_url": user.avatar.as_ref().map(|_| format!("/api/users/{}/avatar", user.id)),
        "created_at": user.created_at.rfc3339(),
    })
}

/// A `user` with its storage figures and last login, for `/api/me` and the admin list.
pub fn user_with_storage_json(user: &User, storage: Storage) -> Value {
    let mut value = user_json(user);
    if let Value::Object(map) = &mut value {
        map.insert("file_count".into(), json!(storage.file_count));
        map.insert("total_size".into(), json!(storage.total_size));
        map.insert(
            "last_login_at".into(),
            json!(user.last_login_at.map(|t| t.rfc3339())),
        );
    }
    value
}

/// `file` = `{id, owner_id, name, comment, size, content_type, uploaded_at,
/// last_downloaded_at, share_url}`, plus `missing: true` once the reaper found its bytes
/// gone (absent otherwise, so clients that never heard of it see the same shape).
pub fn file_json(file: &FileRow, base_url: &str) -> Value {
    let mut value = json!({
        "id": file.id.to_string(),
        "owner_id": file.owner_id.to_string(),
        "name": file.name,
        "comment": file.comment,
        "size": file.size,
        "content_type": file.content_type,
        "uploaded_at": file.uploaded_at.rfc3339(),
        "last_downloaded_at": file.last_downloaded_at.map(|t| t.rfc3339()),
        "share_url": file.share_token.as_ref().map(|t| format!("{base_url}/s/{t}")),
    });
    if file.missing_since.is_some()
        && let Value::Object(map) = &mut value
    {
        map.insert("missing".into(), Value::Bool(true));
    }
    value
}

/// An id from a path segment; one that does not parse names nothing, so 404.
pub fn parse_id<T: std::str::FromStr>(segment: &str) -> Result<T> {
    segment.parse().map_err(|_| Error::NotFound)
}
