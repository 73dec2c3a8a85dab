//! The route table: one match from (path, method) to handler. Routes that need an account
//! get a `Caller` from `app.caller()`; only the few public ones do without.

use hyper::Method;
use serde_json::json;

use crate::api::{admin, auth, content, files, me, parse_id, shares};
use crate::app::App;
use crate::assets;
use crate::error::{Error, Result};
use crate::http::{Request, Response, ok_json};

pub async fn route(app: &App, req: Request) -> Response {
    dispatch(app, req)
        .await
        .unwrap_or_else(Error::into_response)
}

async fn dispatch(app: &App, req: Request) -> Result<Response> {
    let path = req.uri().path().to_string();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    match segments.as_slice() {
        ["api", rest @ ..] => api(app, req, rest).await,
        ["s", token] => match *req.method() {
            Method::GET | Method::HEAD => shares::public(app, req, token).await,
            _ => Err(Error::MethodNotAllowed("GET, HEAD")),
        },
        _ => match *req.method() {
            Method::GET | Method::HEAD => Ok(assets::serve(&req)),
            _ => Err(Error::MethodNotAllowed("GET, HEAD")),
        },
    }
}

async fn api(app: &App, req: Request, path: &[&str]) -> Result<Response> {
    use Method as M;
    let method = req.method().clone();
    match (path, method) {
        (["health"], M::GET) => health(app).await,
        (["health"], _) => Err(Error::MethodNotAllowed("GET")),

        (["auth", "register"], M::POST) => auth::register(app, req).await,
        (["auth", "login"], M::POST) => auth::login(app, req).await,
        (["auth", "logout"], M::POST) => auth::logout(app, app.caller(&req).await?).await,
        (["auth", "register" | "login" | "logout"], _) => Err(Error::MethodNotAllowed("POST")),

        (["me"], M::GET) => me::get(app.caller(&req).await?).await,
        (["me"], M::PATCH) => me::patch(app, app.caller(&req).await?, req).await,
        (["me"], _) => Err(Error::MethodNotAllowed("GET, PATCH")),
        (["me", "password"], M::POST) => {
            me::change_password(app, app.caller(&req).await?, req).await
        }
        (["me", "password"], _) => Err(Error::MethodNotAllowed("POST")),
        (["me", "avatar"], M::PUT) => me::put_avatar(app, app.caller(&req).await?, req).await,
        (["me", "avatar"], M::DELETE) => me::delete_avatar(app, app.caller(&req).await?).await,
        (["me", "avatar"], _) => Err(Error::MethodNotAllowed("PUT, DELETE")),
        (["users", id, "avatar"], M::GET) => {
            me::get_avatar(app, app.caller(&req).await?, parse_id(id)?).await
        }
        (["users", _, "avatar"], _) => Err(Error::MethodNotAllowed("GET")),

        (["files"], M::GET) => files::list(app, app.caller(&req).await?, req).await,
        (["files"], M::POST) => files::upload_multipart(app, app.caller(&req).await?, req).await,
        (["files"], M::PUT) => files::upload_raw(app, app.caller(&req).await?, req).await,
        (["files"], _) => Err(Error::MethodNotAllowed("GET, POST, PUT")),
        (["files", id], M::GET) => files::get(app, app.caller(&req).await?, req, id).await,
        (["files", id], M::PATCH) => files::patch(app, app.caller(&req).await?, req, id).await,
        (["files", id], M::DELETE) => files::delete(app, app.caller(&req).await?, id).await,
        (["files", _], _) => Err(Error::MethodNotAllowed("GET, PATCH, DELETE")),
        // Authenticated by token or by a signed link: `content::for_owner` checks which.
        (["files", id, "content"], M::GET | M::HEAD) => content::for_owner(app, req, id).await,
        (["files", _, "content"], _) => Err(Error::MethodNotAllowed("GET, HEAD")),
        (["files", id, "link"], M::POST) => {
            files::link(app, app.caller(&req).await?, req, id).await
        }
        (["files", _, "link"], _) => Err(Error::MethodNotAllowed("POST")),
        (["files", id, "share"], M::POST) => {
            shares::share(app, app.caller(&req).await?, req, id).await
        }
        (["files", id, "share"], M::DELETE) => {
            shares::unshare(app, app.caller(&req).await?, id).await
        }
        (["files", _, "share"], _) => Err(Error::MethodNotAllowed("POST, DELETE")),

        (["admin", "users"], M::GET) => admin::list_users(app, app.caller(&req).await?).await,
        (["admin", "users"], _) => Err(Error::MethodNotAllowed("GET")),
        (["admin", "users", id], M::PATCH) => {
            admin::patch_user(app, app.caller(&req).await?, req, id).await
        }
        (["admin", "users", id], M::DELETE) => {
            admin::delete_user(app, app.caller(&req).await?, id).await
        }
        (["admin", "users", _], _) => Err(Error::MethodNotAllowed("PATCH, DELETE")),

        _ => Err(Error::NotFound),
    }
}

/// `GET /api/health`: `{status, database, version}`; 503 when the database is down.
async fn health(app: &App) -> Result<Response> {
    app.store
        .ping()
        .await
        .map_err(|e| Error::Unavailable(e.to_string()))?;
    Ok(ok_json(json!({
        "status": "ok",
        "database": app.store.dialect(),
        "version": env!("CARGO_PKG_VERSION"),
    })))
}
