//! Resumable uploads in the browser (DESIGN §13): every upload of the web app goes through
//! tus, can be paused and resumed, waits out a dropped connection by itself, and after a
//! reload goes on from where the server stands once the same file is chosen again.
//!
//! The slow parts are made slow by Chromium's own network emulation (DevTools, through
//! chromedriver): request bodies throttled to a few MB/s, and "offline". What happened is
//! checked on the server: its uploads (`GET /api/uploads`, `HEAD /api/uploads/{id}`), its
//! request log and the stored bytes.

use std::time::{Duration, Instant};

use super::*;

/// Bytes a second the browser may send while a test needs an upload to take a while.
const SLOW: u64 = 3_000_000;

/// `len` bytes that differ all along (xorshift), so a chunk sent twice or out of place
/// would show in the stored file.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// CSS for the tray entry of tus upload `id`.
fn upload_item(id: &str) -> String {
    format!("[data-upload-item][data-upload-id=\"{id}\"]")
}

/// The caller's unfinished uploads as the server lists them.
fn unfinished(client: &Client) -> Vec<Value> {
    client.get("/api/uploads").go().expect(200).json()["uploads"]
        .as_array()
        .expect("uploads")
        .clone()
}

/// `HEAD /api/uploads/{id}`: where the server stands, and the stored file once finished.
fn head_upload(client: &Client, id: &str) -> Reply {
    client
        .head(&format!("/api/uploads/{id}"))
        .header("Tus-Resumable", "1.0.0")
        .go()
        .expect(200)
}

fn offset_of(client: &Client, id: &str) -> u64 {
    let reply = head_upload(client, id);
    reply
        .header("upload-offset")
        .and_then(|v| v.parse().ok())
        .expect("Upload-Offset")
}

/// The server's offset of upload `id` once it has stopped moving: a PATCH cut off by a
/// pause is still being taken in for a moment after the click.
fn settled_offset(client: &Client, id: &str) -> u64 {
    let deadline = Instant::now() + WAIT;
    let mut last = offset_of(client, id);
    loop {
        std::thread::sleep(Duration::from_millis(400));
        let now = offset_of(client, id);
        if now == last || Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}

/// How far the bar of the tray entry matching `item` is, from 0 to 1.
fn page_progress(b: &Browser, item: &str) -> f64 {
    b.try_js(
        "const p = document.querySelector(arguments[0] + ' progress'); \
         return p ? p.value / p.max : 0;",
        vec![json!(item)],
    )
    .and_then(|v| v.as_f64())
    .unwrap_or(0.0)
}

/// The one unfinished upload of the account, once the server has made it: its id.
fn the_upload(client: &Client) -> String {
    let mut found = Vec::new();
    let deadline = Instant::now() + WAIT;
    while found.len() != 1 && Instant::now() < deadline {
        found = unfinished(client);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(found.len(), 1, "one unfinished upload: {found:?}");
    found[0]["id"].as_str().expect("id").to_string()
}

/// Creates an upload of `length` bytes named `name` through the API, as another client
/// would, and sends its first `sent` bytes; returns its id.
fn start_elsewhere(client: &Client, name: &str, length: usize, sent: usize) -> String {
    use base64::Engine;
    let metadata = format!(
        "filename {}",
        base64::engine::general_purpose::STANDARD.encode(name)
    );
    let created = client
        .post("/api/uploads")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.to_string())
        .header("Upload-Metadata", metadata)
        .go()
        .expect(201);
    let location = created.header("location").expect("Location");
    let id = location.rsplit('/').next().expect("an id").to_string();
    client
        .patch(&format!("/api/uploads/{id}"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(noise(sent, 9))
        .go()
        .expect(204);
    id
}

/// Waits until file `name` is stored at the root and returns it, with its bytes checked.
#[track_caller]
fn stored_file(b: &Browser, client: &Client, name: &str, bytes: &[u8]) -> Value {
    let mut file = None;
    b.wait_until(&format!("{name} is stored"), |_| {
        file = files_by_name(client, None).remove(name);
        file.is_some()
    });
    let file = file.expect("stored");
    assert_eq!(file["size"], json!(bytes.len()), "{file}");
    let content = client
        .get(&format!("/api/files/{}/content", id(&file)))
        .go()
        .expect(200);
    assert!(
        content.body == bytes,
        "the stored bytes of {name} are the ones sent"
    );
    file
}

/// Lines of the server's request log for `method` on `/api/uploads…` with `status`.
fn logged(server: &Server, method: &str, status: u16) -> usize {
    let prefix = format!("{method} /api/uploads");
    server
        .log()
        .lines()
        .filter(|line| {
            line.split_once("] ").is_some_and(|(_, request)| {
                request.starts_with(&prefix) && request.contains(&format!(" {status} "))
            })
        })
        .count()
}

/// The `data-action` of the element that has the focus ("" when none).
fn focused_action(b: &Browser) -> String {
    b.js(
        "return document.activeElement?.dataset.action ?? '';",
        vec![],
    )
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// Logs `name` in and waits for the files page.
fn open_files(b: &Browser, name: &str) {
    b.goto("/login");
    log_in(b, name, PASSWORD);
    b.wait_page("files");
    wait_folder(b, None);
}

/// Files go up through tus, an empty one included, and land with their bytes; a larger
/// one is paused midway (the server holds part of it, and that part stays still), then
/// resumed from there to the end, with the keyboard; one whose file changes on disk while
/// paused fails with the reason instead of retrying for ever.
#[test]
fn uploads_go_through_tus_and_pause_and_resume() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "tess");
    let dir = UploadDir::new();
    let small = noise(300_000, 1);
    let notes = dir.file("notes.bin", &small);
    let empty = dir.file("empty.txt", b"");
    open_files(&b, "tess");

    // Through tus: created with POST, sent with PATCH; never the old PUT.
    b.type_keys("[data-upload-input]", &file_list(&[&notes, &empty]));
    stored_file(&b, &api, "notes.bin", &small);
    stored_file(&b, &api, "empty.txt", b"");
    b.wait_gone("[data-upload-item]");
    assert_eq!(logged(&server, "POST", 201), 2, "{}", server.log());
    assert!(logged(&server, "PATCH", 204) >= 2, "{}", server.log());
    assert!(!server.log().contains("PUT /api/files"), "{}", server.log());
    assert!(
        unfinished(&api).is_empty(),
        "finished uploads are not listed"
    );

    // A larger file, slowly: paused past its first PATCH.
    let big = noise(30_000_000, 2);
    let video = dir.file("video.bin", &big);
    b.emulate_network(false, Some(SLOW));
    b.type_keys("[data-upload-input]", video.to_str().unwrap());
    let upload = the_upload(&api);
    let item = upload_item(&upload);
    b.find(&format!("{item}[data-upload-state=\"sending\"]"));
    // With the keyboard: the button is reached with Tab, pressed with Enter, and the
    // focus stays on it as it turns from "pause" into "resume".
    b.tab_to(&format!("{item} [data-action=\"pause-upload\"]"));
    b.wait_until("a third is sent", |b| page_progress(b, &item) > 0.34);
    b.press(ENTER);
    b.find(&format!(
        "{item}[data-upload-state=\"paused\"] [data-action=\"resume-upload\"]"
    ));
    assert_eq!(focused_action(&b), "resume-upload");
    let held = settled_offset(&api, &upload);
    assert!(held > 0 && held < big.len() as u64, "paused at {held}");
    let shown = page_progress(&b, &item);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        offset_of(&api, &upload),
        held,
        "nothing is sent while paused"
    );
    assert_eq!(
        page_progress(&b, &item),
        shown,
        "the bar stands still while paused"
    );
    assert!(
        b.text(&item).contains("Paused"),
        "the entry says so: {}",
        b.text(&item)
    );
    assert_eq!(
        unfinished(&api)[0]["offset"],
        json!(held),
        "listed where it stands"
    );
    screenshots_and_phone_fit(&mut b, "upload-paused");

    // Resumed at full speed: it goes on from the server's offset and finishes.
    b.emulate_network(false, None);
    b.tab_to(&format!("{item} [data-action=\"resume-upload\"]"));
    b.press(ENTER);
    let file = stored_file(&b, &api, "video.bin", &big);
    assert_eq!(
        head_upload(&api, &upload).header("mycloud-file-id"),
        Some(id(&file)),
        "the paused upload is the one that finished"
    );
    assert_eq!(logged(&server, "POST", 201), 3, "no second upload was made");
    assert_eq!(
        logged(&server, "PATCH", 409),
        0,
        "every PATCH began where the server stood"
    );
    b.find(&file_row(&id(&file)));

    // A file changed on disk while its upload is paused can no longer be read: the upload
    // says so and stops, rather than taking it for a dropped connection for ever.
    let path = dir.file("draft.bin", &noise(12_000_000, 6));
    b.emulate_network(false, Some(SLOW));
    b.type_keys("[data-upload-input]", path.to_str().unwrap());
    let upload = the_upload(&api);
    let item = upload_item(&upload);
    b.wait_until("a little is sent", |b| page_progress(b, &item) > 0.1);
    b.click(&format!("{item} [data-action=\"pause-upload\"]"));
    b.find(&format!("{item}[data-upload-state=\"paused\"]"));
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(b"an edit"))
        .expect("change the file");
    b.emulate_network(false, None);
    b.click(&format!("{item} [data-action=\"resume-upload\"]"));
    let failed = format!("{item}[data-upload-error=\"file_unreadable\"]");
    assert!(
        b.text(&failed).contains("can no longer be read"),
        "{}",
        b.text(&failed)
    );
    b.click(&format!("{failed} [data-action=\"dismiss-upload\"]"));
    b.wait_gone(&item);
    b.wait_until("the server has let it go", |_| unfinished(&api).is_empty());
    b.assert_clean_console();
}

/// A reload stops an upload midway; the page lists it as unfinished, refuses another file
/// chosen for it, and the same file chosen again goes on from the server's offset (not
/// from 0) to a complete, correct file.
#[test]
fn an_upload_cut_by_a_reload_resumes_when_its_file_is_chosen_again() {
    let server = Server::start();
    let Some(mut b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "rosa");
    let dir = UploadDir::new();
    let bytes = noise(24_000_000, 3);
    let film = dir.file("film.mov", &bytes);
    let other = dir.file("other.mov", &noise(1_000, 4));
    open_files(&b, "rosa");

    b.emulate_network(false, Some(SLOW));
    b.type_keys("[data-upload-input]", film.to_str().unwrap());
    let upload = the_upload(&api);
    let sending = upload_item(&upload);
    b.wait_until("almost half is sent", |b| page_progress(b, &sending) > 0.45);
    // Paused first, so the page does not ask whether to leave.
    b.click(&format!("{sending} [data-action=\"pause-upload\"]"));
    let held = settled_offset(&api, &upload);
    assert!(held > 0 && held < bytes.len() as u64, "stopped at {held}");
    // Another upload of the account, left unfinished by some other client.
    let draft = start_elsewhere(&api, "draft.bin", 1_000, 400);

    b.refresh();
    b.wait_page("files");
    // The one from elsewhere is listed too, and discarded: the server lets its bytes go.
    let elsewhere = format!("{}[data-upload-state=\"needs-file\"]", upload_item(&draft));
    assert!(b.text(&elsewhere).contains("draft.bin"));
    b.click(&format!("{elsewhere} [data-action=\"cancel-upload\"]"));
    b.wait_gone(&upload_item(&draft));
    b.wait_until("the server has let it go", |_| {
        logged(&server, "DELETE", 204) == 1
            && unfinished(&api).iter().all(|u| u["id"] != json!(draft))
    });

    let item = format!("{}[data-upload-state=\"needs-file\"]", upload_item(&upload));
    b.find(&item);
    let text = b.text(&item);
    assert!(
        text.contains("film.mov") && text.contains("Choose the file again"),
        "{text:?}"
    );
    let bar = b.js(
        "return document.querySelector(arguments[0]).value;",
        vec![json!(format!("{item} progress"))],
    );
    assert_eq!(
        bar.as_f64(),
        Some(held as f64),
        "the bar shows what the server holds"
    );
    screenshots_and_phone_fit(&mut b, "upload-resume");

    // Another file chosen for it is refused: it stays waiting for its own.
    b.type_keys(
        &format!("{item} [data-resume-input]"),
        other.to_str().unwrap(),
    );
    b.find(&format!("{item}[data-upload-error=\"not_same_file\"]"));
    assert!(b.text(&item).contains("not the file"), "{}", b.text(&item));
    assert_eq!(offset_of(&api, &upload), held);

    // The same file through the ordinary upload button: it resumes.
    let log_before = server.log().len();
    b.emulate_network(false, None);
    b.type_keys("[data-upload-input]", film.to_str().unwrap());
    let file = stored_file(&b, &api, "film.mov", &bytes);
    // The server refuses (409) every PATCH that does not begin at its offset: none was
    // refused, no second upload was made, and the first one is the one that finished. So
    // the first PATCH after the reload began at `held`, not at 0.
    let after = &server.log()[log_before..];
    assert!(!after.contains("POST /api/uploads"), "{after}");
    assert_eq!(logged(&server, "PATCH", 409), 0, "{}", server.log());
    assert!(
        after.contains(&format!("HEAD /api/uploads/{upload} 200")),
        "the page asked the server where the upload stands"
    );
    assert_eq!(
        head_upload(&api, &upload).header("mycloud-file-id"),
        Some(id(&file))
    );
    assert!(unfinished(&api).is_empty());
    b.find(&file_row(&id(&file)));
    b.assert_clean_console();
}

/// The connection drops midway (the browser goes offline): the upload says so, tries
/// again after 1, 2, 4 s (it does not fail), and once the browser is back online it
/// finishes by itself with the right bytes.
#[test]
fn an_upload_rides_out_a_dropped_connection_by_itself() {
    let server = Server::start();
    let Some(b) = Browser::launch(&server.base) else {
        return;
    };
    let (_, api) = user(&server, "olga");
    let dir = UploadDir::new();
    let bytes = noise(20_000_000, 5);
    let backup = dir.file("backup.tar", &bytes);
    open_files(&b, "olga");

    b.emulate_network(false, Some(SLOW));
    b.type_keys("[data-upload-input]", backup.to_str().unwrap());
    let upload = the_upload(&api);
    let item = upload_item(&upload);
    // Offline within the first PATCH: that one still gets through (Chromium lets a
    // request on the wire finish), every later request fails.
    b.wait_until("the first bytes are sent", |b| {
        page_progress(b, &item) > 0.05
    });
    b.emulate_network(true, Some(SLOW));
    b.find(&format!("{item}[data-upload-state=\"retrying\"]"));

    // The waits grow: the countdowns start at 1, 2 and then 4 seconds.
    let mut seen: Vec<String> = Vec::new();
    let deadline = Instant::now() + WAIT;
    while !seen.iter().any(|s| s.contains("in 4 s")) && Instant::now() < deadline {
        if let Some(text) = b.text_now(&item)
            && seen.last() != Some(&text)
        {
            seen.push(text);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let first = |n: u32| {
        seen.iter()
            .position(|s| s.contains(&format!("Retrying in {n} s")))
            .unwrap_or_else(|| panic!("no wait of {n} s among {seen:#?}"))
    };
    assert!(
        first(1) < first(2) && first(2) < first(4),
        "the waits grow: {seen:#?}"
    );
    assert!(
        seen.iter().all(|s| s.contains("Connection lost")),
        "it says why: {seen:#?}"
    );
    let held = offset_of(&api, &upload);
    assert!(held < bytes.len() as u64);
    assert!(
        !b.exists(&format!("{item}[data-upload-error]")),
        "a dropped connection is no failure"
    );

    // Back online: it goes on by itself, from where the server stood.
    b.emulate_network(false, None);
    let file = stored_file(&b, &api, "backup.tar", &bytes);
    assert_eq!(logged(&server, "POST", 201), 1, "{}", server.log());
    assert_eq!(
        head_upload(&api, &upload).header("mycloud-file-id"),
        Some(id(&file))
    );
    b.assert_clean_console();
}
