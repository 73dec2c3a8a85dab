//! Administration: the user list with storage figures, granting and revoking admin rights,
//! the last-admin rule, deleting accounts, and managing another user's files.

mod common;

use common::*;
use serde_json::{Value, json};

/// The entry for `user_id` in `GET /api/admin/users`.
#[track_caller]
fn listed(admin: &Client, user_id: &str) -> Option<Value> {
    let body = admin.get("/api/admin/users").go().expect(200).json();
    assert_keys(&body, &["users"]);
    body["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] == user_id)
        .cloned()
}

both_backends!(non_admin_gets_403_on_every_admin_route);
fn non_admin_gets_403_on_every_admin_route() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    alice
        .get("/api/admin/users")
        .go()
        .expect_error(403, "forbidden");
    let path = format!("/api/admin/users/{}", id(&user));
    alice
        .patch(&path)
        .json(&json!({"is_admin": true}))
        .go()
        .expect_error(403, "forbidden");
    alice.delete(&path).go().expect_error(403, "forbidden");
    // Nothing changed: still a user, still there.
    assert_eq!(alice.me()["is_admin"], false);
}

both_backends!(admin_user_list_reports_file_count_total_size_and_last_login);
fn admin_user_list_reports_file_count_total_size_and_last_login() {
    let server = Server::start();
    let root = admin(&server);
    let (alice_user, alice) = user(&server, "alice");
    let bobby_user = register(&server, "bobby");
    upload_put(&alice, "a.txt", &[1; 10]);
    upload_multipart(&alice, "b.txt", &[2; 20], Some("c"));

    let body = root.get("/api/admin/users").go().expect(200).json();
    let users = body["users"].as_array().expect("users");
    assert_eq!(users.len(), 3, "{body}");
    for user in users {
        let mut plain = user.clone();
        let object = plain.as_object_mut().expect("object");
        for extra in ["file_count", "total_size", "last_login_at", "storage"] {
            assert!(object.remove(extra).is_some(), "{extra} missing in {user}");
        }
        assert_user(&plain);
    }

    let alice_row = listed(&root, &id(&alice_user)).expect("alice listed");
    assert_eq!(alice_row["file_count"], 2);
    assert_eq!(alice_row["total_size"], 30);
    assert_time(&alice_row["last_login_at"]);
    assert_eq!(alice_row["is_admin"], false);

    let bobby_row = listed(&root, &id(&bobby_user)).expect("bobby listed");
    assert_eq!(bobby_row["file_count"], 0);
    assert_eq!(bobby_row["total_size"], 0);
    assert_eq!(
        bobby_row["last_login_at"],
        Value::Null,
        "bobby never logged in"
    );

    let admin_row = users
        .iter()
        .find(|u| u["username"] == "admin")
        .expect("admin listed");
    assert_eq!(admin_row["is_admin"], true);
}

both_backends!(deleting_a_file_updates_the_admin_figures);
fn deleting_a_file_updates_the_admin_figures() {
    let server = Server::start();
    let root = admin(&server);
    let (alice_user, alice) = user(&server, "alice");
    let a = upload_put(&alice, "a.txt", &[1; 10]);
    upload_put(&alice, "b.txt", &[1; 5]);
    alice
        .delete(&format!("/api/files/{}", id(&a)))
        .go()
        .expect(204);
    let row = listed(&root, &id(&alice_user)).expect("alice listed");
    assert_eq!(
        (row["file_count"].clone(), row["total_size"].clone()),
        (json!(1), json!(5))
    );
}

both_backends!(granting_and_revoking_admin_takes_effect_on_the_next_request);
fn granting_and_revoking_admin_takes_effect_on_the_next_request() {
    let server = Server::start();
    let root = admin(&server);
    let (user, alice) = user(&server, "alice");
    let path = format!("/api/admin/users/{}", id(&user));
    alice
        .get("/api/admin/users")
        .go()
        .expect_error(403, "forbidden");

    let reply = root
        .patch(&path)
        .json(&json!({"is_admin": true}))
        .go()
        .expect(200);
    let body = reply.json();
    assert_keys(&body, &["user"]);
    // The account as the admin list shows it, storage and all.
    let mut plain = body["user"].clone();
    for extra in ["file_count", "total_size", "last_login_at", "storage"] {
        let removed = plain.as_object_mut().and_then(|o| o.remove(extra));
        assert!(removed.is_some(), "{extra} missing in {body}");
    }
    assert_user(&plain);
    assert_eq!(body["user"]["is_admin"], true);
    // The same token, no new login: admin now.
    alice.get("/api/admin/users").go().expect(200);
    assert_eq!(alice.me()["is_admin"], true);

    let reply = root
        .patch(&path)
        .json(&json!({"is_admin": false}))
        .go()
        .expect(200);
    assert_eq!(reply.json()["user"]["is_admin"], false);
    alice
        .get("/api/admin/users")
        .go()
        .expect_error(403, "forbidden");
    assert_eq!(alice.me()["is_admin"], false);
}

both_backends!(an_admin_can_step_down_while_another_admin_remains);
fn an_admin_can_step_down_while_another_admin_remains() {
    let server = Server::start();
    let root = admin(&server);
    let other = admin_named(&server, "second");
    let me = root.me();
    root.patch(&format!("/api/admin/users/{}", id(&me)))
        .json(&json!({"is_admin": false}))
        .go()
        .expect(200);
    root.get("/api/admin/users")
        .go()
        .expect_error(403, "forbidden");
    // Now `second` is the last one.
    let second = other.me();
    let reply = other
        .patch(&format!("/api/admin/users/{}", id(&second)))
        .json(&json!({"is_admin": false}))
        .go();
    reply.expect_error(409, "last_admin");
}

both_backends!(demoting_the_last_admin_is_409_last_admin);
fn demoting_the_last_admin_is_409_last_admin() {
    let server = Server::start();
    let root = admin(&server);
    let me = root.me();
    let reply = root
        .patch(&format!("/api/admin/users/{}", id(&me)))
        .json(&json!({"is_admin": false}))
        .go();
    reply.expect_error(409, "last_admin");
    assert_eq!(root.me()["is_admin"], true);
    root.get("/api/admin/users").go().expect(200);
}

both_backends!(deleting_the_last_admin_is_409_last_admin);
fn deleting_the_last_admin_is_409_last_admin() {
    let server = Server::start();
    let root = admin(&server);
    let me = root.me();
    root.delete(&format!("/api/admin/users/{}", id(&me)))
        .go()
        .expect_error(409, "last_admin");
    assert_eq!(root.me()["is_admin"], true);
}

both_backends!(patch_admin_user_validates_its_body);
fn patch_admin_user_validates_its_body() {
    let server = Server::start();
    let root = admin(&server);
    let user = register(&server, "alice");
    let path = format!("/api/admin/users/{}", id(&user));
    root.patch(&path)
        .json(&json!({}))
        .go()
        .expect_invalid("is_admin");
    root.patch(&path)
        .json(&json!({"is_admin": "yes"}))
        .go()
        .expect_invalid("is_admin");
    root.patch(&path)
        .json(&json!({"is_admin": true, "username": "x"}))
        .go()
        .expect_invalid("username");
}

both_backends!(unknown_user_ids_are_404_for_admin_routes);
fn unknown_user_ids_are_404_for_admin_routes() {
    let server = Server::start();
    let root = admin(&server);
    let path = format!("/api/admin/users/{}", random_id());
    root.patch(&path)
        .json(&json!({"is_admin": true}))
        .go()
        .expect_error(404, "not_found");
    root.delete(&path).go().expect_error(404, "not_found");
    root.delete("/api/admin/users/not-a-uuid")
        .go()
        .expect_error(404, "not_found");
}

both_backends!(deleting_a_user_removes_their_sessions_rows_and_files);
fn deleting_a_user_removes_their_sessions_rows_and_files() {
    let server = Server::start();
    let root = admin(&server);
    let (user, alice) = user(&server, "alice");
    let (_, bobby) = common::user(&server, "bobby");
    let file = upload_put(&alice, "a.txt", b"alice's bytes");
    let kept = upload_put(&bobby, "b.txt", b"bobby's bytes");
    let avatar = alice.put("/api/me/avatar").body(TINY_PNG.to_vec()).go();
    assert!(avatar.status == 200 || avatar.status == 204, "{avatar:?}");
    let user_dir = server.data_dir.join("files").join(id(&user));
    assert!(user_dir.is_dir());

    root.delete(&format!("/api/admin/users/{}", id(&user)))
        .go()
        .expect(204);

    alice.get("/api/me").go().expect_error(401, "unauthorized");
    assert!(listed(&root, &id(&user)).is_none(), "alice still listed");
    root.get(&format!("/api/files/{}", id(&file)))
        .go()
        .expect_error(404, "not_found");
    root.get(&format!("/api/files?user={}", id(&user)))
        .go()
        .expect_error(404, "not_found");
    let body = json!({"username": "alice", "password": PASSWORD});
    server
        .anon()
        .post("/api/auth/login")
        .json(&body)
        .go()
        .expect_error(401, "invalid_credentials");
    assert!(!user_dir.exists(), "{} still on disk", user_dir.display());
    assert!(
        !server.data_dir.join("avatars").join(id(&user)).exists(),
        "avatar folder still on disk"
    );
    // Bobby is untouched.
    assert_eq!(
        bobby
            .get(&format!("/api/files/{}/content", id(&kept)))
            .go()
            .expect(200)
            .body,
        b"bobby's bytes"
    );
    // The name is free again.
    register(&server, "alice");
}

both_backends!(admin_lists_uploads_renames_downloads_and_deletes_another_users_files);
fn admin_lists_uploads_renames_downloads_and_deletes_another_users_files() {
    let server = Server::start();
    let root = admin(&server);
    let (user, alice) = user(&server, "alice");
    let uid = id(&user);
    let own = upload_put(&alice, "own.txt", b"alice wrote this");

    let list = root
        .get(&format!("/api/files?user={uid}"))
        .go()
        .expect(200)
        .json();
    assert_eq!(list["files"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["files"][0]["id"], own["id"]);
    // Without `?user=` the admin sees their own (empty) list.
    assert_eq!(
        root.get("/api/files").go().expect(200).json(),
        json!({"files": [], "next_cursor": null})
    );

    let put = put_file(
        &root,
        &[("name", "from-admin.txt"), ("user", &uid)],
        b"admin put this",
    )
    .expect(201);
    let put = put.json()["file"].clone();
    assert_eq!(put["owner_id"], uid.as_str());
    assert_eq!(
        std::fs::read(server.blob_path(&uid, &id(&put))).expect("on disk"),
        b"admin put this"
    );
    let parts = [Part::File {
        name: "multi.txt",
        bytes: b"multipart",
    }];
    let posted = post_multipart(&root, &format!("/api/files?user={uid}"), &parts).expect(201);
    assert_eq!(posted.json()["file"]["owner_id"], uid.as_str());
    assert_eq!(
        alice.get("/api/files").go().expect(200).json()["files"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );

    let path = format!("/api/files/{}", id(&own));
    assert_eq!(
        root.get(&path).go().expect(200).json()["file"]["id"],
        own["id"]
    );
    let renamed = root
        .patch(&path)
        .json(&json!({"name": "renamed.txt", "comment": "by admin"}))
        .go()
        .expect(200);
    assert_eq!(renamed.json()["file"]["name"], "renamed.txt");
    assert_eq!(
        root.get(&format!("{path}/content")).go().expect(200).body,
        b"alice wrote this"
    );
    root.delete(&path).go().expect(204);
    alice.get(&path).go().expect_error(404, "not_found");
    // In alice's trash, bytes kept, until the admin purges it there.
    assert!(server.blob_path(&uid, &id(&own)).exists());
    root.delete(&format!("/api/trash/files/{}", id(&own)))
        .go()
        .expect(204);
    assert!(!server.blob_path(&uid, &id(&own)).exists());
    assert_eq!(listed_ids(&alice).len(), 2);
    server.assert_tmp_empty();
}

fn listed_ids(client: &Client) -> Vec<String> {
    let body = client.get("/api/files").go().expect(200).json();
    body["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(id)
        .collect()
}

both_backends!(non_admin_user_query_for_someone_else_is_403);
fn non_admin_user_query_for_someone_else_is_403() {
    let server = Server::start();
    let (alice_user, alice) = user(&server, "alice");
    let (bobby_user, bobby) = common::user(&server, "bobby");
    upload_put(&bobby, "b.txt", b"bobby's");
    let other = id(&bobby_user);
    alice
        .get(&format!("/api/files?user={other}"))
        .go()
        .expect_error(403, "forbidden");
    put_file(&alice, &[("name", "sneaky.txt"), ("user", &other)], b"x")
        .expect_error(403, "forbidden");
    let parts = [Part::File {
        name: "sneaky.txt",
        bytes: b"x",
    }];
    post_multipart(&alice, &format!("/api/files?user={other}"), &parts)
        .expect_error(403, "forbidden");
    // Even for an id that does not exist: no probing for accounts.
    alice
        .get(&format!("/api/files?user={}", random_id()))
        .go()
        .expect_error(403, "forbidden");
    // Their own id is fine.
    let own = alice
        .get(&format!("/api/files?user={}", id(&alice_user)))
        .go()
        .expect(200);
    assert_eq!(own.json(), json!({"files": [], "next_cursor": null}));
    assert_eq!(listed_ids(&bobby).len(), 1);
    assert_eq!(
        server.files_under("files").len(),
        1,
        "a refused upload left bytes"
    );
    server.assert_tmp_empty();
}
