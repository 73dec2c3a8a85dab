//! The trash (DESIGN §11): deleting moves a file or folder to the trash, where it leaves
//! every listing and route, keeps its bytes and counts towards the quota, until it is
//! restored, purged, or the reaper purges it after `--trash-retention`.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

/// `DELETE /api/files/{id}`: the file goes to the trash.
#[track_caller]
fn trash_file(client: &Client, file: &Value) {
    client
        .delete(&format!("/api/files/{}", id(file)))
        .go()
        .expect(204);
}

/// `DELETE /api/folders/{id}`: the folder and its subtree go to the trash.
#[track_caller]
fn trash_folder(client: &Client, folder: &Value) {
    client
        .delete(&format!("/api/folders/{}", id(folder)))
        .go()
        .expect(204);
}

/// Restores a file from the trash; returns the `file`.
#[track_caller]
fn restore_file(client: &Client, file: &Value) -> Value {
    client
        .post(&format!("/api/trash/files/{}/restore", id(file)))
        .go()
        .expect(200)
        .json()["file"]
        .clone()
}

/// The trash's items, newest first.
#[track_caller]
fn trash(client: &Client) -> Vec<Value> {
    let body = client.get("/api/trash").go().expect(200).json();
    assert_keys(&body, &["items", "next_cursor"]);
    body["items"].as_array().expect("items").clone()
}

both_backends!(a_deleted_file_leaves_every_route_keeps_its_bytes_and_counts);
fn a_deleted_file_leaves_every_route_keeps_its_bytes_and_counts() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let docs = make_folder(&alice, "Docs", None);
    let file = put_into(&alice, Some(&docs), "report.pdf", &[7; 1000]);
    let share = share_url_of(&alice, &file);
    let link = alice
        .post(&format!("/api/files/{}/link", id(&file)))
        .go()
        .expect(200)
        .json()["url"]
        .as_str()
        .expect("url")
        .to_string();
    trash_file(&alice, &file);

    let path = format!("/api/files/{}", id(&file));
    alice.get(&path).go().expect_error(404, "not_found");
    alice
        .get(&format!("{path}/content"))
        .go()
        .expect_error(404, "not_found");
    alice
        .patch(&path)
        .json(&json!({"name": "x"}))
        .go()
        .expect_error(404, "not_found");
    server.anon().get(&link).go().expect_error(404, "not_found");
    server
        .anon()
        .get(&share)
        .go()
        .expect_error(404, "not_found");
    assert_eq!(names_in(&alice, &id(&docs)).1.len(), 0);
    let hits = alice.get("/api/search?q=report").go().expect(200).json();
    assert_eq!(hits["files"], json!([]));
    assert_eq!(
        alice.get("/api/files").go().expect(200).json()["files"],
        json!([])
    );
    // Its name is free again in its folder.
    put_into(&alice, Some(&docs), "report.pdf", b"new");

    let items = trash(&alice);
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_keys(
        item,
        &[
            "kind",
            "id",
            "name",
            "original_path",
            "size",
            "trashed_at",
            "purge_at",
        ],
    );
    assert_eq!(item["kind"], "file");
    assert_eq!(item["id"], file["id"]);
    assert_eq!(item["original_path"], "/Docs/report.pdf");
    assert_eq!(item["size"], 1000);
    assert_time(&item["trashed_at"]);
    assert_time(&item["purge_at"]);
    let storage = alice.me()["storage"].clone();
    assert_eq!(storage["trash_size"], 1000);
    assert_eq!(storage["total_size"], 3);
    assert_eq!(storage["file_count"], 1);
    // Its bytes are still on disk.
    assert_eq!(server.files_under("files").len(), 2);

    // Restored, clashing with the new one: " (restored)"; the share link stays dead.
    let restored = restore_file(&alice, &file);
    assert_eq!(restored["id"], file["id"]);
    assert_eq!(restored["name"], "report (restored).pdf");
    assert_eq!(restored["folder_id"], docs["id"]);
    assert_eq!(restored["share_url"], Value::Null);
    server
        .anon()
        .get(&share)
        .go()
        .expect_error(404, "not_found");
    assert_eq!(
        alice.get(&format!("{path}/content")).go().expect(200).body,
        vec![7; 1000]
    );
    assert_eq!(trash(&alice), Vec::<Value>::new());
    assert_eq!(alice.me()["storage"]["trash_size"], 0);
}

both_backends!(a_deleted_folder_is_one_item_and_comes_back_whole);
fn a_deleted_folder_is_one_item_and_comes_back_whole() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let photos = make_folder(&alice, "Photos", None);
    let trip = make_folder(&alice, "trip", Some(&photos));
    let a = put_into(&alice, Some(&photos), "a.jpg", &[1; 10]);
    put_into(&alice, Some(&trip), "b.jpg", &[2; 20]);
    trash_folder(&alice, &photos);

    let items = trash(&alice);
    assert_eq!(items.len(), 1, "the folder, not each file in it: {items:?}");
    assert_eq!(items[0]["kind"], "folder");
    assert_eq!(items[0]["original_path"], "/Photos");
    assert_eq!(items[0]["size"], 30);
    alice
        .get(&format!("/api/folders/{}", id(&trip)))
        .go()
        .expect_error(404, "not_found");
    alice
        .get(&format!("/api/files/{}/content", id(&a)))
        .go()
        .expect_error(404, "not_found");
    assert_eq!(names_in(&alice, "root"), (vec![], vec![]));
    assert_eq!(
        alice.get("/api/search?q=jpg").go().expect(200).json()["files"],
        json!([])
    );
    // Nothing can go into a folder in the trash.
    put_file(&alice, &[("name", "x"), ("folder_id", &id(&trip))], b"x").expect_invalid("folder_id");
    alice
        .post("/api/folders")
        .json(&json!({"name": "x", "parent_id": id(&trip)}))
        .go()
        .expect_invalid("parent_id");
    // A file of it is not an item of its own.
    alice
        .post(&format!("/api/trash/files/{}/restore", id(&a)))
        .go()
        .expect_error(404, "not_found");

    let restored = alice
        .post(&format!("/api/trash/folders/{}/restore", id(&photos)))
        .go()
        .expect(200)
        .json()["folder"]
        .clone();
    assert_eq!(restored["name"], "Photos");
    assert_eq!(
        names_in(&alice, &id(&photos)),
        (vec!["trip".into()], vec!["a.jpg".into()])
    );
    assert_eq!(names_in(&alice, &id(&trip)).1, ["b.jpg"]);
    assert_eq!(
        alice
            .get(&format!("/api/files/{}/content", id(&a)))
            .go()
            .expect(200)
            .body,
        vec![1; 10]
    );
}

both_backends!(an_item_whose_folder_is_gone_restores_to_the_root);
fn an_item_whose_folder_is_gone_restores_to_the_root() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let docs = make_folder(&alice, "Docs", None);
    let inner = make_folder(&alice, "inner", Some(&docs));
    let file = put_into(&alice, Some(&inner), "f.txt", b"f");
    // The file first, then its folder's parent: the folder is purged for good.
    trash_file(&alice, &file);
    trash_folder(&alice, &docs);
    assert_eq!(trash(&alice).len(), 2);
    alice
        .delete(&format!("/api/trash/folders/{}", id(&docs)))
        .go()
        .expect(204);
    let restored = restore_file(&alice, &file);
    assert_eq!(restored["folder_id"], Value::Null);
    assert_eq!(names_in(&alice, "root").1, ["f.txt"]);
    // A file whose folder is itself in the trash also comes back at the root.
    let box_ = make_folder(&alice, "box", None);
    let g = put_into(&alice, Some(&box_), "g.txt", b"g");
    trash_file(&alice, &g);
    trash_folder(&alice, &box_);
    let g = restore_file(&alice, &g);
    assert_eq!(g["folder_id"], Value::Null);
}

both_backends!(purging_removes_rows_and_bytes_and_emptying_removes_all);
fn purging_removes_rows_and_bytes_and_emptying_removes_all() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let d = make_folder(&alice, "d", None);
    for i in 0..3 {
        put_into(&alice, Some(&d), &format!("{i}"), &[i; 100]);
    }
    let one = put_into(&alice, None, "one", &[9; 50]);
    let two = put_into(&alice, None, "two", &[9; 60]);
    let kept = put_into(&alice, None, "kept", &[9; 70]);
    for f in [&one, &two] {
        trash_file(&alice, f);
    }
    trash_folder(&alice, &d);
    assert_eq!(server.files_under("files").len(), 6);
    alice
        .delete(&format!("/api/trash/files/{}", id(&one)))
        .go()
        .expect(204);
    alice
        .delete(&format!("/api/trash/files/{}", id(&one)))
        .go()
        .expect_error(404, "not_found");
    assert_eq!(server.files_under("files").len(), 5);
    assert_eq!(alice.me()["storage"]["trash_size"], 360);
    alice.delete("/api/trash").go().expect(204);
    assert_eq!(trash(&alice), Vec::<Value>::new());
    let on_disk = server.files_under("files");
    assert_eq!(on_disk.len(), 1, "{on_disk:?}");
    assert!(on_disk[0].ends_with(id(&kept)));
    assert_eq!(alice.me()["storage"]["trash_size"], 0);
    assert_eq!(alice.me()["storage"]["total_size"], 70);
    // A live file is not in the trash.
    alice
        .delete(&format!("/api/trash/files/{}", id(&kept)))
        .go()
        .expect_error(404, "not_found");
    alice
        .post(&format!("/api/trash/files/{}/restore", id(&kept)))
        .go()
        .expect_error(404, "not_found");
}

both_backends!(another_accounts_trash_is_404_and_admins_reach_it_with_user);
fn another_accounts_trash_is_404_and_admins_reach_it_with_user() {
    let server = Server::start();
    let (bob_user, bob) = user(&server, "bobby");
    let (_, alice) = user(&server, "alice");
    let admin = admin(&server);
    let f = put_into(&bob, None, "b.txt", b"b");
    let g = put_into(&bob, None, "g.txt", b"g");
    bob.delete(&format!("/api/files/{}", id(&f)))
        .go()
        .expect(204);
    bob.delete(&format!("/api/files/{}", id(&g)))
        .go()
        .expect(204);
    alice
        .post(&format!("/api/trash/files/{}/restore", id(&f)))
        .go()
        .expect_error(404, "not_found");
    alice
        .delete(&format!("/api/trash/files/{}", id(&f)))
        .go()
        .expect_error(404, "not_found");
    assert_eq!(trash(&alice), Vec::<Value>::new());
    alice
        .get(&format!("/api/trash?user={}", id(&bob_user)))
        .go()
        .expect_error(403, "forbidden");
    let theirs = admin
        .get(&format!("/api/trash?user={}", id(&bob_user)))
        .go()
        .expect(200)
        .json();
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(2));
    admin
        .post(&format!("/api/trash/files/{}/restore", id(&f)))
        .go()
        .expect(200);
    admin
        .delete(&format!("/api/trash/files/{}", id(&g)))
        .go()
        .expect(204);
    assert_eq!(trash(&bob), Vec::<Value>::new());
    assert_eq!(names_in(&bob, "root").1, ["b.txt"]);
    for bad in ["nonsense", &random_id()] {
        bob.post(&format!("/api/trash/folders/{bad}/restore"))
            .go()
            .expect_error(404, "not_found");
    }
}

both_backends!(the_trash_counts_towards_the_quota_until_purged);
fn the_trash_counts_towards_the_quota_until_purged() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    admin(&server)
        .patch(&format!("/api/admin/users/{}", id(&user)))
        .json(&json!({"quota_bytes": 1000}))
        .go()
        .expect(200);
    let big = put_into(&alice, None, "big", &[1; 800]);
    trash_file(&alice, &big);
    put_file(&alice, &[("name", "more")], &[1; 300]).expect_error(507, "quota_exceeded");
    alice.delete("/api/trash").go().expect(204);
    put_file(&alice, &[("name", "more")], &[1; 300]).expect(201);
}

both_backends!(with_no_retention_deleting_is_for_good);
fn with_no_retention_deleting_is_for_good() {
    let server = Server::start_with(&["--trash-retention", "0"]);
    let (_, alice) = user(&server, "alice");
    let d = make_folder(&alice, "d", None);
    let f = put_into(&alice, Some(&d), "f", b"f");
    let g = put_into(&alice, None, "g", b"g");
    trash_file(&alice, &g);
    trash_folder(&alice, &d);
    assert_eq!(trash(&alice), Vec::<Value>::new());
    assert!(server.files_under("files").is_empty());
    alice
        .post(&format!("/api/trash/files/{}/restore", id(&f)))
        .go()
        .expect_error(404, "not_found");
}

both_backends!(the_reaper_purges_items_past_the_retention);
fn the_reaper_purges_items_past_the_retention() {
    let server = Server::start_with(&["--trash-retention", "1s"]);
    let (_, alice) = user(&server, "alice");
    let d = make_folder(&alice, "d", None);
    put_into(&alice, Some(&d), "f", &[1; 10]);
    let kept = put_into(&alice, None, "kept", b"k");
    trash_folder(&alice, &d);
    // The command takes the server's settings, as it would from its environment file.
    let dry = server.cli_ok(&["reap", "--dry-run", "--trash-retention", "1s"], "");
    assert!(dry.contains("expired trash items"), "{dry}");
    std::thread::sleep(Duration::from_millis(1100));
    let out = server.cli_ok(&["reap", "--trash-retention", "1s"], "");
    let line = out
        .lines()
        .find(|l| l.starts_with("expired trash items"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains(" 1 "), "{line}");
    assert_eq!(trash(&alice), Vec::<Value>::new());
    let on_disk = server.files_under("files");
    assert_eq!(on_disk.len(), 1, "{on_disk:?}");
    assert!(on_disk[0].ends_with(id(&kept)));
}
