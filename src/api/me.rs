//! The caller's own account: profile, password, avatar.

use hyper::StatusCode;

use crate::api::{UserBody, me_json, user_json};
use crate::app::App;
use crate::auth::{Caller, Verified};
use crate::blobs;
use crate::error::{Error, Result};
use crate::http::{Request, Response, json::read_object, no_content, ok_json};
use crate::ids::UserId;
use crate::store::ProfileChanges;
use crate::validate;

/// Avatars are small pictures, not files: anything larger is refused.
pub const MAX_AVATAR_SIZE: u64 = 2 * 1024 * 1024;

/// `GET /api/me`: `{user}` with `storage: {file_count, total_size, trash_size, quota_bytes}`.
pub async fn get(caller: Caller) -> Result<Response> {
    Ok(ok_json(UserBody {
        user: me_json(caller.user(), caller.storage()),
    }))
}

/// `PATCH /api/me`: `{full_name?, email?}` → `{user}`.
pub async fn patch(app: &App, caller: Caller, req: Request) -> Result<Response> {
    let mut body = read_object(req.into_body()).await?;
    let full_name = body.opt_str("full_name")?.map(|s| s.trim().to_string());
    let email = body.opt_str("email")?.map(|s| s.trim().to_string());
    body.finish()?;
    if let Some(name) = &full_name {
        validate::full_name(name).map_err(|m| Error::invalid("full_name", m))?;
    }
    if let Some(email) = &email {
        validate::email(email).map_err(|m| Error::invalid("email", m))?;
    }
    let changes = ProfileChanges {
        full_name,
        email: email.map(Some),
    };
    let user = app.store.update_profile(caller.user().id, changes).await?;
    Ok(ok_json(UserBody {
        user: user_json(&user),
    }))
}

/// `POST /api/me/password`: `{current_password, new_password}`; every other session ends.
pub async fn change_password(app: &App, caller: Caller, req: Request) -> Result<Response> {
    let mut body = read_object(req.into_body()).await?;
    let current = body.str("current_password")?;
    let new = body.str("new_password")?;
    body.finish()?;
    let user = caller.user();
    let user_key = user.username.to_lowercase();
    app.limits.login_per_user.check(&user_key)?;
    let stored = app
        .store
        .user_by_name(&user.username)
        .await?
        .map(|(_, hash)| hash);
    if app.hasher.verify(current, stored).await? == Verified::No {
        app.limits.login_per_user.fail(&user_key);
        return Err(Error::invalid(
            "current_password",
            "is not your current password",
        ));
    }
    validate::password(&new).map_err(|m| Error::invalid("new_password", m))?;
    let hash = app.hasher.hash(new).await?;
    app.store
        .set_password(user.id, hash, Some(caller.token_hash()))
        .await?;
    Ok(no_content())
}

/// `PUT /api/me/avatar`: a png, jpeg, webp or gif body, recognised by its bytes.
pub async fn put_avatar(app: &App, caller: Caller, req: Request) -> Result<Response> {
    let too_large = || {
        Error::TooLarge(format!(
            "avatars are limited to {} MiB",
            MAX_AVATAR_SIZE >> 20
        ))
    };
    if crate::api::files::declared_length(&req).is_some_and(|n| n > MAX_AVATAR_SIZE) {
        return Err(too_large());
    }
    let mut upload = app.blobs.start_upload(Some(MAX_AVATAR_SIZE), None).await?;
    let mut head = Vec::with_capacity(16);
    let mut body = req.into_body();
    while let Some(data) = crate::api::files::next_data(&mut body).await? {
        if head.len() < 16 {
            head.extend_from_slice(&data[..data.len().min(16 - head.len())]);
        }
        upload.write(&data).await.map_err(|e| {
            if matches!(e, Error::TooLarge(_)) {
                too_large()
            } else {
                e
            }
        })?;
    }
    let ext = image_kind(&head).ok_or_else(|| {
        Error::UnsupportedMediaType("an avatar must be a PNG, JPEG, WebP or GIF image".into())
    })?;
    let finished = upload.finish().await?;
    let user_id = caller.user().id;
    let name = format!("{}.{ext}", uuid::Uuid::new_v4());
    app.blobs.commit_avatar(finished, user_id, &name).await?;
    match app.store.set_avatar(user_id, Some(name.clone())).await {
        Ok(Some(old)) => app.blobs.remove_avatar(user_id, &old).await,
        Ok(None) => {}
        Err(e) => {
            app.blobs.remove_avatar(user_id, &name).await;
            return Err(e);
        }
    }
    let user = app.store.user(user_id).await?.ok_or(Error::NotFound)?;
    Ok(ok_json(UserBody {
        user: user_json(&user),
    }))
}

/// `DELETE /api/me/avatar`.
pub async fn delete_avatar(app: &App, caller: Caller) -> Result<Response> {
    let user_id = caller.user().id;
    if let Some(old) = app.store.set_avatar(user_id, None).await? {
        app.blobs.remove_avatar(user_id, &old).await;
    }
    Ok(no_content())
}

/// `GET /api/users/{id}/avatar`: to that user or an admin; anyone else sees 404.
pub async fn get_avatar(app: &App, caller: Caller, id: UserId) -> Result<Response> {
    if caller.user().id != id && !caller.user().is_admin {
        return Err(Error::NotFound);
    }
    let user = app.store.user(id).await?.ok_or(Error::NotFound)?;
    let name = user.avatar.ok_or(Error::NotFound)?;
    let file = app
        .blobs
        .open_blob(app.blobs.avatar_path(id, &name))
        .await?
        .ok_or(Error::NotFound)?;
    let size = file.metadata().map_err(blobs::disk_error)?.len();
    let content_type = match name.rsplit('.').next() {
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        Some("webp") => "image/webp",
        _ => "image/gif",
    };
    let mut response = hyper::Response::new(blobs::stream_file(file, 0, size));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    headers.insert(hyper::header::CONTENT_LENGTH, size.into());
    headers.insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("private, no-cache"),
    );
    if let Ok(etag) = format!("\"{name}\"").parse() {
        headers.insert(hyper::header::ETAG, etag);
    }
    Ok(response)
}

/// The image format by its magic bytes, as the extension we store it under.
fn image_kind(head: &[u8]) -> Option<&'static str> {
    match head {
        [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', ..] => Some("png"),
        [0xff, 0xd8, 0xff, ..] => Some("jpg"),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some("gif"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some("webp"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::image_kind;

    #[test]
    fn images_are_recognised_by_their_bytes_only() {
        assert_eq!(image_kind(b"\x89PNG\r\n\x1a\n\0\0"), Some("png"));
        assert_eq!(image_kind(b"\xff\xd8\xff\xe0"), Some("jpg"));
        assert_eq!(image_kind(b"GIF89a"), Some("gif"));
        assert_eq!(image_kind(b"RIFF\0\0\0\0WEBPVP8 "), Some("webp"));
        assert_eq!(image_kind(b"<svg xmlns="), None);
        assert_eq!(image_kind(b"\x89PN"), None);
        assert_eq!(image_kind(b""), None);
    }
}
