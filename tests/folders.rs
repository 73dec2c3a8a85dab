//! Folders (DESIGN §10): the tree of each account, one namespace per folder, moves and
//! their cycles, uploads into a folder with `on_conflict`, and deleting a subtree.
//! Listing, search and zip are in `folder_listing.rs`.

mod common;

use common::*;
use serde_json::{Value, json};

/// `POST /api/folders` with `body`; the reply.
fn create(client: &Client, body: Value) -> Reply {
    client.post("/api/folders").json(&body).go()
}

/// Creates a folder (`common::make_folder`) and checks it has exactly the contract's fields.
#[track_caller]
fn folder(client: &Client, name: &str, parent: Option<&Value>) -> Value {
    let folder = make_folder(client, name, parent);
    assert_keys(
        &folder,
        &[
            "id",
            "owner_id",
            "parent_id",
            "name",
            "created_at",
            "updated_at",
            "share",
        ],
    );
    assert_share(&folder["share"]);
    folder
}

/// Uploads `bytes` as `name` into `folder` with a raw `PUT` and more query parameters;
/// the reply, for the tests of refusals.
fn put_with(
    client: &Client,
    folder: &Value,
    name: &str,
    extra: &[(&str, &str)],
    bytes: &[u8],
) -> Reply {
    let folder_id = id(folder);
    let mut query = vec![("name", name), ("folder_id", folder_id.as_str())];
    query.extend_from_slice(extra);
    put_file(client, &query, bytes)
}

both_backends!(a_folder_is_created_read_with_its_path_renamed_and_moved);
fn a_folder_is_created_read_with_its_path_renamed_and_moved() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    let docs = folder(&alice, "Docs", None);
    assert_eq!(docs["parent_id"], Value::Null);
    assert_eq!(docs["owner_id"], user["id"]);
    assert_time(&docs["created_at"]);
    let work = folder(&alice, "Work", Some(&docs));
    let year = folder(&alice, "2026", Some(&work));
    assert_eq!(year["parent_id"], work["id"]);

    let read = alice
        .get(&format!("/api/folders/{}", id(&year)))
        .go()
        .expect(200)
        .json();
    assert_keys(&read, &["folder", "path"]);
    assert_eq!(read["folder"], year);
    let path: Vec<&str> = read["path"]
        .as_array()
        .expect("path")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(path, ["Docs", "Work", "2026"]);
    assert_eq!(read["path"][0]["id"], docs["id"]);

    let renamed = alice
        .patch(&format!("/api/folders/{}", id(&work)))
        .json(&json!({"name": "Job"}))
        .go()
        .expect(200)
        .json()["folder"]
        .clone();
    assert_eq!(renamed["name"], "Job");
    assert_eq!(renamed["parent_id"], docs["id"]);

    // To the root and back under Docs: the subtree comes along.
    let moved = alice
        .patch(&format!("/api/folders/{}", id(&work)))
        .json(&json!({"parent_id": null}))
        .go()
        .expect(200)
        .json()["folder"]
        .clone();
    assert_eq!(moved["parent_id"], Value::Null);
    assert_eq!(names_in(&alice, "root").0, ["Docs", "Job"]);
    let path = alice
        .get(&format!("/api/folders/{}", id(&year)))
        .go()
        .expect(200)
        .json()["path"]
        .clone();
    assert_eq!(path[0]["name"], "Job");
    assert_eq!(path.as_array().map(Vec::len), Some(2));
}

both_backends!(files_and_folders_share_one_namespace_per_folder);
fn files_and_folders_share_one_namespace_per_folder() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let docs = folder(&alice, "Docs", None);
    // A folder named like a folder, a file named like a folder, a folder like a file.
    create(&alice, json!({"name": "Docs"})).expect_error(409, "name_taken");
    let taken = put_file(&alice, &[("name", "Docs")], b"x").expect_error(409, "name_taken");
    assert_eq!(taken["field"], "name");
    upload_put(&alice, "notes.txt", b"x");
    create(&alice, json!({"name": "notes.txt"})).expect_error(409, "name_taken");
    // The same names elsewhere are fine; names are compared exactly.
    folder(&alice, "Docs", Some(&docs));
    put_with(&alice, &docs, "notes.txt", &[], b"y").expect(201);
    folder(&alice, "docs", None);
    // Renaming or moving onto a taken name is refused too.
    let other = folder(&alice, "Other", None);
    alice
        .patch(&format!("/api/folders/{}", id(&other)))
        .json(&json!({"name": "notes.txt"}))
        .go()
        .expect_error(409, "name_taken");
    let inner_docs = names_in(&alice, &id(&docs));
    assert_eq!(
        inner_docs,
        (vec!["Docs".to_string()], vec!["notes.txt".to_string()])
    );
    let file = put_with(&alice, &other, "notes.txt", &[], b"z")
        .expect(201)
        .json()["file"]
        .clone();
    alice
        .patch(&format!("/api/files/{}", id(&file)))
        .json(&json!({"folder_id": id(&docs)}))
        .go()
        .expect_error(409, "name_taken");
    alice
        .patch(&format!("/api/files/{}", id(&file)))
        .json(&json!({"folder_id": null}))
        .go()
        .expect_error(409, "name_taken");
}

both_backends!(a_folder_cannot_move_into_itself_or_below_itself);
fn a_folder_cannot_move_into_itself_or_below_itself() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let a = folder(&alice, "a", None);
    let b = folder(&alice, "b", Some(&a));
    let c = folder(&alice, "c", Some(&b));
    for target in [&a, &b, &c] {
        let error = alice
            .patch(&format!("/api/folders/{}", id(&a)))
            .json(&json!({"parent_id": id(target)}))
            .go()
            .expect_error(409, "cycle");
        assert_eq!(error["field"], "parent_id");
    }
    // Moving down a branch that is not its own is fine.
    let d = folder(&alice, "d", None);
    alice
        .patch(&format!("/api/folders/{}", id(&d)))
        .json(&json!({"parent_id": id(&c)}))
        .go()
        .expect(200);
    let path = alice
        .get(&format!("/api/folders/{}", id(&d)))
        .go()
        .expect(200)
        .json()["path"]
        .clone();
    assert_eq!(path.as_array().map(Vec::len), Some(4));
}

both_backends!(bad_folder_names_are_400_naming_name);
fn bad_folder_names_are_400_naming_name() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let long = "x".repeat(256);
    for name in ["", "a/b", "a\\b", ".", "..", "tab\there", "nul\0", &long] {
        create(&alice, json!({ "name": name })).expect_invalid("name");
    }
    create(&alice, json!({ "name": 5 })).expect_invalid("name");
    create(&alice, json!({})).expect_invalid("name");
    create(&alice, json!({ "name": "ok", "colour": "red" })).expect_invalid("colour");
    let ok = folder(&alice, &"y".repeat(255), None);
    alice
        .patch(&format!("/api/folders/{}", id(&ok)))
        .json(&json!({"name": ".."}))
        .go()
        .expect_invalid("name");
    // Nothing was made by the refused ones.
    assert_eq!(names_in(&alice, "root").0.len(), 1);
}

both_backends!(a_parent_that_is_not_ones_own_folder_is_400_naming_parent_id);
fn a_parent_that_is_not_ones_own_folder_is_400_naming_parent_id() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let (_, bob) = user(&server, "bobby");
    let bobs = folder(&bob, "Private", None);
    let file = upload_put(&alice, "a.txt", b"a");
    let mine = folder(&alice, "Mine", None);
    for parent in [id(&bobs), id(&file), random_id(), "not-an-id".to_string()] {
        create(&alice, json!({"name": "x", "parent_id": parent})).expect_invalid("parent_id");
        alice
            .patch(&format!("/api/folders/{}", id(&mine)))
            .json(&json!({ "parent_id": parent }))
            .go()
            .expect_invalid("parent_id");
        put_file(&alice, &[("name", "b.txt"), ("folder_id", &parent)], b"b")
            .expect_invalid("folder_id");
        alice
            .patch(&format!("/api/files/{}", id(&file)))
            .json(&json!({ "folder_id": parent }))
            .go()
            .expect_invalid("folder_id");
    }
    // Nothing landed in Bob's folder, and Alice's refused upload left no bytes.
    assert_eq!(names_in(&bob, &id(&bobs)), (vec![], vec![]));
    assert_eq!(server.files_under("files").len(), 1);
    server.assert_tmp_empty();
}

both_backends!(another_accounts_folder_is_404_and_admins_reach_anyones);
fn another_accounts_folder_is_404_and_admins_reach_anyones() {
    let server = Server::start();
    let (bob_user, bob) = user(&server, "bobby");
    let (_, alice) = user(&server, "alice");
    let admin = admin(&server);
    let bobs = folder(&bob, "Private", None);
    let path = format!("/api/folders/{}", id(&bobs));
    alice.get(&path).go().expect_error(404, "not_found");
    alice
        .patch(&path)
        .json(&json!({"name": "x"}))
        .go()
        .expect_error(404, "not_found");
    alice.delete(&path).go().expect_error(404, "not_found");
    alice
        .get(&format!("{path}/contents"))
        .go()
        .expect_error(404, "not_found");
    alice
        .post(&format!("{path}/link"))
        .go()
        .expect_error(404, "not_found");
    alice
        .get(&format!("{path}/zip"))
        .go()
        .expect_error(404, "not_found");
    // The same answer as a folder that does not exist.
    let missing = format!("/api/folders/{}", random_id());
    alice.get(&missing).go().expect_error(404, "not_found");
    alice
        .get("/api/folders/nonsense")
        .go()
        .expect_error(404, "not_found");
    // ?user= on the root is for admins only.
    let bobs_root = format!("/api/folders/root/contents?user={}", id(&bob_user));
    alice.get(&bobs_root).go().expect_error(403, "forbidden");
    create(&alice, json!({"name": "x"}));
    alice
        .post(&format!("/api/folders?user={}", id(&bob_user)))
        .json(&json!({"name": "x"}))
        .go()
        .expect_error(403, "forbidden");

    // An admin acts on Bob's tree.
    admin.get(&path).go().expect(200);
    let made = admin
        .post(&format!("/api/folders?user={}", id(&bob_user)))
        .json(&json!({"name": "From admin", "parent_id": id(&bobs)}))
        .go()
        .expect(201)
        .json()["folder"]
        .clone();
    assert_eq!(made["owner_id"], bob_user["id"]);
    let root = admin.get(&bobs_root).go().expect(200).json();
    assert_eq!(root["folders"][0]["name"], "Private");
    admin
        .put(&format!(
            "/api/files?name=by-admin.txt&folder_id={}&user={}",
            id(&made),
            id(&bob_user)
        ))
        .body("x")
        .go()
        .expect(201);
    assert_eq!(names_in(&bob, &id(&made)).1, ["by-admin.txt"]);
}

both_backends!(uploads_go_into_a_folder_by_put_and_by_multipart);
fn uploads_go_into_a_folder_by_put_and_by_multipart() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let docs = folder(&alice, "Docs", None);
    let put = put_with(&alice, &docs, "raw.txt", &[], b"raw")
        .expect(201)
        .json()["file"]
        .clone();
    assert_file(&put);
    assert_eq!(put["folder_id"], docs["id"]);
    let multipart = post_multipart(
        &alice,
        &format!("/api/files?folder_id={}", id(&docs)),
        &[Part::File {
            name: "form.txt",
            bytes: b"form",
        }],
    )
    .expect(201)
    .json()["file"]
        .clone();
    assert_eq!(multipart["folder_id"], docs["id"]);
    assert_eq!(names_in(&alice, &id(&docs)).1, ["form.txt", "raw.txt"]);
    assert_eq!(names_in(&alice, "root"), (vec!["Docs".to_string()], vec![]));
    // `root` names the root explicitly.
    let at_root = put_file(&alice, &[("name", "top.txt"), ("folder_id", "root")], b"t")
        .expect(201)
        .json()["file"]
        .clone();
    assert_eq!(at_root["folder_id"], Value::Null);
    let content = alice
        .get(&format!("/api/files/{}/content", id(&put)))
        .go()
        .expect(200);
    assert_eq!(content.body, b"raw");
}

both_backends!(on_conflict_fail_is_409_before_the_bytes_and_keeps_nothing);
fn on_conflict_fail_is_409_before_the_bytes_and_keeps_nothing() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let docs = folder(&alice, "Docs", None);
    put_with(&alice, &docs, "a.txt", &[], b"first").expect(201);
    put_with(&alice, &docs, "a.txt", &[], b"second").expect_error(409, "name_taken");
    put_with(&alice, &docs, "a.txt", &[("on_conflict", "fail")], b"third")
        .expect_error(409, "name_taken");
    post_multipart(
        &alice,
        &format!("/api/files?folder_id={}", id(&docs)),
        &[Part::File {
            name: "a.txt",
            bytes: b"fourth",
        }],
    )
    .expect_error(409, "name_taken");
    put_with(
        &alice,
        &docs,
        "a.txt",
        &[("on_conflict", "overwrite")],
        b"x",
    )
    .expect_invalid("on_conflict");
    assert_eq!(server.files_under("files").len(), 1);
    server.assert_tmp_empty();
}

both_backends!(on_conflict_rename_numbers_the_name_before_its_extension);
fn on_conflict_rename_numbers_the_name_before_its_extension() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let docs = folder(&alice, "Docs", None);
    let rename = [("on_conflict", "rename")];
    put_with(&alice, &docs, "report.pdf", &rename, b"1").expect(201);
    let second = put_with(&alice, &docs, "report.pdf", &rename, b"2")
        .expect(201)
        .json();
    assert_eq!(second["file"]["name"], "report (1).pdf");
    let third = put_with(&alice, &docs, "report.pdf", &rename, b"3")
        .expect(201)
        .json();
    assert_eq!(third["file"]["name"], "report (2).pdf");
    folder(&alice, "notes", Some(&docs));
    let beside_folder = put_with(&alice, &docs, "notes", &rename, b"n")
        .expect(201)
        .json();
    assert_eq!(beside_folder["file"]["name"], "notes (1)");
    let (_, files) = names_in(&alice, &id(&docs));
    assert_eq!(
        files,
        [
            "notes (1)",
            "report (1).pdf",
            "report (2).pdf",
            "report.pdf"
        ]
    );
}

both_backends!(on_conflict_replace_gives_new_bytes_and_keeps_id_comment_and_share);
fn on_conflict_replace_gives_new_bytes_and_keeps_id_comment_and_share() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let docs = folder(&alice, "Docs", None);
    let old = put_with(
        &alice,
        &docs,
        "a.txt",
        &[("comment", "keep me")],
        b"old bytes",
    )
    .expect(201)
    .json()["file"]
        .clone();
    let share = share_url_of(&alice, &old);
    let content = format!("/api/files/{}/content", id(&old));
    let old_etag = alice.get(&content).go().expect(200).header("etag");
    let replaced = put_with(
        &alice,
        &docs,
        "a.txt",
        &[("on_conflict", "replace"), ("comment", "ignored")],
        b"new, longer bytes",
    )
    .expect(200)
    .json()["file"]
        .clone();
    assert_eq!(replaced["id"], old["id"]);
    assert_eq!(replaced["comment"], "keep me");
    assert_eq!(replaced["share_url"].as_str(), Some(share.as_str()));
    assert_eq!(replaced["size"], 17);
    let now = alice.get(&content).go().expect(200);
    assert_eq!(now.body, b"new, longer bytes");
    assert_ne!(now.header("etag"), old_etag, "new bytes, new validator");
    assert_eq!(
        server.anon().get(&share).go().expect(200).body,
        b"new, longer bytes"
    );
    // The old bytes are gone from disk, and the storage count follows the new size.
    assert_eq!(server.files_under("files").len(), 1);
    assert_eq!(alice.me()["storage"]["total_size"], 17);
    // A folder of that name cannot be replaced by a file.
    folder(&alice, "sub", Some(&docs));
    put_with(&alice, &docs, "sub", &[("on_conflict", "replace")], b"x")
        .expect_error(409, "name_taken");
    server.assert_tmp_empty();
}

both_backends!(a_file_moves_between_folders_and_to_the_root);
fn a_file_moves_between_folders_and_to_the_root() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let a = folder(&alice, "a", None);
    let b = folder(&alice, "b", None);
    let file = put_with(&alice, &a, "f.txt", &[], b"f").expect(201).json()["file"].clone();
    let path = format!("/api/files/{}", id(&file));
    let moved = alice
        .patch(&path)
        .json(&json!({"folder_id": id(&b), "comment": "moved"}))
        .go()
        .expect(200)
        .json()["file"]
        .clone();
    assert_eq!(moved["folder_id"], b["id"]);
    assert_eq!(moved["comment"], "moved");
    assert_eq!(names_in(&alice, &id(&a)).1.len(), 0);
    assert_eq!(names_in(&alice, &id(&b)).1, ["f.txt"]);
    let at_root = alice
        .patch(&path)
        .json(&json!({"folder_id": null}))
        .go()
        .expect(200)
        .json()["file"]
        .clone();
    assert_eq!(at_root["folder_id"], Value::Null);
    // A rename alone leaves the folder alone.
    let renamed = alice
        .patch(&path)
        .json(&json!({"name": "g.txt"}))
        .go()
        .expect(200)
        .json()["file"]
        .clone();
    assert_eq!(renamed["folder_id"], Value::Null);
    assert_eq!(
        alice.get(&format!("{path}/content")).go().expect(200).body,
        b"f"
    );
}

both_backends!(deleting_a_folder_removes_its_subtree_rows_and_bytes);
fn deleting_a_folder_removes_its_subtree_rows_and_bytes() {
    // Without a trash (`--trash-retention 0`) a deleted folder is gone for good; the trash
    // itself is tests/trash.rs.
    let server = Server::start_with(&["--trash-retention", "0"]);
    let (_, alice) = user(&server, "alice");
    let a = folder(&alice, "a", None);
    let b = folder(&alice, "b", Some(&a));
    let c = folder(&alice, "c", Some(&b));
    let in_a = put_with(&alice, &a, "1.txt", &[], b"1").expect(201).json()["file"].clone();
    put_with(&alice, &c, "2.txt", &[], b"22").expect(201);
    let kept = upload_put(&alice, "kept.txt", b"333");
    alice
        .delete(&format!("/api/folders/{}", id(&a)))
        .go()
        .expect(204);
    alice
        .get(&format!("/api/folders/{}", id(&c)))
        .go()
        .expect_error(404, "not_found");
    alice
        .get(&format!("/api/files/{}", id(&in_a)))
        .go()
        .expect_error(404, "not_found");
    assert_eq!(
        names_in(&alice, "root"),
        (vec![], vec!["kept.txt".to_string()])
    );
    let on_disk = server.files_under("files");
    assert_eq!(on_disk.len(), 1, "{on_disk:?}");
    assert!(on_disk[0].ends_with(id(&kept)));
    assert_eq!(alice.me()["storage"]["file_count"], 1);
    alice
        .delete(&format!("/api/folders/{}", id(&a)))
        .go()
        .expect_error(404, "not_found");
}

both_backends!(moving_a_folder_of_many_files_is_one_update_and_keeps_them_all);
fn moving_a_folder_of_many_files_is_one_update_and_keeps_them_all() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let big = folder(&alice, "big", None);
    let target = folder(&alice, "target", None);
    for i in 0..50 {
        put_with(&alice, &big, &format!("{i:03}.txt"), &[], b"x").expect(201);
    }
    let moved = alice
        .patch(&format!("/api/folders/{}", id(&big)))
        .json(&json!({"parent_id": id(&target)}))
        .go()
        .expect(200)
        .json()["folder"]
        .clone();
    assert_eq!(moved["parent_id"], target["id"]);
    let (_, files) = names_in(&alice, &id(&big));
    assert_eq!(files.len(), 50);
    // Each file still names the folder it was in: only the folder's row changed.
    let page = alice
        .get(&format!("/api/folders/{}/contents", id(&big)))
        .go()
        .expect(200)
        .json();
    assert!(
        page["files"]
            .as_array()
            .expect("files")
            .iter()
            .all(|f| f["folder_id"] == big["id"])
    );
}
