//! The web app in a real browser: headless Chromium driven through chromedriver.
//!
//! Each test starts its own server and its own browser, walks one flow a person would,
//! and checks the outcome where it matters — through the JSON API and on disk, not only in
//! the page. The page is found through the stable hooks of `docs/WEB-APP.md`
//! (`data-page`, `data-form`, `data-action`, …), never through CSS classes or text.
//!
//! Without chromium and chromedriver the tests pass after a loud SKIPPED line (so `cargo
//! test` works on any machine); with `CI=true` they fail instead. With
//! `MYCLOUD_SCREENSHOTS=DIR` they also save the pictures in `docs/screenshots/`
//! (see `docs/screenshots/take.sh`).

mod common;
#[path = "browser/harness.rs"]
mod harness;
#[path = "browser/uploads.rs"]
mod uploads;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use common::*;
use harness::*;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// CSS for the row of file `id` in the files table.
fn file_row(id: &str) -> String {
    format!("table[data-table=\"files\"] tr[data-file-id=\"{id}\"]")
}

/// CSS for the row of user `id` in the users table.
fn user_row(id: &str) -> String {
    format!("table[data-table=\"users\"] tr[data-user-id=\"{id}\"]")
}

/// Every row of the files table.
const FILE_ROWS: &str = "table[data-table=\"files\"] tr[data-file-id]";

/// CSS for the row of folder `id` in the files table.
fn folder_row(id: &str) -> String {
    format!("table[data-table=\"files\"] tr[data-folder-id=\"{id}\"]")
}

/// Every folder row of the files table.
const FOLDER_ROWS: &str = "table[data-table=\"files\"] tr[data-folder-id]";

/// Every row of the files table, folders and files.
const ENTRY_ROWS: &str =
    "table[data-table=\"files\"] tbody tr:is([data-folder-id], [data-file-id])";

/// CSS for the breadcrumb of folder `id` (`None`: the root).
fn crumb(id: Option<&str>) -> String {
    format!(
        "nav[data-breadcrumbs] a[data-crumb=\"{}\"]",
        id.unwrap_or("root")
    )
}

/// The move dialog, only while it is open.
const MOVE_OPEN: &str = "dialog[data-dialog=\"move\"][open]";

/// The new-folder dialog, only while it is open.
const NEW_FOLDER_OPEN: &str = "dialog[data-dialog=\"new-folder\"][open]";

/// The confirm dialog, only while it is open.
const CONFIRM_OPEN: &str = "dialog[data-dialog=\"confirm\"][open]";

/// The viewer dialog, only while it is open.
const VIEWER_OPEN: &str = "dialog[data-dialog=\"viewer\"][open]";

/// The share dialog, only while it is open.
const SHARE_OPEN: &str = "dialog[data-dialog=\"share\"][open]";

/// The file request dialog, only while it is open.
const REQUEST_OPEN: &str = "dialog[data-dialog=\"request\"][open]";

/// Shares the entry of the row matching `row` through its share dialog, with no rules,
/// and closes the dialog; returns the public link the dialog showed.
#[track_caller]
fn share_from_row(b: &Browser, row: &str) -> String {
    b.click(&format!("{row} [data-action=\"share\"]"));
    b.find(SHARE_OPEN);
    submit(b, "share");
    let link = format!("{SHARE_OPEN} input[data-link-url]");
    b.find(&link);
    let url = b.prop(&link, "value").expect("the link's address");
    b.click(&format!("{SHARE_OPEN} [data-action=\"close\"]"));
    b.wait_gone(SHARE_OPEN);
    url
}

/// Waits until the image matching `css` has loaded and returns its natural width.
#[track_caller]
fn loaded_image_width(b: &Browser, css: &str) -> u64 {
    let mut width = 0;
    b.wait_until(&format!("{css} has loaded"), |b| {
        width = b
            .js(
                "const i = document.querySelector(arguments[0]); \
                 return i && i.complete ? i.naturalWidth : 0;",
                vec![json!(css)],
            )
            .as_u64()
            .unwrap_or(0);
        width > 0
    });
    width
}

/// Milliseconds from now until the RFC 3339 time `at`, as the browser's clock reads it
/// (the same clock the page used to pick the time).
#[track_caller]
fn ms_until(b: &Browser, at: &str) -> i64 {
    b.js(
        "return Date.parse(arguments[0]) - Date.now();",
        vec![json!(at)],
    )
    .as_f64()
    .unwrap_or_else(|| panic!("{at:?} is not a time")) as i64
}

/// Waits until `<main data-page=PAGE>` shows the state `state` (`data-state`).
#[track_caller]
fn wait_state(b: &Browser, page: &str, state: &str) {
    b.wait_page(page);
    let css = format!("main[data-page=\"{page}\"][data-state=\"{state}\"]");
    b.wait_until(&format!("the page shows {css}"), |b| b.exists(&css));
}

/// Clicks the submit button of `<form data-form=NAME>`, as a person would.
#[track_caller]
fn submit(b: &Browser, form: &str) {
    b.click(&format!(
        "form[data-form=\"{form}\"] :is(button:not([type]), button[type=\"submit\"], input[type=\"submit\"])"
    ));
}

/// CSS for the input `name` of `<form data-form=FORM>`.
fn field(form: &str, name: &str) -> String {
    format!("form[data-form=\"{form}\"] [name=\"{name}\"]")
}

/// Fills the login form and submits it; the caller waits for whatever should follow.
#[track_caller]
fn log_in(b: &Browser, username: &str, password: &str) {
    b.wait_page("login");
    b.fill(&field("login", "username"), username);
    b.fill(&field("login", "password"), password);
    submit(b, "login");
}

/// Waits until the field error of `name` says something (fails the test if it never
/// does), and returns it.
#[track_caller]
fn field_error(b: &Browser, name: &str) -> String {
    let css = format!("[data-error-for=\"{name}\"]");
    let mut text = String::new();
    b.wait_until(&format!("{css} shows an error"), |b| {
        text = b.text_now(&css).unwrap_or_default();
        !text.is_empty()
    });
    text
}

/// Marks the toasts on screen now, so that [`wait_new_toast`] sees only later ones (earlier
/// messages, e.g. from a previous action, stay up for a few seconds).
#[track_caller]
fn mark_toasts_seen(b: &Browser) {
    b.js(
        "document.querySelectorAll('[data-toast]').forEach((t) => { t.dataset.testSeen = ''; });",
        vec![],
    );
}

/// Waits for a toast that appeared after [`mark_toasts_seen`] and returns its text.
#[track_caller]
fn wait_new_toast(b: &Browser) -> String {
    let css = "[data-toast]:not([data-test-seen])";
    let mut text = String::new();
    b.wait_until("a new toast appears", |b| {
        text = b.text_now(css).unwrap_or_default();
        !text.is_empty()
    });
    text
}

/// Whether a `toggle-admin` control is on: a checkbox's `checked`, or a switch button's
/// `aria-pressed` — the contract allows either.
#[track_caller]
fn toggle_is_on(b: &Browser, css: &str) -> bool {
    let state = b.js(
        "const e = document.querySelector(arguments[0]); \
         if (!e) return null; \
         return e.type === 'checkbox' ? e.checked : e.getAttribute('aria-pressed') === 'true';",
        vec![json!(css)],
    );
    state
        .as_bool()
        .unwrap_or_else(|| panic!("{css}: no toggle found (got {state})"))
}

/// The session token the browser holds: the one string in its IndexedDB that the API
/// accepts as `username`'s token. Finding it by trying them keeps the test independent
/// of how `session.js` lays out its database.
#[track_caller]
fn browser_token(b: &Browser, server: &Server, username: &str) -> String {
    let valid: Vec<String> = b
        .indexeddb_strings()
        .into_iter()
        .filter(|s| !s.is_empty() && s.len() < 512)
        .filter(|candidate| {
            let reply = server.client(candidate).get("/api/me").go();
            reply.status == 200 && reply.json()["user"]["username"] == username
        })
        .collect();
    assert_eq!(
        valid.len(),
        1,
        "expected exactly one token for {username} in IndexedDB, found {valid:?}"
    );
    valid.into_iter().next().unwrap()
}

/// Asserts `<form data-form=FORM>` has an input for each API field name, each with a
/// `<label for>` pointing at it.
#[track_caller]
fn assert_labelled_inputs(b: &Browser, form: &str, names: &[&str]) {
    for name in names {
        let css = field(form, name);
        let labelled = b.js(
            "const i = document.querySelector(arguments[0]); \
             if (!i) return 'missing'; \
             if (!i.id) return 'no id'; \
             return document.querySelector(`label[for=\"${CSS.escape(i.id)}\"]`) ? 'ok' : 'no label';",
            vec![json!(css)],
        );
        assert_eq!(labelled, json!("ok"), "{css}");
    }
}

/// The names in the files table, top to bottom.
#[track_caller]
fn file_names_in_table(b: &Browser) -> Vec<String> {
    let names = b.js(
        "return [...document.querySelectorAll(arguments[0])] \
           .map((row) => row.querySelector('[data-col=\"name\"]').textContent.trim());",
        vec![json!(FILE_ROWS)],
    );
    serde_json::from_value(names).expect("names")
}

/// Files of the API client's own account (or of `user` for an admin), by name.
#[track_caller]
fn files_by_name(client: &Client, user: Option<&str>) -> HashMap<String, Value> {
    let path = match user {
        Some(id) => format!("/api/files?user={id}"),
        None => "/api/files".to_string(),
    };
    let body = client.get(&path).go().expect(200).json();
    body["files"]
        .as_array()
        .expect("files array")
        .iter()
        .map(|f| (f["name"].as_str().expect("name").to_string(), f.clone()))
        .collect()
}

/// The users the admin API lists, by username.
#[track_caller]
fn users_by_name(admin: &Client) -> HashMap<String, Value> {
    let body = admin.get("/api/admin/users").go().expect(200).json();
    body["users"]
        .as_array()
        .expect("users array")
        .iter()
        .map(|u| {
            (
                u["username"].as_str().expect("username").to_string(),
                u.clone(),
            )
        })
        .collect()
}

/// Waits until the folder view shows folder `id` (`None`: the root) with its first page
/// of entries on screen.
#[track_caller]
fn wait_folder(b: &Browser, id: Option<&str>) {
    let css = format!("main[data-page][data-folder=\"{}\"]", id.unwrap_or("root"));
    b.wait_until(&format!("the folder view shows {css}"), |b| b.exists(&css));
}

/// The breadcrumbs' names, root first.
#[track_caller]
fn crumb_names(b: &Browser) -> Vec<String> {
    let names = b.js(
        "return [...document.querySelectorAll('nav[data-breadcrumbs] a[data-crumb]')] \
           .map((a) => a.textContent.trim());",
        vec![],
    );
    serde_json::from_value(names).expect("names")
}

/// One folder's folders and files through the API (`None`: the root), by name. Reads
/// every page, so it also checks that the cursor walks the whole folder.
#[track_caller]
fn folder_contents(
    client: &Client,
    folder: Option<&str>,
    user: Option<&str>,
) -> (HashMap<String, Value>, HashMap<String, Value>) {
    let mut folders = HashMap::new();
    let mut files = HashMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "1000".to_string())];
        if let Some(user) = user {
            query.push(("user", user.to_string()));
        }
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.clone()));
        }
        let path = format!("/api/folders/{}/contents", folder.unwrap_or("root"));
        let page = client.get(&path).query(&query).go().expect(200).json();
        for (list, into) in [("folders", &mut folders), ("files", &mut files)] {
            for entry in page[list].as_array().expect("entries") {
                into.insert(
                    entry["name"].as_str().expect("name").to_string(),
                    entry.clone(),
                );
            }
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return (folders, files),
        }
    }
}

/// Creates folder `name` in `parent` (`None`: the root) through the API; returns its id.
#[track_caller]
fn create_folder(client: &Client, name: &str, parent: Option<&str>) -> String {
    let reply = client
        .post("/api/folders")
        .json(&json!({"name": name, "parent_id": parent}))
        .go()
        .expect(201);
    id(&reply.json()["folder"])
}

/// Uploads `bytes` as `name` into folder `folder` with a raw `PUT`; returns the `file`.
#[track_caller]
fn upload_into(client: &Client, folder: &str, name: &str, bytes: &[u8]) -> Value {
    put_file(client, &[("name", name), ("folder_id", folder)], bytes)
        .expect(201)
        .json()["file"]
        .clone()
}

/// The `folder_id` of file `file_id` as the API has it (`None`: the root).
#[track_caller]
fn folder_of(client: &Client, file_id: &str) -> Option<String> {
    let file = client
        .get(&format!("/api/files/{file_id}"))
        .go()
        .expect(200)
        .json();
    file["file"]["folder_id"].as_str().map(str::to_string)
}

/// Drags the element matching `from` and drops it on the one matching `to`, firing the
/// HTML5 drag events a browser fires for a mouse drag, with one shared DataTransfer.
/// WebDriver cannot drive a native drag, but these reach the app's own handlers on the
/// real elements. Fails when the target refuses the drop (its dragover did not allow it).
#[track_caller]
fn drag_and_drop(b: &Browser, from: &str, to: &str) {
    let outcome = b.js(
        "const [source, target] = [arguments[0], arguments[1]].map((css) => document.querySelector(css)); \
         if (!source || !target) return 'missing'; \
         const dt = new DataTransfer(); \
         const fire = (el, type) => el.dispatchEvent(new DragEvent(type, \
           { dataTransfer: dt, bubbles: true, cancelable: true })); \
         fire(source, 'dragstart'); \
         fire(target, 'dragenter'); \
         const allowed = !fire(target, 'dragover'); \
         if (allowed) fire(target, 'drop'); \
         fire(source, 'dragend'); \
         return allowed ? 'dropped' : 'refused';",
        vec![json!(from), json!(to)],
    );
    assert_eq!(outcome, json!("dropped"), "dragging {from} onto {to}");
}

/// From now on, links the app follows by script (downloads through signed URLs) are
/// recorded instead of followed: a headless browser would save the file somewhere the
/// test cannot see. [`followed_link`] returns the next one.
#[track_caller]
fn record_followed_links(b: &Browser) {
    b.js(
        "window.testFollowed = []; \
         HTMLAnchorElement.prototype.click = function () { \
           window.testFollowed.push({ href: this.href, download: this.hasAttribute('download') }); \
         };",
        vec![],
    );
}

/// Waits for the next link recorded by [`record_followed_links`]: `(href, has download)`.
#[track_caller]
fn followed_link(b: &Browser) -> (String, bool) {
    let mut link = Value::Null;
    b.wait_until("the app follows a link", |b| {
        link = b.js(
            "return (window.testFollowed || []).shift() ?? null;",
            vec![],
        );
        !link.is_null()
    });
    (
        link["href"].as_str().expect("href").to_string(),
        link["download"] == json!(true),
    )
}

/// What a delete did to the bytes of file `file_id` (stored at `blob`): with a trash
/// (DESIGN §11) the file is in it and its bytes stay until it is emptied; without one
/// (`GET /api/trash` unknown, or `--trash-retention 0`) the bytes are gone from disk.
#[track_caller]
fn assert_bytes_deleted(
    client: &Client,
    user: Option<&str>,
    file_id: &str,
    blob: &std::path::Path,
) {
    let path = match user {
        Some(user) => format!("/api/trash?user={user}"),
        None => "/api/trash".to_string(),
    };
    let trash = client.get(&path).go();
    let trashed = trash.status == 200
        && trash.json()["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|item| item["id"] == json!(file_id)));
    if trashed {
        assert!(blob.exists(), "a file in the trash keeps its bytes");
    } else {
        assert!(!blob.exists(), "the bytes are gone from disk");
    }
}

/// Where the bytes of file `file_id` of `user_id` are on disk. A file uploaded through
/// tus is stored under its upload's id, not its own; the content's `ETag` names it.
#[track_caller]
fn blob_of(server: &Server, client: &Client, user_id: &str, file_id: &str) -> PathBuf {
    let reply = client
        .head(&format!("/api/files/{file_id}/content"))
        .go()
        .expect(200);
    let etag = reply.header("etag").expect("ETag");
    server.blob_path(user_id, etag.trim_matches('"'))
}

/// CSS for the row of trash item `id` on the Trash page.
fn trash_row(id: &str) -> String {
    format!("table[data-table=\"trash\"] tr[data-trash-id=\"{id}\"]")
}

/// Every row of the Trash page's table.
const TRASH_ROWS: &str = "table[data-table=\"trash\"] tr[data-trash-id]";

/// The items of the trash through the API (of `user` for an admin), every page read.
#[track_caller]
fn trash_items(client: &Client, user: Option<&str>) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "1000".to_string())];
        if let Some(user) = user {
            query.push(("user", user.to_string()));
        }
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.clone()));
        }
        let page = client
            .get("/api/trash")
            .query(&query)
            .go()
            .expect(200)
            .json();
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return items,
        }
    }
}

/// The `storage` figures of the API client's own account (`/api/me`).
#[track_caller]
fn storage_of(client: &Client) -> Value {
    client.get("/api/me").go().expect(200).json()["user"]["storage"].clone()
}

/// An attribute of the element matching `css` now, `None` when either is missing.
fn attr_now(b: &Browser, css: &str, name: &str) -> Option<String> {
    b.try_js(
        "const e = document.querySelector(arguments[0]); \
         return e ? e.getAttribute(arguments[1]) : null;",
        vec![json!(css), json!(name)],
    )?
    .as_str()
    .map(str::to_string)
}

/// Clicks the control `action` of the newest toast that appeared after
/// [`mark_toasts_seen`] (an Undo, a link to a folder).
#[track_caller]
fn click_toast_action(b: &Browser, action: &str) {
    b.click(&format!(
        "[data-toast]:not([data-test-seen]) [data-action=\"{action}\"]"
    ));
}

/// Screenshots the current page at desktop and phone width (`NAME-desktop.png`,
/// `NAME-phone.png`), checking on the phone that nothing forces a sideways scroll.
/// The browser is back at desktop width afterwards.
#[track_caller]
fn screenshots_and_phone_fit(b: &mut Browser, name: &str) {
    b.screenshot(name);
    b.phone();
    b.assert_no_horizontal_scroll();
    b.screenshot(name);
    b.desktop();
}

/// A folder of files to upload from, with real names and known bytes.
struct UploadDir {
    dir: tempfile::TempDir,
}

impl UploadDir {
    fn new() -> UploadDir {
        UploadDir {
            dir: tempfile::tempdir().expect("temp dir for uploads"),
        }
    }

    /// Writes `bytes` as `name` and returns its absolute path (what a file input takes).
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write upload file");
        path
    }
}

/// Absolute paths joined by newlines: how chromedriver takes several files for one
/// `<input type=file multiple>` in a single `send_keys`.
fn file_list(paths: &[&PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.to_str().expect("utf-8 path"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A `w`×`h` RGB PNG with a colour gradient: a real image that looks like something in
/// the viewer screenshot and whose decoded size the test can check.
fn gradient_png(w: u32, h: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut tagged = kind.to_vec();
        tagged.extend_from_slice(data);
        out.extend_from_slice(&tagged);
        out.extend_from_slice(&crc32(&tagged).to_be_bytes());
    }
    let mut raw = Vec::with_capacity(((w * 3 + 1) * h) as usize);
    for y in 0..h {
        raw.push(0); // filter: none
        for x in 0..w {
            raw.push((255 * x / w.max(1)) as u8);
            raw.push((120 + 100 * y / h.max(1)) as u8);
            raw.push((255 - 200 * y / h.max(1)) as u8);
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).expect("compress");
    let idat = z.finish().expect("compress");
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    png
}

const NOTES: &str = "Packing list\n- passport\n- charger\n- sunscreen\n";

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

/// Registration: a password that breaks the rules is refused with the reason next to the
/// password field and creates no account; fixing it clears the message and registers; a
/// wrong password at login gets a form error, the right one opens the (empty) files page
/// without an admin link, and the admin page stays closed to this new user.
#[test]
fn register_with_a_bad_then_a_good_password_then_log_in() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let root = admin_named(&server, "root");

    b.goto("/login");
    b.wait_page("login");
    screenshots_and_phone_fit(&mut b, "login");

    b.goto("/register");
    b.wait_page("register");
    b.fill(&field("register", "username"), "dora");
    b.fill(&field("register", "full_name"), "Dora Explorer");
    b.fill(&field("register", "email"), "dora@example.com");
    b.fill(&field("register", "password"), "short");
    submit(&b, "register");
    field_error(&b, "password");
    assert!(
        b.exists("main[data-page=\"register\"]"),
        "a refused registration must stay on the form"
    );
    assert!(
        !users_by_name(&root).contains_key("dora"),
        "a refused registration created an account"
    );
    screenshots_and_phone_fit(&mut b, "register");

    b.fill(&field("register", "password"), PASSWORD);
    b.wait_until("the password error clears for a good password", |b| {
        b.text_now("[data-error-for=\"password\"]")
            .unwrap_or_default()
            .is_empty()
    });
    submit(&b, "register");
    b.wait_until("registration leads to the login or files page", |b| {
        b.exists("main[data-page=\"login\"]") || b.exists("main[data-page=\"files\"]")
    });
    let dora = users_by_name(&root)
        .remove("dora")
        .expect("dora is registered");
    assert_eq!(dora["full_name"], "Dora Explorer");
    assert_eq!(dora["email"], "dora@example.com");
    assert_eq!(
        dora["is_admin"], false,
        "web registration never makes an admin"
    );

    if b.exists("main[data-page=\"files\"]") {
        // Registration logged in directly: log out to exercise the login form too.
        b.click("[data-nav=\"logout\"]");
    }
    log_in(&b, "dora", "Wrong-pass-1");
    b.wait_until("a wrong password shows a form error", |b| {
        !b.text_now("form[data-form=\"login\"] [data-form-error]")
            .unwrap_or_default()
            .is_empty()
    });
    assert!(b.exists("main[data-page=\"login\"]"));

    b.fill(&field("login", "password"), PASSWORD);
    submit(&b, "login");
    b.wait_page("files");
    assert_eq!(b.path(), "/files", "login goes to the files page");
    assert!(
        b.exists("[data-empty]"),
        "a new account shows the empty state"
    );
    assert_eq!(b.count(FILE_ROWS), 0);
    assert!(
        !b.exists("[data-nav=\"admin\"]"),
        "a non-admin must not see the admin link"
    );
    browser_token(&b, &server, "dora");

    // The admin page is for admins only: dora is sent elsewhere and sees no users.
    b.goto("/admin");
    b.wait_until("a page has loaded", |b| b.exists("main[data-page]"));
    assert!(
        !b.exists("main[data-page=\"admin\"]") && !b.exists("table[data-table=\"users\"]"),
        "a non-admin must not get the admin page (at {})",
        b.path()
    );
    b.assert_clean_console();
}

/// The files page end to end: the login detour for a visitor without a session, two
/// uploads with a comment through the file input, rename in place, cancelling an edit,
/// the viewer, sharing and fetching the public link anonymously, a reload that keeps the
/// session (token in IndexedDB), and logout killing the token on the server.
#[test]
fn upload_rename_view_share_reload_and_log_out() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "erin");
    let uploads = UploadDir::new();
    let notes = uploads.file("notes.txt", NOTES.as_bytes());
    let picture_bytes = gradient_png(320, 200);
    let picture = uploads.file("sunset.png", &picture_bytes);

    // A visitor without a session is sent to log in, and comes back afterwards.
    b.goto("/files");
    b.wait_page("login");
    let detour = b.path();
    assert!(
        detour.starts_with("/login?next="),
        "expected /login?next=…, got {detour}"
    );
    assert!(
        detour.ends_with("next=%2Ffiles") || detour.ends_with("next=/files"),
        "the login page must remember /files, got {detour}"
    );
    log_in(&b, "erin", PASSWORD);
    b.wait_page("files");
    assert_eq!(b.path(), "/files");
    assert!(
        b.exists("[data-empty]"),
        "no files yet: the empty state shows"
    );

    // Two files at once, with one comment.
    b.fill("[data-upload-comment]", "holiday 2024");
    b.type_keys("[data-upload-input]", &file_list(&[&notes, &picture]));
    b.wait_count(FILE_ROWS, 2);
    b.wait_gone("[data-empty]");
    let mut files = HashMap::new();
    b.wait_until("both uploads are stored", |_| {
        files = files_by_name(&api, None);
        files.len() == 2
    });
    let notes_file = &files["notes.txt"];
    let picture_file = &files["sunset.png"];
    for (file, size) in [
        (notes_file, NOTES.len()),
        (picture_file, picture_bytes.len()),
    ] {
        assert_eq!(file["comment"], "holiday 2024", "{file}");
        assert_eq!(file["size"], json!(size), "{file}");
        let row = file_row(&id(file));
        assert_eq!(
            b.text(&format!("{row} [data-col=\"comment\"]")),
            "holiday 2024"
        );
        assert!(
            b.text(&format!("{row} [data-col=\"name\"]"))
                .contains(file["name"].as_str().unwrap()),
            "the row shows the file name"
        );
    }
    let notes_id = id(notes_file);
    let picture_id = id(picture_file);
    let stored = api
        .get(&format!("/api/files/{notes_id}/content"))
        .go()
        .expect(200);
    assert_eq!(stored.body, NOTES.as_bytes(), "uploaded bytes are intact");

    // Rename in place: Enter saves.
    let notes_row = file_row(&notes_id);
    b.click(&format!("{notes_row} [data-action=\"rename\"]"));
    let name_input = format!("{notes_row} input[name=\"name\"]");
    b.fill(&name_input, "packing list.txt");
    b.type_keys(&name_input, ENTER);
    b.wait_gone(&name_input);
    b.wait_until("the new name is shown", |b| {
        b.text_now(&format!("{notes_row} [data-col=\"name\"]"))
            .is_some_and(|t| t.contains("packing list.txt"))
    });
    let renamed = api
        .get(&format!("/api/files/{notes_id}"))
        .go()
        .expect(200)
        .json();
    assert_eq!(renamed["file"]["name"], "packing list.txt");

    // Edit a comment in place and press Escape: nothing changes.
    let picture_row = file_row(&picture_id);
    b.click(&format!("{picture_row} [data-action=\"edit-comment\"]"));
    let comment_input = format!("{picture_row} input[name=\"comment\"]");
    b.fill(&comment_input, "this must not be saved");
    b.type_keys(&comment_input, ESCAPE);
    b.wait_gone(&comment_input);
    assert_eq!(
        b.text(&format!("{picture_row} [data-col=\"comment\"]")),
        "holiday 2024"
    );
    let unchanged = api
        .get(&format!("/api/files/{picture_id}"))
        .go()
        .expect(200)
        .json();
    assert_eq!(
        unchanged["file"]["comment"], "holiday 2024",
        "Escape cancels"
    );

    // The viewer shows the image, loaded through a signed link under the CSP.
    b.click(&format!("{picture_row} [data-action=\"view\"]"));
    b.find(VIEWER_OPEN);
    b.wait_until("the image in the viewer has loaded", |b| {
        b.js(
            "const i = document.querySelector(arguments[0]); \
             return i ? i.complete && i.naturalWidth : 0;",
            vec![json!(format!("{VIEWER_OPEN} img"))],
        ) == json!(320)
    });
    screenshots_and_phone_fit(&mut b, "viewer");
    b.click(&format!("{VIEWER_OPEN} [data-action=\"close\"]"));
    b.wait_gone(VIEWER_OPEN);

    // Share: the row gets the public link, and anyone can fetch the bytes with it.
    let shown_url = share_from_row(&b, &notes_row);
    let link = format!("{notes_row} [data-col=\"shared\"] a[data-share-url]");
    let share_url = b.prop(&link, "href").expect("share link has an href");
    assert_eq!(share_url, shown_url, "the row links what the dialog showed");
    let shared = api
        .get(&format!("/api/files/{notes_id}"))
        .go()
        .expect(200)
        .json();
    assert_eq!(
        shared["file"]["share_url"].as_str(),
        Some(share_url.as_str()),
        "the page links the API's share_url"
    );
    let public = server.anon().get(&share_url).go().expect(200);
    assert_eq!(
        public.body,
        NOTES.as_bytes(),
        "the public link serves the file"
    );

    // A file and folders added elsewhere (another device) show up on reload; the session
    // survives it.
    upload_multipart(
        &api,
        "budget.csv",
        b"month,amount\nmay,120\n",
        Some("shared costs"),
    );
    create_folder(&api, "Holiday 2024", None);
    create_folder(&api, "Receipts", None);
    b.refresh();
    b.wait_page("files");
    b.wait_count(FILE_ROWS, 3);
    b.wait_count(FOLDER_ROWS, 2);
    assert_eq!(b.path(), "/files", "a reload stays on the files page");
    b.find(&link);
    screenshots_and_phone_fit(&mut b, "files");

    // Log out: back to the login page, the token is dead on the server and gone locally.
    let token = browser_token(&b, &server, "erin");
    b.click("[data-nav=\"logout\"]");
    b.wait_page("login");
    server
        .client(&token)
        .get("/api/me")
        .go()
        .expect_error(401, "unauthorized");
    assert!(
        !b.indexeddb_strings().contains(&token),
        "logout must remove the token from IndexedDB"
    );
    b.goto("/files");
    b.wait_page("login");

    // The public link works in the logged-out browser too: its page names the file and
    // its download button gives the bytes.
    b.goto(&share_url);
    wait_state(&b, "shared", "file");
    assert_eq!(b.text("main h1"), "packing list.txt");
    let download = b
        .prop("main a[data-action=\"download\"]", "href")
        .expect("href");
    let bytes = server.anon().get(&download).go().expect(200);
    assert_eq!(bytes.body, NOTES.as_bytes());
    b.goto("/login");
    b.wait_page("login");
    b.assert_clean_console();
}

/// Profile: a visitor sent to log in from /profile comes back to /profile; a new full
/// name and an avatar are saved through the forms and show up in the API; a session ended
/// on the server sends the page back to the login form.
#[test]
fn profile_keeps_the_next_path_and_saves_name_and_avatar() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "fiona");
    let uploads = UploadDir::new();
    let avatar = uploads.file("me.png", &gradient_png(96, 96));

    b.goto("/profile");
    b.wait_page("login");
    log_in(&b, "fiona", PASSWORD);
    b.wait_page("profile");
    assert_eq!(b.path(), "/profile", "login returns to the page asked for");
    assert_eq!(
        b.prop(&field("profile", "full_name"), "value").as_deref(),
        Some("fiona Example"),
        "the form shows the current name"
    );

    b.fill(&field("profile", "full_name"), "Fay Wray");
    submit(&b, "profile");
    b.wait_until("the new name is saved", |_| {
        api.me()["full_name"] == "Fay Wray"
    });

    b.type_keys(
        "input[type=\"file\"][name=\"avatar\"]",
        avatar.to_str().unwrap(),
    );
    b.wait_until("the avatar is stored", |_| {
        !api.me()["avatar_url"].is_null()
    });
    b.wait_until("the avatar image is shown", |b| {
        b.js(
            "const i = document.querySelector('img[data-avatar]'); \
             return !!i && i.complete && i.naturalWidth > 0;",
            vec![],
        ) == json!(true)
    });
    assert!(b.exists("[data-action=\"remove-avatar\"]"));
    screenshots_and_phone_fit(&mut b, "profile");

    // A session ended elsewhere (here: logged out through the API) ends in the page too:
    // the next request gets 401 and the app asks to log in again, remembering the page.
    let token = browser_token(&b, &server, "fiona");
    server
        .client(&token)
        .post("/api/auth/logout")
        .go()
        .expect(204);
    b.refresh();
    b.wait_page("login");
    assert!(
        b.path().ends_with("next=%2Fprofile") || b.path().ends_with("next=/profile"),
        "expected a way back to /profile, got {}",
        b.path()
    );
    b.assert_clean_console();
}

/// Administration: the admin link, granting and revoking another user's admin flag, the
/// last admin refused with a message, a user's files opened and one deleted, and a user
/// deleted through the confirm dialog (after a cancel that must change nothing).
#[test]
fn admin_toggles_a_flag_manages_a_users_files_and_deletes_a_user() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let root_api = admin_named(&server, "root");
    let (bob, _) = user(&server, "bobby");
    let (carol, carol_api) = user(&server, "carol");
    upload_multipart(&carol_api, "recipes.txt", b"bread, soup", Some("family"));
    upload_multipart(
        &carol_api,
        "garden.png",
        &gradient_png(40, 30),
        Some("spring"),
    );
    let doomed = upload_multipart(&carol_api, "old draft.txt", b"delete me", None);
    let users = users_by_name(&root_api);
    let root_id = id(&users["root"]);
    let (bob_id, carol_id) = (id(&bob), id(&carol));

    b.goto("/login");
    log_in(&b, "root", PASSWORD);
    b.wait_page("files");
    b.click("[data-nav=\"admin\"]");
    b.wait_page("admin");
    assert_eq!(b.path(), "/admin");
    b.wait_count("table[data-table=\"users\"] tr[data-user-id]", 3);
    assert_eq!(
        b.text(&format!("{} [data-col=\"files\"]", user_row(&carol_id))),
        "3",
        "the users table shows carol's file count"
    );
    screenshots_and_phone_fit(&mut b, "admin");

    // Grant and revoke bob's admin flag.
    let bob_toggle = format!("{} [data-action=\"toggle-admin\"]", user_row(&bob_id));
    assert!(!toggle_is_on(&b, &bob_toggle));
    b.click(&bob_toggle);
    b.wait_until("bob becomes an admin", |_| {
        users_by_name(&root_api)["bobby"]["is_admin"] == true
    });
    b.wait_until("bob's toggle shows on", |b| toggle_is_on(b, &bob_toggle));
    b.click(&bob_toggle);
    b.wait_until("bob is no admin again", |_| {
        users_by_name(&root_api)["bobby"]["is_admin"] == false
    });
    b.wait_until("bob's toggle shows off", |b| !toggle_is_on(b, &bob_toggle));

    // The last admin cannot step down: a message, and nothing changes.
    let root_toggle = format!("{} [data-action=\"toggle-admin\"]", user_row(&root_id));
    assert!(toggle_is_on(&b, &root_toggle));
    mark_toasts_seen(&b);
    b.click(&root_toggle);
    let message = wait_new_toast(&b);
    assert_eq!(
        users_by_name(&root_api)["root"]["is_admin"],
        true,
        "the last admin stays admin (the page said {message:?})"
    );
    b.wait_until("root's toggle still shows on", |b| {
        toggle_is_on(b, &root_toggle)
    });

    // Carol's files: the same table, managed by the admin.
    b.click(&format!(
        "{} [data-action=\"open-files\"]",
        user_row(&carol_id)
    ));
    b.wait_page("user-files");
    assert_eq!(b.path(), format!("/admin/users/{carol_id}"));
    b.wait_count(FILE_ROWS, 3);
    screenshots_and_phone_fit(&mut b, "user-files");

    let doomed_id = id(&doomed);
    let blob = server.blob_path(&carol_id, &doomed_id);
    assert!(blob.exists());
    b.click(&format!(
        "{} [data-action=\"delete\"]",
        file_row(&doomed_id)
    ));
    let question = b.text(CONFIRM_OPEN);
    assert!(
        question.contains("old draft.txt"),
        "the confirm dialog names the file: {question:?}"
    );
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.wait_gone(&file_row(&doomed_id));
    root_api
        .get(&format!("/api/files/{doomed_id}"))
        .go()
        .expect_error(404, "not_found");
    assert_bytes_deleted(&root_api, Some(&carol_id), &doomed_id, &blob);
    assert_eq!(files_by_name(&root_api, Some(&carol_id)).len(), 2);

    // Carol's folders, made and opened by the admin: the same folder view, through ?user=.
    b.click("[data-action=\"new-folder\"]");
    b.fill(&field("new-folder", "name"), "From admin");
    submit(&b, "new-folder");
    b.wait_gone(NEW_FOLDER_OPEN);
    let made = folder_contents(&root_api, None, Some(&carol_id)).0;
    let from_admin = id(made
        .get("From admin")
        .expect("the folder is in carol's root"));
    assert_eq!(made["From admin"]["owner_id"], json!(carol_id));
    assert!(
        folder_contents(&root_api, None, None).0.is_empty(),
        "nothing made in the admin's own files"
    );
    b.click(&format!(
        "{} [data-action=\"open\"]",
        folder_row(&from_admin)
    ));
    wait_folder(&b, Some(&from_admin));
    assert_eq!(
        b.path(),
        format!("/admin/users/{carol_id}/files/{from_admin}")
    );
    b.find("[data-empty]");
    let uploads = UploadDir::new();
    let note = uploads.file("note from admin.txt", b"hello carol");
    b.type_keys("[data-upload-input]", note.to_str().unwrap());
    b.wait_count(FILE_ROWS, 1);
    let (_, inside) = folder_contents(&root_api, Some(&from_admin), Some(&carol_id));
    let note_file = inside
        .get("note from admin.txt")
        .expect("uploaded into carol's folder");
    assert_eq!(note_file["owner_id"], json!(carol_id));
    assert!(
        server.log().contains("POST /api/uploads 201"),
        "the admin's upload went through tus too"
    );
    b.refresh();
    b.wait_page("user-files");
    wait_folder(&b, Some(&from_admin));
    b.click(&crumb(None));
    wait_folder(&b, None);
    assert_eq!(b.path(), format!("/admin/users/{carol_id}"));
    b.wait_count(FILE_ROWS, 2);

    // Carol's trash, reached from her files: the file deleted above, restored from there.
    b.click("[data-action=\"open-trash\"]");
    b.wait_page("trash");
    assert_eq!(b.path(), format!("/admin/users/{carol_id}/trash"));
    let doomed_row = trash_row(&doomed_id);
    b.find(&doomed_row);
    assert_eq!(b.count(TRASH_ROWS), 1, "only carol's trash");
    assert!(
        trash_items(&root_api, None).is_empty(),
        "nothing in the admin's own trash"
    );
    b.click(&format!("{doomed_row} [data-action=\"restore\"]"));
    b.wait_gone(&doomed_row);
    b.find("[data-empty]");
    assert!(trash_items(&root_api, Some(&carol_id)).is_empty());
    let restored = files_by_name(&root_api, Some(&carol_id));
    assert!(
        restored.contains_key("old draft.txt"),
        "back in carol's files: {restored:?}"
    );
    assert!(blob.exists(), "with its bytes");

    // Delete carol: cancel first (nothing happens), then confirm.
    b.click("[data-nav=\"admin\"]");
    b.wait_page("admin");
    let delete_carol = format!("{} [data-action=\"delete-user\"]", user_row(&carol_id));
    b.click(&delete_carol);
    let question = b.text(CONFIRM_OPEN);
    assert!(
        question.contains("carol"),
        "the confirm dialog names the user: {question:?}"
    );
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"cancel\"]"));
    b.wait_gone(CONFIRM_OPEN);
    assert!(
        users_by_name(&root_api).contains_key("carol"),
        "cancel deletes nothing"
    );
    assert!(b.exists(&user_row(&carol_id)));

    b.click(&delete_carol);
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.wait_gone(&user_row(&carol_id));
    let left = users_by_name(&root_api);
    assert!(!left.contains_key("carol"), "carol is deleted");
    assert!(left.contains_key("bobby") && left.contains_key("root"));
    root_api
        .get(&format!("/api/files?user={carol_id}"))
        .go()
        .expect_error(404, "not_found");
    carol_api
        .get("/api/me")
        .go()
        .expect_error(401, "unauthorized");
    b.assert_clean_console();
}

/// The hooks `docs/WEB-APP.md` promises to tests and scripts are on every page: forms and
/// their labelled, API-named inputs, field and form error slots, navigation, the language
/// switch, table columns, sort buttons, row actions, upload controls, the users table, and
/// the not-found page. Other tests use a few of them in flows; this one checks all of them,
/// so a renamed hook fails here with its name rather than as a timeout somewhere else.
#[test]
fn every_page_carries_the_documented_hooks() {
    let server = Server::start();
    let Some(b) = Browser::launch(&server.base) else {
        return;
    };
    let root = admin_named(&server, "root");
    let plain = upload_multipart(&root, "plain.txt", b"just text", Some("a comment"));
    let shared = upload_multipart(&root, "shared.txt", b"for everyone", None);
    root.post(&format!("/api/files/{}/share", id(&shared)))
        .go()
        .expect(200);
    upload_multipart(&root, "middle.txt", b"in between", None);
    let box_folder = create_folder(&root, "box", None);
    let (gina, _) = user(&server, "gina");

    // Logged out: login and register.
    b.goto("/login");
    b.wait_page("login");
    assert_labelled_inputs(&b, "login", &["username", "password"]);
    assert!(b.exists("form[data-form=\"login\"] [data-form-error]"));
    assert!(b.exists("select[name=\"lang\"][data-lang-switch] option[value=\"en\"]"));
    assert!(b.exists("select[name=\"lang\"][data-lang-switch] option[value=\"ru\"]"));

    b.goto("/register");
    b.wait_page("register");
    let register_fields = ["username", "full_name", "email", "password"];
    assert_labelled_inputs(&b, "register", &register_fields);
    for name in register_fields {
        assert!(
            b.exists(&format!(
                "form[data-form=\"register\"] [data-error-for=\"{name}\"]"
            )),
            "register: no [data-error-for={name}]"
        );
    }

    b.goto("/nowhere/at/all");
    b.wait_page("not-found");
    let home_links = b.js(
        "return [...document.querySelectorAll('main a[href]')] \
           .map((a) => new URL(a.href).pathname) \
           .filter((p) => p === '/' || p === '/files' || p === '/login').length;",
        vec![],
    );
    assert_ne!(home_links, json!(0), "the not-found page links home");

    // Logged in as an admin: the files page.
    b.goto("/login");
    log_in(&b, "root", PASSWORD);
    b.wait_page("files");
    for nav in ["files", "shares", "trash", "profile", "admin", "logout"] {
        assert!(
            b.exists(&format!("nav [data-nav=\"{nav}\"]")),
            "no <nav> [data-nav={nav}]"
        );
    }
    for column in [
        "name",
        "comment",
        "size",
        "uploaded",
        "downloaded",
        "shared",
    ] {
        // The server sorts a folder by name, size or upload time: those are the buttons.
        let sortable = ["name", "size", "uploaded"].contains(&column);
        assert_eq!(
            b.exists(&format!(
                "table[data-table=\"files\"] button[data-sort=\"{column}\"]"
            )),
            sortable,
            "sort button for {column}"
        );
        for row in [
            file_row(&id(&plain)),
            file_row(&id(&shared)),
            folder_row(&box_folder),
        ] {
            let cell = format!("{row} [data-col=\"{column}\"]");
            assert!(b.exists(&cell), "no cell {cell}");
        }
    }
    // The folder view: breadcrumbs, its toolbar, the folder picker, search.
    assert!(b.exists(&crumb(None)), "no root breadcrumb");
    for action in ["new-folder", "download-zip", "upload-folder"] {
        assert!(
            b.exists(&format!("button[data-action=\"{action}\"]")),
            "no [data-action={action}]"
        );
    }
    assert!(b.exists("input[type=\"file\"][webkitdirectory][data-upload-folder-input]"));
    assert!(
        b.exists("form[data-form=\"search\"][role=\"search\"] input[type=\"search\"][name=\"q\"]")
    );
    assert!(b.exists("main[data-folder=\"root\"]"));
    let box_row = folder_row(&box_folder);
    assert!(b.exists(&format!(
        "{box_row} a[data-action=\"open\"][href=\"/files/{box_folder}\"]"
    )));
    for action in ["rename", "move", "download", "share", "request", "delete"] {
        assert!(
            b.exists(&format!("{box_row} [data-action=\"{action}\"]")),
            "a folder row has no [data-action={action}]"
        );
    }
    let plain_row = file_row(&id(&plain));
    for action in [
        "rename",
        "edit-comment",
        "download",
        "view",
        "share",
        "move",
        "delete",
    ] {
        assert!(
            b.exists(&format!("{plain_row} [data-action=\"{action}\"]")),
            "a file row has no [data-action={action}]"
        );
    }
    let shared_row = file_row(&id(&shared));
    for action in ["share", "copy-link"] {
        assert!(
            b.exists(&format!("{shared_row} [data-action=\"{action}\"]")),
            "a shared row has no [data-action={action}]"
        );
    }
    assert!(b.exists(&format!(
        "{shared_row} [data-col=\"shared\"] a[data-share-url][href]"
    )));
    assert!(b.exists("input[type=\"file\"][name=\"file\"][multiple][data-upload-input]"));
    assert!(b.exists("input[name=\"comment\"][data-upload-comment]"));
    assert!(
        b.exists("form[data-form=\"comment-upload\"]"),
        "no <form data-form=comment-upload>"
    );
    // The usage: a sentence, and a bar only with a quota (root has none).
    assert!(b.exists("main [data-usage][data-level=\"none\"] [data-usage-text]"));
    assert!(b.exists("main [data-usage] [data-usage-bar][role=\"meter\"][hidden]"));

    // A sort button orders the rows by that column, and a second click reverses them.
    // Three rows: a sort restarts the listing, and while it reloads there are none.
    let sorted_by_name = |names: &[String]| {
        names.len() == 3 && (names.is_sorted() || names.iter().rev().is_sorted())
    };
    // By size first (9, 10, 12 bytes: p, m, s), an order that is not by name either way.
    b.click("button[data-sort=\"size\"]");
    let by_size = ["plain.txt", "middle.txt", "shared.txt"].map(String::from);
    b.wait_until("the rows are sorted by size", |b| {
        let names = file_names_in_table(b);
        names == by_size || names.iter().rev().eq(by_size.iter())
    });
    b.click("button[data-sort=\"name\"]");
    let mut first = Vec::new();
    b.wait_until("the rows are sorted by name", |b| {
        first = file_names_in_table(b);
        sorted_by_name(&first)
    });
    b.click("button[data-sort=\"name\"]");
    let reversed: Vec<String> = first.iter().rev().cloned().collect();
    b.wait_until("a second click reverses the order", |b| {
        file_names_in_table(b) == reversed
    });

    // A logged-in visitor on /login goes to the files page.
    b.goto("/login");
    b.wait_page("files");
    assert_eq!(b.path(), "/files");

    // The language switch re-renders the page in Russian, and back.
    let logout_en = b.text("[data-nav=\"logout\"]");
    b.select("select[data-lang-switch]", "ru");
    b.wait_until("the page is in Russian", |b| {
        b.js("return document.documentElement.lang;", vec![]) == json!("ru")
            && b.text_now("[data-nav=\"logout\"]")
                .is_some_and(|t| t != logout_en)
    });
    b.wait_page("files");
    b.select("select[data-lang-switch]", "en");
    b.wait_until("the page is in English again", |b| {
        b.text_now("[data-nav=\"logout\"]").as_deref() == Some(logout_en.as_str())
    });

    // Profile.
    b.click("[data-nav=\"profile\"]");
    b.wait_page("profile");
    assert_labelled_inputs(&b, "profile", &["full_name", "email"]);
    assert_labelled_inputs(&b, "password", &["current_password", "new_password"]);
    assert!(b.exists("input[type=\"file\"][name=\"avatar\"][accept=\"image/*\"]"));

    // Admin: the users table.
    b.click("[data-nav=\"admin\"]");
    b.wait_page("admin");
    let gina_row = user_row(&id(&gina));
    for column in [
        "username",
        "full_name",
        "email",
        "admin",
        "files",
        "size",
        "last_login",
    ] {
        assert!(
            b.exists(&format!("{gina_row} [data-col=\"{column}\"]")),
            "users table: no [data-col={column}]"
        );
    }
    for action in ["toggle-admin", "open-files", "delete-user", "edit-quota"] {
        assert!(
            b.exists(&format!("{gina_row} [data-action=\"{action}\"]")),
            "users table: no [data-action={action}]"
        );
    }
    b.click(&format!("{gina_row} [data-action=\"edit-quota\"]"));
    let quota_input = format!("{gina_row} [data-col=\"quota\"] input[name=\"quota_bytes\"]");
    b.find(&quota_input);
    assert!(b.exists(&format!(
        "{gina_row} [data-col=\"quota\"] [data-error-for=\"quota_bytes\"]"
    )));
    let labelled = b.js(
        "const i = document.querySelector(arguments[0]); \
         return !!document.querySelector(`label[for=\"${CSS.escape(i.id)}\"]`);",
        vec![json!(quota_input)],
    );
    assert_eq!(labelled, json!(true), "the quota field has a label");
    b.type_keys(&quota_input, ESCAPE);
    b.wait_gone(&quota_input);
    b.goto(&format!("/admin/users/{}", id(&gina)));
    b.wait_page("user-files");
    assert!(
        b.exists("[data-empty]"),
        "gina has no files: the empty state"
    );
    assert!(
        b.exists("[data-upload-input]"),
        "an admin can upload for gina"
    );
    assert!(b.exists("main [data-usage] [data-usage-text]"));
    b.click("a[data-action=\"open-trash\"]");
    b.wait_page("trash");
    assert_eq!(b.path(), format!("/admin/users/{}/trash", id(&gina)));
    assert!(b.exists("[data-empty]"), "gina's trash is empty");

    // The Trash page: its table, its row actions, "Empty trash", and the usage.
    root.delete(&format!("/api/files/{}", id(&plain)))
        .go()
        .expect(204);
    root.delete(&format!("/api/folders/{box_folder}"))
        .go()
        .expect(204);
    b.goto("/trash");
    b.wait_page("trash");
    b.find(&trash_row(&box_folder));
    let trashed = trash_row(&id(&plain));
    for column in ["name", "original_path", "size", "trashed", "purge"] {
        assert!(
            b.exists(&format!("{trashed} [data-col=\"{column}\"]")),
            "trash table: no [data-col={column}]"
        );
    }
    assert!(b.exists(&format!("{trashed}[data-kind=\"file\"]")));
    assert!(b.exists(&format!("{}[data-kind=\"folder\"]", trash_row(&box_folder))));
    for action in ["restore", "purge"] {
        assert!(
            b.exists(&format!("{trashed} [data-action=\"{action}\"]")),
            "trash table: no [data-action={action}]"
        );
    }
    assert!(b.exists("button[data-action=\"empty-trash\"]"));
    assert!(b.exists("[data-list-end] [data-action=\"load-more\"]"));
    assert!(b.exists("main [data-usage] [data-usage-text]"));
    assert!(b.exists("[data-nav=\"trash\"][aria-current=\"page\"]"));

    // The Shares page: the link shared above, no file requests yet.
    b.click("[data-nav=\"shares\"]");
    b.wait_page("shares");
    let shared_link = format!(
        "table[data-table=\"shares\"] tr[data-share-id=\"{}\"][data-kind=\"file\"]",
        id(&shared)
    );
    for column in ["name", "link", "expires", "password", "downloads"] {
        assert!(
            b.exists(&format!("{shared_link} [data-col=\"{column}\"]")),
            "shares table: no [data-col={column}]"
        );
    }
    for action in ["share", "copy-link", "revoke"] {
        assert!(
            b.exists(&format!("{shared_link} [data-action=\"{action}\"]")),
            "shares table: no [data-action={action}]"
        );
    }
    assert!(b.exists(&format!("{shared_link} a[data-share-url][href]")));
    assert!(b.exists("[data-empty=\"requests\"]"));
    assert!(b.exists("[data-nav=\"shares\"][aria-current=\"page\"]"));
    b.assert_clean_console();
}

/// The rest of the row actions on one's own files: a file dropped on the page uploads
/// (with the comment field's text), "copy link" hands out the public URL, "revoke" kills
/// it for everyone, and "delete" asks first — a cancel keeps the file, a confirm removes
/// it from the table, the API and the disk.
#[test]
fn drop_upload_copy_link_revoke_and_delete() {
    let server = Server::start();
    let Some(b) = Browser::launch(&server.base) else {
        return;
    };
    let (holly, api) = user(&server, "holly");
    let kept = upload_multipart(&api, "kept.txt", b"stays", None);
    b.goto("/login");
    log_in(&b, "holly", PASSWORD);
    b.wait_page("files");
    b.wait_count(FILE_ROWS, 1);

    // Drop: the same DataTransfer a file manager hands the page, dispatched on the body.
    b.fill("[data-upload-comment]", "dropped in");
    b.js(
        "const dt = new DataTransfer(); \
         dt.items.add(new File(['dropped bytes'], 'dropped.txt', { type: 'text/plain' })); \
         for (const type of ['dragenter', 'dragover', 'drop']) \
           document.body.dispatchEvent(new DragEvent(type, \
             { dataTransfer: dt, bubbles: true, cancelable: true }));",
        vec![],
    );
    b.wait_count(FILE_ROWS, 2);
    let mut files = HashMap::new();
    b.wait_until("the dropped file is stored", |_| {
        files = files_by_name(&api, None);
        files.contains_key("dropped.txt")
    });
    let dropped = &files["dropped.txt"];
    assert_eq!(dropped["comment"], "dropped in");
    let dropped_id = id(dropped);
    let content = api.get(&format!("/api/files/{dropped_id}/content")).go();
    assert_eq!(content.expect(200).body, b"dropped bytes");

    // Share, then copy the link: it lands on the clipboard, and a toast says so.
    let row = file_row(&dropped_id);
    share_from_row(&b, &row);
    let link = format!("{row} a[data-share-url]");
    let share_url = b.prop(&link, "href").expect("href");
    b.grant("clipboard-read");
    mark_toasts_seen(&b);
    b.click(&format!("{row} [data-action=\"copy-link\"]"));
    wait_new_toast(&b);
    let copied = b.js_async(
        "const done = arguments[arguments.length - 1]; \
         navigator.clipboard.readText().then(done, (e) => done('unreadable: ' + e));",
        vec![],
    );
    assert_eq!(
        copied.as_str(),
        Some(share_url.as_str()),
        "the clipboard holds the public link"
    );

    // Revoke (in the share dialog, after a question): the link leaves the row and stops
    // working for everyone.
    server.anon().get(&share_url).go().expect(200);
    b.click(&format!("{row} [data-action=\"share\"]"));
    b.click(&format!("{SHARE_OPEN} [data-action=\"revoke\"]"));
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.wait_gone(SHARE_OPEN);
    b.wait_gone(&link);
    assert!(b.exists(&format!("{row} [data-action=\"share\"]")));
    server
        .anon()
        .get(&share_url)
        .go()
        .expect_error(404, "not_found");
    let file = api
        .get(&format!("/api/files/{dropped_id}"))
        .go()
        .expect(200);
    assert!(file.json()["file"]["share_url"].is_null());

    // Delete: cancel keeps the file, confirm removes it everywhere.
    let blob = blob_of(&server, &api, &id(&holly), &dropped_id);
    assert!(blob.exists());
    b.click(&format!("{row} [data-action=\"delete\"]"));
    let question = b.text(CONFIRM_OPEN);
    assert!(
        question.contains("dropped.txt"),
        "names the file: {question:?}"
    );
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"cancel\"]"));
    b.wait_gone(CONFIRM_OPEN);
    assert!(b.exists(&row));
    api.get(&format!("/api/files/{dropped_id}"))
        .go()
        .expect(200);

    b.click(&format!("{row} [data-action=\"delete\"]"));
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.wait_gone(&row);
    api.get(&format!("/api/files/{dropped_id}"))
        .go()
        .expect_error(404, "not_found");
    assert_bytes_deleted(&api, None, &dropped_id, &blob);
    assert_eq!(b.count(FILE_ROWS), 1);
    assert!(b.exists(&file_row(&id(&kept))));

    // A folder dropped with a file beside it: the tree is walked (webkitGetAsEntry) and
    // rebuilt on the server, an empty folder included. A test cannot hand the page a real
    // directory, so the entries the browser would give are stood in for, one batch of
    // readEntries at a time as Chromium hands them out.
    b.js(
        "const file = (name, text) => ({ isFile: true, isDirectory: false, name, \
           file: (ok) => ok(new File([text], name, { type: 'text/plain' })) }); \
         const dir = (name, children) => ({ isFile: false, isDirectory: true, name, \
           createReader() { let next = 0; \
             return { readEntries: (ok) => ok(next < children.length ? [children[next++]] : []) }; } }); \
         const tree = dir('Scans', [file('page 1.txt', 'first page'), \
           dir('Old', [file('page 0.txt', 'older page')]), dir('Empty', [])]); \
         const real = DataTransferItem.prototype.webkitGetAsEntry; \
         DataTransferItem.prototype.webkitGetAsEntry = function () { \
           return this.getAsFile()?.name === 'Scans' ? tree : real.call(this); }; \
         const dt = new DataTransfer(); \
         dt.items.add(new File([''], 'Scans')); \
         dt.items.add(new File(['beside it'], 'beside.txt', { type: 'text/plain' })); \
         for (const type of ['dragenter', 'dragover', 'drop']) \
           document.body.dispatchEvent(new DragEvent(type, \
             { dataTransfer: dt, bubbles: true, cancelable: true }));",
        vec![],
    );
    let mut root = (HashMap::new(), HashMap::new());
    b.wait_until("the dropped folder and file are stored", |_| {
        root = folder_contents(&api, None, None);
        root.0.contains_key("Scans") && root.1.contains_key("beside.txt")
    });
    assert!(
        !root.1.contains_key("Scans"),
        "the folder is not uploaded as a file"
    );
    let scans = id(&root.0["Scans"]);
    let mut inside = (HashMap::new(), HashMap::new());
    b.wait_until("the folder's tree is stored", |_| {
        inside = folder_contents(&api, Some(&scans), None);
        inside.1.contains_key("page 1.txt")
            && inside.0.contains_key("Old")
            && inside.0.contains_key("Empty")
    });
    // The files go up a few at a time: the subfolder's may still be on its way.
    let mut old = HashMap::new();
    b.wait_until("the subfolder's file is stored", |_| {
        old = folder_contents(&api, Some(&id(&inside.0["Old"])), None).1;
        old.contains_key("page 0.txt")
    });
    let old_page = &old["page 0.txt"];
    let bytes = api
        .get(&format!("/api/files/{}/content", id(old_page)))
        .go();
    assert_eq!(bytes.expect(200).body, b"older page");
    b.find(&folder_row(&scans));
    b.assert_clean_console();
}

#[test]
fn losing_the_admin_flag_closes_the_admin_pages_when_the_tab_regains_focus() {
    let server = Server::start();
    let Some(b) = Browser::launch(&server.base) else {
        return;
    };
    let root_api = admin_named(&server, "root");
    admin_named(&server, "bobby");
    let bob_id = id(&users_by_name(&root_api)["bobby"]);

    b.goto("/admin");
    log_in(&b, "bobby", PASSWORD);
    b.wait_page("admin");
    assert!(b.exists("[data-nav=\"admin\"]"));

    root_api
        .patch(&format!("/api/admin/users/{bob_id}"))
        .json(&json!({"is_admin": false}))
        .go()
        .expect(200);
    // The app re-reads /api/me when the tab comes back (at most every few seconds) and
    // every minute; a focus event stands in for the user switching back to the tab.
    b.wait_until("the admin page closes", |b| {
        b.js("window.dispatchEvent(new Event('focus'));", vec![]);
        b.path() == "/files"
    });
    b.wait_page("files");
    b.wait_gone("[data-nav=\"admin\"]");
    b.goto("/admin");
    b.wait_page("files");
    b.assert_clean_console();
}

#[test]
fn the_files_page_works_with_the_keyboard_alone() {
    let server = Server::start();
    let Some(b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "draft.txt", b"first words");
    let keep = upload_put(&alice, "keep.txt", b"stay");

    b.goto("/login");
    b.wait_page("login");
    b.tab_to(&field("login", "username"));
    b.press("alice");
    b.press(TAB);
    b.press(PASSWORD);
    b.press(ENTER);
    b.wait_page("files");
    b.wait_count(FILE_ROWS, 2);

    // Rename: Tab to the button, Enter opens the field, Enter saves.
    b.tab_to(&format!(
        "{} [data-action=\"rename\"]",
        file_row(&id(&file))
    ));
    b.press(ENTER);
    b.wait_until("the name field has the focus", |b| {
        b.js(
            "return document.activeElement?.getAttribute('name') === 'name';",
            vec![],
        ) == Value::Bool(true)
    });
    b.press(&"\u{E003}".repeat(20)); // Backspace
    b.press("final.txt");
    b.press(ENTER);
    b.wait_until("the API has the new name", |_| {
        files_by_name(&alice, None).contains_key("final.txt")
    });

    // Delete: Tab to the button, Enter asks, Tab to confirm, Enter deletes.
    b.tab_to(&format!(
        "{} [data-action=\"delete\"]",
        file_row(&id(&file))
    ));
    b.press(ENTER);
    b.wait_until("the confirm dialog opens", |b| b.exists(CONFIRM_OPEN));
    b.tab_to(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.press(ENTER);
    b.wait_gone(&file_row(&id(&file)));
    let left = files_by_name(&alice, None);
    assert!(!left.contains_key("final.txt"), "{left:?}");
    assert!(left.contains_key("keep.txt"));
    assert!(b.exists(&file_row(&id(&keep))));

    // New folder: Enter on the button, type the name, Enter creates it.
    b.tab_to("button[data-action=\"new-folder\"]");
    b.press(ENTER);
    b.wait_until("the folder name field has the focus", |b| {
        b.js(
            "return !!document.activeElement?.closest('dialog[data-dialog=\"new-folder\"]');",
            vec![],
        ) == Value::Bool(true)
    });
    b.press("Letters");
    b.press(ENTER);
    b.wait_gone(NEW_FOLDER_OPEN);
    let mut folders = HashMap::new();
    b.wait_until("the API has the folder", |_| {
        folders = folder_contents(&alice, None, None).0;
        folders.contains_key("Letters")
    });
    let letters = id(&folders["Letters"]);
    b.find(&folder_row(&letters));

    // Move, the keyboard's drag and drop: the dialog, Enter into the folder, "Move here".
    let keep_row = file_row(&id(&keep));
    b.tab_to(&format!("{keep_row} [data-action=\"move\"]"));
    b.press(ENTER);
    b.find(MOVE_OPEN);
    b.tab_to(&format!("{MOVE_OPEN} [data-move-folder=\"{letters}\"]"));
    b.press(ENTER);
    b.wait_until("the dialog shows the folder", |b| {
        b.exists(&format!(
            "{MOVE_OPEN} [data-move-crumb=\"{letters}\"][aria-current]"
        ))
    });
    b.tab_to(&format!("{MOVE_OPEN} [data-action=\"move-here\"]"));
    b.press(ENTER);
    b.wait_gone(MOVE_OPEN);
    b.wait_gone(&keep_row);
    assert_eq!(folder_of(&alice, &id(&keep)), Some(letters.clone()));

    // Into the folder with Enter on its name, and back up with the root's breadcrumb.
    b.tab_to(&format!("{} a[data-action=\"open\"]", folder_row(&letters)));
    b.press(ENTER);
    wait_folder(&b, Some(&letters));
    b.find(&keep_row);
    b.tab_to(&crumb(None));
    b.press(ENTER);
    wait_folder(&b, None);

    // Delete the folder: Enter asks, the confirm button deletes it and what it holds.
    b.tab_to(&format!(
        "{} [data-action=\"delete\"]",
        folder_row(&letters)
    ));
    b.press(ENTER);
    b.wait_until("the confirm dialog opens", |b| b.exists(CONFIRM_OPEN));
    assert!(b.text(CONFIRM_OPEN).contains("Letters"), "names the folder");
    b.tab_to(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.press(ENTER);
    b.wait_gone(&folder_row(&letters));
    alice
        .get(&format!("/api/folders/{letters}"))
        .go()
        .expect_error(404, "not_found");

    // The trash: the navigation's link, "Restore" on the folder, and "Delete forever" on
    // the file (the question answered with Tab and Enter).
    b.tab_to("[data-nav=\"trash\"]");
    b.press(ENTER);
    b.wait_page("trash");
    let letters_trashed = trash_row(&letters);
    b.tab_to(&format!("{letters_trashed} [data-action=\"restore\"]"));
    b.press(ENTER);
    b.wait_gone(&letters_trashed);
    alice
        .get(&format!("/api/folders/{letters}"))
        .go()
        .expect(200);
    let draft_trashed = trash_row(&id(&file));
    b.tab_to(&format!("{draft_trashed} [data-action=\"purge\"]"));
    b.press(ENTER);
    b.wait_until("the confirm dialog opens", |b| b.exists(CONFIRM_OPEN));
    b.tab_to(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.press(ENTER);
    b.wait_gone(&draft_trashed);
    assert!(trash_items(&alice, None).is_empty(), "purged");
    b.find("[data-empty]");
    b.assert_clean_console();
}

/// The folder view end to end: a folder made through the dialog (a taken name refused
/// next to the field), a file dragged onto the folder's row, the folder opened (its URL,
/// its breadcrumbs), a file uploaded into it, a file dragged onto the root's breadcrumb,
/// a reload that stays in the folder, the breadcrumb back to the root, and the browser's
/// back and forward buttons — each step checked in the page and through the API.
#[test]
fn folders_are_made_entered_filled_and_left_with_drags_breadcrumbs_and_history() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "ivana");
    let loose = upload_put(&api, "loose.txt", b"to be moved");
    let loose_id = id(&loose);
    let uploads = UploadDir::new();
    let report = uploads.file("report.txt", b"quarterly numbers");

    b.goto("/login");
    log_in(&b, "ivana", PASSWORD);
    b.wait_page("files");
    wait_folder(&b, None);
    b.wait_count(FILE_ROWS, 1);
    assert_eq!(crumb_names(&b), ["My files"]);

    // A new folder through the dialog.
    b.click("[data-action=\"new-folder\"]");
    b.find(NEW_FOLDER_OPEN);
    assert_labelled_inputs(&b, "new-folder", &["name"]);
    b.fill(&field("new-folder", "name"), "Projects");
    submit(&b, "new-folder");
    b.wait_gone(NEW_FOLDER_OPEN);
    let (folders, _) = folder_contents(&api, None, None);
    let projects = id(folders.get("Projects").expect("the API has the new folder"));
    assert!(
        folders["Projects"]["parent_id"].is_null(),
        "made at the root"
    );
    b.find(&folder_row(&projects));

    // A name taken by a file (one namespace for both) is refused next to the field.
    b.click("[data-action=\"new-folder\"]");
    b.fill(&field("new-folder", "name"), "loose.txt");
    submit(&b, "new-folder");
    field_error(&b, "name");
    assert!(
        b.exists(NEW_FOLDER_OPEN),
        "the dialog stays open to fix the name"
    );
    b.click(&format!("{NEW_FOLDER_OPEN} [data-action=\"cancel\"]"));
    b.wait_gone(NEW_FOLDER_OPEN);
    assert_eq!(folder_contents(&api, None, None).0.len(), 1);

    // The move dialog offers the folder (the keyboard's way, tested with the keyboard).
    b.click(&format!("{} [data-action=\"move\"]", file_row(&loose_id)));
    b.find(&format!("{MOVE_OPEN} [data-move-folder=\"{projects}\"]"));
    screenshots_and_phone_fit(&mut b, "move");
    b.click(&format!("{MOVE_OPEN} [data-action=\"cancel\"]"));
    b.wait_gone(MOVE_OPEN);

    // Drag the file onto the folder's row: it moves there.
    drag_and_drop(&b, &file_row(&loose_id), &folder_row(&projects));
    b.wait_gone(&file_row(&loose_id));
    b.wait_until("the API has the file in the folder", |_| {
        folder_of(&api, &loose_id).as_deref() == Some(projects.as_str())
    });

    // Open the folder by its name: its own URL, breadcrumbs, and the moved file.
    b.click(&format!("{} [data-action=\"open\"]", folder_row(&projects)));
    wait_folder(&b, Some(&projects));
    assert_eq!(b.path(), format!("/files/{projects}"));
    assert_eq!(crumb_names(&b), ["My files", "Projects"]);
    b.wait_count(FILE_ROWS, 1);
    b.find(&file_row(&loose_id));

    // Upload into the open folder.
    b.type_keys("[data-upload-input]", report.to_str().unwrap());
    b.wait_count(FILE_ROWS, 2);
    let (_, files) = folder_contents(&api, Some(&projects), None);
    let report_id = id(files.get("report.txt").expect("uploaded into the folder"));
    assert_eq!(files["report.txt"]["folder_id"], json!(projects));
    // A file dropped on the page goes into the open folder too.
    b.js(
        "const dt = new DataTransfer(); \
         dt.items.add(new File(['minutes'], 'minutes.txt', { type: 'text/plain' })); \
         for (const type of ['dragenter', 'dragover', 'drop']) \
           document.body.dispatchEvent(new DragEvent(type, \
             { dataTransfer: dt, bubbles: true, cancelable: true }));",
        vec![],
    );
    b.wait_count(FILE_ROWS, 3);
    let (_, files) = folder_contents(&api, Some(&projects), None);
    let minutes = files.get("minutes.txt").expect("dropped into the folder");
    b.find(&file_row(&id(minutes)));
    b.wait_gone("[data-upload-item]"); // the tray clears itself: a picture of the folder alone
    screenshots_and_phone_fit(&mut b, "folder");
    assert!(
        !files_by_name(&api, None).is_empty(),
        "the flat list still works"
    );

    // Drag a file onto the root's breadcrumb: it goes back to the root.
    drag_and_drop(&b, &file_row(&report_id), &crumb(None));
    b.wait_gone(&file_row(&report_id));
    b.wait_until("the API has the file at the root", |_| {
        folder_of(&api, &report_id).is_none()
    });

    // A reload stays in the folder.
    b.refresh();
    b.wait_page("files");
    wait_folder(&b, Some(&projects));
    assert_eq!(b.path(), format!("/files/{projects}"));
    b.wait_count(FILE_ROWS, 2);

    // The root's breadcrumb goes back up.
    b.click(&crumb(None));
    wait_folder(&b, None);
    assert_eq!(b.path(), "/files");
    b.find(&file_row(&report_id));
    b.find(&folder_row(&projects));

    // Back and forward walk the folders visited.
    b.back();
    wait_folder(&b, Some(&projects));
    assert_eq!(b.path(), format!("/files/{projects}"));
    b.find(&file_row(&loose_id));
    b.forward();
    wait_folder(&b, None);
    assert_eq!(b.path(), "/files");
    b.find(&file_row(&report_id));

    // A folder renames in place, as a file does.
    let projects_row = folder_row(&projects);
    b.click(&format!("{projects_row} [data-action=\"rename\"]"));
    let name_input = format!("{projects_row} input[name=\"name\"]");
    b.fill(&name_input, "Old projects");
    b.type_keys(&name_input, ENTER);
    b.wait_gone(&name_input);
    b.wait_until("the row shows the new name", |b| {
        b.text_now(&format!("{projects_row} [data-col=\"name\"]"))
            .is_some_and(|t| t.contains("Old projects"))
    });
    let renamed = api
        .get(&format!("/api/folders/{projects}"))
        .go()
        .expect(200)
        .json();
    assert_eq!(renamed["folder"]["name"], "Old projects");
    b.assert_clean_console();
}

/// Search, zip and folder uploads: a search finds a file two folders down and opening
/// the hit opens its folder with the file focused; a folder hit opens the folder; the
/// zip button hands the browser a signed URL that downloads the subtree as a zip without
/// any header; a whole folder uploads through the folder picker with its structure; and
/// a name already taken offers "keep both", which stores a second copy beside it.
#[test]
fn search_opens_hits_zip_downloads_and_a_whole_folder_uploads() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "jonas");
    let trips = create_folder(&api, "Trips", None);
    let year = create_folder(&api, "2024", Some(&trips));
    let plan = upload_into(&api, &year, "itinerary.txt", b"day 1: arrive");
    let plan_id = id(&plan);
    upload_put(&api, "notes.txt", b"at the root");

    b.goto("/login");
    log_in(&b, "jonas", PASSWORD);
    b.wait_page("files");
    wait_folder(&b, None);

    // A file hit shows where it lives; opening it opens that folder, the file focused.
    b.fill("form[data-form=\"search\"] input[name=\"q\"]", "ITINER");
    let hit = format!("[data-search-results] [data-search-hit][data-file-id=\"{plan_id}\"]");
    b.find(&hit);
    let path = b.text(&format!("{hit} [data-hit-path]"));
    assert_eq!(path, "My files › Trips › 2024", "the hit shows its path");
    screenshots_and_phone_fit(&mut b, "search");
    b.click(&format!("{hit} [data-action=\"open\"]"));
    wait_folder(&b, Some(&year));
    assert_eq!(b.path(), format!("/files/{year}"));
    b.wait_until("the file found has the focus", |b| {
        b.js(
            "return document.activeElement?.closest('tr')?.dataset.fileId ?? null;",
            vec![],
        ) == json!(plan_id)
    });
    assert!(
        b.exists("[data-search-results][hidden]"),
        "the results make way for the folder"
    );
    assert_eq!(crumb_names(&b), ["My files", "Trips", "2024"]);

    // A folder hit opens the folder itself.
    b.fill("form[data-form=\"search\"] input[name=\"q\"]", "trips");
    let folder_hit =
        format!("[data-search-hit][data-folder-id=\"{trips}\"] [data-action=\"open\"]");
    b.click(&folder_hit);
    wait_folder(&b, Some(&trips));
    assert_eq!(b.path(), format!("/files/{trips}"));
    b.find(&folder_row(&year));

    // The zip: a signed URL, fetched here without a token, holding the subtree.
    record_followed_links(&b);
    b.click("[data-action=\"download-zip\"]");
    let (url, download) = followed_link(&b);
    assert!(download, "the zip link is an <a download>");
    let zip = server.anon().get(&url).go().expect(200);
    assert_eq!(
        zip.header("content-type").as_deref(),
        Some("application/zip"),
        "{url}"
    );
    let names = zip_names(&zip.body);
    assert!(
        names.iter().any(|n| n.ends_with("2024/itinerary.txt")),
        "the zip holds the file with its folder: {names:?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("notes.txt")),
        "only this folder's subtree: {names:?}"
    );
    // A folder row's own download button zips that folder.
    b.click(&format!("{} [data-action=\"download\"]", folder_row(&year)));
    let (url, _) = followed_link(&b);
    let names = zip_names(&server.anon().get(&url).go().expect(200).body);
    assert!(
        names.iter().any(|n| n.ends_with("itinerary.txt")),
        "{names:?}"
    );

    // A whole folder through the folder picker, its structure kept.
    let uploads = UploadDir::new();
    let camera = uploads.dir.path().join("Camera");
    std::fs::create_dir_all(camera.join("raw")).unwrap();
    std::fs::write(camera.join("beach.txt"), b"sand").unwrap();
    std::fs::write(camera.join("raw").join("beach-raw.txt"), b"more sand").unwrap();
    b.type_keys("[data-upload-folder-input]", camera.to_str().unwrap());
    let mut made = HashMap::new();
    b.wait_until("the API has the uploaded folder", |_| {
        made = folder_contents(&api, Some(&trips), None).0;
        made.contains_key("Camera")
    });
    let camera_id = id(&made["Camera"]);
    let mut inside = (HashMap::new(), HashMap::new());
    b.wait_until("the folder's file and subfolder are stored", |_| {
        inside = folder_contents(&api, Some(&camera_id), None);
        inside.0.contains_key("raw") && inside.1.contains_key("beach.txt")
    });
    let raw_id = id(&inside.0["raw"]);
    b.wait_until("the subfolder's file is stored", |_| {
        folder_contents(&api, Some(&raw_id), None)
            .1
            .contains_key("beach-raw.txt")
    });
    b.find(&folder_row(&camera_id));

    // A name taken in the folder: the upload asks, and "keep both" stores a second copy.
    b.click(&format!("{} [data-action=\"open\"]", folder_row(&year)));
    wait_folder(&b, Some(&year));
    b.wait_gone("[data-upload-item]"); // the folder's uploads have cleared from the tray
    let again = uploads.file("itinerary.txt", b"day 1: arrive, revised");
    b.type_keys("[data-upload-input]", again.to_str().unwrap());
    let keep_both = "[data-upload-item] [data-action=\"keep-both\"]";
    b.click(keep_both);
    let mut files = HashMap::new();
    b.wait_until("a second copy is stored beside the first", |_| {
        files = folder_contents(&api, Some(&year), None).1;
        files.len() == 2
    });
    let copy = files
        .iter()
        .find(|(name, _)| name.as_str() != "itinerary.txt")
        .map(|(_, file)| file.clone())
        .expect("a renamed copy");
    assert!(
        copy["name"].as_str().unwrap().starts_with("itinerary ("),
        "{copy}"
    );
    b.wait_count(FILE_ROWS, 2);
    let original = api.get(&format!("/api/files/{plan_id}/content")).go();
    assert_eq!(
        original.expect(200).body,
        b"day 1: arrive",
        "the first is untouched"
    );

    // Once more, and "replace": the file keeps its id and row, with the new bytes.
    b.wait_gone("[data-upload-item]");
    let newer = uploads.file("itinerary.txt", b"day 1: arrive late");
    b.type_keys("[data-upload-input]", newer.to_str().unwrap());
    b.click("[data-upload-item] [data-action=\"replace\"]");
    b.wait_until("the file has the new bytes", |_| {
        let content = api.get(&format!("/api/files/{plan_id}/content")).go();
        content.status == 200 && content.body == b"day 1: arrive late"
    });
    assert_eq!(folder_contents(&api, Some(&year), None).1.len(), 2);
    b.wait_count(FILE_ROWS, 2);
    b.assert_clean_console();
}

/// A folder of hundreds of entries: the first page shows 200, and scrolling to the end
/// appends the next pages (folders before files) until every entry has come once, without
/// redrawing the rows already shown; rows far off screen are let go and drawn again when
/// the user scrolls back. A sort header starts the listing again in that order.
#[test]
fn a_big_folder_loads_page_by_page_as_the_user_scrolls() {
    let server = Server::start();
    let Some(b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "kasia");
    let (folders, files) = (380, 40);
    for i in 0..folders {
        create_folder(&api, &format!("folder {i:03}"), None);
    }
    for i in 0..files {
        upload_put(&api, &format!("file {i:03}.txt"), b"x");
    }

    b.goto("/login");
    log_in(&b, "kasia", PASSWORD);
    b.wait_page("files");
    wait_folder(&b, None);
    b.wait_count(ENTRY_ROWS, 200);
    // Every row the page draws from now on, in the order drawn.
    b.js(
        "window.testDrawn = []; \
         new MutationObserver((records) => { \
           for (const record of records) for (const node of record.addedNodes) { \
             const rows = node.matches?.('tr') ? [node] : [...(node.querySelectorAll?.('tr') ?? [])]; \
             for (const tr of rows) if (tr.dataset.folderId || tr.dataset.fileId) window.testDrawn.push( \
               [tr.dataset.folderId ? 'folder' : 'file', tr.querySelector('[data-col=\"name\"]').textContent.trim()]); \
           } \
         }).observe(document.querySelector('table[data-table=\"files\"]'), { childList: true, subtree: true });",
        vec![],
    );
    let first_rows = b.js(
        "return [...document.querySelectorAll(arguments[0])].map((tr) => \
           [tr.dataset.folderId ? 'folder' : 'file', tr.querySelector('[data-col=\"name\"]').textContent.trim()]);",
        vec![json!(ENTRY_ROWS)],
    );
    let mut rows: Vec<(String, String)> = serde_json::from_value(first_rows).expect("rows");

    let total = folders + files;
    b.wait_until("scrolling to the end loads every page", |b| {
        b.js("window.scrollTo(0, document.body.scrollHeight);", vec![]);
        b.exists("[data-list-end][hidden]")
    });
    let drawn = b.js("return window.testDrawn;", vec![]);
    let drawn: Vec<(String, String)> = serde_json::from_value(drawn).expect("rows");
    // Each page adds its own rows and redraws none of those before it.
    assert_eq!(drawn.len(), total - 200, "rows drawn while scrolling down");
    rows.extend(drawn);
    let names: Vec<&str> = rows.iter().map(|(_, name)| name.as_str()).collect();
    let unique: std::collections::HashSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), total, "each entry once");
    let first_file = rows.iter().position(|(kind, _)| kind == "file").unwrap();
    assert_eq!(first_file, folders, "folders come before files");
    assert!(
        names[..folders].is_sorted() && names[folders..].is_sorted(),
        "by name"
    );
    // Far above the screen, the first page has given its rows up: what the page holds
    // stays the same however long the folder is.
    assert!(
        b.count(ENTRY_ROWS) < total,
        "the rows far off screen are let go"
    );
    b.js("window.scrollTo(0, 0);", vec![]);
    b.wait_until("the first page is drawn again at the top", |b| {
        b.text_now(&format!("{ENTRY_ROWS} [data-col=\"name\"]"))
            .as_deref()
            == Some("folder 000")
    });

    // Name, descending: the listing starts again from the other end.
    b.click("button[data-sort=\"name\"]");
    b.wait_until("the first row is the last folder", |b| {
        b.text_now(&format!("{ENTRY_ROWS} [data-col=\"name\"]"))
            .as_deref()
            == Some(format!("folder {:03}", folders - 1).as_str())
    });
    b.wait_count(ENTRY_ROWS, 200);
    b.assert_clean_console();
}

/// The trash (DESIGN §11) end to end: a file and a folder deleted from the folder view
/// ask "move to the trash?" and show up on the Trash page with where they were; "Undo"
/// in the toast brings a deleted file straight back; "Restore" puts the file back in its
/// folder (and the toast's link opens it); "Delete forever" purges the folder; "Show
/// more" brings the next page of a long trash; "Empty trash" purges the rest — each step
/// checked in the page and through the API.
#[test]
fn deleted_entries_wait_in_the_trash_to_be_restored_or_purged() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "tessa");
    let docs = create_folder(&api, "Docs", None);
    let report = upload_into(&api, &docs, "report.txt", b"the numbers");
    let report_id = id(&report);
    let old = create_folder(&api, "Old", None);
    upload_into(&api, &old, "draft.txt", b"an old draft");
    let notes = upload_put(&api, "notes.txt", b"keep these");
    let notes_id = id(&notes);

    b.goto("/login");
    log_in(&b, "tessa", PASSWORD);
    b.wait_page("files");
    wait_folder(&b, None);

    // A file deleted inside a folder: the question says where it goes.
    b.click(&format!("{} [data-action=\"open\"]", folder_row(&docs)));
    wait_folder(&b, Some(&docs));
    b.click(&format!(
        "{} [data-action=\"delete\"]",
        file_row(&report_id)
    ));
    let question = b.text(CONFIRM_OPEN).to_lowercase();
    assert!(
        question.contains("report.txt") && question.contains("trash"),
        "the question names the file and the trash: {question:?}"
    );
    assert!(
        !question.contains("cannot be undone"),
        "no longer for good: {question:?}"
    );
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.wait_gone(&file_row(&report_id));
    api.get(&format!("/api/files/{report_id}"))
        .go()
        .expect_error(404, "not_found");

    // A folder from the root.
    b.click(&crumb(None));
    wait_folder(&b, None);
    b.click(&format!("{} [data-action=\"delete\"]", folder_row(&old)));
    assert!(b.text(CONFIRM_OPEN).contains("Old"), "names the folder");
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.wait_gone(&folder_row(&old));

    // Undo: the file comes straight back, in its row and through the API.
    b.click(&format!("{} [data-action=\"delete\"]", file_row(&notes_id)));
    mark_toasts_seen(&b);
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.wait_gone(&file_row(&notes_id));
    click_toast_action(&b, "undo");
    b.find(&file_row(&notes_id));
    let back = api.get(&format!("/api/files/{notes_id}")).go().expect(200);
    assert!(
        back.json()["file"]["folder_id"].is_null(),
        "back at the root"
    );

    // The Trash page: both items, each with where it was.
    let items = trash_items(&api, None);
    assert_eq!(items.len(), 2, "{items:?}");
    b.click("[data-nav=\"trash\"]");
    b.wait_page("trash");
    assert_eq!(b.path(), "/trash");
    b.wait_count(TRASH_ROWS, 2);
    let report_row = trash_row(&report_id);
    let old_row = trash_row(&old);
    assert_eq!(
        attr_now(&b, &report_row, "data-kind").as_deref(),
        Some("file")
    );
    assert_eq!(
        attr_now(&b, &old_row, "data-kind").as_deref(),
        Some("folder")
    );
    let from = format!("{report_row} [data-col=\"original_path\"]");
    assert_eq!(
        attr_now(&b, &from, "data-original-path").as_deref(),
        Some("/Docs/report.txt")
    );
    assert_eq!(b.text(&from), "My files › Docs", "the folder it was in");
    assert_eq!(
        attr_now(
            &b,
            &format!("{old_row} [data-col=\"original_path\"]"),
            "data-original-path"
        )
        .as_deref(),
        Some("/Old")
    );
    for col in ["name", "size", "trashed", "purge"] {
        assert!(
            b.exists(&format!("{report_row} [data-col=\"{col}\"]")),
            "no [data-col={col}]"
        );
    }
    assert!(
        b.text(&format!("{report_row} [data-col=\"name\"]"))
            .contains("report.txt")
    );
    assert!(
        b.exists("[data-list-end][hidden]"),
        "one page: no Show more"
    );
    screenshots_and_phone_fit(&mut b, "trash");

    // Restore: back in its folder; the toast's link opens that folder.
    mark_toasts_seen(&b);
    b.click(&format!("{report_row} [data-action=\"restore\"]"));
    b.wait_gone(&report_row);
    assert_eq!(folder_of(&api, &report_id).as_deref(), Some(docs.as_str()));
    let message = wait_new_toast(&b);
    assert!(message.contains("Docs"), "says where it went: {message:?}");
    click_toast_action(&b, "open-folder");
    wait_folder(&b, Some(&docs));
    assert_eq!(b.path(), format!("/files/{docs}"));
    b.find(&file_row(&report_id));

    // Delete forever: a cancel keeps it, a confirm purges it.
    b.click("[data-nav=\"trash\"]");
    b.wait_page("trash");
    b.wait_count(TRASH_ROWS, 1);
    b.click(&format!("{old_row} [data-action=\"purge\"]"));
    assert!(b.text(CONFIRM_OPEN).contains("Old"), "names the folder");
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"cancel\"]"));
    b.wait_gone(CONFIRM_OPEN);
    assert_eq!(trash_items(&api, None).len(), 1, "a cancel purges nothing");
    b.click(&format!("{old_row} [data-action=\"purge\"]"));
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.wait_gone(&old_row);
    assert!(trash_items(&api, None).is_empty(), "purged");
    api.get(&format!("/api/folders/{old}"))
        .go()
        .expect_error(404, "not_found");
    b.find("[data-empty]");
    assert_eq!(
        b.prop("[data-action=\"empty-trash\"]", "disabled")
            .as_deref(),
        Some("true"),
        "nothing to empty"
    );

    // A long trash comes a page at a time; "Empty trash" purges all of it.
    let many = 57;
    for i in 0..many {
        let file = upload_put(&api, &format!("old {i:02}.txt"), b"x");
        api.delete(&format!("/api/files/{}", id(&file)))
            .go()
            .expect(204);
    }
    b.refresh();
    b.wait_page("trash");
    let first_page = b.count(TRASH_ROWS);
    assert!(first_page < many, "the first page holds {first_page}");
    b.click("[data-list-end] [data-action=\"load-more\"]");
    b.wait_count(TRASH_ROWS, many);
    b.wait_until("the last page is in", |b| {
        b.exists("[data-list-end][hidden]")
    });
    // (Back at the top: the button sits under the sticky header, where a click would land
    // on the header instead.)
    b.js("window.scrollTo(0, 0);", vec![]);
    b.click("[data-action=\"empty-trash\"]");
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.find("[data-empty]");
    assert_eq!(b.count(TRASH_ROWS), 0);
    assert!(trash_items(&api, None).is_empty(), "the trash is empty");
    assert_eq!(storage_of(&api)["trash_size"], json!(0));
    b.assert_clean_console();
}

/// With `--trash-retention 0` there is no trash: deleting is for good, and the Undo the
/// page offers (it cannot know) says the file cannot be brought back.
#[test]
fn undo_says_so_when_the_server_keeps_no_trash() {
    let server = Server::start_with(&["--trash-retention", "0"]);
    let Some(b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "ursula");
    let gone = upload_put(&api, "gone.txt", b"for good");
    let gone_id = id(&gone);

    b.goto("/login");
    log_in(&b, "ursula", PASSWORD);
    b.wait_page("files");
    b.click(&format!("{} [data-action=\"delete\"]", file_row(&gone_id)));
    mark_toasts_seen(&b);
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.wait_gone(&file_row(&gone_id));
    click_toast_action(&b, "undo");
    let message = wait_new_toast(&b);
    assert!(
        message.contains("gone.txt") && message.contains("not in the trash"),
        "{message:?}"
    );
    api.get(&format!("/api/files/{gone_id}"))
        .go()
        .expect_error(404, "not_found");
    assert!(!b.exists(&file_row(&gone_id)), "no row comes back");
    b.click("[data-nav=\"trash\"]");
    b.wait_page("trash");
    b.find("[data-empty]");
    b.assert_clean_console();
}

/// Quotas (DESIGN §11): the admin edits a user's quota in human units on the Users page
/// (a value that is no size is refused by the field as it is typed, "5 MB" is stored as
/// 5,000,000 bytes); the user sees a bar against it that follows an upload, a delete (the
/// trash still counts) and an emptied trash; an upload past the quota is refused in the
/// upload tray with the reason.
#[test]
fn quotas_are_edited_by_the_admin_and_shown_to_the_user_against_uploads() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let root = admin_named(&server, "root");
    let (quinn, quinn_api) = user(&server, "quinn");
    let quinn_id = id(&quinn);
    let (rhea, rhea_api) = user(&server, "rhea");
    upload_put(&rhea_api, "almost full.bin", &vec![7u8; 950_000]);
    root.patch(&format!("/api/admin/users/{}", id(&rhea)))
        .json(&json!({"quota_bytes": 1_000_000}))
        .go()
        .expect(200);

    b.goto("/login");
    log_in(&b, "root", PASSWORD);
    b.wait_page("files");
    b.click("[data-nav=\"admin\"]");
    b.wait_page("admin");
    let quinn_row = user_row(&quinn_id);
    let quota_cell = format!("{quinn_row} [data-col=\"quota\"]");
    assert!(b.text(&quota_cell).contains("No limit"), "no quota yet");

    // A value that is no size is refused by the field, as it is typed and on Enter.
    b.click(&format!("{quota_cell} [data-action=\"edit-quota\"]"));
    let input = format!("{quota_cell} input[name=\"quota_bytes\"]");
    b.fill(&input, "lots");
    let why = field_error(&b, "quota_bytes");
    assert!(
        why.contains("5 GB"),
        "the rule shows how a size looks: {why:?}"
    );
    screenshots_and_phone_fit(&mut b, "quota-edit");
    b.type_keys(&input, ENTER);
    assert!(b.exists(&input), "the field stays open to fix the value");
    assert_eq!(
        attr_now(&b, &input, "aria-invalid").as_deref(),
        Some("true")
    );
    assert!(users_by_name(&root)["quinn"]["storage"]["quota_bytes"].is_null());

    // "5 MB": decimal, as the app shows sizes.
    b.fill(&input, "5 MB");
    b.wait_until("the rule is met", |b| {
        b.text_now(&format!("{quota_cell} [data-error-for=\"quota_bytes\"]"))
            .is_some_and(|t| t.is_empty())
    });
    b.type_keys(&input, ENTER);
    b.wait_gone(&input);
    assert_eq!(
        users_by_name(&root)["quinn"]["storage"]["quota_bytes"],
        json!(5_000_000)
    );
    b.wait_until("the row shows the quota", |b| {
        b.text_now(&quota_cell).is_some_and(|t| t.contains("5 MB"))
    });
    // Rhea, at 95 % of hers, has a bar in the warning colour.
    let rhea_usage = format!("{} [data-col=\"size\"]", user_row(&id(&rhea)));
    assert_eq!(
        attr_now(&b, &format!("{rhea_usage} [data-usage-bar]"), "data-level").as_deref(),
        Some("warning")
    );
    screenshots_and_phone_fit(&mut b, "quotas");

    // Quinn's own view: the bar against 5 MB, following an upload.
    b.click("[data-nav=\"logout\"]");
    log_in(&b, "quinn", PASSWORD);
    b.wait_page("files");
    let bar = "main [data-usage] [data-usage-bar]";
    b.wait_until("the bar shows the quota", |b| {
        attr_now(b, bar, "aria-valuemax").as_deref() == Some("5000000")
    });
    assert_eq!(attr_now(&b, bar, "aria-valuenow").as_deref(), Some("0"));
    assert!(
        b.text("main [data-usage-text]").contains("of 5 MB"),
        "the sentence names the quota"
    );
    let uploads = UploadDir::new();
    let photo = uploads.file("photo.jpg", &vec![1u8; 1_200_000]);
    b.type_keys("[data-upload-input]", photo.to_str().unwrap());
    b.wait_until("the bar follows the upload", |b| {
        attr_now(b, bar, "aria-valuenow").as_deref() == Some("1200000")
    });
    b.wait_gone("[data-upload-item]");
    assert_eq!(
        attr_now(&b, "main [data-usage]", "data-level").as_deref(),
        Some("ok")
    );
    screenshots_and_phone_fit(&mut b, "usage");

    // Past the quota: refused, with the reason in the tray, and nothing stored.
    let video = uploads.file("video.mp4", &vec![2u8; 4_000_000]);
    b.type_keys("[data-upload-input]", video.to_str().unwrap());
    let refused = "[data-upload-item][data-upload-error=\"quota_exceeded\"]";
    let message = b.text(refused);
    assert!(
        message.contains("Not enough space") && message.contains("video.mp4"),
        "{message:?}"
    );
    assert!(message.contains("5 MB"), "names the quota: {message:?}");
    assert!(!files_by_name(&quinn_api, None).contains_key("video.mp4"));
    b.click(&format!("{refused} [data-action=\"dismiss-upload\"]"));

    // A delete keeps the bytes in the trash, which still counts; emptying it frees them.
    let photo_id = id(&files_by_name(&quinn_api, None)["photo.jpg"]);
    b.click(&format!("{} [data-action=\"delete\"]", file_row(&photo_id)));
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.wait_until("the sentence counts the trash", |b| {
        b.text_now("main [data-usage-text]")
            .is_some_and(|t| t.contains("in the trash"))
    });
    assert_eq!(
        attr_now(&b, bar, "aria-valuenow").as_deref(),
        Some("1200000")
    );
    b.click("[data-nav=\"trash\"]");
    b.wait_page("trash");
    b.wait_until("the Trash page shows the usage too", |b| {
        attr_now(b, bar, "aria-valuenow").as_deref() == Some("1200000")
    });
    b.click("[data-action=\"empty-trash\"]");
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.wait_until("the bar drops after emptying the trash", |b| {
        attr_now(b, bar, "aria-valuenow").as_deref() == Some("0")
    });
    assert_eq!(storage_of(&quinn_api)["trash_size"], json!(0));
    b.assert_clean_console();
}

/// Everything in the page a visitor can read: its text and every address it links to.
#[track_caller]
fn visible_text_and_links(b: &Browser) -> String {
    b.js(
        "return document.body.innerText + '\\n' + \
           [...document.querySelectorAll('[href], [src]')].map((e) => e.href || e.src).join('\\n');",
        vec![],
    )
    .as_str()
    .expect("text")
    .to_string()
}

/// A shared folder as a visitor without an account sees it: its entries, a subfolder
/// opened (the address, the breadcrumbs, back and forward, a reload), a file there
/// downloaded through its link (the bytes checked over HTTP), the subfolder as a zip, and
/// nothing on the page that names the owner or any id.
#[test]
fn a_visitor_walks_a_shared_folder_and_downloads_a_file_from_a_subfolder() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let (olga, api) = user(&server, "olga");
    let trip = create_folder(&api, "Trip to Lisbon", None);
    let day1 = create_folder(&api, "Day 1", Some(&trip));
    let empty = create_folder(&api, "Empty", Some(&trip));
    upload_into(
        &api,
        &trip,
        "itinerary.txt",
        b"Day 1: Alfama\nDay 2: Belem\n",
    );
    upload_into(&api, &day1, "notes.txt", NOTES.as_bytes());
    let tram = gradient_png(320, 200);
    upload_into(&api, &day1, "tram.png", &tram);
    let shared = api
        .post(&format!("/api/folders/{trip}/share"))
        .json(&json!({"expires_at": "2099-01-01T00:00:00Z"}))
        .go()
        .expect(200)
        .json();
    let url = shared["folder"]["share"]["url"]
        .as_str()
        .expect("share url")
        .to_string();

    // The top of the share: its folders first, then its file.
    b.goto(&url);
    wait_state(&b, "shared", "folder");
    let rows = "table[data-table=\"shared\"] tr[data-entry]";
    b.wait_count(rows, 3);
    let names = b.js(
        "return [...document.querySelectorAll(arguments[0])].map((r) => r.dataset.entry + ':' + r.dataset.name);",
        vec![json!(rows)],
    );
    assert_eq!(
        names,
        json!(["folder:Day 1", "folder:Empty", "file:itinerary.txt"])
    );
    assert_eq!(b.text("main h1"), "Trip to Lisbon");
    assert!(
        !b.exists("[data-nav]"),
        "a visitor gets no navigation of the app"
    );
    assert!(b.exists("main [data-expires]"), "the expiry is shown");

    // Into a subfolder: the address names it, the breadcrumbs lead back to the top only.
    b.click("tr[data-entry=\"folder\"][data-name=\"Day 1\"] a[data-action=\"open\"]");
    b.wait_until("the subfolder is shown", |b| {
        b.exists("main[data-page=\"shared\"][data-state=\"folder\"][data-path=\"Day 1\"]")
    });
    b.wait_count(rows, 2);
    assert!(b.path().starts_with("/s/"), "{}", b.path());
    assert!(
        b.path().contains("path=Day+1") || b.path().contains("path=Day%201"),
        "the address names the subfolder: {}",
        b.path()
    );
    let crumbs = b.js(
        "return [...document.querySelectorAll('nav[data-breadcrumbs] a[data-crumb-path]')] \
           .map((a) => [a.dataset.crumbPath, a.textContent.trim(), a.hasAttribute('aria-current')]);",
        vec![],
    );
    assert_eq!(
        crumbs,
        json!([["", "Trip to Lisbon", false], ["Day 1", "Day 1", true]])
    );

    // The file's link gives its bytes to anyone, as an attachment.
    let notes = "tr[data-entry=\"file\"][data-name=\"notes.txt\"] a[data-action=\"download\"]";
    let href = b.prop(notes, "href").expect("href");
    let got = server.anon().get(&href).go().expect(200);
    assert_eq!(got.body, NOTES.as_bytes(), "the right bytes");
    assert!(
        got.disposition().starts_with("attachment"),
        "{}",
        got.disposition()
    );
    assert!(
        got.disposition().contains("notes.txt"),
        "{}",
        got.disposition()
    );
    let png = "tr[data-entry=\"file\"][data-name=\"tram.png\"] a[data-action=\"download\"]";
    let got = server
        .anon()
        .get(&b.prop(png, "href").expect("href"))
        .go()
        .expect(200);
    assert_eq!(got.body, tram);
    // The folder on screen as a zip: this subfolder, not the whole share.
    let zip_href = b
        .prop("main a[data-action=\"download-zip\"]", "href")
        .expect("href");
    let zip = server.anon().get(&zip_href).go().expect(200);
    let names = zip_names(&zip.body);
    assert!(
        names.iter().any(|n| n.ends_with("notes.txt"))
            && !names.iter().any(|n| n.contains("itinerary")),
        "{names:?}"
    );
    screenshots_and_phone_fit(&mut b, "shared-folder");

    // A reload stays in the subfolder; the top crumb, Back and Forward move about.
    b.refresh();
    b.wait_until("the reload shows the subfolder", |b| {
        b.exists("main[data-state=\"folder\"][data-path=\"Day 1\"]")
    });
    b.click("nav[data-breadcrumbs] a[data-crumb-path=\"\"]");
    b.wait_until("the top of the share is shown", |b| {
        b.exists("main[data-state=\"folder\"][data-path=\"\"]")
    });
    b.wait_count(rows, 3);
    b.back();
    b.wait_until("Back returns to the subfolder", |b| {
        b.exists("main[data-state=\"folder\"][data-path=\"Day 1\"]")
    });
    b.forward();
    b.wait_until("Forward returns to the top", |b| {
        b.exists("main[data-state=\"folder\"][data-path=\"\"]")
    });

    // An empty folder says so.
    b.click("tr[data-entry=\"folder\"][data-name=\"Empty\"] a[data-action=\"open\"]");
    b.wait_until("the empty folder is shown", |b| {
        b.exists("main[data-path=\"Empty\"] [data-empty]")
    });

    // Nothing on the page names the owner or any id.
    let page = visible_text_and_links(&b);
    for secret in [
        "olga".to_string(),
        id(&olga),
        trip.clone(),
        day1.clone(),
        empty.clone(),
    ] {
        assert!(
            !page.contains(&secret),
            "the page shows {secret:?}:\n{page}"
        );
    }
    b.assert_clean_console();
}

/// A share with a password: the form (labelled, named `password`), a wrong password
/// refused next to the field, the right one opening the file (its preview, its download
/// giving the bytes), and the grant kept in the address so a reload stays open.
#[test]
fn a_visitor_unlocks_a_password_share_and_gets_the_file() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "pavel");
    let picture = gradient_png(320, 200);
    let file = upload_put(&api, "sunset.png", &picture);
    let shared = api
        .post(&format!("/api/files/{}/share", id(&file)))
        .json(&json!({"password": "open sesame"}))
        .go()
        .expect(200)
        .json();
    let url = shared["file"]["share_url"]
        .as_str()
        .expect("url")
        .to_string();

    b.goto(&url);
    wait_state(&b, "shared", "password");
    assert_labelled_inputs(&b, "unlock", &["password"]);
    assert!(!b.exists("main img"), "nothing shows before the password");
    screenshots_and_phone_fit(&mut b, "shared-password");

    b.fill(&field("unlock", "password"), "open says me");
    submit(&b, "unlock");
    field_error(&b, "password");
    assert!(b.exists("main[data-state=\"password\"]"));

    // The keyboard alone: type, Enter.
    b.fill(&field("unlock", "password"), "open sesame");
    b.type_keys(&field("unlock", "password"), ENTER);
    wait_state(&b, "shared", "file");
    assert_eq!(b.text("main h1"), "sunset.png");
    assert!(
        b.path().contains("grant="),
        "the grant is kept: {}",
        b.path()
    );
    // No download limit: the picture shows (an inline view would count against one).
    assert_eq!(loaded_image_width(&b, "main [data-preview] img"), 320);
    let href = b
        .prop("main a[data-action=\"download\"]", "href")
        .expect("href");
    let got = server.anon().get(&href).go().expect(200);
    assert_eq!(got.body, picture, "the download gives the file");
    screenshots_and_phone_fit(&mut b, "shared-file");

    // A reload keeps it open; without the grant the password is asked for again.
    b.refresh();
    wait_state(&b, "shared", "file");
    b.goto(&url);
    wait_state(&b, "shared", "password");
    b.assert_clean_console();
}

/// Links that do not open say why, in place of the content: a download limit shows what
/// is left and no preview, and once used up the page says so; a revoked link is "not
/// found", for a share and for a file request alike; an expired one says it expired.
#[test]
fn links_that_no_longer_open_say_why() {
    let server = Server::start();
    let Some(b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "sasha");
    let picture = gradient_png(64, 64);
    let file = upload_put(&api, "limited.png", &picture);
    let shared = api
        .post(&format!("/api/files/{}/share", id(&file)))
        .json(&json!({"max_downloads": 2}))
        .go()
        .expect(200)
        .json();
    let url = shared["file"]["share_url"]
        .as_str()
        .expect("url")
        .to_string();

    b.goto(&url);
    wait_state(&b, "shared", "file");
    assert_eq!(
        attr_now(&b, "main [data-downloads-left]", "data-downloads-left").as_deref(),
        Some("2")
    );
    assert!(
        !b.exists("main [data-preview]"),
        "no preview: it would use up a download"
    );
    let href = b
        .prop("main a[data-action=\"download\"]", "href")
        .expect("href");
    server.anon().get(&href).go().expect(200);
    b.refresh();
    wait_state(&b, "shared", "file");
    assert_eq!(
        attr_now(&b, "main [data-downloads-left]", "data-downloads-left").as_deref(),
        Some("1")
    );
    server.anon().get(&href).go().expect(200);
    b.refresh();
    wait_state(&b, "shared", "exhausted");
    assert!(!b.exists("main a[data-action=\"download\"]"));

    // Revoked: gone for good, as an address that never existed.
    api.delete(&format!("/api/files/{}/share", id(&file)))
        .go()
        .expect(204);
    b.refresh();
    wait_state(&b, "shared", "not-found");

    // A file request, closed by its owner.
    let inbox = create_folder(&api, "Inbox", None);
    let request = api
        .post(&format!("/api/folders/{inbox}/requests"))
        .json(&json!({}))
        .go()
        .expect(201)
        .json();
    let drop_url = request["request"]["url"].as_str().expect("url").to_string();
    b.goto(&drop_url);
    wait_state(&b, "drop", "open");
    api.delete(&format!("/api/requests/{}", id(&request["request"])))
        .go()
        .expect(204);
    b.refresh();
    wait_state(&b, "drop", "not-found");

    // Expired: a share that lives two seconds.
    let at = b
        .js("return new Date(Date.now() + 2000).toISOString();", vec![])
        .as_str()
        .expect("time")
        .to_string();
    let brief = api
        .post(&format!("/api/files/{}/share", id(&file)))
        .json(&json!({"expires_at": at}))
        .go()
        .expect(200)
        .json();
    let brief_url = brief["file"]["share_url"]
        .as_str()
        .expect("url")
        .to_string();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    b.goto(&brief_url);
    wait_state(&b, "shared", "expired");
    b.assert_clean_console();
}

/// A file request as a visitor uses it: the label, a name to sign with (labelled,
/// `name="from"`), two files chosen at once, each with its bar and "sent", landing in the
/// owner's folder with the visitor's name in the comment (checked through the owner's
/// API); of two more, one goes and one is refused once the request's file limit is
/// reached; nothing of what the folder already held shown at any point.
#[test]
fn a_visitor_drops_files_into_a_request_and_they_land_with_their_name() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "quinn");
    let inbox = create_folder(&api, "Inbox", None);
    upload_into(&api, &inbox, "private plans.txt", b"not for visitors");
    let request = api
        .post(&format!("/api/folders/{inbox}/requests"))
        .json(&json!({"label": "Holiday photos", "max_files": 3}))
        .go()
        .expect(201)
        .json()["request"]
        .clone();
    let url = request["url"].as_str().expect("url").to_string();
    let uploads = UploadDir::new();
    let beach_bytes = gradient_png(120, 80);
    let beach = uploads.file("beach.png", &beach_bytes);
    let letter = uploads.file("letter.txt", b"Thank you for the lovely day!");
    let last = uploads.file("last.txt", b"the third one");
    let extra = uploads.file("extra.txt", b"one too many");

    b.goto(&url);
    wait_state(&b, "drop", "open");
    assert_eq!(b.text("main h1"), "Holiday photos");
    assert_labelled_inputs(&b, "drop", &["from"]);
    assert!(b.exists("input[type=\"file\"][name=\"file\"][multiple][data-drop-input]"));
    assert!(
        b.text("[data-limits]").contains("3 more files"),
        "the page says how many files it takes: {}",
        b.text("[data-limits]")
    );
    b.fill(&field("drop", "from"), "Dora Explorer");
    b.type_keys("[data-drop-input]", &file_list(&[&beach, &letter]));
    b.wait_count("[data-drop-item][data-result=\"sent\"]", 2);
    assert!(b.exists("[data-drop-item] progress"));

    let (_, files) = folder_contents(&api, Some(&inbox), None);
    for (name, bytes) in [
        ("beach.png", beach_bytes.as_slice()),
        ("letter.txt", b"Thank you for the lovely day!".as_slice()),
    ] {
        let file = files
            .get(name)
            .unwrap_or_else(|| panic!("{name} landed: {files:?}"));
        assert!(
            file["comment"]
                .as_str()
                .unwrap_or("")
                .contains("Dora Explorer"),
            "the comment names the sender: {file}"
        );
        let content = api
            .get(&format!("/api/files/{}/content", id(file)))
            .go()
            .expect(200);
        assert_eq!(content.body, bytes, "{name}'s bytes");
    }
    let listed = api.get("/api/requests").go().expect(200).json();
    assert_eq!(listed["requests"][0]["file_count"], json!(2));
    b.wait_until("the page counts down", |b| {
        b.text_now("[data-limits]")
            .is_some_and(|t| t.contains("1 more file"))
    });
    screenshots_and_phone_fit(&mut b, "drop");

    // The request takes three files: of two more, one goes and one is refused, with the
    // reason on its line.
    b.type_keys("[data-drop-input]", &file_list(&[&last, &extra]));
    let refused = "[data-drop-item][data-result=\"failed\"][data-drop-error=\"request_full\"]";
    b.find(refused);
    assert!(!b.text(refused).is_empty(), "the line says why");
    b.wait_count("[data-drop-item][data-result=\"sent\"]", 3);
    let (_, files) = folder_contents(&api, Some(&inbox), None);
    assert!(files.contains_key("last.txt"), "{files:?}");
    assert!(!files.contains_key("extra.txt"), "nothing more landed");
    assert!(b.exists("main[data-closed=\"full\"]"));
    let page = visible_text_and_links(&b);
    assert!(
        !page.contains("private plans"),
        "the page shows what the folder held:\n{page}"
    );
    b.assert_clean_console();
}

/// The owner's share dialog: a file shared with a password, a download limit and an
/// expiry a quick choice sets (the API then reports those rules; the link needs the
/// password), the QR code drawn, the rules changed later (only what changed is sent; a
/// bad limit refused next to its field), a folder shared through its own dialog, and a
/// file request made on a folder with its limits in human units.
#[test]
fn the_owner_shares_with_rules_from_the_dialog_and_asks_for_files() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "rita");
    let report = upload_put(&api, "report.pdf", b"%PDF-1.4 a report");
    let projects = create_folder(&api, "Projects", None);
    let report_id = id(&report);
    let row = file_row(&report_id);

    b.goto("/login");
    log_in(&b, "rita", PASSWORD);
    b.wait_page("files");
    b.find(&row);

    b.click(&format!("{row} [data-action=\"share\"]"));
    b.find(SHARE_OPEN);
    assert_labelled_inputs(&b, "share", &["expires_at", "password", "max_downloads"]);
    b.click(&format!("{SHARE_OPEN} [data-expiry=\"7\"]"));
    b.fill(&field("share", "password"), "s3cret words");
    b.fill(&field("share", "max_downloads"), "3");
    submit(&b, "share");
    let link = format!("{SHARE_OPEN} input[data-link-url]");
    b.find(&link);
    let url = b.prop(&link, "value").expect("the link");
    assert!(
        loaded_image_width(&b, &format!("{SHARE_OPEN} img[data-qr]")) > 0,
        "a QR code"
    );

    let file = api
        .get(&format!("/api/files/{report_id}"))
        .go()
        .expect(200)
        .json()["file"]
        .clone();
    let share = &file["share"];
    assert_eq!(share["url"], json!(url));
    assert_eq!(share["has_password"], json!(true));
    assert_eq!(share["max_downloads"], json!(3));
    let expires_at = share["expires_at"].as_str().expect("an expiry").to_string();
    let in_ms = ms_until(&b, &expires_at);
    let week = 7 * 24 * 3600 * 1000;
    assert!(
        (week - 5 * 60 * 1000..=week).contains(&in_ms),
        "expires in 7 days, not {in_ms} ms"
    );
    server
        .anon()
        .get(&url)
        .go()
        .expect_error(401, "share_password_required");
    b.wait_until("the dialog shows the rules in force", |b| {
        b.text_now(&format!("{SHARE_OPEN} [data-share-state]"))
            .is_some_and(|t| t.contains("0 of 3"))
    });
    screenshots_and_phone_fit(&mut b, "share-dialog");
    b.click(&format!("{SHARE_OPEN} [data-action=\"close\"]"));
    b.wait_gone(SHARE_OPEN);
    b.wait_until("the focus is back on the row", |b| {
        b.js(
            "return !!document.activeElement?.closest(arguments[0]);",
            vec![json!(row)],
        ) == json!(true)
    });
    assert_eq!(
        b.prop(
            &format!("{row} [data-col=\"shared\"] a[data-share-url]"),
            "href"
        )
        .as_deref(),
        Some(url.as_str())
    );

    // The owner, signed in, opens the protected link like anyone: the page asks for the
    // password (a 401 that must not end the session), and the app is still theirs after.
    b.goto(&url);
    wait_state(&b, "shared", "password");
    assert!(
        b.exists("[data-nav=\"files\"]"),
        "the header stays for a signed-in visitor"
    );
    b.goto("/files");
    b.wait_page("files");
    assert_eq!(b.path(), "/files", "still signed in");
    b.find(&row);

    // Later: a limit of 0 is refused where it was typed; then the password goes and the
    // limit rises, and the expiry (untouched) stays as it was.
    b.click(&format!("{row} [data-action=\"share\"]"));
    b.find(SHARE_OPEN);
    b.fill(&field("share", "max_downloads"), "0");
    submit(&b, "share");
    field_error(&b, "max_downloads");
    b.click(&format!("{SHARE_OPEN} input[name=\"remove_password\"]"));
    b.fill(&field("share", "max_downloads"), "10");
    mark_toasts_seen(&b);
    submit(&b, "share");
    wait_new_toast(&b);
    let share = api
        .get(&format!("/api/files/{report_id}"))
        .go()
        .expect(200)
        .json()["file"]["share"]
        .clone();
    assert_eq!(share["has_password"], json!(false));
    assert_eq!(share["max_downloads"], json!(10));
    assert_eq!(share["expires_at"], json!(expires_at));
    assert_eq!(share["url"], json!(url), "the same link");
    server.anon().get(&url).go().expect(200);
    b.click(&format!("{SHARE_OPEN} [data-action=\"close\"]"));
    b.wait_gone(SHARE_OPEN);

    // A folder, shared with no rules at all.
    let folder = folder_row(&projects);
    let folder_url = share_from_row(&b, &folder);
    let shared_folder = api
        .get(&format!("/api/folders/{projects}"))
        .go()
        .expect(200)
        .json()["folder"]["share"]
        .clone();
    assert_eq!(shared_folder["url"], json!(folder_url));
    assert_eq!(shared_folder["has_password"], json!(false));
    assert!(shared_folder["max_downloads"].is_null() && shared_folder["expires_at"].is_null());
    b.find(&format!("{folder} [data-col=\"shared\"] a[data-share-url]"));

    assert!(
        b.exists("button[data-action=\"request-files\"][hidden]"),
        "the root has no file requests"
    );

    // A file request on the folder, its size limit typed as people say it.
    b.click(&format!("{folder} [data-action=\"request\"]"));
    b.find(REQUEST_OPEN);
    assert_labelled_inputs(
        &b,
        "request",
        &["label", "expires_at", "max_files", "max_bytes", "password"],
    );
    b.fill(&field("request", "label"), "Scans for the project");
    b.fill(&field("request", "max_files"), "5");
    b.fill(&field("request", "max_bytes"), "5 MB");
    submit(&b, "request");
    let made = format!("{REQUEST_OPEN} [data-request-made] input[data-link-url]");
    b.find(&made);
    let request_url = b.prop(&made, "value").expect("the link");
    assert!(loaded_image_width(&b, &format!("{REQUEST_OPEN} img[data-qr]")) > 0);
    let requests = api.get("/api/requests").go().expect(200).json();
    let request = &requests["requests"][0];
    assert_eq!(request["url"], json!(request_url));
    assert_eq!(request["folder_id"], json!(projects));
    assert_eq!(request["label"], json!("Scans for the project"));
    assert_eq!(request["max_files"], json!(5));
    assert_eq!(request["max_bytes"], json!(5_000_000));
    assert_eq!(request["has_password"], json!(false));
    screenshots_and_phone_fit(&mut b, "request-dialog");
    b.click(&format!("{REQUEST_OPEN} [data-action=\"close\"]"));
    b.wait_gone(REQUEST_OPEN);
    // Inside the folder, its toolbar asks for files too.
    b.click(&format!("{folder} a[data-action=\"open\"]"));
    wait_folder(&b, Some(&projects));
    b.click("button[data-action=\"request-files\"]");
    b.find(REQUEST_OPEN);
    b.click(&format!("{REQUEST_OPEN} [data-action=\"cancel\"]"));
    b.wait_gone(REQUEST_OPEN);
    b.assert_clean_console();
}

/// The Shares page: every link and file request of the account with its rules and use;
/// a link copied, a link revoked (after a question; it stops working for everyone) and a
/// file request closed (it takes nothing more), each checked through the API.
#[test]
fn the_shares_page_lists_links_and_requests_and_revokes_them() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "tomas");
    let file = upload_put(&api, "budget.xlsx", b"numbers");
    let file_id = id(&file);
    let file_share = api
        .post(&format!("/api/files/{file_id}/share"))
        .json(&json!({"password": "pw for budget", "max_downloads": 4}))
        .go()
        .expect(200)
        .json()["file"]["share"]
        .clone();
    let photos = create_folder(&api, "Photos", None);
    let inbox = create_folder(&api, "Inbox", Some(&photos));
    let folder_share = api
        .post(&format!("/api/folders/{photos}/share"))
        .json(&json!({"expires_at": "2099-12-31T12:00:00Z"}))
        .go()
        .expect(200)
        .json()["folder"]["share"]
        .clone();
    let request = api
        .post(&format!("/api/folders/{inbox}/requests"))
        .json(&json!({"label": "Receipts", "max_bytes": 2_000_000_000u64}))
        .go()
        .expect(201)
        .json()["request"]
        .clone();
    let request_id = id(&request);
    let request_url = request["url"].as_str().expect("url").to_string();

    b.goto("/login");
    log_in(&b, "tomas", PASSWORD);
    b.wait_page("files");
    b.click("[data-nav=\"shares\"]");
    b.wait_page("shares");
    assert_eq!(b.path(), "/shares");
    let file_row =
        format!("table[data-table=\"shares\"] tr[data-share-id=\"{file_id}\"][data-kind=\"file\"]");
    let folder_row = format!(
        "table[data-table=\"shares\"] tr[data-share-id=\"{photos}\"][data-kind=\"folder\"]"
    );
    let request_row =
        format!("table[data-table=\"requests\"] tr[data-request-id=\"{request_id}\"]");
    b.find(&file_row);
    b.find(&folder_row);
    b.find(&request_row);
    assert_eq!(
        b.prop(&format!("{file_row} a[data-share-url]"), "href")
            .as_deref(),
        file_share["url"].as_str()
    );
    assert_eq!(
        b.text(&format!("{file_row} [data-col=\"password\"]")),
        "Yes"
    );
    assert!(
        b.text(&format!("{file_row} [data-col=\"downloads\"]"))
            .contains("0 of 4")
    );
    assert_eq!(
        b.text(&format!("{folder_row} [data-col=\"password\"]")),
        "No"
    );
    assert!(
        b.text(&format!("{folder_row} [data-col=\"expires\"]"))
            .contains("2099")
    );
    assert_eq!(
        b.text(&format!("{request_row} [data-col=\"label\"]")),
        "Receipts"
    );
    assert_eq!(
        b.text(&format!("{request_row} [data-col=\"folder\"]")),
        "Photos › Inbox"
    );
    assert!(
        b.text(&format!("{request_row} [data-col=\"bytes\"]"))
            .contains("2 GB")
    );
    assert_eq!(
        b.prop(&format!("{request_row} a[data-request-url]"), "href")
            .as_deref(),
        Some(request_url.as_str())
    );
    screenshots_and_phone_fit(&mut b, "shares");

    // Copy the folder's link.
    b.grant("clipboard-read");
    mark_toasts_seen(&b);
    b.click(&format!("{folder_row} [data-action=\"copy-link\"]"));
    wait_new_toast(&b);
    let copied = b.js_async(
        "const done = arguments[arguments.length - 1]; \
         navigator.clipboard.readText().then(done, (e) => done('unreadable: ' + e));",
        vec![],
    );
    assert_eq!(copied.as_str(), folder_share["url"].as_str());

    // Revoke the file's link: a cancel keeps it, a confirm kills it for everyone.
    b.click(&format!("{file_row} [data-action=\"revoke\"]"));
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"cancel\"]"));
    b.wait_gone(CONFIRM_OPEN);
    assert!(b.exists(&file_row));
    b.click(&format!("{file_row} [data-action=\"revoke\"]"));
    assert!(
        b.text(CONFIRM_OPEN).contains("budget.xlsx"),
        "names the file"
    );
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.wait_gone(&file_row);
    let after = api
        .get(&format!("/api/files/{file_id}"))
        .go()
        .expect(200)
        .json();
    assert!(after["file"]["share"].is_null() && after["file"]["share_url"].is_null());
    server
        .anon()
        .get(file_share["url"].as_str().unwrap())
        .go()
        .expect_error(404, "not_found");
    let listed = api.get("/api/shares").go().expect(200).json();
    assert_eq!(listed["shares"].as_array().map(Vec::len), Some(1));

    // Close the file request: it takes nothing more.
    b.click(&format!("{request_row} [data-action=\"delete\"]"));
    b.click(&format!("{CONFIRM_OPEN} [data-action=\"confirm\"]"));
    b.wait_gone(&request_row);
    b.find("[data-empty=\"requests\"]");
    let requests = api.get("/api/requests").go().expect(200).json();
    assert_eq!(requests["requests"], json!([]));
    let token = request_url.rsplit('/').next().unwrap();
    server
        .anon()
        .get(&format!("/r/{token}/info"))
        .go()
        .expect_error(404, "not_found");

    // A session that has ended elsewhere does not stand in the way of a link: the page
    // opens, signed out, instead of sending the visitor to log in.
    let session = browser_token(&b, &server, "tomas");
    server
        .client(&session)
        .post("/api/auth/logout")
        .go()
        .expect(204);
    b.goto(folder_share["url"].as_str().unwrap());
    wait_state(&b, "shared", "folder");
    assert!(!b.exists("[data-nav]"), "signed out now");
    assert!(b.path().starts_with("/s/"), "{}", b.path());
    b.assert_clean_console();
}

/// Every string of the app exists in English and in Russian, with the plural forms each
/// language needs; and a visitor's page switches language in place.
#[test]
fn every_string_is_in_both_languages_and_link_pages_switch() {
    let server = Server::start();
    let Some(b) = Browser::launch(&server.base) else {
        return;
    };
    b.goto("/login");
    b.wait_page("login");
    let problems = b.js_async(
        "const done = arguments[arguments.length - 1]; \
         Promise.all([import('/i18n/en.js'), import('/i18n/ru.js')]).then(([en, ru]) => { \
           const plural = (v) => v && typeof v === 'object' && typeof v.other === 'string'; \
           const walk = (o, p = '') => Object.entries(o).flatMap(([k, v]) => \
             v && typeof v === 'object' && !plural(v) ? walk(v, p + k + '.') : [[p + k, v]]); \
           const [a, b] = [new Map(walk(en.default)), new Map(walk(ru.default))]; \
           const out = []; \
           for (const k of a.keys()) if (!b.has(k)) out.push('ru lacks ' + k); \
           for (const k of b.keys()) if (!a.has(k)) out.push('en lacks ' + k); \
           for (const [k, v] of b) if (plural(v) && plural(a.get(k)) && !['one', 'few', 'many'].every((f) => f in v)) \
             out.push('ru plural ' + k + ' lacks a form'); \
           for (const [k, v] of a) if (plural(v) && !('one' in v)) out.push('en plural ' + k + ' lacks one'); \
           done(out); \
         }, (e) => done(['cannot load: ' + e]));",
        vec![],
    );
    assert_eq!(problems, json!([]), "the catalogues differ");

    let (_, api) = user(&server, "ursula");
    let file = upload_put(&api, "notes.txt", NOTES.as_bytes());
    let url = api
        .post(&format!("/api/files/{}/share", id(&file)))
        .json(&json!({"max_downloads": 5}))
        .go()
        .expect(200)
        .json()["file"]["share_url"]
        .as_str()
        .expect("url")
        .to_string();
    b.goto(&url);
    wait_state(&b, "shared", "file");
    let english = b.text("main a[data-action=\"download\"]");
    b.select("select[data-lang-switch]", "ru");
    b.wait_until("the page is in Russian", |b| {
        b.text_now("main a[data-action=\"download\"]")
            .is_some_and(|t| t != english && t.contains("Скачать"))
    });
    assert!(
        b.text("main [data-downloads-left]")
            .contains("Осталось 5 скачиваний"),
        "{}",
        b.text("main [data-downloads-left]")
    );
    b.select("select[data-lang-switch]", "en");
    b.assert_clean_console();
}
