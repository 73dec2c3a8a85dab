//! Public share links: a random token in the URL that reveals neither the user nor the
//! file id, dies when revoked, and is throttled against guessing.

use hyper::StatusCode;

use crate::api::content;
use crate::api::file_json::file_response;
use crate::api::files::file_for;
use crate::app::App;
use crate::auth::{Caller, random_base64url};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::http::{Request, Response, no_content, query};

/// 32 random bytes, base64url: 43 characters.
const TOKEN_LEN: usize = 43;

/// `POST /api/files/{id}/share`: `{file}` with `share_url`; sharing twice keeps the link.
pub async fn share(app: &App, caller: Caller, req: Request, id: &str) -> Result<Response> {
    let file = file_for(app, &caller, id).await?;
    let token = random_base64url::<32>()?;
    let file = app
        .store
        .share_file(file.id, token, Timestamp::now())
        .await?
        .ok_or(Error::NotFound)?;
    Ok(file_response(StatusCode::OK, &file, &app.base_url(&req)))
}

/// `DELETE /api/files/{id}/share`: the public link dies at once.
pub async fn unshare(app: &App, caller: Caller, id: &str) -> Result<Response> {
    let file = file_for(app, &caller, id).await?;
    app.store.unshare_file(file.id).await?;
    Ok(no_content())
}

/// `GET`/`HEAD /s/{token}`: anyone with the link gets the bytes.
pub async fn public(app: &App, req: Request, token: &str) -> Result<Response> {
    let ip = app.client_ip(&req).to_string();
    app.limits.share_per_ip.check(&ip)?;
    let well_formed = token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let file = if well_formed {
        app.store.file_by_share_token(token.to_string()).await?
    } else {
        None
    };
    let Some(file) = file else {
        app.limits.share_per_ip.fail(&ip);
        return Err(Error::NotFound);
    };
    let inline = query(&req).contains_key("inline");
    content::send(app, &req, file, inline).await
}
