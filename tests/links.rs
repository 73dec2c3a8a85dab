//! Signed content links: `POST /api/files/{id}/link` gives a short-lived URL that works
//! without any header, and any change to it makes it useless.

mod common;

use common::*;
use serde_json::Value;

/// `POST …/link` for `file`; returns `url` after checking the reply's shape.
#[track_caller]
fn signed_url(server: &Server, client: &Client, file: &Value) -> String {
    let reply = client
        .post(&format!("/api/files/{}/link", id(file)))
        .go()
        .expect(200);
    let body = reply.json();
    assert_keys(&body, &["url", "expires_at"]);
    assert_time(&body["expires_at"]);
    let url = body["url"].as_str().expect("url").to_string();
    let prefix = format!("{}/api/files/{}/content?", server.base, id(file));
    assert!(url.starts_with(&prefix), "{url} should start with {prefix}");
    url
}

/// The value of query parameter `name` in `url`.
fn param(url: &str, name: &str) -> String {
    let query = url.split_once('?').expect("query").1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {url}"))
        .to_string()
}

both_backends!(signed_link_serves_the_bytes_without_any_header);
fn signed_link_serves_the_bytes_without_any_header() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "photo.png", TINY_PNG);
    let url = signed_url(&server, &alice, &file);
    let reply = server.anon().get(&url).go().expect(200);
    assert_eq!(reply.body, TINY_PNG);
    // Inline works through a link too: that is what `<img>` needs.
    let reply = server
        .anon()
        .get(&format!("{url}&inline=1"))
        .go()
        .expect(200);
    assert!(reply.disposition().starts_with("inline"), "{reply:?}");
}

both_backends!(signed_link_expires_in_minutes_not_days);
fn signed_link_expires_in_minutes_not_days() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"abc");
    let url = signed_url(&server, &alice, &file);
    let expires: u64 = param(&url, "expires").parse().expect("unix seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert!(expires > now, "link already expired: {expires} <= {now}");
    assert!(
        expires <= now + 3600,
        "a signed link should live minutes, this one {} s",
        expires - now
    );
}

both_backends!(tampered_signature_is_403);
fn tampered_signature_is_403() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"abc");
    let url = signed_url(&server, &alice, &file);
    let sig = param(&url, "sig");
    let first = if sig.starts_with('A') { "B" } else { "A" };
    let flipped = format!("{first}{}", &sig[1..]);
    let reply = server.anon().get(&url.replace(&sig, &flipped)).go();
    reply.expect_error(403, "invalid_link");
    let reply = server.anon().get(&url.replace(&sig, "")).go();
    assert!(reply.status == 403 || reply.status == 401, "{reply:?}");
}

both_backends!(tampered_expiry_is_403);
fn tampered_expiry_is_403() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"abc");
    let url = signed_url(&server, &alice, &file);
    let expires = param(&url, "expires");
    let later = (expires.parse::<u64>().expect("number") + 86_400).to_string();
    let reply = server
        .anon()
        .get(&url.replace(&format!("expires={expires}"), &format!("expires={later}")))
        .go();
    reply.expect_error(403, "invalid_link");
}

both_backends!(expired_link_is_refused);
fn expired_link_is_refused() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"abc");
    let url = signed_url(&server, &alice, &file);
    let expires = param(&url, "expires");
    // A time in the past: whatever the signature, the link must not work.
    let reply = server
        .anon()
        .get(&url.replace(&format!("expires={expires}"), "expires=1000000000"))
        .go();
    assert_eq!(reply.status, 403, "{reply:?}");
    assert!(
        ["invalid_link", "link_expired"]
            .contains(&reply.json()["error"]["code"].as_str().unwrap_or("")),
        "{reply:?}"
    );
}

both_backends!(link_moved_to_another_file_id_is_403);
fn link_moved_to_another_file_id_is_403() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let first = upload_put(&alice, "first.txt", b"first");
    let second = upload_put(&alice, "second.txt", b"second");
    let url = signed_url(&server, &alice, &first);
    let moved = url.replace(&id(&first), &id(&second));
    server
        .anon()
        .get(&moved)
        .go()
        .expect_error(403, "invalid_link");
    let moved = url.replace(&id(&first), &random_id());
    server
        .anon()
        .get(&moved)
        .go()
        .expect_error(403, "invalid_link");
}

both_backends!(link_of_a_deleted_file_is_404);
fn link_of_a_deleted_file_is_404() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"abc");
    let url = signed_url(&server, &alice, &file);
    alice
        .delete(&format!("/api/files/{}", id(&file)))
        .go()
        .expect(204);
    server.anon().get(&url).go().expect_error(404, "not_found");
}

both_backends!(admin_can_make_a_link_to_another_users_file);
fn admin_can_make_a_link_to_another_users_file() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let root = admin(&server);
    let file = upload_put(&alice, "a.txt", b"abc");
    let url = signed_url(&server, &root, &file);
    assert_eq!(server.anon().get(&url).go().expect(200).body, b"abc");
}
