//! Administration: every account with its storage, admin rights, deleting accounts.
//! Admin rights are checked against the database on every call (`Caller::require_admin`).

use crate::api::{UserBody, UserList, UsersBody, parse_id, user_json};
use crate::app::App;
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::http::{Request, Response, json::read_object, no_content, ok_json};
use crate::ids::UserId;

/// `GET /api/admin/users`: `{users: [user + file_count, total_size, last_login_at]}`.
pub async fn list_users(app: &App, caller: Caller) -> Result<Response> {
    caller.require_admin()?;
    let users = app.store.users_with_storage().await?;
    Ok(ok_json(UsersBody {
        users: UserList(&users),
    }))
}

/// `PATCH /api/admin/users/{id}`: `{is_admin}` → `{user}`; 409 `last_admin`.
pub async fn patch_user(app: &App, caller: Caller, req: Request, id: &str) -> Result<Response> {
    caller.require_admin()?;
    let id: UserId = parse_id(id)?;
    let mut body = read_object(req.into_body()).await?;
    let is_admin = body
        .opt_bool("is_admin")?
        .ok_or_else(|| Error::invalid("is_admin", "is required"))?;
    body.finish()?;
    let user = app.store.set_admin(id, is_admin).await?;
    log::info!(
        "user {} is_admin={} (by {})",
        user.id,
        user.is_admin,
        caller.user().id
    );
    Ok(ok_json(UserBody {
        user: user_json(&user),
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
