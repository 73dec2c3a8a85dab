//! The error contract: JSON bodies with limits, malformed and unknown input, unknown paths
//! and wrong methods, all answered as `{"error": {"code", "message", "field"?}}`.

mod common;

use common::*;
use serde_json::json;

/// Just over the 64 KiB JSON limit.
const OVER_JSON_LIMIT: usize = 64 * 1024 + 1;

both_backends!(json_body_over_64_kib_is_413);
fn json_body_over_64_kib_is_413() {
    let server = Server::start();
    // Valid JSON, just too big: the size is refused before anything is parsed.
    let mut body = registration("alice");
    body["full_name"] = json!("x".repeat(OVER_JSON_LIMIT));
    let reply = server.anon().post("/api/auth/register").json(&body).go();
    reply.expect_error(413, "too_large");
    // Nobody was created.
    register(&server, "alice");
}

both_backends!(json_body_over_64_kib_is_413_on_authenticated_routes_too);
fn json_body_over_64_kib_is_413_on_authenticated_routes_too() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"x");
    let big = json!({"comment": "c".repeat(OVER_JSON_LIMIT)});
    alice
        .patch(&format!("/api/files/{}", id(&file)))
        .json(&big)
        .go()
        .expect_error(413, "too_large");
    alice
        .patch("/api/me")
        .json(&json!({"full_name": "f".repeat(OVER_JSON_LIMIT)}))
        .go()
        .expect_error(413, "too_large");
    // Without a Content-Length the limit holds while reading.
    let chunked = reqwest::blocking::Body::new(std::io::Cursor::new(big.to_string().into_bytes()));
    let reply = alice
        .patch("/api/me")
        .header("content-type", "application/json")
        .body(chunked)
        .go();
    reply.expect_error(413, "too_large");
}

both_backends!(malformed_json_is_400_invalid_json);
fn malformed_json_is_400_invalid_json() {
    let server = Server::start();
    let anon = server.anon();
    for body in [
        "{not json",
        "",
        "[1, 2]",
        "\"a string\"",
        "null",
        "{\"username\": \"a\",}",
    ] {
        let reply = anon
            .post("/api/auth/register")
            .header("content-type", "application/json")
            .body(body)
            .go();
        reply.expect_error(400, "invalid_json");
        let reply = anon
            .post("/api/auth/login")
            .header("content-type", "application/json")
            .body(body)
            .go();
        reply.expect_error(400, "invalid_json");
    }
}

both_backends!(malformed_json_on_authenticated_routes_is_400_invalid_json);
fn malformed_json_on_authenticated_routes_is_400_invalid_json() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"x");
    alice
        .patch("/api/me")
        .body("{")
        .go()
        .expect_error(400, "invalid_json");
    alice
        .patch(&format!("/api/files/{}", id(&file)))
        .body("nope")
        .go()
        .expect_error(400, "invalid_json");
    alice
        .post("/api/me/password")
        .body("[]")
        .go()
        .expect_error(400, "invalid_json");
}

both_backends!(unknown_json_field_is_400_naming_it);
fn unknown_json_field_is_400_naming_it() {
    let server = Server::start();
    let mut body = registration("alice");
    body["is_admin"] = json!(true);
    server
        .anon()
        .post("/api/auth/register")
        .json(&body)
        .go()
        .expect_invalid("is_admin");
    let body = json!({"username": "alice", "password": PASSWORD, "remember": true});
    server
        .anon()
        .post("/api/auth/login")
        .json(&body)
        .go()
        .expect_invalid("remember");

    let (_, alice) = user(&server, "alice");
    assert_eq!(alice.me()["is_admin"], false);
    let file = upload_put(&alice, "a.txt", b"x");
    let reply = alice
        .patch(&format!("/api/files/{}", id(&file)))
        .json(&json!({"nmae": "typo.txt"}))
        .go();
    reply.expect_invalid("nmae");
    let got = alice
        .get(&format!("/api/files/{}", id(&file)))
        .go()
        .expect(200)
        .json();
    assert_eq!(got["file"]["name"], "a.txt");
}

both_backends!(field_of_the_wrong_type_is_400_naming_it);
fn field_of_the_wrong_type_is_400_naming_it() {
    let server = Server::start();
    let mut body = registration("alice");
    body["username"] = json!(12345);
    server
        .anon()
        .post("/api/auth/register")
        .json(&body)
        .go()
        .expect_invalid("username");
    let body = json!({"username": "alice", "password": 5});
    server
        .anon()
        .post("/api/auth/login")
        .json(&body)
        .go()
        .expect_invalid("password");
}

both_backends!(login_without_a_password_is_400_naming_it);
fn login_without_a_password_is_400_naming_it() {
    let server = Server::start();
    let reply = server
        .anon()
        .post("/api/auth/login")
        .json(&json!({"username": "alice"}))
        .go();
    reply.expect_invalid("password");
}

both_backends!(unknown_api_path_is_a_json_404_not_the_web_page);
fn unknown_api_path_is_a_json_404_not_the_web_page() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    for path in [
        "/api/xyz",
        "/api",
        "/api/",
        "/api/files/a/b/c",
        "/api/me/nothing",
        "/api/admin",
    ] {
        for client in [&server.anon(), &alice] {
            let reply = client.get(path).go();
            reply.expect_error(404, "not_found");
        }
    }
}

both_backends!(malformed_file_ids_are_404);
fn malformed_file_ids_are_404() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    for bad in ["not-a-uuid", "123", "..%2f..%2fetc"] {
        alice
            .get(&format!("/api/files/{bad}"))
            .go()
            .expect_error(404, "not_found");
        alice
            .get(&format!("/api/files/{bad}/content"))
            .go()
            .expect_error(404, "not_found");
    }
}

both_backends!(wrong_method_on_a_known_path_is_405_with_allow);
fn wrong_method_on_a_known_path_is_405_with_allow() {
    let server = Server::start();
    let cases = [
        ("DELETE", "/api/health", "GET"),
        ("GET", "/api/auth/login", "POST"),
        ("DELETE", "/api/files", "GET"),
    ];
    for (method, path, allowed) in cases {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let reply = server.anon().request(method, path).go();
        reply.expect_error(405, "method_not_allowed");
        let allow = reply.header("allow").expect("Allow");
        assert!(allow.contains(allowed), "{path}: Allow {allow}");
    }
}

both_backends!(errors_carry_a_json_content_type_and_no_cache);
fn errors_carry_a_json_content_type_and_no_cache() {
    let server = Server::start();
    let reply = server.anon().get("/api/me").go();
    reply.expect_error(401, "unauthorized");
    let cache = reply.header("cache-control").unwrap_or_default();
    assert!(
        cache.contains("no-store") || cache.contains("no-cache"),
        "Cache-Control: {cache}"
    );
}
