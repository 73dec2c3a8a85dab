//! The api group: the JSON API, one file per resource. Each handler reads like the spec:
//! check access, validate, do it, answer. This file holds the JSON shapes shared between
//! them. May use: `app`, `auth`, `store`, `blobs`, `http` and the leaves; never `server`
//! (the router calls in, never the reverse) and never SQL or paths on disk.

pub mod admin;
pub mod auth;
pub mod content;
pub mod cursor;
pub mod file_json;
pub mod files;
pub mod folders;
pub mod me;
pub mod openapi;
pub mod qr;
pub mod requests;
pub mod search;
pub mod shared;
pub mod shares;
pub mod trash;
pub mod uploads;
pub mod visitor;
pub mod zip;

use serde::{Serialize, Serializer};
use uuid::Uuid;

use crate::app::App;
use crate::auth::Caller;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::http::{Request, query};
use crate::ids::UserId;
use crate::store::{Storage, User, UserWithStorage};

// The JSON shapes. Fields are declared in alphabetical order: that is the order the API
// has always answered in (it used to build `serde_json::Value`s, whose maps are sorted),
// and serde writes a struct's fields in declaration order.

/// `user` = `{avatar_url, created_at, email, full_name, id, is_admin, username}`; the
/// admin list adds `file_count, last_login_at, total_size` and `storage`, `/api/me` adds
/// `last_login_at` and `storage: {file_count, total_size, quota_bytes}`.
#[derive(Serialize)]
pub struct UserJson<'a> {
    avatar_url: Option<AvatarUrl>,
    created_at: Timestamp,
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_count: Option<u64>,
    full_name: &'a str,
    id: Id,
    is_admin: bool,
    /// Absent from the plain `user`; `null` for one who never logged in.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_login_at: Option<Option<Timestamp>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage: Option<StorageJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_size: Option<u64>,
    username: &'a str,
}

#[derive(Serialize)]
pub struct StorageJson {
    file_count: u64,
    /// `null`: no quota.
    quota_bytes: Option<u64>,
    total_size: u64,
    trash_size: u64,
    /// What unfinished resumable uploads hold of the quota.
    upload_size: u64,
}

impl From<Storage> for StorageJson {
    fn from(s: Storage) -> Self {
        StorageJson {
            file_count: s.file_count,
            quota_bytes: s.quota_bytes,
            total_size: s.total_size,
            trash_size: s.trash_size,
            upload_size: s.upload_size,
        }
    }
}

pub fn user_json(user: &User) -> UserJson<'_> {
    UserJson {
        avatar_url: user.avatar.as_ref().map(|_| AvatarUrl(user.id)),
        created_at: user.created_at,
        email: user.email.as_deref(),
        file_count: None,
        full_name: &user.full_name,
        id: Id(user.id.0),
        is_admin: user.is_admin,
        last_login_at: None,
        storage: None,
        total_size: None,
        username: &user.username,
    }
}

/// A `user` with its storage figures and last login, for the admin list.
pub fn user_with_storage_json(u: &UserWithStorage) -> UserJson<'_> {
    UserJson {
        file_count: Some(u.storage.file_count),
        last_login_at: Some(u.user.last_login_at),
        storage: Some(u.storage.into()),
        total_size: Some(u.storage.total_size),
        ..user_json(&u.user)
    }
}

/// The caller for `/api/me`: last login, and the storage figures in their own object.
pub fn me_json(user: &User, storage: Storage) -> UserJson<'_> {
    UserJson {
        last_login_at: Some(user.last_login_at),
        storage: Some(storage.into()),
        ..user_json(user)
    }
}

/// `{"user": …}`, the answer of every endpoint that returns one account.
#[derive(Serialize)]
pub struct UserBody<'a> {
    pub user: UserJson<'a>,
}

/// `{"users": [user + storage, …]}`, the admin's account list.
#[derive(Serialize)]
pub struct UsersBody<'a> {
    pub users: UserList<'a>,
}

/// `[user + storage, …]`, written straight from the rows.
pub struct UserList<'a>(pub &'a [UserWithStorage]);

impl Serialize for UserList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(user_with_storage_json))
    }
}

/// A user or file id: the hyphenated lower-case UUID, as `Display` writes it.
struct Id(Uuid);

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.hyphenated().encode_lower(&mut Uuid::encode_buffer()))
    }
}

/// `/api/users/{id}/avatar`.
struct AvatarUrl(UserId);

impl Serialize for AvatarUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        const PREFIX: &[u8] = b"/api/users/";
        const SUFFIX: &[u8] = b"/avatar";
        const ID: usize = uuid::fmt::Hyphenated::LENGTH;
        let mut buf = [0u8; PREFIX.len() + ID + SUFFIX.len()];
        buf[..PREFIX.len()].copy_from_slice(PREFIX);
        self.0
            .0
            .hyphenated()
            .encode_lower(&mut buf[PREFIX.len()..PREFIX.len() + ID]);
        buf[PREFIX.len() + ID..].copy_from_slice(SUFFIX);
        // ASCII throughout: the prefix, the suffix and a hyphenated UUID.
        serializer.serialize_str(std::str::from_utf8(&buf).unwrap_or_default())
    }
}

/// An id from a path segment; one that does not parse names nothing, so 404.
pub fn parse_id<T: std::str::FromStr>(segment: &str) -> Result<T> {
    segment.parse().map_err(|_| Error::NotFound)
}

/// Whose files a request acts on: the caller's, or with `?user=` (admins only) another's.
pub async fn owner_for(app: &App, caller: &Caller, req: &Request) -> Result<UserId> {
    let Some(param) = query(req).remove("user") else {
        return Ok(caller.user().id);
    };
    let id: UserId = param
        .parse()
        .map_err(|_| Error::invalid("user", "must be a user id"))?;
    if id == caller.user().id {
        return Ok(id);
    }
    caller.require_admin()?;
    app.store.user(id).await?.ok_or(Error::NotFound)?;
    Ok(id)
}
