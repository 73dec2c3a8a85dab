//! Administration: every account with its storage, admin rights, deleting accounts.
//! Admin rights are checked against the database on every call (`Caller::require_admin`).

use crate::api::{UserBody, UserList, UsersBody, parse_id, user_with_storage_json};
use crate::app::App;
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::http::{Request, Response, json::read_object, no_content, ok_json};
use crate::ids::UserId;
use crate::store::UserWithStorage;

/// `GET /api/admin/users`: `{users: [user + file_count, total_size, last_login_at]}`.
pub async fn list_users(app: &App, caller: Caller) -> Result<Response> {
    caller.require_admin()?;
    let users = app.store.users_with_storage().await?;
    Ok(ok_json(UsersBody {
        users: UserList(&users),
    }))
}

/// `PATCH /api/admin/users/{id}`: `{is_admin?, quota_bytes?}` (at least one; a quota of
/// `null` lifts it) → `{user}` with its storage; 409 `last_admin`.
pub async fn patch_user(app: &App, caller: Caller, req: Request, id: &str) -> Result<Response> {
    caller.require_admin()?;
    let id: UserId = parse_id(id)?;
    let mut body = read_object(req.into_body()).await?;
    let is_admin = body.opt_bool("is_admin")?;
    let quota = body.nullable_u64("quota_bytes")?;
    body.finish()?;
    if is_admin.is_none() && quota.is_none() {
        return Err(Error::invalid("is_admin", "is required (or quota_bytes)"));
    }
    // The account must exist before anything changes: 404, not a half-applied PATCH.
    app.store.user(id).await?.ok_or(Error::NotFound)?;
    // The admin flag first: it is the change that can be refused (`last_admin`).
    if let Some(is_admin) = is_admin {
        app.store.set_admin(id, is_admin).await?;
        log::info!("user {id} is_admin={is_admin} (by {})", caller.user().id);
    }
    if let Some(quota) = quota {
        app.store.set_quota(id, quota).await?;
        let shown = quota.map_or("none".to_string(), |q| q.to_string());
        log::info!("user {id} quota_bytes={shown} (by {})", caller.user().id);
    }
    let user = app.store.user(id).await?.ok_or(Error::NotFound)?;
    let storage = app.store.storage_of(id).await?.ok_or(Error::NotFound)?;
    let with_storage = UserWithStorage { user, storage };
    Ok(ok_json(UserBody {
        user: user_with_storage_json(&with_storage),
    }))
}

/// `DELETE /api/admin/users/{id}`: sessions and rows go in one commit, then the folders.
pub async fn delete_user(app: &App, caller: Caller, id: &str) -> Result<Response> {
    caller.require_admin()?;
    let id: UserId = parse_id(id)?;
    app.store.delete_user(id).await?;
    app.blobs.remove_user(id).await;
    log::info!("deleted user {id} (by {})", caller.user().id);
    Ok(no_content())
}
