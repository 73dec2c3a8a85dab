//! The access matrix: every file endpoint for anonymous callers, other users, owners and
//! admins, and every `/api` route without a token.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// One endpoint on a file: `METHOD /api/files/{id}SUFFIX` with an optional JSON body.
struct Endpoint {
    method: Method,
    suffix: &'static str,
    body: Option<Value>,
    /// The status its owner gets.
    ok: u16,
}

/// Every file endpoint, in an order the owner can run top to bottom (delete last).
fn file_endpoints() -> Vec<Endpoint> {
    let ep = |method: Method, suffix, body, ok| Endpoint {
        method,
        suffix,
        body,
        ok,
    };
    vec![
        ep(Method::GET, "", None, 200),
        ep(Method::PATCH, "", Some(json!({"comment": "changed"})), 200),
        ep(Method::GET, "/content", None, 200),
        ep(Method::HEAD, "/content", None, 200),
        ep(Method::POST, "/link", None, 200),
        ep(Method::POST, "/share", None, 200),
        ep(Method::DELETE, "/share", None, 204),
        ep(Method::DELETE, "", None, 204),
    ]
}

fn call(client: &Client, ep: &Endpoint, file_id: &str) -> Reply {
    let rb = client.request(
        ep.method.clone(),
        &format!("/api/files/{file_id}{}", ep.suffix),
    );
    match &ep.body {
        Some(body) => rb.json(body).go(),
        None => rb.go(),
    }
}

fn label(ep: &Endpoint) -> String {
    format!("{} /api/files/{{id}}{}", ep.method, ep.suffix)
}

/// Asserts the file is exactly as uploaded and its bytes are still on disk.
#[track_caller]
fn assert_untouched(server: &Server, owner: &Client, file: &Value, bytes: &[u8]) {
    let got = owner
        .get(&format!("/api/files/{}", id(file)))
        .go()
        .expect(200)
        .json()["file"]
        .clone();
    assert_eq!(&got, file, "the file changed");
    let on_disk =
        std::fs::read(server.blob_path(file["owner_id"].as_str().expect("owner"), &id(file)));
    assert_eq!(on_disk.expect("bytes on disk"), bytes);
}

both_backends!(anonymous_gets_401_on_every_file_endpoint);
fn anonymous_gets_401_on_every_file_endpoint() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "secret.txt", b"secret");
    let anon = server.anon();
    for ep in file_endpoints() {
        let reply = call(&anon, &ep, &id(&file));
        if ep.method == Method::HEAD {
            assert_eq!(reply.status, 401, "{}: {reply:?}", label(&ep));
            assert!(reply.body.is_empty());
        } else {
            assert_eq!(reply.status, 401, "{}: {reply:?}", label(&ep));
            reply.expect_error(401, "unauthorized");
        }
    }
    assert_untouched(&server, &alice, &file, b"secret");
}

both_backends!(other_user_gets_404_on_every_file_endpoint_exactly_like_a_missing_file);
fn other_user_gets_404_on_every_file_endpoint_exactly_like_a_missing_file() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let (_, bobby) = common::user(&server, "bobby");
    let file = upload_put(&alice, "secret.txt", b"secret");
    for ep in file_endpoints() {
        let theirs = call(&bobby, &ep, &id(&file));
        let missing = call(&bobby, &ep, &random_id());
        assert_eq!(theirs.status, 404, "{}: {theirs:?}", label(&ep));
        assert_eq!(missing.status, 404, "{}: {missing:?}", label(&ep));
        if ep.method != Method::HEAD {
            theirs.expect_error(404, "not_found");
            assert_eq!(
                theirs.body,
                missing.body,
                "{}: someone else's file must look absent",
                label(&ep)
            );
        }
    }
    assert_untouched(&server, &alice, &file, b"secret");
}

both_backends!(other_user_gets_404_for_file_content);
fn other_user_gets_404_for_file_content() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let (_, bobby) = common::user(&server, "bobby");
    let file = upload_put(&alice, "secret.txt", b"secret");
    let reply = bobby.get(&format!("/api/files/{}/content", id(&file))).go();
    reply.expect_error(404, "not_found");
    assert!(!reply.text().contains("secret.txt"));
    let reply = bobby
        .get(&format!("/api/files/{}/content", id(&file)))
        .header("range", "bytes=0-2")
        .go();
    reply.expect_error(404, "not_found");
}

both_backends!(owner_succeeds_on_every_file_endpoint);
fn owner_succeeds_on_every_file_endpoint() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "mine.txt", b"mine");
    for ep in file_endpoints() {
        let reply = call(&alice, &ep, &id(&file));
        assert_eq!(reply.status, ep.ok, "{}: {reply:?}", label(&ep));
        match (ep.method.as_str(), ep.suffix) {
            ("GET" | "PATCH", "") | ("POST", "/share") => assert_file(&reply.json()["file"]),
            ("GET", "/content") => assert_eq!(reply.body, b"mine"),
            ("POST", "/link") => assert!(reply.json()["url"].is_string()),
            _ => assert!(reply.body.is_empty(), "{}: {reply:?}", label(&ep)),
        }
    }
    // Deleted into the trash: the bytes stay until it is purged.
    assert_eq!(server.files_under("files").len(), 1);
    alice.delete("/api/trash").go().expect(204);
    assert!(server.files_under("files").is_empty());
}

both_backends!(admin_succeeds_on_every_file_endpoint_of_another_user);
fn admin_succeeds_on_every_file_endpoint_of_another_user() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let root = admin(&server);
    let file = upload_put(&alice, "hers.txt", b"hers");
    for ep in file_endpoints() {
        let reply = call(&root, &ep, &id(&file));
        assert_eq!(reply.status, ep.ok, "{}: {reply:?}", label(&ep));
        match (ep.method.as_str(), ep.suffix) {
            ("GET" | "PATCH", "") | ("POST", "/share") => {
                let got = reply.json()["file"].clone();
                assert_file(&got);
                assert_eq!(got["owner_id"], file["owner_id"], "the owner stays alice");
            }
            ("GET", "/content") => assert_eq!(reply.body, b"hers"),
            _ => {}
        }
    }
    alice
        .get(&format!("/api/files/{}", id(&file)))
        .go()
        .expect_error(404, "not_found");
    // Deleted into the trash: the bytes stay until it is purged.
    assert_eq!(server.files_under("files").len(), 1);
    alice.delete("/api/trash").go().expect(204);
    assert!(server.files_under("files").is_empty());
}

/// Every `/api` route that needs an account, with made-up ids.
fn private_routes() -> Vec<(Method, String)> {
    let f = random_id();
    let u = random_id();
    vec![
        (Method::POST, "/api/auth/logout".into()),
        (Method::GET, "/api/me".into()),
        (Method::PATCH, "/api/me".into()),
        (Method::POST, "/api/me/password".into()),
        (Method::PUT, "/api/me/avatar".into()),
        (Method::DELETE, "/api/me/avatar".into()),
        (Method::GET, format!("/api/users/{u}/avatar")),
        (Method::GET, "/api/files".into()),
        (Method::GET, format!("/api/files?user={u}")),
        (Method::POST, "/api/files".into()),
        (Method::PUT, "/api/files?name=a.txt".into()),
        (Method::GET, format!("/api/files/{f}")),
        (Method::PATCH, format!("/api/files/{f}")),
        (Method::DELETE, format!("/api/files/{f}")),
        (Method::GET, format!("/api/files/{f}/content")),
        (Method::POST, format!("/api/files/{f}/link")),
        (Method::POST, format!("/api/files/{f}/share")),
        (Method::DELETE, format!("/api/files/{f}/share")),
        (Method::GET, "/api/admin/users".into()),
        (Method::PATCH, format!("/api/admin/users/{u}")),
        (Method::DELETE, format!("/api/admin/users/{u}")),
    ]
}

both_backends!(every_private_api_route_without_a_token_is_401);
fn every_private_api_route_without_a_token_is_401() {
    let server = Server::start();
    let anon = server.anon();
    for (method, path) in private_routes() {
        let reply = anon.request(method.clone(), &path).body("{}").go();
        assert_eq!(reply.status, 401, "{method} {path}: {reply:?}");
        reply.expect_error(401, "unauthorized");
    }
    // A refused upload leaves nothing behind.
    assert!(server.files_under("files").is_empty());
    server.assert_tmp_empty();
}

both_backends!(every_private_api_route_with_an_unknown_token_is_401);
fn every_private_api_route_with_an_unknown_token_is_401() {
    let server = Server::start();
    let forged = server.client("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    for (method, path) in private_routes() {
        let reply = forged.request(method.clone(), &path).body("{}").go();
        assert_eq!(reply.status, 401, "{method} {path}: {reply:?}");
        reply.expect_error(401, "unauthorized");
    }
}

both_backends!(public_routes_answer_without_a_token);
fn public_routes_answer_without_a_token() {
    let server = Server::start();
    let anon = server.anon();
    let health = anon.get("/api/health").go().expect(200);
    assert_eq!(health.json()["status"], "ok");
    // Register and login judge the body, not a token.
    anon.post("/api/auth/register")
        .json(&json!({}))
        .go()
        .expect_error(400, "invalid");
    let body = json!({"username": "nobody", "password": PASSWORD});
    anon.post("/api/auth/login")
        .json(&body)
        .go()
        .expect_error(401, "invalid_credentials");
    anon.get(&format!("/s/{}", "C".repeat(43)))
        .go()
        .expect_error(404, "not_found");
    let page = anon.get("/").go().expect(200);
    assert!(
        page.header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{page:?}"
    );
}

both_backends!(anonymous_upload_with_a_body_is_401_and_leaves_nothing);
fn anonymous_upload_with_a_body_is_401_and_leaves_nothing() {
    let server = Server::start();
    let anon = server.anon();
    put_file(&anon, &[("name", "a.txt")], &vec![1u8; 200_000]).expect_error(401, "unauthorized");
    let parts = [Part::File {
        name: "a.txt",
        bytes: &[1u8; 1000],
    }];
    post_multipart(&anon, "/api/files", &parts).expect_error(401, "unauthorized");
    assert!(server.files_under("files").is_empty());
    server.assert_tmp_empty();
}
