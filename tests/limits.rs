//! Limits that hold under abuse: each one is set small through its setting, hit by one
//! client, and answered with its status (431, 408, 413, 400, 429) while another client
//! is served as usual at the same time.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// A raw connection to `server`, for what an HTTP client library would not send.
fn connect(server: &Server) -> TcpStream {
    let addr = server.base.strip_prefix("http://").expect("http base");
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    stream
}

/// Everything the server sends until it closes the connection (or the read timeout).
fn read_all(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The status of a raw response, and its JSON body when it has one.
fn status_and_json(response: &str) -> (u16, Option<Value>) {
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok());
    (status, body)
}

/// Another client, on its own connection, is answered normally.
#[track_caller]
fn others_are_served(server: &Server) {
    let mut stream = connect(server);
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("send");
    let (status, body) = status_and_json(&read_all(&mut stream));
    assert_eq!(status, 200);
    assert_eq!(body.expect("JSON")["status"], "ok");
}

/// A raw `GET /api/health` whose head carries `extra` header lines.
fn get_with_headers(server: &Server, extra: &str) -> String {
    let mut stream = connect(server);
    let head = format!("GET /api/health HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("send");
    read_all(&mut stream)
}

/// A 431 with the JSON error that names the limit.
#[track_caller]
fn headers_too_large(response: &str, setting: &str) {
    let (status, body) = status_and_json(response);
    assert_eq!(status, 431, "{response}");
    let error = &body.unwrap_or_else(|| panic!("no JSON in {response:?}"))["error"];
    assert_eq!(error["code"], "headers_too_large", "{error}");
    let message = error["message"].as_str().expect("message");
    assert!(message.contains(setting), "{message}");
}

#[test]
fn more_headers_than_max_headers_is_431() {
    let server = Server::start_with(&["--max-headers", "10"]);
    let headers = |n: usize| (0..n).map(|i| format!("X-H{i}: v\r\n")).collect::<String>();
    // Host and Connection are two of the ten.
    let (status, _) = status_and_json(&get_with_headers(&server, &headers(8)));
    assert_eq!(status, 200);
    headers_too_large(&get_with_headers(&server, &headers(9)), "--max-headers");
    // Far over the limit, hyper refuses the head before it is parsed: still 431.
    let (status, _) = status_and_json(&get_with_headers(&server, &headers(40)));
    assert_eq!(status, 431);
    others_are_served(&server);
}

#[test]
fn head_larger_than_max_header_size_is_431() {
    let server = Server::start_with(&["--max-header-size", "4K"]);
    let header = |n: usize| format!("X-Big: {}\r\n", "a".repeat(n));
    let (status, _) = status_and_json(&get_with_headers(&server, &header(3000)));
    assert_eq!(status, 200);
    headers_too_large(
        &get_with_headers(&server, &header(5000)),
        "--max-header-size",
    );
    let (status, _) = status_and_json(&get_with_headers(&server, &header(20_000)));
    assert_eq!(status, 431);
    // The default (64 KiB) refuses what hyper alone let through (500 KB).
    let server = Server::start();
    let (status, _) = status_and_json(&get_with_headers(&server, &header(60_000)));
    assert_eq!(status, 200);
    headers_too_large(
        &get_with_headers(&server, &header(70_000)),
        "--max-header-size",
    );
    others_are_served(&server);
}

#[test]
fn a_head_not_finished_within_header_timeout_is_408() {
    let server = Server::start_with(&["--header-timeout", "1s"]);
    let mut slow = connect(&server);
    slow.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        .expect("send");
    let started = Instant::now();
    // The half-sent head holds no one else up.
    others_are_served(&server);
    let response = read_all(&mut slow);
    let waited = started.elapsed();
    let (status, body) = status_and_json(&response);
    assert_eq!(status, 408, "{response}");
    assert_eq!(body.expect("JSON")["error"]["code"], "request_timeout");
    assert!(
        response.to_ascii_lowercase().contains("connection: close"),
        "{response}"
    );
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(5),
        "answered after {waited:?}"
    );
}

#[test]
fn an_idle_connection_is_closed_after_header_timeout_without_an_answer() {
    let server = Server::start_with(&["--header-timeout", "1s"]);
    let mut idle = connect(&server);
    let started = Instant::now();
    // Nothing was asked, so there is nothing to answer: a plain close, as nginx does.
    assert_eq!(read_all(&mut idle), "");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(5),
        "closed after {waited:?}"
    );
    others_are_served(&server);
}

/// Starts `method path` with `headers` and a `Content-Length` of `length`, sends the
/// first `sent` bytes of the body, and returns the open stream.
fn start_body(
    server: &Server,
    method_path: &str,
    headers: &str,
    length: usize,
    sent: &[u8],
) -> TcpStream {
    let mut stream = connect(server);
    let head =
        format!("{method_path} HTTP/1.1\r\nHost: x\r\n{headers}Content-Length: {length}\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("send head");
    stream.write_all(sent).expect("send body");
    stream
}

#[test]
fn an_upload_that_stalls_for_body_idle_timeout_is_408_and_leaves_nothing() {
    let server = Server::start_with(&["--body-idle-timeout", "1s"]);
    let (_, alice) = user(&server, "alice");
    let token = login(&server, "alice", PASSWORD);
    let auth = format!("Authorization: Bearer {token}\r\n");
    let started = Instant::now();
    let mut stalled = start_body(
        &server,
        "PUT /api/files?name=a.txt",
        &auth,
        1000,
        &[b'x'; 10],
    );
    // Served while the upload stalls.
    assert_eq!(alice.me()["username"], "alice");
    others_are_served(&server);
    let response = read_all(&mut stalled);
    let waited = started.elapsed();
    let (status, body) = status_and_json(&response);
    assert_eq!(status, 408, "{response}");
    assert_eq!(body.expect("JSON")["error"]["code"], "request_timeout");
    assert!(response.to_lowercase().contains("connection: close"));
    assert!(waited < Duration::from_secs(6), "answered after {waited:?}");
    assert!(server.wait_for(Duration::from_secs(5), || {
        server.files_under("tmp").is_empty()
    }));
    assert_eq!(
        alice.get("/api/files").go().expect(200).json(),
        json!({"files": [], "next_cursor": null})
    );
}

#[test]
fn a_json_body_that_stalls_is_408_too() {
    let server = Server::start_with(&["--body-idle-timeout", "1s"]);
    let mut stalled = start_body(
        &server,
        "POST /api/auth/login",
        "Content-Type: application/json\r\n",
        100,
        b"{\"username\":",
    );
    others_are_served(&server);
    let (status, body) = status_and_json(&read_all(&mut stalled));
    assert_eq!(status, 408);
    assert_eq!(body.expect("JSON")["error"]["code"], "request_timeout");
}

#[test]
fn a_slow_but_steady_upload_is_not_cut_off() {
    let server = Server::start_with(&["--body-idle-timeout", "1s"]);
    let token = {
        register(&server, "alice");
        login(&server, "alice", PASSWORD)
    };
    let auth = format!("Authorization: Bearer {token}\r\n");
    let mut stream = start_body(&server, "PUT /api/files?name=a.txt", &auth, 6, b"");
    // Three seconds in all, never more than half the idle timeout between bytes.
    for byte in b"steady" {
        std::thread::sleep(Duration::from_millis(500));
        stream.write_all(&[*byte]).expect("send");
    }
    let (status, body) = status_and_json(&read_all_until_json(&mut stream));
    assert_eq!(status, 201);
    assert_eq!(body.expect("JSON")["file"]["size"], 6);
}

/// Reads one keep-alive response: up to the end of its JSON body.
fn read_all_until_json(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&out).into_owned();
        if let Some((_, body)) = text.split_once("\r\n\r\n")
            && serde_json::from_str::<Value>(body).is_ok()
        {
            return text;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return text,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn connections_over_max_connections_wait_until_one_ends() {
    let server = Server::start_with(&["--max-connections", "3"]);
    let idle: Vec<TcpStream> = (0..2).map(|_| connect(&server)).collect();
    // Two of three taken: the third client is served.
    others_are_served(&server);
    let third = connect(&server);
    // All three taken: a fourth is not accepted; it waits in the backlog.
    let mut waiting = connect(&server);
    waiting
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("send");
    waiting
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .expect("timeout");
    let mut buf = [0u8; 1];
    let early = waiting.read(&mut buf);
    assert!(
        matches!(&early, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
            || e.kind() == std::io::ErrorKind::TimedOut),
        "answered over the limit: {early:?}"
    );
    // One ends: the waiting client is served.
    drop(third);
    waiting
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let (status, _) = status_and_json(&read_all(&mut waiting));
    assert_eq!(status, 200);
    drop(idle);
}

#[test]
fn json_nested_deeper_than_max_json_depth_is_400() {
    let server = Server::start_with(&["--max-json-depth", "4"]);
    let nested = |levels: usize| format!("{}1{}", "[".repeat(levels - 1), "]".repeat(levels - 1));
    // Four levels (the object and three arrays): judged field by field.
    let body = format!(r#"{{"username":{},"password":"p"}}"#, nested(4));
    let reply = server
        .anon()
        .post("/api/auth/login")
        .header("content-type", "application/json")
        .body(body)
        .go();
    assert_eq!(reply.expect_invalid("username")["code"], "invalid");
    let body = format!(r#"{{"username":{},"password":"p"}}"#, nested(5));
    let reply = server
        .anon()
        .post("/api/auth/login")
        .header("content-type", "application/json")
        .body(body)
        .go();
    let error = reply.expect_error(400, "invalid_json");
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains("4 levels")
    );
    others_are_served(&server);
}

#[test]
fn json_deeper_than_the_default_32_levels_is_400_before_parsing() {
    let server = Server::start();
    let body = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let reply = server
        .anon()
        .post("/api/auth/login")
        .header("content-type", "application/json")
        .body(body)
        .go();
    let error = reply.expect_error(400, "invalid_json");
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains("32 levels")
    );
    others_are_served(&server);
}

#[test]
fn json_larger_than_max_json_size_is_413() {
    let server = Server::start_with(&["--max-json-size", "2K"]);
    let mut body = registration("alice");
    body["full_name"] = json!("x".repeat(2048));
    let reply = server.anon().post("/api/auth/register").json(&body).go();
    let error = reply.expect_error(413, "too_large");
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains("2 KiB")
    );
    others_are_served(&server);
    // A body under the limit is judged as usual.
    register(&server, "alice");
}

/// A login from `ip` (seen through `--trust-proxy`); returns the reply.
fn login_from(server: &Server, ip: &str, name: &str, password: &str) -> Reply {
    server
        .anon()
        .post("/api/auth/login")
        .header("x-forwarded-for", ip)
        .json(&json!({"username": name, "password": password}))
        .go()
}

#[track_caller]
fn retry_after(reply: &Reply) -> u64 {
    reply.expect_error(429, "too_many_requests");
    reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds")
}

#[test]
fn login_failures_per_username_back_off_exponentially_and_success_resets() {
    let server = Server::start_with(&[
        "--trust-proxy",
        "--login-free-failures-per-user",
        "2",
        "--login-backoff",
        "1s",
    ]);
    register(&server, "alice");
    register(&server, "bobby");
    let wrong = |ip: &str| login_from(&server, ip, "alice", "Wrong-pass-1");
    // The free failures, then the first one that costs a wait.
    for ip in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
        wrong(ip).expect_error(401, "invalid_credentials");
    }
    // From any address: the wait is the account's.
    assert_eq!(retry_after(&wrong("10.0.0.4")), 1);
    // Even the right password waits, or guessing would go on.
    assert_eq!(
        retry_after(&login_from(&server, "10.0.0.4", "alice", PASSWORD)),
        1
    );
    // Someone else is served meanwhile.
    login(&server, "bobby", PASSWORD);
    std::thread::sleep(Duration::from_millis(1100));
    wrong("10.0.0.5").expect_error(401, "invalid_credentials");
    assert_eq!(retry_after(&wrong("10.0.0.5")), 2, "the wait doubles");
    std::thread::sleep(Duration::from_millis(2100));
    wrong("10.0.0.5").expect_error(401, "invalid_credentials");
    assert_eq!(retry_after(&wrong("10.0.0.5")), 4, "and doubles again");
    std::thread::sleep(Duration::from_millis(4100));
    // The right password ends the back-off: the free failures are free again.
    login_from(&server, "10.0.0.6", "alice", PASSWORD).expect(200);
    for _ in 0..3 {
        wrong("10.0.0.6").expect_error(401, "invalid_credentials");
    }
    assert_eq!(retry_after(&wrong("10.0.0.6")), 1);
}

#[test]
fn login_failures_per_ip_back_off_across_usernames() {
    let server = Server::start_with(&[
        "--trust-proxy",
        "--login-free-failures-per-ip",
        "3",
        "--login-backoff",
        "30s",
    ]);
    register(&server, "alice");
    // Spraying one password over many names: each name fails once, the address often.
    for name in ["u1", "u2", "u3", "u4"] {
        login_from(&server, "10.0.0.1", name, "Wrong-pass-1")
            .expect_error(401, "invalid_credentials");
    }
    assert_eq!(
        retry_after(&login_from(&server, "10.0.0.1", "u5", "Wrong-pass-1")),
        30
    );
    // Another address, even for the same account, is served at once.
    login_from(&server, "10.0.0.2", "alice", PASSWORD).expect(200);
    others_are_served(&server);
}

#[test]
fn registrations_per_ip_per_hour_are_limited_with_retry_after() {
    let server = Server::start_with(&["--trust-proxy", "--registrations-per-hour", "2"]);
    let register_from = |ip: &str, name: &str| {
        server
            .anon()
            .post("/api/auth/register")
            .header("x-forwarded-for", ip)
            .json(&registration(name))
            .go()
    };
    register_from("10.0.0.1", "alice").expect(201);
    register_from("10.0.0.1", "bobby").expect(201);
    let refused = register_from("10.0.0.1", "carol");
    let wait = retry_after(&refused);
    // Two an hour: the next one comes back within half an hour.
    assert!((1700..=1800).contains(&wait), "Retry-After {wait}");
    // Nothing was created, and another address registers as usual.
    register_from("10.0.0.2", "carol").expect(201);
    others_are_served(&server);
}
