//! `GET /api/search?q=…`: the folders whose name, and the files whose name or comment,
//! contain `q`, case-insensitively in every script, each with the path of folders it
//! lives in; folders first, by name, a page at a time.

use hyper::StatusCode;
use serde_json::json;

use crate::api::cursor::{self, Scope};
use crate::api::file_json::{write_files, write_opt_str};
use crate::api::folders::{PageRequest, folder_json, path_json, serialize_into};
use crate::api::owner_for;
use crate::app::App;
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::http::{Request, Response, json_bytes_response, query};

/// A query longer than this is a mistake or an attack: names are at most 255 bytes.
const MAX_QUERY_CHARS: usize = 1000;

/// `GET /api/search?q=…[&limit][&cursor][&user=]` → `{folders, files, next_cursor}`.
pub async fn search(app: &App, caller: Caller, req: Request) -> Result<Response> {
    let owner = owner_for(app, &caller, &req).await?;
    let q = query(&req).remove("q").unwrap_or_default();
    if q.trim().is_empty() {
        return Err(Error::invalid("q", "is required"));
    }
    // No stored name holds a control character, and PostgreSQL refuses NUL in text.
    if q.chars().any(char::is_control) {
        return Err(Error::invalid("q", "must not contain control characters"));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(Error::invalid(
            "q",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let page = PageRequest::from_query(&req, 200)?;
    let scope = Scope {
        listing: "search".into(),
        within: format!("{owner}\n{q}"),
        sort: String::new(),
    };
    let after = page
        .cursor
        .as_deref()
        .map(|c| cursor::decode(&app.signer, &scope, c))
        .transpose()?;
    let hits = app.store.search(owner, &q, after, page.limit).await?;
    let next = hits
        .next
        .as_ref()
        .map(|after| cursor::encode(&app.signer, &scope, after));
    let base = app.base_url(&req);
    let folders: Vec<_> = hits
        .folders
        .iter()
        .map(|(folder, path)| {
            let mut value = json!(folder_json(folder, &base));
            value["path"] = json!(path_json(path));
            value
        })
        .collect();
    let mut out = Vec::new();
    serialize_into(&mut out, &json!({ "folders": folders }))?;
    out.pop();
    out.extend_from_slice(b",\"files\":");
    let files: Vec<_> = hits.files.iter().map(|(file, _)| file.clone()).collect();
    let mut failed = None;
    write_files(&mut out, &files, &base, |i| {
        let mut member = b"\"path\":".to_vec();
        if let Err(e) = serialize_into(&mut member, &path_json(&hits.files[i].1)) {
            failed = Some(e);
        }
        Some(member)
    });
    if let Some(e) = failed {
        return Err(e);
    }
    out.extend_from_slice(b",\"next_cursor\":");
    write_opt_str(&mut out, next.as_deref());
    out.push(b'}');
    Ok(json_bytes_response(StatusCode::OK, out))
}
