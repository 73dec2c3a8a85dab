//! File requests (DESIGN §12): an owner's link through which visitors drop files into a
//! folder, read nothing back, and are held to the request's limits and the owner's quota.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

/// `POST /api/folders/{id}/requests` with `body`; the `request`.
#[track_caller]
fn request_into(client: &Client, folder: &Value, body: Value) -> Value {
    let reply = client
        .post(&format!("/api/folders/{}/requests", id(folder)))
        .json(&body)
        .go()
        .expect(201)
        .json();
    assert_keys(&reply, &["request"]);
    let request = reply["request"].clone();
    assert_keys(
        &request,
        &[
            "id",
            "url",
            "folder_id",
            "label",
            "created_at",
            "expires_at",
            "max_files",
            "max_bytes",
            "has_password",
            "file_count",
            "bytes_received",
        ],
    );
    assert_eq!(request["folder_id"], folder["id"]);
    request
}

fn url_of(request: &Value) -> String {
    request["url"].as_str().expect("url").to_string()
}

/// A visitor's raw upload of `bytes` as `name` (and `from`, if any).
fn drop_put(server: &Server, url: &str, name: &str, from: Option<&str>, bytes: &[u8]) -> Reply {
    let mut target = format!("{url}/files?name={name}");
    if let Some(from) = from {
        target.push_str(&format!("&from={from}"));
    }
    server.anon().put(&target).body(bytes.to_vec()).go()
}

/// The owner's view of `folder`: (name, comment, size) of each file, sorted by name.
fn files_in(client: &Client, folder: &Value) -> Vec<(String, String, u64)> {
    let page = client
        .get(&format!("/api/folders/{}/contents", id(folder)))
        .go()
        .expect(200)
        .json();
    let mut files: Vec<_> = page["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap_or_default().to_string(),
                f["comment"].as_str().unwrap_or_default().to_string(),
                f["size"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    files.sort();
    files
}

both_backends!(visitors_drop_files_that_land_in_the_folder_and_never_overwrite);
fn visitors_drop_files_that_land_in_the_folder_and_never_overwrite() {
    let server = Server::start();
    let (alice_user, alice) = user(&server, "alice");
    let folder = make_folder(&alice, "Wedding photos", None);
    put_into(&alice, Some(&folder), "IMG_1.jpg", b"the owner's own");
    let request = request_into(&alice, &folder, json!({"label": "Send us your photos"}));
    let url = url_of(&request);

    let reply = drop_put(&server, &url, "IMG_1.jpg", Some("Aunt%20May"), b"from may").expect(201);
    assert_eq!(
        reply.json(),
        json!({"received": {"name": "IMG_1.jpg", "size": 8}})
    );
    let reply = post_multipart(
        &server.anon(),
        &format!("{url}/files"),
        &[
            Part::Text {
                field: "from",
                value: "Bob",
            },
            Part::File {
                name: "IMG_1.jpg",
                bytes: b"from bob",
            },
        ],
    )
    .expect(201);
    assert_eq!(
        reply.json()["received"]["name"],
        "IMG_1.jpg",
        "the name as sent"
    );
    drop_put(&server, &url, "anon.txt", None, b"no name").expect(201);

    let files = files_in(&alice, &folder);
    assert_eq!(files.len(), 4, "{files:?}");
    assert!(
        files.contains(&("IMG_1.jpg".into(), String::new(), 15)),
        "never overwritten: {files:?}"
    );
    assert!(
        files.iter().any(|(n, c, s)| n != "IMG_1.jpg"
            && n.starts_with("IMG_1")
            && c == "from Aunt May"
            && *s == 8),
        "{files:?}"
    );
    assert!(
        files.iter().any(|(_, c, s)| c == "from Bob" && *s == 8),
        "{files:?}"
    );
    assert!(
        files.contains(&("anon.txt".into(), String::new(), 7)),
        "{files:?}"
    );
    // They are the owner's, counted in the owner's storage and in the request.
    let me = alice.me();
    assert_eq!(me["storage"]["file_count"], 4);
    let listed = alice.get("/api/requests").go().expect(200).json();
    assert_eq!(listed["requests"][0]["file_count"], 3);
    assert_eq!(listed["requests"][0]["bytes_received"], 23);
    let owner_ids: Vec<Value> = alice
        .get(&format!("/api/folders/{}/contents", id(&folder)))
        .go()
        .expect(200)
        .json()["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["owner_id"].clone())
        .collect();
    assert!(owner_ids.iter().all(|o| *o == alice_user["id"]));
}

both_backends!(a_visitor_reads_nothing);
fn a_visitor_reads_nothing() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let folder = make_folder(&alice, "inbox", None);
    put_into(&alice, Some(&folder), "private.txt", b"owner only");
    let url = url_of(&request_into(
        &alice,
        &folder,
        json!({"label": "drop here", "max_files": 5, "max_bytes": 1000}),
    ));
    for path in [url.clone(), format!("{url}/info")] {
        let info = server.anon().get(&path).go().expect(200).json();
        assert_eq!(
            info,
            json!({"label": "drop here", "expires_at": null, "files_left": 5, "bytes_left": 1000})
        );
    }
    server.anon().get(&format!("{url}/files")).go().expect(405);
    let page = server
        .anon()
        .get(&url)
        .header("accept", "text/html")
        .go()
        .expect(200);
    let html = page.text();
    assert!(
        !html.contains("private.txt") && !html.contains("inbox"),
        "{html}"
    );
    // No file route of the API opens to the request's token either.
    let token = url.rsplit('/').next().unwrap_or_default();
    server
        .anon()
        .get(&format!("/s/{token}"))
        .go()
        .expect_error(404, "not_found");
}

both_backends!(max_files_and_max_bytes_are_exact_and_refusals_keep_nothing);
fn max_files_and_max_bytes_are_exact_and_refusals_keep_nothing() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let folder = make_folder(&alice, "inbox", None);
    let url = url_of(&request_into(
        &alice,
        &folder,
        json!({"max_files": 3, "max_bytes": 100}),
    ));

    // Over max_bytes: 413 at once for a declared length, mid-stream without one.
    drop_put(&server, &url, "big.bin", None, &[1u8; 101]).expect_error(413, "too_large");
    let chunked = server
        .anon()
        .put(&format!("{url}/files?name=big2.bin"))
        .body(reqwest::blocking::Body::new(std::io::Cursor::new(vec![
            2u8;
            5000
        ])))
        .go();
    chunked.expect_error(413, "too_large");
    assert!(files_in(&alice, &folder).is_empty());
    server.assert_tmp_empty();

    // A multipart body is longer than its file: a file that fits is not refused for that.
    post_multipart(
        &server.anon(),
        &format!("{url}/files"),
        &[Part::File {
            name: "a.bin",
            bytes: &[0u8; 60],
        }],
    )
    .expect(201);
    let over = drop_put(&server, &url, "b.bin", None, &[0u8; 41]);
    let error = over.expect_error(413, "too_large");
    assert!(
        error["message"].as_str().unwrap_or_default().contains("40"),
        "{error}"
    );
    drop_put(&server, &url, "b.bin", None, &[0u8; 40]).expect(201);
    // 100 bytes received: full.
    drop_put(&server, &url, "c.bin", None, b"").expect_error(410, "request_full");
    let names: Vec<String> = files_in(&alice, &folder).into_iter().map(|f| f.0).collect();
    assert_eq!(names, ["a.bin", "b.bin"]);

    // max_files holds under concurrent uploads: 10 at once into 3 slots.
    let folder2 = make_folder(&alice, "inbox2", None);
    let url2 = url_of(&request_into(&alice, &folder2, json!({"max_files": 3})));
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|i| {
                let (server, url) = (&server, url2.clone());
                s.spawn(move || drop_put(server, &url, &format!("f{i}.txt"), None, b"x").status)
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 410).count(),
        7,
        "{statuses:?}"
    );
    assert_eq!(files_in(&alice, &folder2).len(), 3);
    server.assert_tmp_empty();
}

both_backends!(dropped_files_count_against_the_owners_quota);
fn dropped_files_count_against_the_owners_quota() {
    let server = Server::start();
    let admin = admin(&server);
    let (alice_user, alice) = user(&server, "alice");
    admin
        .patch(&format!("/api/admin/users/{}", id(&alice_user)))
        .json(&json!({"quota_bytes": 1000}))
        .go()
        .expect(200);
    let folder = make_folder(&alice, "inbox", None);
    let url = url_of(&request_into(&alice, &folder, json!({})));
    drop_put(&server, &url, "fits.bin", None, &[0u8; 900]).expect(201);
    let refused = drop_put(&server, &url, "too.bin", None, &[0u8; 200]);
    refused.expect_error(507, "quota_exceeded");
    assert_eq!(files_in(&alice, &folder).len(), 1);
    // The refused upload gave its slot back.
    let listed = alice.get("/api/requests").go().expect(200).json();
    assert_eq!(listed["requests"][0]["file_count"], 1);
    assert_eq!(listed["requests"][0]["bytes_received"], 900);
    server.assert_tmp_empty();
}

both_backends!(expired_and_password_requests);
fn expired_and_password_requests() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let folder = make_folder(&alice, "inbox", None);
    let url = url_of(&request_into(
        &alice,
        &folder,
        json!({"expires_at": in_secs(2)}),
    ));
    drop_put(&server, &url, "early.txt", None, b"in time").expect(201);
    assert!(server.wait_for(Duration::from_secs(10), || {
        server.anon().get(&format!("{url}/info")).go().status == 410
    }));
    drop_put(&server, &url, "late.txt", None, b"too late").expect_error(410, "request_expired");

    let url = url_of(&request_into(
        &alice,
        &folder,
        json!({"password": "knock knock"}),
    ));
    assert_eq!(
        alice.get("/api/requests").go().expect(200).json()["requests"][0]["has_password"],
        true
    );
    drop_put(&server, &url, "x.txt", None, b"x").expect_error(401, "share_password_required");
    server
        .anon()
        .get(&format!("{url}/info"))
        .go()
        .expect_error(401, "share_password_required");
    let unlocked = server
        .anon()
        .post(&format!("{url}/unlock"))
        .json(&json!({"password": "knock knock"}))
        .go()
        .expect(200)
        .json();
    let granted = unlocked["url"].as_str().expect("url");
    let grant = granted.split_once("?grant=").expect("grant").1;
    server
        .anon()
        .put(&format!("{url}/files?name=in.txt&grant={grant}"))
        .body(b"let in".to_vec())
        .go()
        .expect(201);
    // A share's grant is no request's grant, and the other way round.
    let file = upload_put(&alice, "s.txt", b"s");
    let share_url = alice
        .post(&format!("/api/files/{}/share", id(&file)))
        .json(&json!({"password": "knock knock"}))
        .go()
        .expect(200)
        .json()["file"]["share_url"]
        .as_str()
        .expect("share url")
        .to_string();
    server
        .anon()
        .get(&format!("{share_url}?grant={grant}"))
        .go()
        .expect_error(401, "share_password_required");
}

both_backends!(bad_request_settings_and_uploads_are_400_naming_the_field);
fn bad_request_settings_and_uploads_are_400_naming_the_field() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let (_, bob) = user(&server, "bobby");
    let folder = make_folder(&alice, "inbox", None);
    let path = format!("/api/folders/{}/requests", id(&folder));
    for (body, field) in [
        (json!({"label": "x".repeat(201)}), "label"),
        (json!({"label": "two\nlines"}), "label"),
        (json!({"max_files": 0}), "max_files"),
        (json!({"max_bytes": -5}), "max_bytes"),
        (json!({"max_bytes": "10"}), "max_bytes"),
        (json!({"expires_at": "2001-01-01T00:00:00Z"}), "expires_at"),
        (json!({"password": "p".repeat(10_000)}), "password"),
        (json!({"folder": "x"}), "folder"),
    ] {
        alice.post(&path).json(&body).go().expect_invalid(field);
    }
    // Someone else's folder, or one in the trash: 404.
    bob.post(&path)
        .json(&json!({}))
        .go()
        .expect_error(404, "not_found");
    let request = request_into(&alice, &folder, json!({}));
    bob.delete(&format!("/api/requests/{}", id(&request)))
        .go()
        .expect_error(404, "not_found");
    let url = url_of(&request);
    for (name, field) in [("", "name"), ("..", "name"), ("a%2Fb", "name")] {
        drop_put(&server, &url, name, None, b"x").expect_invalid(field);
    }
    drop_put(&server, &url, "ok.txt", Some(&"m".repeat(101)), b"x").expect_invalid("from");
    post_multipart(
        &server.anon(),
        &format!("{url}/files"),
        &[Part::Text {
            field: "comment",
            value: "sneaky",
        }],
    )
    .expect_invalid("comment");
    // Nothing of that landed, and the slots taken were given back.
    assert!(files_in(&alice, &folder).is_empty());
    let listed = alice.get("/api/requests").go().expect(200).json();
    assert_eq!(listed["requests"][0]["file_count"], 0);
}

both_backends!(deleting_the_request_or_trashing_its_folder_closes_the_link);
fn deleting_the_request_or_trashing_its_folder_closes_the_link() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let folder = make_folder(&alice, "inbox", None);
    let first = request_into(&alice, &folder, json!({}));
    let second = request_into(&alice, &folder, json!({}));
    drop_put(&server, &url_of(&first), "kept.txt", None, b"kept").expect(201);
    alice
        .delete(&format!("/api/requests/{}", id(&first)))
        .go()
        .expect(204);
    drop_put(&server, &url_of(&first), "late.txt", None, b"x").expect_error(404, "not_found");
    assert_eq!(files_in(&alice, &folder).len(), 1, "what it received stays");
    alice
        .delete(&format!("/api/folders/{}", id(&folder)))
        .go()
        .expect(204);
    drop_put(&server, &url_of(&second), "late.txt", None, b"x").expect_error(404, "not_found");
    let listed = alice.get("/api/requests").go().expect(200).json();
    assert_eq!(listed["requests"], json!([]));
}

both_backends!(drops_are_throttled_per_client);
fn drops_are_throttled_per_client() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let folder = make_folder(&alice, "inbox", None);
    let url = url_of(&request_into(&alice, &folder, json!({})));
    let mut landed = 0;
    let mut refused = None;
    for i in 0..400 {
        let reply = drop_put(&server, &url, &format!("f{i}.txt"), None, b"x");
        if reply.status == 429 {
            refused = Some(reply);
            break;
        }
        reply.expect(201);
        landed += 1;
    }
    let refused = refused.expect("400 drops in a row from one client are throttled");
    refused.expect_error(429, "too_many_requests");
    assert!(refused.header("retry-after").is_some());
    assert!(
        (200..300).contains(&landed),
        "{landed} landed before the throttle"
    );
    let count =
        alice.get("/api/requests").go().expect(200).json()["requests"][0]["file_count"].clone();
    assert_eq!(count, landed, "a refused drop takes no slot");
}
