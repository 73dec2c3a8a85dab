//! The caller's own account: `/api/me`, profile changes and the avatar.

mod common;

use common::*;
use serde_json::{Value, json};

/// Avatars are limited to 2 MiB.
const AVATAR_LIMIT: usize = 2 * 1024 * 1024;

both_backends!(me_returns_the_user_with_storage_figures);
fn me_returns_the_user_with_storage_figures() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    let mut me = alice.me();
    assert_eq!(
        me["storage"],
        json!({"file_count": 0, "total_size": 0, "trash_size": 0, "quota_bytes": null, "upload_size": 0})
    );
    assert_eq!(me["id"], user["id"]);
    assert_eq!(me["username"], "alice");
    // Besides `storage` (and possibly `last_login_at`) it is a plain `user`.
    let object = me.as_object_mut().expect("object");
    object.remove("storage");
    object.remove("last_login_at");
    assert_user(&me);

    upload_put(&alice, "a.txt", b"abc");
    upload_put(&alice, "b.txt", b"defgh");
    assert_eq!(
        alice.me()["storage"],
        json!({"file_count": 2, "total_size": 8, "trash_size": 0, "quota_bytes": null, "upload_size": 0})
    );
}

both_backends!(patch_me_changes_full_name_and_email);
fn patch_me_changes_full_name_and_email() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let body = json!({"full_name": "Alice Liddell", "email": "liddell@example.org"});
    let reply = alice.patch("/api/me").json(&body).go().expect(200);
    let user = reply.json()["user"].clone();
    assert_user(&user);
    assert_eq!(user["full_name"], "Alice Liddell");
    assert_eq!(user["email"], "liddell@example.org");
    let me = alice.me();
    assert_eq!(me["full_name"], "Alice Liddell");
    assert_eq!(me["email"], "liddell@example.org");

    // Each field is optional.
    let reply = alice
        .patch("/api/me")
        .json(&json!({"full_name": "A. L."}))
        .go()
        .expect(200);
    assert_eq!(reply.json()["user"]["full_name"], "A. L.");
    assert_eq!(reply.json()["user"]["email"], "liddell@example.org");
}

both_backends!(patch_me_with_a_taken_email_is_409_taken);
fn patch_me_with_a_taken_email_is_409_taken() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    register(&server, "bobby");
    let reply = alice
        .patch("/api/me")
        .json(&json!({"email": "BOBBY@example.com"}))
        .go();
    let error = reply.expect_error(409, "taken");
    assert_eq!(error["field"], "email");
    assert_eq!(alice.me()["email"], "alice@example.com");
}

both_backends!(patch_me_with_bad_values_is_400_naming_the_field);
fn patch_me_with_bad_values_is_400_naming_the_field() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    alice
        .patch("/api/me")
        .json(&json!({"email": "not-an-email"}))
        .go()
        .expect_invalid("email");
    alice
        .patch("/api/me")
        .json(&json!({"full_name": ""}))
        .go()
        .expect_invalid("full_name");
    alice
        .patch("/api/me")
        .json(&json!({"full_name": "x".repeat(151)}))
        .go()
        .expect_invalid("full_name");
    let me = alice.me();
    assert_eq!(me["email"], "alice@example.com");
    assert_eq!(me["full_name"], "alice Example");
}

both_backends!(patch_me_cannot_make_oneself_admin_or_rename);
fn patch_me_cannot_make_oneself_admin_or_rename() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    alice
        .patch("/api/me")
        .json(&json!({"is_admin": true}))
        .go()
        .expect_invalid("is_admin");
    alice
        .patch("/api/me")
        .json(&json!({"username": "mallory"}))
        .go()
        .expect_invalid("username");
    let me = alice.me();
    assert_eq!(me["is_admin"], false);
    assert_eq!(me["username"], "alice");
    alice
        .get("/api/admin/users")
        .go()
        .expect_error(403, "forbidden");
}

/// `PUT /api/me/avatar` accepts 200 with `{user}` or 204; returns the new `avatar_url`.
#[track_caller]
fn put_avatar(client: &Client, bytes: &[u8]) -> String {
    let reply = client
        .put("/api/me/avatar")
        .header("content-type", "image/png")
        .body(bytes.to_vec())
        .go();
    assert!(
        reply.status == 200 || reply.status == 204,
        "avatar upload failed: {reply:?}"
    );
    if reply.status == 200 {
        assert_user(&reply.json()["user"]);
    }
    let url = client.me()["avatar_url"].clone();
    url.as_str()
        .unwrap_or_else(|| panic!("avatar_url not set: {url}"))
        .to_string()
}

both_backends!(png_avatar_is_stored_and_served_back_to_self);
fn png_avatar_is_stored_and_served_back_to_self() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    let url = put_avatar(&alice, TINY_PNG);
    assert!(
        url.contains(&id(&user)),
        "avatar_url should name the user: {url}"
    );
    let reply = alice.get(&url).go().expect(200);
    assert_eq!(reply.body, TINY_PNG);
    assert_eq!(reply.header("content-type").as_deref(), Some("image/png"));
    assert_eq!(
        reply.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    // The documented address serves the same picture.
    let reply = alice
        .get(&format!("/api/users/{}/avatar", id(&user)))
        .go()
        .expect(200);
    assert_eq!(reply.body, TINY_PNG);
    server.assert_tmp_empty();
}

both_backends!(admin_sees_a_users_avatar_and_other_users_get_404);
fn admin_sees_a_users_avatar_and_other_users_get_404() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    let (_, bobby) = common::user(&server, "bobby");
    let root = admin(&server);
    put_avatar(&alice, TINY_PNG);
    let path = format!("/api/users/{}/avatar", id(&user));
    assert_eq!(root.get(&path).go().expect(200).body, TINY_PNG);
    let other = bobby.get(&path).go();
    other.expect_error(404, "not_found");
    // Exactly as for a user who does not exist.
    let missing = bobby
        .get(&format!("/api/users/{}/avatar", random_id()))
        .go();
    missing.expect_error(404, "not_found");
    assert_eq!(other.body, missing.body);
}

both_backends!(replacing_an_avatar_keeps_only_the_new_one_on_disk);
fn replacing_an_avatar_keeps_only_the_new_one_on_disk() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    put_avatar(&alice, TINY_PNG);
    let gif: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    let url = put_avatar(&alice, gif);
    assert_eq!(alice.get(&url).go().expect(200).body, gif);
    let stored = server.files_under("avatars");
    assert_eq!(stored.len(), 1, "old avatar left behind: {stored:?}");
}

both_backends!(avatar_that_is_not_an_image_is_415_and_leaves_nothing);
fn avatar_that_is_not_an_image_is_415_and_leaves_nothing() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let reply = alice
        .put("/api/me/avatar")
        .header("content-type", "image/png")
        .body("just some text")
        .go();
    reply.expect_error(415, "unsupported_media_type");
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let reply = alice
        .put("/api/me/avatar")
        .header("content-type", "image/svg+xml")
        .body(svg)
        .go();
    reply.expect_error(415, "unsupported_media_type");
    assert_eq!(alice.me()["avatar_url"], Value::Null);
    assert!(server.files_under("avatars").is_empty());
    server.assert_tmp_empty();
}

both_backends!(avatar_over_2_mib_is_413_and_leaves_nothing);
fn avatar_over_2_mib_is_413_and_leaves_nothing() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let mut big = TINY_PNG.to_vec();
    big.resize(AVATAR_LIMIT + 1, 0);
    let reply = alice
        .put("/api/me/avatar")
        .header("content-type", "image/png")
        .body(big)
        .go();
    reply.expect_error(413, "too_large");
    assert_eq!(alice.me()["avatar_url"], Value::Null);
    assert!(server.files_under("avatars").is_empty());
    server.assert_tmp_empty();
}

both_backends!(avatar_of_exactly_2_mib_is_accepted);
fn avatar_of_exactly_2_mib_is_accepted() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let mut big = TINY_PNG.to_vec();
    big.resize(AVATAR_LIMIT, 0);
    let url = put_avatar(&alice, &big);
    assert_eq!(alice.get(&url).go().expect(200).body.len(), AVATAR_LIMIT);
}

both_backends!(deleting_the_avatar_is_204_then_404);
fn deleting_the_avatar_is_204_then_404() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    put_avatar(&alice, TINY_PNG);
    alice.delete("/api/me/avatar").go().expect(204);
    assert_eq!(alice.me()["avatar_url"], Value::Null);
    alice
        .get(&format!("/api/users/{}/avatar", id(&user)))
        .go()
        .expect_error(404, "not_found");
    assert!(
        server.files_under("avatars").is_empty(),
        "avatar bytes left on disk"
    );
}
