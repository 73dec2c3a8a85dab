//! Reading the tree (DESIGN §10): a folder's contents a page at a time with an opaque
//! cursor, every sort and order, the flat file list, search, and a folder as a zip,
//! read back by Python's zipfile, a reader we did not write.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::*;
use serde_json::{Value, json};

/// Every entry of `folder`, page by page with `query`: (kind, name) in the order served,
/// and how many pages it took.
#[track_caller]
fn walk(client: &Client, folder: &str, query: &str) -> (Vec<(String, String)>, usize) {
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut url = format!("/api/folders/{folder}/contents?{query}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = client.get(&url).go().expect(200).json();
        assert_keys(
            &page,
            &["folder", "path", "folders", "files", "next_cursor"],
        );
        pages += 1;
        for (kind, key) in [("d", "folders"), ("f", "files")] {
            for entry in page[key].as_array().expect("array") {
                entries.push((
                    kind.to_string(),
                    entry["name"].as_str().expect("name").into(),
                ));
            }
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return (entries, pages),
        }
        assert!(pages < 1000, "runaway pagination");
    }
}

both_backends!(pages_hold_folders_first_and_every_entry_exactly_once);
fn pages_hold_folders_first_and_every_entry_exactly_once() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    for i in 0..7 {
        make_folder(&alice, &format!("dir{i}"), None);
    }
    for i in 0..11 {
        put_into(&alice, None, &format!("file{i:02}.txt"), b"x");
    }
    for limit in [1, 3, 7, 8, 18, 200] {
        let (entries, pages) = walk(&alice, "root", &format!("limit={limit}"));
        assert_eq!(entries.len(), 18, "limit {limit}");
        assert_eq!(pages, 18usize.div_ceil(limit).max(1), "limit {limit}");
        assert!(
            entries[..7].iter().all(|(kind, _)| kind == "d"),
            "folders first"
        );
        assert!(entries[7..].iter().all(|(kind, _)| kind == "f"));
        let names: Vec<&str> = entries.iter().map(|(_, n)| n.as_str()).collect();
        let mut sorted = names.clone();
        sorted[..7].sort();
        sorted[7..].sort();
        assert_eq!(names, sorted, "limit {limit}");
    }
    let root = alice
        .get("/api/folders/root/contents")
        .go()
        .expect(200)
        .json();
    assert_eq!(root["folder"], Value::Null);
    assert_eq!(root["path"], json!([]));
    assert_eq!(root["next_cursor"], Value::Null);
    assert_file(&root["files"][0]);
}

both_backends!(entries_added_or_removed_between_pages_are_neither_skipped_nor_repeated);
fn entries_added_or_removed_between_pages_are_neither_skipped_nor_repeated() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let mut files = BTreeMap::new();
    for name in ["b", "d", "f", "h", "j", "l"] {
        files.insert(name, put_into(&alice, None, name, b"x"));
    }
    let first = alice
        .get("/api/folders/root/contents?limit=3")
        .go()
        .expect(200)
        .json();
    let names: Vec<&str> = first["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b", "d", "f"]);
    // Meanwhile: one before the cursor and one after are added, one already seen and one
    // not yet seen are deleted.
    put_into(&alice, None, "a", b"x");
    put_into(&alice, None, "i", b"x");
    alice
        .delete(&format!("/api/files/{}", id(&files["d"])))
        .go()
        .expect(204);
    alice
        .delete(&format!("/api/files/{}", id(&files["j"])))
        .go()
        .expect(204);
    let cursor = first["next_cursor"].as_str().expect("more to come");
    let rest = alice
        .get(&format!(
            "/api/folders/root/contents?limit=10&cursor={cursor}"
        ))
        .go()
        .expect(200)
        .json();
    let names: Vec<&str> = rest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["h", "i", "l"]);
    assert_eq!(rest["next_cursor"], Value::Null);
}

both_backends!(every_sort_and_order_lists_in_its_order_across_pages);
fn every_sort_and_order_lists_in_its_order_across_pages() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    // Uploaded in this order, sizes unrelated to names, mixed case and a non-ASCII name.
    let uploads = [
        ("b.txt", 30),
        ("A.txt", 10),
        ("c.txt", 20),
        ("Éa.txt", 5),
        ("a2.txt", 20),
    ];
    for (name, size) in uploads {
        put_into(&alice, None, name, &vec![b'x'; size]);
    }
    make_folder(&alice, "Zeta", None);
    make_folder(&alice, "alpha", None);
    let files_in = |query: &str| -> Vec<String> {
        walk(&alice, "root", query)
            .0
            .into_iter()
            .filter(|(kind, _)| kind == "f")
            .map(|(_, name)| name)
            .collect()
    };
    let folders_in = |query: &str| -> Vec<String> {
        walk(&alice, "root", query)
            .0
            .into_iter()
            .filter(|(kind, _)| kind == "d")
            .map(|(_, name)| name)
            .collect()
    };
    // By name: case-insensitive (Unicode lower case), ties impossible within a folder.
    assert_eq!(
        files_in("limit=2"),
        ["A.txt", "a2.txt", "b.txt", "c.txt", "Éa.txt"]
    );
    assert_eq!(
        files_in("limit=2&sort=name&order=desc"),
        ["Éa.txt", "c.txt", "b.txt", "a2.txt", "A.txt"]
    );
    assert_eq!(folders_in("limit=1"), ["alpha", "Zeta"]);
    // By size, ties by id (upload order: ids are time-ordered).
    assert_eq!(
        files_in("limit=2&sort=size"),
        ["Éa.txt", "A.txt", "c.txt", "a2.txt", "b.txt"]
    );
    assert_eq!(
        files_in("limit=3&sort=size&order=desc"),
        ["b.txt", "a2.txt", "c.txt", "A.txt", "Éa.txt"]
    );
    // Folders have no size: by name under sort=size.
    assert_eq!(folders_in("limit=1&sort=size"), ["alpha", "Zeta"]);
    // By upload time; folders by creation.
    assert_eq!(
        files_in("limit=2&sort=uploaded"),
        ["b.txt", "A.txt", "c.txt", "Éa.txt", "a2.txt"]
    );
    assert_eq!(
        files_in("limit=4&sort=uploaded&order=desc"),
        ["a2.txt", "Éa.txt", "c.txt", "A.txt", "b.txt"]
    );
    assert_eq!(
        folders_in("limit=1&sort=uploaded&order=desc"),
        ["alpha", "Zeta"]
    );
}

both_backends!(bad_limits_sorts_and_cursors_are_400_never_500);
fn bad_limits_sorts_and_cursors_are_400_never_500() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let a = make_folder(&alice, "a", None);
    let b = make_folder(&alice, "b", None);
    for i in 0..3 {
        put_into(&alice, Some(&a), &format!("{i}"), b"x");
        put_into(&alice, None, &format!("{i}"), b"x");
    }
    let contents = |folder: &str, query: &str| {
        alice
            .get(&format!("/api/folders/{folder}/contents?{query}"))
            .go()
    };
    for limit in ["0", "1001", "100000", "-1", "ten", ""] {
        contents("root", &format!("limit={limit}")).expect_invalid("limit");
    }
    contents("root", "sort=colour").expect_invalid("sort");
    contents("root", "order=up").expect_invalid("order");
    let cursor_of = |folder: &str, query: &str| -> String {
        contents(folder, query).expect(200).json()["next_cursor"]
            .as_str()
            .expect("cursor")
            .to_string()
    };
    let in_a = cursor_of(&id(&a), "limit=1");
    // Another folder, another sort, another order, the root, the flat list, search.
    contents(&id(&b), &format!("limit=1&cursor={in_a}")).expect_invalid("cursor");
    contents(&id(&a), &format!("limit=1&sort=size&cursor={in_a}")).expect_invalid("cursor");
    contents(&id(&a), &format!("limit=1&order=desc&cursor={in_a}")).expect_invalid("cursor");
    contents("root", &format!("cursor={in_a}")).expect_invalid("cursor");
    alice
        .get(&format!("/api/files?cursor={in_a}"))
        .go()
        .expect_invalid("cursor");
    alice
        .get(&format!("/api/search?q=x&cursor={in_a}"))
        .go()
        .expect_invalid("cursor");
    // Altered, cut short, or made up.
    let mut tampered = in_a.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    for bad in [
        tampered.as_str(),
        &in_a[..in_a.len() - 2],
        "abc",
        "a.b",
        "%00",
        "....",
    ] {
        contents(&id(&a), &format!("limit=1&cursor={bad}")).expect_invalid("cursor");
    }
    // Another user's cursor for their own root is not one of ours either.
    let (_, bob) = user(&server, "bobby");
    put_into(&bob, None, "1", b"x");
    put_into(&bob, None, "2", b"x");
    let bobs = bob
        .get("/api/folders/root/contents?limit=1")
        .go()
        .expect(200)
        .json()["next_cursor"]
        .as_str()
        .expect("cursor")
        .to_string();
    contents("root", &format!("limit=1&cursor={bobs}")).expect_invalid("cursor");
    // The server is still serving.
    contents(&id(&a), &format!("limit=1&cursor={in_a}")).expect(200);
}

both_backends!(the_flat_file_list_is_paginated_newest_first);
fn the_flat_file_list_is_paginated_newest_first() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let d = make_folder(&alice, "d", None);
    for i in 0..5 {
        put_into(
            &alice,
            if i % 2 == 0 { Some(&d) } else { None },
            &format!("{i}"),
            b"x",
        );
    }
    let mut names = Vec::new();
    let mut url = "/api/files?limit=2".to_string();
    loop {
        let page = alice.get(&url).go().expect(200).json();
        assert_keys(&page, &["files", "next_cursor"]);
        for f in page["files"].as_array().expect("files") {
            names.push(f["name"].as_str().expect("name").to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/files?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(names, ["4", "3", "2", "1", "0"]);
    let all = alice.get("/api/files").go().expect(200).json();
    assert_eq!(all["files"].as_array().map(Vec::len), Some(5));
    assert_eq!(all["next_cursor"], Value::Null);
    alice.get("/api/files?limit=0").go().expect_invalid("limit");
}

both_backends!(search_matches_names_and_comments_case_insensitively_with_paths);
fn search_matches_names_and_comments_case_insensitively_with_paths() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let (_, bob) = user(&server, "bobby");
    let docs = make_folder(&alice, "Документы", None);
    let year = make_folder(&alice, "2026", Some(&docs));
    let report = put_into(&alice, Some(&year), "ОТЧЁТ за год.pdf", b"r");
    put_file(
        &alice,
        &[
            ("name", "plain.txt"),
            ("comment", "Годовой отчёт, черновик"),
        ],
        b"p",
    )
    .expect(201);
    make_folder(&alice, "Отчёты", Some(&docs));
    put_into(&alice, None, "100%_sure.txt", b"x");
    put_into(&alice, None, "100 sure.txt", b"x");
    put_into(&bob, None, "отчёт.txt", b"b");

    let hits = alice.get("/api/search?q=отчёт").go().expect(200).json();
    assert_keys(&hits, &["folders", "files", "next_cursor"]);
    let folder_names: Vec<&str> = hits["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(folder_names, ["Отчёты"]);
    assert_eq!(
        hits["folders"][0]["path"],
        json!([{"id": docs["id"], "name": "Документы"}])
    );
    let file_names: Vec<&str> = hits["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        file_names,
        ["plain.txt", "ОТЧЁТ за год.pdf"],
        "by name, Bob's not among them"
    );
    let hit = &hits["files"][1];
    assert_eq!(hit["id"], report["id"]);
    assert_eq!(
        hit["path"],
        json!([{"id": docs["id"], "name": "Документы"}, {"id": year["id"], "name": "2026"}])
    );
    assert_eq!(hits["files"][0]["path"], json!([]));
    // Upper case finds lower case, in Cyrillic too; LIKE's wildcards are plain characters.
    let upper = alice.get("/api/search?q=ОТЧЁТ").go().expect(200).json();
    assert_eq!(upper["files"].as_array().map(Vec::len), Some(2));
    let percent = alice.get("/api/search?q=100%25_").go().expect(200).json();
    let names: Vec<&str> = percent["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["100%_sure.txt"]);
    // Pages.
    let first = alice.get("/api/search?q=о&limit=1").go().expect(200).json();
    let cursor = first["next_cursor"].as_str().expect("more");
    let second = alice
        .get(&format!("/api/search?q=о&limit=1&cursor={cursor}"))
        .go()
        .expect(200)
        .json();
    assert_ne!(first, second);
    alice
        .get(&format!("/api/search?q=other&cursor={cursor}"))
        .go()
        .expect_invalid("cursor");
    alice.get("/api/search").go().expect_invalid("q");
    alice.get("/api/search?q=%20%20").go().expect_invalid("q");
    alice
        .get(&format!("/api/search?q={}", "x".repeat(1001)))
        .go()
        .expect_invalid("q");
}

/// The entries of a zip as Python's zipfile reads them: name → bytes (folders: `None`),
/// after `testzip` checked every CRC.
#[track_caller]
fn read_zip(bytes: &[u8]) -> BTreeMap<String, Option<Vec<u8>>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("x.zip");
    std::fs::write(&path, bytes).expect("write zip");
    let script = r#"
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    assert bad is None, bad
    out = {}
    for info in z.infolist():
        out[info.filename] = None if info.is_dir() else z.read(info).hex()
    print(json.dumps(out))
"#;
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed: BTreeMap<String, Option<String>> =
        serde_json::from_slice(&output.stdout).expect("json");
    parsed
        .into_iter()
        .map(|(name, hex)| {
            let bytes = hex.map(|h| {
                (0..h.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
                    .collect()
            });
            (name, bytes)
        })
        .collect()
}

both_backends!(a_folder_downloads_as_a_zip_with_paths_names_and_empty_folders);
fn a_folder_downloads_as_a_zip_with_paths_names_and_empty_folders() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let photos = make_folder(&alice, "Фото 2026", None);
    let trip = make_folder(&alice, "trip", Some(&photos));
    make_folder(&alice, "empty", Some(&photos));
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    put_into(&alice, Some(&photos), "café ☕.txt", b"coffee");
    put_into(&alice, Some(&trip), "big.bin", &big);
    put_into(&alice, None, "outside.txt", b"not in the zip");

    let reply = alice
        .get(&format!("/api/folders/{}/zip", id(&photos)))
        .go()
        .expect(200);
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("application/zip")
    );
    assert!(
        reply.disposition().contains("attachment"),
        "{}",
        reply.disposition()
    );
    let entries = read_zip(&reply.body);
    let names: Vec<&str> = entries.keys().map(String::as_str).collect();
    assert_eq!(names, ["café ☕.txt", "empty/", "trip/", "trip/big.bin"]);
    assert_eq!(entries["café ☕.txt"].as_deref(), Some(&b"coffee"[..]));
    assert_eq!(entries["trip/big.bin"].as_deref(), Some(&big[..]));

    // The whole account from the root, through a signed link and no token.
    let link = alice.post("/api/folders/root/link").go().expect(200).json();
    let url = link["url"].as_str().expect("url");
    assert_time(&link["expires_at"]);
    let whole = read_zip(&server.anon().get(url).go().expect(200).body);
    assert!(whole.contains_key("outside.txt"));
    assert!(whole.contains_key("Фото 2026/trip/big.bin"));
    assert!(whole.contains_key("Фото 2026/empty/"));
    // A link for one folder does not open another, nor with its signature altered.
    let link = alice
        .post(&format!("/api/folders/{}/link", id(&trip)))
        .go()
        .expect(200)
        .json();
    let url = link["url"].as_str().expect("url").to_string();
    let only_trip = read_zip(&server.anon().get(&url).go().expect(200).body);
    assert_eq!(only_trip.keys().collect::<Vec<_>>(), ["big.bin"]);
    let other = url.replace(&id(&trip), &id(&photos));
    server
        .anon()
        .get(&other)
        .go()
        .expect_error(403, "invalid_link");
    let altered = format!("{}x", &url[..url.len() - 1]);
    server
        .anon()
        .get(&altered)
        .go()
        .expect_error(403, "invalid_link");
    server
        .anon()
        .get(&format!("/api/folders/{}/zip", id(&trip)))
        .go()
        .expect_error(401, "unauthorized");
}

both_backends!(a_zip_of_files_whose_bytes_are_gone_says_so_in_a_note);
fn a_zip_of_files_whose_bytes_are_gone_says_so_in_a_note() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    let d = make_folder(&alice, "d", None);
    put_into(&alice, Some(&d), "kept.txt", b"kept");
    let lost = put_into(&alice, Some(&d), "lost.txt", b"lost");
    std::fs::remove_file(server.blob_path(user["id"].as_str().unwrap(), &id(&lost))).expect("rm");
    let reply = alice
        .get(&format!("/api/folders/{}/zip", id(&d)))
        .go()
        .expect(200);
    let entries = read_zip(&reply.body);
    assert_eq!(entries["kept.txt"].as_deref(), Some(&b"kept"[..]));
    assert!(!entries.contains_key("lost.txt"));
    let note =
        String::from_utf8(entries["MISSING FILES.txt"].clone().expect("a file")).expect("utf-8");
    assert!(note.contains("lost.txt"), "{note}");
}
