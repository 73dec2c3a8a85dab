//! Registration, login and logout.

use hyper::StatusCode;
use serde_json::json;

use crate::api::user_json;
use crate::app::App;
use crate::auth::{self, Caller, Verified};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::http::{
    Request, Response, header_str, json::read_object, json_response, no_content, ok_json,
};
use crate::store::{NewSession, NewUser};
use crate::validate;

/// `POST /api/auth/register`: `{username, full_name, email, password}` → 201 `{user}`.
/// Each client IP gets `--registrations-per-hour` attempts that pass validation.
pub async fn register(app: &App, req: Request) -> Result<Response> {
    if !app.config.registration_open {
        return Err(Error::Forbidden("registration_closed"));
    }
    let ip = app.client_ip(&req).to_string();
    app.limits.registrations_per_ip.check(&ip)?;
    let mut body = read_object(req.into_body()).await?;
    let mut errors = Vec::new();
    let mut field =
        |name: &str, rule: fn(&str) -> std::result::Result<(), String>| -> Result<String> {
            let value = body.opt_str(name)?.unwrap_or_default();
            let value = if name == "password" {
                value
            } else {
                value.trim().to_string()
            };
            let checked = if value.is_empty() {
                Err("is required".to_string())
            } else {
                rule(&value)
            };
            if let Err(message) = checked {
                errors.push((name.to_string(), message));
            }
            Ok(value)
        };
    let username = field("username", validate::username)?;
    let full_name = field("full_name", validate::full_name)?;
    let email = field("email", validate::email)?;
    let password = field("password", validate::password)?;
    body.finish()?;
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    // Counted before hashing, taken name or not: the hash is the expensive part.
    app.limits.registrations_per_ip.fail(&ip);
    let password_hash = app.hasher.hash(password).await?;
    let user = app
        .store
        .create_user(NewUser {
            username,
            full_name,
            email: Some(email),
            password_hash,
            is_admin: false,
            quota_bytes: app.config.default_quota,
        })
        .await?;
    log::info!("registered user {}", user.id);
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "user": user_json(&user) }),
    ))
}

/// `POST /api/auth/login`: `{username, password}` → `{token, user}`. Unknown user and
/// wrong password cost the same time and answer the same.
pub async fn login(app: &App, req: Request) -> Result<Response> {
    let ip = app.client_ip(&req).to_string();
    let user_agent: String = header_str(req.headers(), hyper::header::USER_AGENT)
        .unwrap_or("")
        .chars()
        .take(256)
        .collect();
    let mut body = read_object(req.into_body()).await?;
    let username = body.str("username")?;
    let password = body.str("password")?;
    body.finish()?;
    let user_key = username.to_lowercase();
    app.limits.login_per_ip.check(&ip)?;
    app.limits.login_per_user.check(&user_key)?;

    let found = app.store.user_by_name(&username).await?;
    let (user, stored) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let verified = app.hasher.verify(password.clone(), stored).await?;
    let user = match (user, verified) {
        (Some(user), Verified::Yes | Verified::YesRehash) => user,
        _ => {
            app.limits.login_per_ip.fail(&ip);
            app.limits.login_per_user.fail(&user_key);
            return Err(Error::InvalidCredentials);
        }
    };
    app.limits.login_per_ip.succeed(&ip);
    app.limits.login_per_user.succeed(&user_key);
    if verified == Verified::YesRehash {
        let hash = app.hasher.hash(password).await?;
        app.store.upgrade_password_hash(user.id, hash).await?;
    }
    let token = auth::new_token()?;
    let now = Timestamp::now();
    app.store
        .create_session(NewSession {
            token_hash: crate::ids::TokenHash::of(&token),
            user_id: user.id,
            created_at: now,
            user_agent,
            ip,
        })
        .await?;
    let user = crate::store::User {
        last_login_at: Some(now),
        ..user
    };
    Ok(ok_json(json!({ "token": token, "user": user_json(&user) })))
}

/// `POST /api/auth/logout`: the session row goes, so the token stops working.
pub async fn logout(app: &App, caller: Caller) -> Result<Response> {
    app.store.delete_session(caller.token_hash()).await?;
    Ok(no_content())
}
