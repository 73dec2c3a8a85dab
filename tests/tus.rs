//! Resumable uploads (tus 1.0.0, DESIGN §13): the protocol as the server speaks it, what
//! it refuses, and real clients nobody here wrote — tuspy (PyPI) and tus-js-client (npm,
//! in Node) — uploading, getting cut off and resuming, also across a kill -9.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::json;

const OFFSET_STREAM: &str = "application/offset+octet-stream";

/// `Upload-Metadata` of `pairs`.
fn metadata(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", STANDARD.encode(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// `POST /api/uploads` of `length` bytes with `pairs` as metadata.
fn create(client: &Client, length: u64, pairs: &[(&str, &str)]) -> Reply {
    client
        .post("/api/uploads")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.to_string())
        .header("Upload-Metadata", metadata(pairs))
        .go()
}

/// Creates an upload and returns its path (`/api/uploads/ID`).
#[track_caller]
fn created(client: &Client, length: u64, name: &str) -> String {
    let reply = create(client, length, &[("filename", name)]).expect(201);
    assert_eq!(reply.header("tus-resumable").as_deref(), Some("1.0.0"));
    assert_eq!(reply.header("upload-offset").as_deref(), Some("0"));
    assert!(reply.header("upload-expires").is_some());
    let location = reply.header("location").expect("Location");
    location
        .split_once("/api/uploads/")
        .map(|(_, id)| format!("/api/uploads/{id}"))
        .expect("an upload URL")
}

fn patch(client: &Client, path: &str, offset: u64, bytes: &[u8]) -> Reply {
    client
        .patch(path)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", OFFSET_STREAM)
        .body(bytes.to_vec())
        .go()
}

fn head(client: &Client, path: &str) -> Reply {
    client.head(path).header("Tus-Resumable", "1.0.0").go()
}

fn offset_of(reply: &Reply) -> u64 {
    reply
        .header("upload-offset")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Upload-Offset: {reply:?}"))
}

/// The bytes of file `id`, as its owner downloads them.
fn content(client: &Client, file_id: &str) -> Vec<u8> {
    client
        .get(&format!("/api/files/{file_id}/content"))
        .go()
        .expect(200)
        .body
}

fn sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `n` bytes that differ along the file, so a misplaced chunk shows.
fn patterned(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 4093) as u8).collect()
}

both_backends!(an_upload_in_chunks_becomes_a_file_and_says_which);
fn an_upload_in_chunks_becomes_a_file_and_says_which() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let folder = make_folder(&alice, "videos", None);
    let bytes = patterned(3 * 1024 * 1024 + 17);
    let reply = create(
        &alice,
        bytes.len() as u64,
        &[
            ("filename", "clip.mp4"),
            ("comment", "from the phone"),
            ("folder_id", &id(&folder)),
        ],
    )
    .expect(201);
    let path = reply
        .header("location")
        .and_then(|l| {
            l.split_once("/api/uploads/")
                .map(|(_, i)| format!("/api/uploads/{i}"))
        })
        .expect("Location");
    let mut offset = 0;
    for chunk in bytes.chunks(1024 * 1024) {
        let reply = patch(&alice, &path, offset, chunk).expect(204);
        offset += chunk.len() as u64;
        assert_eq!(offset_of(&reply), offset);
        assert_eq!(reply.header("tus-resumable").as_deref(), Some("1.0.0"));
    }
    let last = head(&alice, &path).expect(200);
    assert_eq!(offset_of(&last), bytes.len() as u64);
    let file_id = last.header("mycloud-file-id").expect("Mycloud-File-Id");
    let file = alice
        .get(&format!("/api/files/{file_id}"))
        .go()
        .expect(200)
        .json()["file"]
        .clone();
    assert_file(&file);
    assert_eq!(file["name"], "clip.mp4");
    assert_eq!(file["comment"], "from the phone");
    assert_eq!(file["folder_id"], folder["id"]);
    assert_eq!(file["content_type"], "video/mp4");
    assert_eq!(sha256(&content(&alice, &file_id)), sha256(&bytes));
    // Finished uploads leave the list; nothing stays in tmp/.
    let listed = alice.get("/api/uploads").go().expect(200).json();
    assert_eq!(listed["uploads"], json!([]));
    assert!(server.files_under("tmp/tus").is_empty());
}

both_backends!(options_and_creation_with_upload_and_termination);
fn options_and_creation_with_upload_and_termination() {
    let server = Server::start_with(&["--max-upload-size", "1M"]);
    let (_, alice) = user(&server, "alice");
    let options = server
        .anon()
        .request(reqwest::Method::OPTIONS, "/api/uploads")
        .go()
        .expect(204);
    assert_eq!(options.header("tus-version").as_deref(), Some("1.0.0"));
    assert_eq!(options.header("tus-max-size").as_deref(), Some("1048576"));
    let extensions = options.header("tus-extension").unwrap_or_default();
    for ext in [
        "creation",
        "creation-with-upload",
        "termination",
        "expiration",
        "checksum",
    ] {
        assert!(extensions.split(',').any(|e| e == ext), "{extensions}");
    }
    assert_eq!(
        options.header("tus-checksum-algorithm").as_deref(),
        Some("sha1,sha256")
    );

    // The first bytes ride on the POST.
    let reply = alice
        .post("/api/uploads")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "10")
        .header("Upload-Metadata", metadata(&[("filename", "a.txt")]))
        .header("Content-Type", OFFSET_STREAM)
        .body(b"01234".to_vec())
        .go()
        .expect(201);
    assert_eq!(offset_of(&reply), 5);
    let path = reply
        .header("location")
        .and_then(|l| {
            l.split_once("/api/uploads/")
                .map(|(_, i)| format!("/api/uploads/{i}"))
        })
        .expect("Location");
    let listed = alice.get("/api/uploads").go().expect(200).json();
    assert_eq!(listed["uploads"][0]["offset"], 5);
    assert_eq!(listed["uploads"][0]["owner_id"], alice.me()["id"]);
    assert_eq!(listed["uploads"][0]["length"], 10);
    assert_eq!(listed["uploads"][0]["filename"], "a.txt");

    // Termination: the upload and its bytes go.
    alice
        .delete(&path)
        .header("Tus-Resumable", "1.0.0")
        .go()
        .expect(204);
    head(&alice, &path).expect(404);
    assert!(server.files_under("tmp/tus").is_empty());
    assert_eq!(
        alice.get("/api/uploads").go().expect(200).json()["uploads"],
        json!([])
    );

    // An empty file is whole at creation (clients send no PATCH for it); a PATCH of
    // nothing at its end still answers with the file.
    let reply = create(&alice, 0, &[("filename", "empty.txt")]).expect(201);
    let file_id = reply
        .header("mycloud-file-id")
        .expect("finished at creation");
    assert!(content(&alice, &file_id).is_empty());
    let path = reply
        .header("location")
        .and_then(|l| {
            l.split_once("/api/uploads/")
                .map(|(_, i)| format!("/api/uploads/{i}"))
        })
        .expect("Location");
    let again = patch(&alice, &path, 0, b"").expect(204);
    assert_eq!(again.header("mycloud-file-id"), Some(file_id));
}

both_backends!(what_is_wrong_is_refused_at_creation);
fn what_is_wrong_is_refused_at_creation() {
    let server = Server::start_with(&["--max-upload-size", "10M"]);
    let admin = admin(&server);
    let (alice_user, alice) = user(&server, "alice");
    let (_, bob) = user(&server, "bobby");
    upload_put(&alice, "taken.txt", b"x");
    admin
        .patch(&format!("/api/admin/users/{}", id(&alice_user)))
        .json(&json!({"quota_bytes": 5_000_000}))
        .go()
        .expect(200);
    let bobs_folder = make_folder(&bob, "bob's", None);

    // No Tus-Resumable: 412 with the version we speak.
    let reply = alice
        .post("/api/uploads")
        .header("Upload-Length", "1")
        .header("Upload-Metadata", metadata(&[("filename", "a")]))
        .go();
    reply.expect_error(412, "tus_version");
    assert_eq!(reply.header("tus-version").as_deref(), Some("1.0.0"));
    assert_eq!(reply.header("tus-resumable").as_deref(), Some("1.0.0"));

    // Every answer under the endpoint speaks tus, the router's own refusals included.
    let anonymous = server
        .anon()
        .post("/api/uploads")
        .header("Tus-Resumable", "1.0.0")
        .go();
    anonymous.expect_error(401, "unauthorized");
    assert_eq!(anonymous.header("tus-resumable").as_deref(), Some("1.0.0"));

    // First bytes that are refused take the upload with them: the client never got its
    // Location, so it must not linger holding quota.
    let refused = alice
        .post("/api/uploads")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "2")
        .header("Upload-Metadata", metadata(&[("filename", "b.txt")]))
        .header("Content-Type", OFFSET_STREAM)
        .body(b"hello".to_vec())
        .go();
    refused.expect_error(413, "too_large");
    assert_eq!(
        alice.get("/api/uploads").go().expect(200).json()["uploads"],
        json!([])
    );
    assert!(server.files_under("tmp/tus").is_empty());

    let no_length = alice
        .post("/api/uploads")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Metadata", metadata(&[("filename", "a")]))
        .go();
    no_length.expect_invalid("Upload-Length");
    alice
        .post("/api/uploads")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "-1")
        .header("Upload-Metadata", metadata(&[("filename", "a")]))
        .go()
        .expect_invalid("Upload-Length");
    for bad in [
        "filename !!notbase64!!",
        "filename",
        "filename YQ==,filename Yg==",
        "a b c",
    ] {
        alice
            .post("/api/uploads")
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", "1")
            .header("Upload-Metadata", bad)
            .go()
            .expect_error(400, "invalid");
    }
    create(&alice, 1, &[("comment", "no name")]).expect_invalid("filename");
    create(&alice, 1, &[("filename", "../up")]).expect_invalid("filename");
    create(&alice, 1, &[("filename", "a"), ("on_conflict", "maybe")]).expect_invalid("on_conflict");
    create(
        &alice,
        1,
        &[("filename", "a"), ("folder_id", &id(&bobs_folder))],
    )
    .expect_invalid("folder_id");
    create(&alice, 1, &[("filename", "taken.txt")]).expect_error(409, "name_taken");
    create(&alice, 11_000_000, &[("filename", "big")]).expect_error(413, "too_large");
    create(&alice, 6_000_000, &[("filename", "over")]).expect_error(507, "quota_exceeded");
    // The length is held under the quota from creation: two of 3 MB do not both fit, nor
    // does a plain upload beside it, and the account's storage says why.
    created(&alice, 3_000_000, "first.bin");
    create(&alice, 3_000_000, &[("filename", "second.bin")]).expect_error(507, "quota_exceeded");
    put_file(&alice, &[("name", "plain.bin")], &vec![0u8; 2_500_000])
        .expect_error(507, "quota_exceeded");
    assert_eq!(alice.me()["storage"]["upload_size"], 3_000_000);
    // Nothing of the refused ones was left behind.
    let listed = alice.get("/api/uploads").go().expect(200).json();
    assert_eq!(listed["uploads"].as_array().map(Vec::len), Some(1));
    assert_eq!(server.files_under("tmp/tus").len(), 1);
}

both_backends!(what_is_wrong_is_refused_on_the_way);
fn what_is_wrong_is_refused_on_the_way() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let (_, bob) = user(&server, "bobby");
    let path = created(&alice, 10, "a.bin");
    patch(&alice, &path, 0, b"01234").expect(204);

    // Someone else's upload is no upload at all.
    head(&bob, &path).expect(404);
    patch(&bob, &path, 5, b"x").expect_error(404, "not_found");
    bob.delete(&path)
        .header("Tus-Resumable", "1.0.0")
        .go()
        .expect(404);
    assert_eq!(
        bob.get("/api/uploads").go().expect(200).json()["uploads"],
        json!([])
    );

    // The offset must be where the upload stands: not back, not ahead.
    for wrong in [0, 4, 6, 10] {
        patch(&alice, &path, wrong, b"x").expect_error(409, "offset_mismatch");
    }
    // The wrong content type, a missing offset.
    alice
        .patch(&path)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "5")
        .header("Content-Type", "application/octet-stream")
        .body(b"x".to_vec())
        .go()
        .expect_error(415, "unsupported_media_type");
    alice
        .patch(&path)
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", OFFSET_STREAM)
        .body(b"x".to_vec())
        .go()
        .expect_invalid("Upload-Offset");

    // Past the length: refused whole, at once with a Content-Length, and without one
    // when the stream passes it; nothing past the length is kept.
    patch(&alice, &path, 5, b"0123456").expect_error(413, "too_large");
    let streamed = alice
        .patch(&path)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "5")
        .header("Content-Type", OFFSET_STREAM)
        .body(reqwest::blocking::Body::new(std::io::Cursor::new(
            b"0123456789".to_vec(),
        )))
        .go();
    streamed.expect_error(413, "too_large");
    assert_eq!(offset_of(&head(&alice, &path).expect(200)), 5);
    let part = server.files_under("tmp/tus");
    assert_eq!(std::fs::metadata(&part[0]).map(|m| m.len()).ok(), Some(5));

    // A checksum that does not match: 460 and the chunk dropped; one that does: kept.
    let sha = |b: &[u8]| STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, b));
    let with_checksum = |body: &[u8], sum: String| {
        alice
            .patch(&path)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", "5")
            .header("Content-Type", OFFSET_STREAM)
            .header("Upload-Checksum", sum)
            .body(body.to_vec())
            .go()
    };
    with_checksum(b"56789", format!("sha256 {}", sha(b"5678X")))
        .expect_error(460, "checksum_mismatch");
    assert_eq!(offset_of(&head(&alice, &path).expect(200)), 5);
    with_checksum(b"56789", format!("md5 {}", sha(b"56789"))).expect_invalid("Upload-Checksum");
    with_checksum(b"56789", "sha256 !!".into()).expect_invalid("Upload-Checksum");
    let done = with_checksum(b"56789", format!("sha256 {}", sha(b"56789"))).expect(204);
    let file_id = done.header("mycloud-file-id").expect("finished");
    assert_eq!(content(&alice, &file_id), b"0123456789");
    // A finished upload takes no more bytes, and says which file it made.
    patch(&alice, &path, 10, b"x").expect_error(413, "too_large");
    let again = patch(&alice, &path, 10, b"").expect(204);
    assert_eq!(again.header("mycloud-file-id"), Some(file_id));
}

both_backends!(a_part_that_lost_bytes_is_never_padded_out);
fn a_part_that_lost_bytes_is_never_padded_out() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let path = created(&alice, 10, "cut.bin");
    patch(&alice, &path, 0, b"012345").expect(204);
    // Someone cuts the part on the server's disk: the bytes the offset names are gone.
    let part = server.files_under("tmp/tus").pop().expect("the part");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&part)
        .and_then(|f| f.set_len(3))
        .expect("cut the part");
    patch(&alice, &path, 6, b"6789").expect_error(410, "upload_lost");
    head(&alice, &path).expect(404);
    assert_eq!(
        alice.get("/api/files").go().expect(200).json()["files"],
        json!([])
    );
    assert!(server.files_under("tmp/tus").is_empty());
    assert_eq!(alice.me()["storage"]["upload_size"], 0);
}

both_backends!(unfinished_uploads_survive_a_restart_and_expire);
fn unfinished_uploads_survive_a_restart_and_expire() {
    let mut server = Server::start();
    let (_, alice) = user(&server, "alice");
    let token = login(&server, "alice", PASSWORD);
    let path = created(&alice, 6, "kept.txt");
    patch(&alice, &path, 0, b"abc").expect(204);
    server.restart(&[], &[]);
    let alice = server.client(&token);
    assert_eq!(offset_of(&head(&alice, &path).expect(200)), 3);
    let done = patch(&alice, &path, 3, b"def").expect(204);
    assert_eq!(
        content(&alice, &done.header("mycloud-file-id").expect("id")),
        b"abcdef"
    );

    // --upload-expiry after its last bytes, an unfinished upload goes, bytes and all.
    server.restart(&[], &["--upload-expiry", "1s"]);
    let alice = server.client(&token);
    let path = created(&alice, 6, "gone.txt");
    patch(&alice, &path, 0, b"abc").expect(204);
    std::thread::sleep(Duration::from_millis(1500));
    patch(&alice, &path, 3, b"def").expect_error(410, "upload_expired");
    let out = server.cli_ok(&["--upload-expiry", "1s", "reap"], "");
    assert!(out.contains("expired uploads"), "{out}");
    head(&alice, &path).expect(404);
    assert!(server.files_under("tmp/tus").is_empty());
    assert_eq!(
        alice.get("/api/uploads").go().expect(200).json()["uploads"],
        json!([])
    );
}

both_backends!(creation_floods_are_capped_per_account);
fn creation_floods_are_capped_per_account() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    for i in 0..100 {
        created(&alice, 1, &format!("f{i}"));
    }
    create(&alice, 1, &[("filename", "one too many")]).expect_error(429, "too_many_uploads");
    let (_, bob) = user(&server, "bobby");
    created(&bob, 1, "others are not held back");
}

#[test]
fn ten_thousand_tiny_patches_work() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let n = 10_000u64;
    let path = created(&alice, n, "tiny.bin");
    let started = std::time::Instant::now();
    for offset in 0..n {
        patch(&alice, &path, offset, &[(offset % 251) as u8]).expect(204);
    }
    let file_id = head(&alice, &path)
        .expect(200)
        .header("mycloud-file-id")
        .expect("finished");
    let expected: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
    assert_eq!(content(&alice, &file_id), expected);
    // Not a timing test: a figure for the log (each PATCH fsyncs what it appended, not the
    // file, and writes one row).
    eprintln!(
        "{n} one-byte PATCHes in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------
// Real clients: tuspy and tus-js-client
// ---------------------------------------------------------------------------------------

/// Where the clients are (`$MYCLOUD_TUS_CLIENTS`, which `.ci/run` sets to where it
/// installed them, else `target/tus-clients`: a Python venv with tuspy, and tus-js-client
/// under `node_modules`), or why they cannot run here.
fn clients() -> Option<(PathBuf, PathBuf)> {
    let root = std::env::var_os("MYCLOUD_TUS_CLIENTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tus-clients"));
    let python = root.join("venv/bin/python");
    let tus_js = root.join("node_modules/tus-js-client");
    let fix = "run `bash .ci/run` with CI=true, or: python3 -m venv target/tus-clients/venv && \
               target/tus-clients/venv/bin/pip install tuspy==1.1.0 && \
               npm install --prefix target/tus-clients tus-js-client@4.3.1";
    let ok = Command::new(&python)
        .args(["-c", "import tusclient"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        needs::unavailable("the tus client tests", "tuspy is not installed", fix);
        return None;
    }
    if needs::on_path("node").is_none() || !tus_js.is_dir() {
        needs::unavailable(
            "the tus client tests",
            "node or tus-js-client is missing",
            fix,
        );
        return None;
    }
    Some((python, tus_js))
}

#[derive(Clone, Copy)]
enum Tool {
    Tuspy,
    TusJs,
}

/// The command that runs one step of `tool` (see `tests/tus/`), with `args`.
fn client(tool: Tool, (python, tus_js): &(PathBuf, PathBuf), args: &[&str]) -> Command {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tus");
    let mut command = match tool {
        Tool::Tuspy => {
            let mut c = Command::new(python);
            c.arg(dir.join("tuspy_client.py"));
            c
        }
        Tool::TusJs => {
            let mut c = Command::new("node");
            c.arg(dir.join("tus_js_client.cjs"))
                .env("TUS_JS_CLIENT", tus_js);
            c
        }
    };
    command.args(args);
    command
}

/// Runs one client step; its stdout's first word is the upload's URL.
fn run_client(tool: Tool, clients: &(PathBuf, PathBuf), args: &[&str]) -> std::process::Output {
    client(tool, clients, args)
        .output()
        .expect("run the client")
}

#[track_caller]
fn url_from(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "client failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .expect("the upload's URL")
        .to_string()
}

/// A client uploads part of a file, stops, resumes from where the server says, and the
/// stored file's SHA-256 is the source's.
fn a_client_uploads_stops_and_resumes(tool: Tool) {
    let Some(clients) = clients() else {
        return;
    };
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let token = login(&server, "alice", PASSWORD);
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("holiday.mov");
    let bytes = patterned(5 * 1024 * 1024 + 3);
    std::fs::write(&source, &bytes).expect("write the source");
    let endpoint = format!("{}/api/uploads", server.base);
    let chunk = (1024 * 1024).to_string();
    let source_text = source.display().to_string();
    let started = run_client(
        tool,
        &clients,
        &["start", &endpoint, &token, &source_text, &chunk, "2097152"],
    );
    let url = url_from(&started);
    let path = format!(
        "/api/uploads/{}",
        url.rsplit('/').next().unwrap_or_default()
    );
    let offset = offset_of(&head(&alice, &path).expect(200));
    assert!(
        (2 * 1024 * 1024..bytes.len() as u64).contains(&offset),
        "stopped at {offset}"
    );
    let listed = alice.get("/api/uploads").go().expect(200).json();
    assert_eq!(listed["uploads"][0]["offset"], offset);
    let finished = run_client(
        tool,
        &clients,
        &["resume", &url, &token, &source_text, &chunk],
    );
    url_from(&finished);
    let file_id = head(&alice, &path)
        .expect(200)
        .header("mycloud-file-id")
        .expect("finished");
    assert_eq!(sha256(&content(&alice, &file_id)), sha256(&bytes));
    let file = alice
        .get(&format!("/api/files/{file_id}"))
        .go()
        .expect(200)
        .json();
    assert_eq!(file["file"]["name"], "holiday.mov");
}

#[test]
fn tuspy_uploads_stops_and_resumes() {
    a_client_uploads_stops_and_resumes(Tool::Tuspy);
}

#[test]
fn tus_js_client_uploads_stops_and_resumes() {
    a_client_uploads_stops_and_resumes(Tool::TusJs);
}

/// The server is killed (-9) while a client sends a file; restarted, it reports an offset
/// whose bytes it really has, and the client finishes from there: the stored file is the
/// source, byte for byte.
fn a_kill_mid_upload_loses_nothing_claimed(tool: Tool) {
    let Some(clients) = clients() else {
        return;
    };
    let mut server = Server::start();
    let (_, alice) = user(&server, "alice");
    let token = login(&server, "alice", PASSWORD);
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("big.bin");
    let bytes = patterned(48 * 1024 * 1024);
    std::fs::write(&source, &bytes).expect("write the source");
    let source_text = source.display().to_string();
    let endpoint = format!("{}/api/uploads", server.base);
    // The whole file, 1 MiB a PATCH, in the background.
    let length = bytes.len().to_string();
    let args = ["start", &endpoint, &token, &source_text, "1048576", &length];
    let mut child = client(tool, &clients, &args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the client");
    // Kill once a few MiB are in: the next PATCH is under way.
    let mut path = None;
    assert!(server.wait_for(Duration::from_secs(60), || {
        let listed = alice.get("/api/uploads").go().json();
        let Some(upload) = listed["uploads"].get(0) else {
            return false;
        };
        path = upload["id"].as_str().map(|i| format!("/api/uploads/{i}"));
        upload["offset"]
            .as_u64()
            .is_some_and(|o| o >= 4 * 1024 * 1024)
    }));
    server.kill();
    let _ = child.wait();
    server.restart(&[], &[]);
    let alice = server.client(&token);
    let path = path.expect("the upload");
    let offset = offset_of(&head(&alice, &path).expect(200));
    assert!(
        offset >= 4 * 1024 * 1024 && offset < bytes.len() as u64,
        "{offset}"
    );
    let url = format!("{}{path}", server.base);
    let finished = run_client(
        tool,
        &clients,
        &["resume", &url, &token, &source_text, "1048576"],
    );
    url_from(&finished);
    let file_id = head(&alice, &path)
        .expect(200)
        .header("mycloud-file-id")
        .expect("finished");
    assert_eq!(sha256(&content(&alice, &file_id)), sha256(&bytes));
}

#[test]
fn tuspy_finishes_after_the_server_is_killed_mid_upload() {
    a_kill_mid_upload_loses_nothing_claimed(Tool::Tuspy);
}

#[test]
fn tus_js_client_finishes_after_the_server_is_killed_mid_upload() {
    a_kill_mid_upload_loses_nothing_claimed(Tool::TusJs);
}
