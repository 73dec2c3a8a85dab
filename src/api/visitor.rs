//! What share links (`/s/`) and file requests (`/r/`) have in common: a visitor with no
//! account, a random token in the path, and maybe a password that, once given, is
//! traded for a signed grant in the URL (no cookies), valid for at most 12 hours.

use std::time::Duration;

use hyper::header::ACCEPT;

use crate::app::App;
use crate::auth::Verified;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::http::json::read_object;
use crate::http::{Request, header_str, query};

use super::shares::MAX_LINK_PASSWORD_CHARS;

/// 32 random bytes, base64url: 43 characters.
const TOKEN_LEN: usize = 43;

/// How long an unlocked link stays unlocked.
pub const GRANT_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Which kind of link a grant is for: a grant for one never opens the other.
#[derive(Clone, Copy)]
pub enum LinkKind {
    Share,
    Request,
}

impl LinkKind {
    fn purpose(self) -> &'static str {
        match self {
            LinkKind::Share => "share-grant",
            LinkKind::Request => "request-grant",
        }
    }
}

/// Whether `token` could be one of ours; anything else is 404 without a lookup.
pub fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Refuses a client that has guessed too many tokens lately (429).
pub fn check_guesses(app: &App, req: &Request) -> Result<()> {
    app.limits
        .share_per_ip
        .check(&app.client_ip(req).to_string())
}

/// Counts a guess that named no live link, and answers 404.
pub fn unknown(app: &App, req: &Request) -> Error {
    app.limits
        .share_per_ip
        .fail(&app.client_ip(req).to_string());
    Error::NotFound
}

/// A browser asking for a page (its `Accept` names HTML) rather than a client that wants
/// the bytes.
pub fn wants_page(req: &Request) -> bool {
    header_str(req.headers(), ACCEPT).is_some_and(|accept| accept.contains("text/html"))
}

/// The grant's message: the link, its expiry and the password's hash, so that a grant
/// dies when the password changes.
fn grant_message(token: &str, expires: i64, password_hash: &str) -> String {
    format!("{token}\n{expires}\n{password_hash}")
}

/// A grant (`EXPIRES.SIGNATURE`) for the link with `token`, and when it ends.
pub fn grant(app: &App, kind: LinkKind, token: &str, password_hash: &str) -> (String, Timestamp) {
    let expires = Timestamp::now().plus(GRANT_LIFETIME);
    let secs = expires.secs();
    let sig = app
        .signer
        .sign_message(kind.purpose(), &grant_message(token, secs, password_hash));
    (format!("{secs}.{sig}"), Timestamp(secs * 1000))
}

/// Whether the request carries a live grant (`?grant=`) for this link and password.
pub fn granted(app: &App, req: &Request, kind: LinkKind, token: &str, password_hash: &str) -> bool {
    let Some(grant) = query(req).remove("grant") else {
        return false;
    };
    let Some((expires, sig)) = grant.split_once('.') else {
        return false;
    };
    let Ok(secs) = expires.parse::<i64>() else {
        return false;
    };
    secs >= Timestamp::now().secs()
        && app.signer.verify_message(
            kind.purpose(),
            &grant_message(token, secs, password_hash),
            sig,
        )
}

/// `POST …/unlock` `{password}`: checks the password against `password_hash` under the
/// throttles (per client and per link, checked first, so that while they hold even the
/// right password is refused) and returns a grant, or 401 `wrong_password`.
pub async fn unlock(
    app: &App,
    req: Request,
    kind: LinkKind,
    token: &str,
    password_hash: Option<String>,
) -> Result<Option<(String, Timestamp)>> {
    let ip = app.client_ip(&req).to_string();
    app.limits.unlock_per_ip.check(&ip)?;
    app.limits.unlock_per_link.check(token)?;
    let mut body = read_object(req.into_body()).await?;
    let password = body.str("password")?;
    body.finish()?;
    if password.chars().count() > MAX_LINK_PASSWORD_CHARS {
        return Err(Error::invalid(
            "password",
            format!("must be at most {MAX_LINK_PASSWORD_CHARS} characters"),
        ));
    }
    let Some(hash) = password_hash else {
        // Nothing to unlock: the plain address works as it is.
        return Ok(None);
    };
    match app.hasher.verify(password, Some(hash.clone())).await? {
        Verified::No => {
            app.limits.unlock_per_ip.fail(&ip);
            app.limits.unlock_per_link.fail(token);
            Err(Error::PasswordRequired("wrong_password"))
        }
        Verified::Yes | Verified::YesRehash => Ok(Some(grant(app, kind, token, &hash))),
    }
}
