//! The crash-free upload path: a client that hangs up mid-upload leaves nothing on disk
//! and the server keeps serving; a server start empties `tmp/`.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use serde_json::json;

/// Announces a 100 MiB body but sends only 512 KiB of it.
const DECLARED: usize = 100 * 1024 * 1024;
const SENT: usize = 512 * 1024;

/// Opens a raw connection and sends `head` and `SENT` bytes of `filler`, returning the
/// still-open stream.
fn start_partial_request(server: &Server, head: &str, filler: u8) -> TcpStream {
    let addr = server.base.strip_prefix("http://").expect("http base");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(head.as_bytes()).expect("send head");
    let chunk = vec![filler; 64 * 1024];
    for _ in 0..SENT / chunk.len() {
        stream.write_all(&chunk).expect("send body");
    }
    stream.flush().expect("flush");
    stream
}

/// After `hang_ups` requests `request` (e.g. `PUT /api/files`) were cut off: waits until
/// the server has logged every one of them as done and their partial uploads are gone,
/// then checks the server. An empty `tmp/` alone proves nothing while a busy server may not
/// yet have started on the last hung-up request.
#[track_caller]
fn assert_clean_after_hang_up(server: &Server, alice: &Client, request: &str, hang_ups: usize) {
    let logged = format!("mycloud::server] {request} ");
    let clean = server.wait_for(Duration::from_secs(10), || {
        server.log().matches(&logged).count() >= hang_ups
            && server.files_under("tmp").is_empty()
            && server.files_under("files").is_empty()
    });
    assert!(
        clean,
        "partial upload left on disk: tmp {:?}, files {:?}\n--- server log ---\n{}",
        server.files_under("tmp"),
        server.files_under("files"),
        server.log()
    );
    let health = server.anon().get("/api/health").go().expect(200);
    assert_eq!(health.json()["status"], "ok");
    assert_eq!(
        alice.get("/api/files").go().expect(200).json(),
        json!({"files": [], "next_cursor": null})
    );
    // And the next upload works as usual.
    let file = upload_put(alice, "after.txt", b"still fine");
    assert_eq!(
        alice
            .get(&format!("/api/files/{}/content", id(&file)))
            .go()
            .expect(200)
            .body,
        b"still fine"
    );
    server.assert_tmp_empty();
}

both_backends!(client_that_hangs_up_mid_put_leaves_nothing_on_disk);
fn client_that_hangs_up_mid_put_leaves_nothing_on_disk() {
    let server = Server::start();
    register(&server, "alice");
    let token = login(&server, "alice", PASSWORD);
    let alice = server.client(&token);
    let head = format!(
        "PUT /api/files?name=big.bin HTTP/1.1\r\nHost: {}\r\nAuthorization: Token {token}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {DECLARED}\r\n\r\n",
        server.base.trim_start_matches("http://")
    );
    let stream = start_partial_request(&server, &head, 0xAB);
    // The upload streams into tmp/ while it is in flight.
    let streaming = server.wait_for(Duration::from_secs(5), || {
        !server.files_under("tmp").is_empty()
    });
    assert!(
        streaming,
        "no temp file appeared while the upload was in flight"
    );
    drop(stream);
    assert_clean_after_hang_up(&server, &alice, "PUT /api/files", 1);
}

both_backends!(client_that_hangs_up_mid_multipart_leaves_nothing_on_disk);
fn client_that_hangs_up_mid_multipart_leaves_nothing_on_disk() {
    let server = Server::start();
    register(&server, "alice");
    let token = login(&server, "alice", PASSWORD);
    let alice = server.client(&token);
    let head = format!(
        "POST /api/files HTTP/1.1\r\nHost: {}\r\nAuthorization: Token {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {DECLARED}\r\n\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n",
        server.base.trim_start_matches("http://")
    );
    let stream = start_partial_request(&server, &head, b'z');
    let streaming = server.wait_for(Duration::from_secs(5), || {
        !server.files_under("tmp").is_empty()
    });
    assert!(
        streaming,
        "no temp file appeared while the upload was in flight"
    );
    drop(stream);
    assert_clean_after_hang_up(&server, &alice, "POST /api/files", 1);
}

both_backends!(many_hang_ups_in_a_row_do_not_leak_or_stop_the_server);
fn many_hang_ups_in_a_row_do_not_leak_or_stop_the_server() {
    let server = Server::start();
    register(&server, "alice");
    let token = login(&server, "alice", PASSWORD);
    let alice = server.client(&token);
    let head = format!(
        "PUT /api/files?name=big.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Token {token}\r\n\
         Content-Length: {DECLARED}\r\n\r\n"
    );
    for _ in 0..10 {
        drop(start_partial_request(&server, &head, 1));
    }
    assert_clean_after_hang_up(&server, &alice, "PUT /api/files", 10);
}

both_backends!(starting_the_server_empties_tmp);
fn starting_the_server_empties_tmp() {
    let server = Server::start_seeded(&[], |data_dir| {
        std::fs::create_dir_all(data_dir.join("tmp")).expect("mkdir tmp");
        std::fs::write(data_dir.join("tmp").join("left-over-upload"), b"partial")
            .expect("seed tmp");
    });
    server.assert_tmp_empty();
    server.anon().get("/api/health").go().expect(200);
}

// SQLite only: the journal mode is a property of the `.db` file, and PostgreSQL has no
// such file (its own write-ahead log is always on).
#[test]
fn the_sqlite_database_is_in_wal_mode() {
    let server = Server::start();
    register(&server, "alice");
    assert_eq!(server.backend, Backend::Sqlite);
    assert_eq!(server.query("PRAGMA journal_mode"), "wal");
}
