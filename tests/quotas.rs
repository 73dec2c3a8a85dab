//! Quotas (DESIGN §11): an admin gives each account a quota (new accounts get
//! `--default-quota`), `/api/me` and the admin list show it beside the usage, and every way
//! in refuses an upload that would pass it with 507 `quota_exceeded`, at once when the
//! length is declared, mid-stream otherwise, leaving nothing behind.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};

const KIB: usize = 1024;
const MIB: u64 = 1024 * 1024;

/// Sets `user`'s quota as the admin; the reply.
fn set_quota(admin: &Client, user: &Value, quota: Value) -> Reply {
    admin
        .patch(&format!("/api/admin/users/{}", id(user)))
        .json(&json!({ "quota_bytes": quota }))
        .go()
}

/// The `storage` object of `/api/me`.
#[track_caller]
fn storage(client: &Client) -> Value {
    client.me()["storage"].clone()
}

/// Asserts that exactly `blobs` file blobs are on disk and nothing is left in `tmp/`.
#[track_caller]
fn assert_blobs(server: &Server, blobs: usize) {
    let on_disk = server.files_under("files");
    assert_eq!(on_disk.len(), blobs, "{on_disk:?}");
    server.assert_tmp_empty();
}

both_backends!(new_accounts_get_the_default_quota_and_me_shows_usage_against_it);
fn new_accounts_get_the_default_quota_and_me_shows_usage_against_it() {
    let server = Server::start_with(&["--default-quota", "2MiB"]);
    let (user, alice) = user(&server, "alice");
    assert_eq!(
        storage(&alice),
        json!({"file_count": 0, "total_size": 0, "trash_size": 0, "quota_bytes": 2 * MIB, "upload_size": 0})
    );
    upload_put(&alice, "a.bin", &[1; 1000]);
    assert_eq!(
        storage(&alice),
        json!({"file_count": 1, "total_size": 1000, "trash_size": 0, "quota_bytes": 2 * MIB, "upload_size": 0})
    );
    let admin = admin(&server);
    let listed = admin.get("/api/admin/users").go().expect(200).json();
    let row = listed["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] == user["id"])
        .expect("alice listed")
        .clone();
    assert_eq!(
        row["storage"],
        json!({"file_count": 1, "total_size": 1000, "trash_size": 0, "quota_bytes": 2 * MIB, "upload_size": 0})
    );
    assert_eq!(row["total_size"], 1000);
    // Without --default-quota there is none.
    let plain = Server::start();
    let (_, bob) = common::user(&plain, "bobby");
    assert_eq!(storage(&bob)["quota_bytes"], Value::Null);
}

both_backends!(admins_set_and_lift_quotas_and_bad_values_are_400_naming_quota_bytes);
fn admins_set_and_lift_quotas_and_bad_values_are_400_naming_quota_bytes() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    let admin = admin(&server);
    let set = set_quota(&admin, &user, json!(5_000_000))
        .expect(200)
        .json();
    assert_eq!(set["user"]["storage"]["quota_bytes"], 5_000_000);
    assert_eq!(storage(&alice)["quota_bytes"], 5_000_000);
    for bad in [json!(-1), json!(1.5), json!("5G"), json!(true), json!([1])] {
        set_quota(&admin, &user, bad).expect_invalid("quota_bytes");
    }
    assert_eq!(
        storage(&alice)["quota_bytes"],
        5_000_000,
        "refused ones changed nothing"
    );
    set_quota(&admin, &user, json!(null)).expect(200);
    assert_eq!(storage(&alice)["quota_bytes"], Value::Null);
    set_quota(&admin, &json!({"id": random_id()}), json!(1)).expect_error(404, "not_found");
    set_quota(&alice, &user, json!(1)).expect_error(403, "forbidden");
    // Both fields at once, and neither.
    let both = admin
        .patch(&format!("/api/admin/users/{}", id(&user)))
        .json(&json!({"is_admin": false, "quota_bytes": 0}))
        .go()
        .expect(200)
        .json();
    assert_eq!(both["user"]["storage"]["quota_bytes"], 0);
    admin
        .patch(&format!("/api/admin/users/{}", id(&user)))
        .json(&json!({}))
        .go()
        .expect_invalid("is_admin");
}

both_backends!(an_upload_over_the_quota_is_507_by_every_way_in_and_leaves_nothing);
fn an_upload_over_the_quota_is_507_by_every_way_in_and_leaves_nothing() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    let admin = admin(&server);
    set_quota(&admin, &user, json!(100 * KIB)).expect(200);
    upload_put(&alice, "fits.bin", &vec![7; 60 * KIB]);
    let too_big = vec![8u8; 50 * KIB];
    // Declared length, raw: refused before the bytes.
    let error =
        put_file(&alice, &[("name", "raw.bin")], &too_big).expect_error(507, "quota_exceeded");
    assert!(
        error["message"].as_str().unwrap().contains("102400"),
        "{error}"
    );
    assert_eq!(error["quota_bytes"], 100 * KIB, "{error}");
    // Multipart.
    post_multipart(
        &alice,
        "/api/files",
        &[Part::File {
            name: "form.bin",
            bytes: &too_big,
        }],
    )
    .expect_error(507, "quota_exceeded");
    // No declared length (chunked): refused as the stream passes the quota.
    // A body read from a reader has no length: reqwest sends it chunked.
    let unsized_body = reqwest::blocking::Body::new(std::io::Cursor::new(too_big.clone()));
    alice
        .put("/api/files?name=chunked.bin")
        .body(unsized_body)
        .go()
        .expect_error(507, "quota_exceeded");
    // An admin uploading into the account is held to its quota too.
    admin
        .put(&format!("/api/files?name=by-admin.bin&user={}", id(&user)))
        .body(too_big.clone())
        .go()
        .expect_error(507, "quota_exceeded");
    assert_blobs(&server, 1);
    assert_eq!(storage(&alice)["total_size"], 60 * KIB);
    // What fits still goes in, exactly up to the quota.
    upload_put(&alice, "rest.bin", &vec![1; 40 * KIB]);
    put_file(&alice, &[("name", "one.byte")], b"x").expect_error(507, "quota_exceeded");
    assert_eq!(storage(&alice)["total_size"], 100 * KIB);
}

both_backends!(parallel_uploads_reserve_their_size_and_never_together_pass_the_quota);
fn parallel_uploads_reserve_their_size_and_never_together_pass_the_quota() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    let admin = admin(&server);
    set_quota(&admin, &user, json!(MIB)).expect(200);
    let body = vec![5u8; 300 * KIB];
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (alice, body) = (alice.clone(), body.clone());
                s.spawn(move || put_file(&alice, &[("name", &format!("{i}.bin"))], &body).status)
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let stored = statuses.iter().filter(|s| **s == 201).count();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 507),
        "{statuses:?}"
    );
    assert_eq!(stored, 3, "three of 300 KiB fit in 1 MiB: {statuses:?}");
    let usage = storage(&alice)["total_size"].as_u64().expect("usage");
    assert!(usage <= MIB, "{usage}");
    assert_eq!(usage, 3 * 300 * KIB as u64);
    assert_blobs(&server, stored);
}

both_backends!(a_quota_lowered_below_usage_refuses_uploads_and_deletes_nothing);
fn a_quota_lowered_below_usage_refuses_uploads_and_deletes_nothing() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    let admin = admin(&server);
    for i in 0..3 {
        upload_put(&alice, &format!("{i}.bin"), &vec![1; 10 * KIB]);
    }
    set_quota(&admin, &user, json!(5 * KIB)).expect(200);
    put_file(&alice, &[("name", "more.bin")], b"x").expect_error(507, "quota_exceeded");
    let files = alice.get("/api/files").go().expect(200).json();
    assert_eq!(files["files"].as_array().map(Vec::len), Some(3));
    assert_eq!(storage(&alice)["total_size"], 30 * KIB);
    assert_blobs(&server, 3);
    // Every file is still readable, and deleting makes room again.
    for f in files["files"].as_array().expect("files") {
        alice
            .get(&format!("/api/files/{}/content", id(f)))
            .go()
            .expect(200);
    }
    for f in files["files"].as_array().expect("files") {
        alice
            .delete(&format!("/api/files/{}", id(f)))
            .go()
            .expect(204);
    }
    // Deleted files are in the trash and still count; emptying it makes room.
    put_file(&alice, &[("name", "small.bin")], &[1; 10]).expect_error(507, "quota_exceeded");
    alice.delete("/api/trash").go().expect(204);
    upload_put(&alice, "small.bin", &vec![1; 5 * KIB]);
}

both_backends!(a_body_longer_than_its_declared_length_stores_only_the_declared_bytes);
fn a_body_longer_than_its_declared_length_stores_only_the_declared_bytes() {
    // HTTP/1.1 ends a body at its Content-Length: the bytes after it are read as the next
    // request (and refused), never as part of the upload, so the quota's hold of the
    // declared length is exactly what the upload may store.
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    let admin = admin(&server);
    set_quota(&admin, &user, json!(1000)).expect(200);
    let token = login(&server, "alice", PASSWORD);
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let extra = "y".repeat(2000);
    let request = format!(
        "PUT /api/files?name=liar.txt HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Token {token}\r\n\
         Content-Length: 10\r\n\r\nxxxxxxxxxx{extra}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(
        answer.contains("HTTP/1.1 400"),
        "the rest is not a request: {answer}"
    );
    assert_eq!(storage(&alice)["total_size"], 10);
    assert_blobs(&server, 1);
    // The server serves on.
    upload_put(&alice, "next.txt", b"ok");
}
