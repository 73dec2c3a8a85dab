//! Public share links: `POST/DELETE /api/files/{id}/share` and anonymous `GET/HEAD /s/…`.

mod common;

use common::*;
use serde_json::Value;

/// Shares `file`; returns the `file` from the reply.
#[track_caller]
fn share(client: &Client, file: &Value) -> Value {
    let reply = client
        .post(&format!("/api/files/{}/share", id(file)))
        .go()
        .expect(200);
    let body = reply.json();
    assert_keys(&body, &["file"]);
    assert_file(&body["file"]);
    body["file"].clone()
}

fn share_url(file: &Value) -> String {
    file["share_url"]
        .as_str()
        .unwrap_or_else(|| panic!("no share_url in {file}"))
        .to_string()
}

both_backends!(share_returns_the_file_with_a_share_url_and_is_idempotent);
fn share_returns_the_file_with_a_share_url_and_is_idempotent() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"shared bytes");
    let shared = share(&alice, &file);
    let url = share_url(&shared);
    assert!(url.starts_with(&format!("{}/s/", server.base)), "{url}");
    assert_eq!(shared["id"], file["id"]);
    let again = share(&alice, &file);
    assert_eq!(
        share_url(&again),
        url,
        "sharing twice must keep the same link"
    );
    let got = alice
        .get(&format!("/api/files/{}", id(&file)))
        .go()
        .expect(200)
        .json();
    assert_eq!(got["file"]["share_url"], url.as_str());
    let list = alice.get("/api/files").go().expect(200).json();
    assert_eq!(list["files"][0]["share_url"], url.as_str());
}

both_backends!(anyone_can_get_a_shared_file_and_that_counts_as_a_download);
fn anyone_can_get_a_shared_file_and_that_counts_as_a_download() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"shared bytes");
    let url = share_url(&share(&alice, &file));

    let reply = server.anon().head(&url).go().expect(200);
    assert_eq!(reply.header("content-length").as_deref(), Some("12"));
    assert!(reply.body.is_empty());
    let got = alice
        .get(&format!("/api/files/{}", id(&file)))
        .go()
        .expect(200)
        .json();
    assert_eq!(
        got["file"]["last_downloaded_at"],
        Value::Null,
        "HEAD is not a download"
    );

    let reply = server.anon().get(&url).go().expect(200);
    assert_eq!(reply.body, b"shared bytes");
    let disposition = reply.disposition();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("a.txt"),
        "{disposition}"
    );
    assert_eq!(
        reply.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    let got = alice
        .get(&format!("/api/files/{}", id(&file)))
        .go()
        .expect(200)
        .json();
    assert_time(&got["file"]["last_downloaded_at"]);
}

both_backends!(shared_file_supports_ranges_and_inline);
fn shared_file_supports_ranges_and_inline() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "pixel.png", TINY_PNG);
    let url = share_url(&share(&alice, &file));
    let reply = server
        .anon()
        .get(&url)
        .header("range", "bytes=0-7")
        .go()
        .expect(206);
    assert_eq!(reply.body, &TINY_PNG[..8]);
    let reply = server
        .anon()
        .get(&format!("{url}?inline=1"))
        .go()
        .expect(200);
    assert!(reply.disposition().starts_with("inline"), "{reply:?}");
}

both_backends!(shared_html_is_never_served_as_html);
fn shared_html_is_never_served_as_html() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "page.html", b"<script>alert(1)</script>");
    let url = share_url(&share(&alice, &file));
    let reply = server
        .anon()
        .get(&format!("{url}?inline=1"))
        .go()
        .expect(200);
    let content_type = reply.header("content-type").expect("Content-Type");
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert!(
        reply
            .header("content-security-policy")
            .is_some_and(|c| c.contains("sandbox")),
        "{reply:?}"
    );
}

both_backends!(revoking_a_share_is_204_and_the_link_dies);
fn revoking_a_share_is_204_and_the_link_dies() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"shared bytes");
    let url = share_url(&share(&alice, &file));
    server.anon().get(&url).go().expect(200);

    alice
        .delete(&format!("/api/files/{}/share", id(&file)))
        .go()
        .expect(204);
    server.anon().get(&url).go().expect_error(404, "not_found");
    let reply = server.anon().head(&url).go();
    assert_eq!(reply.status, 404, "{reply:?}");
    let got = alice
        .get(&format!("/api/files/{}", id(&file)))
        .go()
        .expect(200)
        .json();
    assert_eq!(got["file"]["share_url"], Value::Null);
    // The file itself is untouched.
    assert_eq!(
        alice
            .get(&format!("/api/files/{}/content", id(&file)))
            .go()
            .expect(200)
            .body,
        b"shared bytes"
    );
    // Sharing again works and does not bring the old link back.
    let new_url = share_url(&share(&alice, &file));
    assert_ne!(new_url, url);
    server.anon().get(&url).go().expect_error(404, "not_found");
    server.anon().get(&new_url).go().expect(200);
}

both_backends!(share_link_of_a_deleted_file_is_404);
fn share_link_of_a_deleted_file_is_404() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"bytes");
    let url = share_url(&share(&alice, &file));
    alice
        .delete(&format!("/api/files/{}", id(&file)))
        .go()
        .expect(204);
    server.anon().get(&url).go().expect_error(404, "not_found");
}

both_backends!(share_token_reveals_neither_the_file_id_nor_the_user_id);
fn share_token_reveals_neither_the_file_id_nor_the_user_id() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"bytes");
    let url = share_url(&share(&alice, &file));
    let token = url.rsplit("/s/").next().expect("token");
    assert!(
        token.len() >= 43,
        "token too short to be 256 random bits: {token}"
    );
    for secret in [id(&file), id(&user)] {
        let simple = secret.replace('-', "");
        assert!(
            !url.contains(&secret) && !url.contains(&simple),
            "{url} reveals {secret}"
        );
    }
}

both_backends!(unknown_share_tokens_are_404);
fn unknown_share_tokens_are_404() {
    let server = Server::start();
    let anon = server.anon();
    let fake = "A".repeat(43);
    let odd = format!("{}~", "A".repeat(42));
    let long = "A".repeat(500);
    for token in [fake.as_str(), odd.as_str(), long.as_str(), "abc"] {
        anon.get(&format!("/s/{token}"))
            .go()
            .expect_error(404, "not_found");
    }
}

both_backends!(guessing_share_tokens_is_throttled_per_ip);
fn guessing_share_tokens_is_throttled_per_ip() {
    let server = Server::start();
    let anon = server.anon();
    let mut throttled = None;
    for attempt in 1..=40 {
        let reply = anon.get(&format!("/s/{}", "B".repeat(43))).go();
        if reply.status == 429 {
            throttled = Some((attempt, reply));
            break;
        }
        reply.expect_error(404, "not_found");
    }
    let (attempt, reply) = throttled.expect("40 unknown tokens in a row were never throttled");
    assert!(attempt > 5, "throttled too early, at attempt {attempt}");
    reply.expect_error(429, "too_many_requests");
    assert!(
        reply
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok()),
        "{reply:?}"
    );
}

both_backends!(public_url_sets_the_base_of_share_links);
fn public_url_sets_the_base_of_share_links() {
    let server = Server::start_with(&["--public-url", "https://files.example.org"]);
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"bytes");
    let url = share_url(&share(&alice, &file));
    assert!(url.starts_with("https://files.example.org/s/"), "{url}");
    let token = url.rsplit("/s/").next().expect("token");
    assert_eq!(
        server
            .anon()
            .get(&format!("/s/{token}"))
            .go()
            .expect(200)
            .body,
        b"bytes"
    );
}
