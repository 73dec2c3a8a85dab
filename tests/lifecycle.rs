//! The request log (one line per request with method, path, status, bytes and
//! milliseconds, written once the body is sent, never a credential in it) and the
//! graceful stop that lets the last requests finish.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use serde_json::json;

/// The log lines of the request logger.
fn request_lines(server: &Server) -> Vec<String> {
    server
        .log()
        .lines()
        .filter(|l| l.contains("mycloud::server]"))
        .map(str::to_string)
        .collect()
}

#[track_caller]
fn wait_for_line(server: &Server, needle: &str) -> String {
    let mut found = None;
    server.wait_for(Duration::from_secs(10), || {
        found = request_lines(server)
            .into_iter()
            .find(|l| l.contains(needle));
        found.is_some()
    });
    found.unwrap_or_else(|| panic!("no log line with {needle:?}:\n{}", server.log()))
}

both_backends!(each_request_logs_method_path_status_bytes_and_ms);
fn each_request_logs_method_path_status_bytes_and_ms() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"twelve bytes");
    alice
        .get(&format!("/api/files/{}/content?inline=1", id(&file)))
        .go()
        .expect(200);
    let line = wait_for_line(
        &server,
        &format!("GET /api/files/{}/content 200", id(&file)),
    );
    let tail = line.split(" 200 ").nth(1).expect("status then bytes");
    let mut words = tail.split_whitespace();
    assert_eq!(words.next(), Some("12"), "bytes sent: {line}");
    let ms = words.next().expect("ms");
    assert!(
        ms.ends_with("ms") && ms.trim_end_matches("ms").parse::<u64>().is_ok(),
        "{line}"
    );
    assert!(
        !line.contains("inline"),
        "the query string was logged: {line}"
    );
    server.anon().get("/api/nope").go().expect(404);
    wait_for_line(&server, "GET /api/nope 404");
}

both_backends!(no_token_password_share_token_or_signature_is_ever_logged);
fn no_token_password_share_token_or_signature_is_ever_logged() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let token = login(&server, "alice", PASSWORD);
    let file = upload_put(&alice, "a.txt", b"secret stuff");
    let share_url = share_url_of(&alice, &file);
    let share_token = share_url.rsplit('/').next().expect("token").to_string();
    server.anon().get(&share_url).go().expect(200);
    let link = alice
        .post(&format!("/api/files/{}/link", id(&file)))
        .go()
        .expect(200)
        .json()["url"]
        .as_str()
        .expect("url")
        .to_string();
    server.anon().get(&link).go().expect(200);
    let sig = link.split("sig=").nth(1).expect("sig").to_string();
    server
        .anon()
        .post("/api/auth/login")
        .json(&json!({"username": "alice", "password": "Wrong-pass-99"}))
        .go()
        .expect(401);
    // A folder share with a password, unlocked, and a file request with a drop.
    let folder = make_folder(&alice, "f", None);
    put_into(&alice, Some(&folder), "in.txt", b"in");
    let folder_share = alice
        .post(&format!("/api/folders/{}/share", id(&folder)))
        .json(&json!({"password": "Link-pass-77"}))
        .go()
        .expect(200)
        .json()["folder"]["share"]["url"]
        .as_str()
        .expect("url")
        .to_string();
    let unlocked = server
        .anon()
        .post(&format!("{folder_share}/unlock"))
        .json(&json!({"password": "Link-pass-77"}))
        .go()
        .expect(200)
        .json()["url"]
        .as_str()
        .expect("url")
        .to_string();
    let grant = unlocked.split("grant=").nth(1).expect("grant").to_string();
    let download = format!("{folder_share}/download?path=in.txt&grant={grant}");
    server.anon().get(&download).go().expect(200);
    let request = alice
        .post(&format!("/api/folders/{}/requests", id(&folder)))
        .json(&json!({}))
        .go()
        .expect(201)
        .json()["request"]["url"]
        .as_str()
        .expect("url")
        .to_string();
    server
        .anon()
        .put(&format!("{request}/files?name=d.txt"))
        .body(b"d".to_vec())
        .go()
        .expect(201);
    let folder_token = folder_share.rsplit('/').next().expect("token").to_string();
    let request_token = request.rsplit('/').next().expect("token").to_string();
    wait_for_line(&server, "GET /s/");
    wait_for_line(&server, "GET /s/…/download 200");
    wait_for_line(&server, "PUT /r/…/files 201");
    wait_for_line(&server, "POST /api/auth/login 401");

    let log = server.log();
    for (what, secret) in [
        ("token", token.as_str()),
        ("password", PASSWORD),
        ("wrong password", "Wrong-pass-99"),
        ("share token", share_token.as_str()),
        ("link signature", sig.as_str()),
        ("folder share token", folder_token.as_str()),
        ("link password", "Link-pass-77"),
        ("grant", grant.as_str()),
        ("file request token", request_token.as_str()),
    ] {
        assert!(!log.contains(secret), "the {what} is in the log:\n{log}");
    }
}

both_backends!(a_download_cut_short_is_logged_as_such_with_the_bytes_that_went_out);
fn a_download_cut_short_is_logged_as_such_with_the_bytes_that_went_out() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let token = login(&server, "alice", PASSWORD);
    let size = 64 * 1024 * 1024;
    let file = upload_put(&alice, "big.bin", &vec![7u8; size]);

    let addr = server.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET /api/files/{}/content HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Token {token}\r\n\r\n",
        id(&file)
    )
    .expect("send");
    let mut first = [0u8; 4096];
    let n = stream.read(&mut first).expect("read");
    assert!(n > 0 && first.starts_with(b"HTTP/1.1 200"));
    drop(stream);

    let line = wait_for_line(&server, "(cut short)");
    assert!(
        line.contains(&format!("GET /api/files/{}/content 200", id(&file))),
        "{line}"
    );
    let sent: u64 = line
        .split(" 200 ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|b| b.parse().ok())
        .unwrap_or_else(|| panic!("no byte count in {line}"));
    assert!(sent < size as u64, "{line}");
}

both_backends!(sigterm_refuses_new_connections_and_lets_a_download_in_flight_finish);
fn sigterm_refuses_new_connections_and_lets_a_download_in_flight_finish() {
    let mut server = Server::start();
    let (_, alice) = user(&server, "alice");
    let token = login(&server, "alice", PASSWORD);
    let size = 32 * 1024 * 1024;
    let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let file = upload_put(&alice, "big.bin", &bytes);

    let addr = server.base.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&addr).expect("connect");
    write!(
        stream,
        "GET /api/files/{}/content HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Token {token}\r\nConnection: close\r\n\r\n",
        id(&file)
    )
    .expect("send");
    // Read a little so the response is under way, then stop the server.
    let mut received = vec![0u8; 64 * 1024];
    let mut got = stream.read(&mut received).expect("read");
    received.truncate(got);
    server.terminate();
    assert!(
        server.wait_for(Duration::from_secs(10), || TcpStream::connect(&addr)
            .is_err()),
        "the server still accepts connections after SIGTERM"
    );
    // The download in flight runs to its end.
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).expect("read the rest");
    received.extend_from_slice(&rest);
    got = received.len();
    let body_at = received
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers")
        + 4;
    assert_eq!(got - body_at, size, "the download was cut by the shutdown");
    assert!(received[body_at..] == bytes[..], "the bytes differ");
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("the server did not exit after its last request");
    assert!(status.success(), "exit status {status}");
    assert!(
        server.log().contains("all requests finished"),
        "{}",
        server.log()
    );
}

/// An answer given before the request body was read (here 401 on an upload) must tell
/// the client to close: the server will, and a client that sent its next request on
/// that connection would get a reset instead of an answer.
#[test]
fn an_answer_before_the_body_is_read_closes_the_connection_cleanly() {
    let server = Server::start();
    let big = vec![1u8; 4 * 1024 * 1024];
    for _ in 0..20 {
        let reply = put_file(&server.anon(), &[("name", "a.txt")], &big);
        reply.expect_error(401, "unauthorized");
        assert_eq!(reply.header("connection").as_deref(), Some("close"));
        // The next request, likely on a pooled connection, must still work.
        server.anon().get("/api/health").go().expect(200);
    }
    let (_, alice) = user(&server, "alice");
    let reply = alice.get("/api/me").go().expect(200);
    assert_eq!(
        reply.header("connection"),
        None,
        "a read body keeps the connection"
    );
    let reply = put_file(&alice, &[("name", "b.txt")], b"small");
    assert_eq!(reply.status, 201);
    assert_eq!(
        reply.header("connection"),
        None,
        "a read body keeps the connection"
    );
}
