//! Uploading (raw and multipart), listing, renaming, commenting and deleting files, and the
//! bytes they leave on disk.

mod common;

use common::*;
use serde_json::{Value, json};

/// Asserts that `files/<owner>/<id>` holds exactly `bytes`.
#[track_caller]
fn assert_on_disk(server: &Server, file: &Value, bytes: &[u8]) {
    let path = server.blob_path(file["owner_id"].as_str().expect("owner_id"), &id(file));
    let stored = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(stored, bytes, "bytes on disk differ from what was sent");
}

/// Asserts that no upload left any bytes anywhere under `files/` or `tmp/`.
#[track_caller]
fn assert_nothing_stored(server: &Server) {
    let files = server.files_under("files");
    assert!(files.is_empty(), "files/ should be empty, holds {files:?}");
    server.assert_tmp_empty();
}

both_backends!(put_upload_returns_201_with_the_file_and_stores_the_exact_bytes);
fn put_upload_returns_201_with_the_file_and_stores_the_exact_bytes() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let reply = put_file(
        &alice,
        &[("name", "notes.txt"), ("comment", "first draft")],
        &bytes,
    )
    .expect(201);
    let body = reply.json();
    assert_keys(&body, &["file"]);
    let file = &body["file"];
    assert_file(file);
    assert_eq!(file["owner_id"], user["id"]);
    assert_eq!(file["name"], "notes.txt");
    assert_eq!(file["comment"], "first draft");
    assert_eq!(file["size"], 100_000);
    assert_eq!(file["content_type"], "text/plain");
    assert_eq!(file["last_downloaded_at"], Value::Null);
    assert_eq!(file["share_url"], Value::Null);
    assert_on_disk(&server, file, &bytes);
    server.assert_tmp_empty();
}

both_backends!(put_upload_of_an_empty_file_works);
fn put_upload_of_an_empty_file_works() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "empty.bin", b"");
    assert_eq!(file["size"], 0);
    assert_on_disk(&server, &file, b"");
}

both_backends!(multipart_upload_with_comment_after_the_file_part);
fn multipart_upload_with_comment_after_the_file_part() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    let file = upload_multipart(&alice, "photo.png", b"\x89PNG not really", Some("holiday"));
    assert_file(&file);
    assert_eq!(file["owner_id"], user["id"]);
    assert_eq!(file["name"], "photo.png");
    assert_eq!(file["comment"], "holiday");
    assert_eq!(file["size"], 15);
    assert_eq!(file["content_type"], "image/png");
    assert_on_disk(&server, &file, b"\x89PNG not really");
    server.assert_tmp_empty();
}

both_backends!(multipart_upload_with_comment_before_the_file_part);
fn multipart_upload_with_comment_before_the_file_part() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let parts = [
        Part::Text {
            field: "comment",
            value: "comes first",
        },
        Part::File {
            name: "a.txt",
            bytes: b"hello",
        },
    ];
    let reply = post_multipart(&alice, "/api/files", &parts).expect(201);
    let file = reply.json()["file"].clone();
    assert_file(&file);
    assert_eq!(file["comment"], "comes first");
    assert_eq!(file["name"], "a.txt");
    assert_on_disk(&server, &file, b"hello");
    server.assert_tmp_empty();
}

both_backends!(multipart_upload_without_comment_has_an_empty_comment);
fn multipart_upload_without_comment_has_an_empty_comment() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_multipart(&alice, "data.csv", b"a,b\n1,2\n", None);
    assert_file(&file);
    assert_eq!(file["comment"], "");
    assert_on_disk(&server, &file, b"a,b\n1,2\n");
}

both_backends!(multipart_with_an_unknown_part_is_400_naming_it_and_leaves_nothing);
fn multipart_with_an_unknown_part_is_400_naming_it_and_leaves_nothing() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let parts = [
        Part::File {
            name: "a.txt",
            bytes: b"hello",
        },
        Part::Text {
            field: "owner_id",
            value: "x",
        },
    ];
    post_multipart(&alice, "/api/files", &parts).expect_invalid("owner_id");
    let parts = [
        Part::Text {
            field: "owner_id",
            value: "x",
        },
        Part::File {
            name: "a.txt",
            bytes: b"hello",
        },
    ];
    post_multipart(&alice, "/api/files", &parts).expect_invalid("owner_id");
    assert_nothing_stored(&server);
    assert_eq!(
        alice.get("/api/files").go().expect(200).json(),
        json!({"files": [], "next_cursor": null})
    );
}

both_backends!(multipart_without_a_file_part_is_400_naming_file);
fn multipart_without_a_file_part_is_400_naming_file() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let parts = [Part::Text {
        field: "comment",
        value: "no file",
    }];
    post_multipart(&alice, "/api/files", &parts).expect_invalid("file");
    assert_nothing_stored(&server);
}

both_backends!(post_upload_that_is_not_multipart_is_415);
fn post_upload_that_is_not_multipart_is_415() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let reply = alice
        .post("/api/files")
        .json(&json!({"name": "a.txt"}))
        .go();
    reply.expect_error(415, "unsupported_media_type");
    assert_nothing_stored(&server);
}

both_backends!(bad_file_names_are_400_naming_name_and_leave_nothing_on_disk);
fn bad_file_names_are_400_naming_name_and_leave_nothing_on_disk() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let long_ascii = "a".repeat(256);
    // 128 two-byte characters: 128 characters, but 256 bytes.
    let long_utf8 = "é".repeat(128);
    let bad = [
        "..",
        ".",
        "a/b",
        "/etc/passwd",
        "a\\b",
        "",
        &long_ascii,
        &long_utf8,
        "bad\u{1}name",
        "nul\0byte",
        "tab\tname",
        "del\u{7f}",
    ];
    for name in bad {
        let reply = put_file(&alice, &[("name", name)], b"should not be stored");
        reply.expect_invalid("name");
    }
    // No name at all.
    put_file(&alice, &[], b"should not be stored").expect_invalid("name");
    for name in ["..", "a/b", "a\\b"] {
        let parts = [Part::File {
            name,
            bytes: b"should not be stored",
        }];
        post_multipart(&alice, "/api/files", &parts).expect_invalid("name");
    }
    assert_nothing_stored(&server);
    assert_eq!(
        alice.get("/api/files").go().expect(200).json(),
        json!({"files": [], "next_cursor": null})
    );
}

both_backends!(names_of_255_bytes_and_odd_but_valid_names_are_kept_verbatim);
fn names_of_255_bytes_and_odd_but_valid_names_are_kept_verbatim() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let long_ascii = "a".repeat(255);
    let long_utf8 = format!("{}a", "é".repeat(127));
    for name in [
        long_ascii.as_str(),
        &long_utf8,
        "...",
        "..a",
        "two  spaces.txt",
        "отчёт.pdf",
        "a'b\"c<d>.html",
    ] {
        let file = upload_put(&alice, name, b"x");
        assert_eq!(file["name"], name);
        assert_on_disk(&server, &file, b"x");
    }
    // Nothing on disk carries the name: only ids.
    for path in server.files_under("files") {
        let leaf = path.file_name().and_then(|n| n.to_str()).expect("utf-8");
        assert!(
            uuid::Uuid::parse_str(leaf).is_ok(),
            "stored under a non-id name: {}",
            path.display()
        );
    }
}

both_backends!(comment_over_1000_characters_is_400_naming_comment_and_leaves_nothing);
fn comment_over_1000_characters_is_400_naming_comment_and_leaves_nothing() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let long = "c".repeat(1001);
    put_file(&alice, &[("name", "a.txt"), ("comment", &long)], b"data").expect_invalid("comment");
    let parts = [
        Part::File {
            name: "a.txt",
            bytes: b"data",
        },
        Part::Text {
            field: "comment",
            value: &long,
        },
    ];
    post_multipart(&alice, "/api/files", &parts).expect_invalid("comment");
    let parts = [
        Part::Text {
            field: "comment",
            value: &long,
        },
        Part::File {
            name: "a.txt",
            bytes: b"data",
        },
    ];
    post_multipart(&alice, "/api/files", &parts).expect_invalid("comment");
    assert_nothing_stored(&server);
}

both_backends!(comment_of_1000_characters_is_accepted_even_when_multibyte);
fn comment_of_1000_characters_is_accepted_even_when_multibyte() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    // 1,000 characters, 2,000 bytes: the limit counts characters.
    let long = "я".repeat(1000);
    let reply = put_file(&alice, &[("name", "a.txt"), ("comment", &long)], b"data").expect(201);
    assert_eq!(reply.json()["file"]["comment"], long.as_str());
    let file = upload_multipart(&alice, "b.txt", b"data", Some(&long));
    assert_eq!(file["comment"], long.as_str());
}

both_backends!(get_file_returns_the_file);
fn get_file_returns_the_file() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"abc");
    let reply = alice
        .get(&format!("/api/files/{}", id(&file)))
        .go()
        .expect(200);
    let body = reply.json();
    assert_keys(&body, &["file"]);
    assert_file(&body["file"]);
    assert_eq!(body["file"], file);
}

both_backends!(list_returns_only_the_callers_files);
fn list_returns_only_the_callers_files() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let (_, bobby) = common::user(&server, "bobby");
    let a1 = upload_put(&alice, "a1.txt", b"1");
    let a2 = upload_multipart(&alice, "a2.txt", b"22", Some("two"));
    let b1 = upload_put(&bobby, "b1.txt", b"333");

    let body = alice.get("/api/files").go().expect(200).json();
    assert_keys(&body, &["files", "next_cursor"]);
    let files = body["files"].as_array().expect("array");
    files.iter().for_each(assert_file);
    let mut ids: Vec<String> = files.iter().map(id).collect();
    ids.sort();
    let mut want = vec![id(&a1), id(&a2)];
    want.sort();
    assert_eq!(ids, want);

    let body = bobby.get("/api/files").go().expect(200).json();
    let files = body["files"].as_array().expect("array");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0], b1);
}

both_backends!(patch_renames_and_recomments_a_file);
fn patch_renames_and_recomments_a_file() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "draft.txt", b"bytes");
    let path = format!("/api/files/{}", id(&file));

    let reply = alice
        .patch(&path)
        .json(&json!({"name": "final.png"}))
        .go()
        .expect(200);
    let renamed = reply.json()["file"].clone();
    assert_file(&renamed);
    assert_eq!(renamed["name"], "final.png");
    assert_eq!(
        renamed["content_type"], "image/png",
        "renaming re-guesses the type"
    );
    assert_eq!(renamed["comment"], "");
    assert_eq!(renamed["id"], file["id"]);

    let reply = alice
        .patch(&path)
        .json(&json!({"comment": "now with a comment"}))
        .go()
        .expect(200);
    let commented = reply.json()["file"].clone();
    assert_eq!(commented["name"], "final.png");
    assert_eq!(commented["comment"], "now with a comment");

    let reply = alice
        .patch(&path)
        .json(&json!({"name": "both.txt", "comment": ""}))
        .go()
        .expect(200);
    assert_eq!(reply.json()["file"]["name"], "both.txt");
    assert_eq!(reply.json()["file"]["comment"], "");

    let got = alice.get(&path).go().expect(200).json()["file"].clone();
    assert_eq!(got["name"], "both.txt");
    // The bytes do not move.
    assert_on_disk(&server, &got, b"bytes");
}

both_backends!(patch_with_a_bad_name_or_comment_is_400_and_changes_nothing);
fn patch_with_a_bad_name_or_comment_is_400_and_changes_nothing() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "keep.txt", b"bytes");
    let path = format!("/api/files/{}", id(&file));
    for name in ["..", "a/b", "", "x\u{0}"] {
        alice
            .patch(&path)
            .json(&json!({"name": name}))
            .go()
            .expect_invalid("name");
    }
    alice
        .patch(&path)
        .json(&json!({"comment": "c".repeat(1001)}))
        .go()
        .expect_invalid("comment");
    alice
        .patch(&path)
        .json(&json!({"name": 5}))
        .go()
        .expect_invalid("name");
    let got = alice.get(&path).go().expect(200).json()["file"].clone();
    assert_eq!(got, file);
}

both_backends!(delete_is_204_then_404_and_the_bytes_are_gone);
fn delete_is_204_then_404_and_the_bytes_are_gone() {
    // Without a trash (the trash itself is tests/trash.rs): the row, then the bytes.
    let server = Server::start_with(&["--trash-retention", "0"]);
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "doomed.txt", b"bytes");
    let keep = upload_put(&alice, "keep.txt", b"keep");
    let blob = server.blob_path(file["owner_id"].as_str().expect("owner"), &id(&file));
    assert!(blob.exists());
    let path = format!("/api/files/{}", id(&file));

    alice.delete(&path).go().expect(204);
    alice.get(&path).go().expect_error(404, "not_found");
    alice
        .get(&format!("{path}/content"))
        .go()
        .expect_error(404, "not_found");
    alice.delete(&path).go().expect_error(404, "not_found");
    assert!(!blob.exists(), "bytes still on disk at {}", blob.display());
    let list = alice.get("/api/files").go().expect(200).json();
    assert_eq!(list["files"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["files"][0]["id"], keep["id"]);
    assert_on_disk(&server, &keep, b"keep");
}

both_backends!(uploads_over_max_upload_size_are_413_and_leave_nothing);
fn uploads_over_max_upload_size_are_413_and_leave_nothing() {
    let server = Server::start_with(&["--max-upload-size", "1K"]);
    let (_, alice) = user(&server, "alice");
    let over = vec![7u8; 1025];
    put_file(&alice, &[("name", "big.bin")], &over).expect_error(413, "too_large");
    let parts = [Part::File {
        name: "big.bin",
        bytes: &over,
    }];
    post_multipart(&alice, "/api/files", &parts).expect_error(413, "too_large");
    // Without a Content-Length the limit holds while streaming.
    let body = reqwest::blocking::Body::new(std::io::Cursor::new(vec![7u8; 5000]));
    let reply = alice
        .put("/api/files")
        .query(&[("name", "chunked.bin")])
        .body(body)
        .go();
    reply.expect_error(413, "too_large");
    assert_nothing_stored(&server);

    let exact = vec![7u8; 1024];
    let file = upload_put(&alice, "fits.bin", &exact);
    assert_on_disk(&server, &file, &exact);
    assert_eq!(server.files_under("files").len(), 1);
    server.assert_tmp_empty();
}

both_backends!(content_type_comes_from_the_extension_else_a_valid_client_type);
fn content_type_comes_from_the_extension_else_a_valid_client_type() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    assert_eq!(
        upload_put(&alice, "a.PDF", b"x")["content_type"],
        "application/pdf"
    );
    let reply = alice
        .put("/api/files")
        .query(&[("name", "noext")])
        .header("content-type", "text/csv")
        .body("a,b")
        .go();
    assert_eq!(reply.expect(201).json()["file"]["content_type"], "text/csv");
    let reply = alice
        .put("/api/files")
        .query(&[("name", "noext2")])
        .header("content-type", "garbage")
        .body("a")
        .go();
    assert_eq!(
        reply.expect(201).json()["file"]["content_type"],
        "application/octet-stream"
    );
}
