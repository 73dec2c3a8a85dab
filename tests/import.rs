//! `mycloud import`: a directory tree copied into an account beside a running server, then
//! read back through that server's HTTP API (folders, names and bytes), on both backends.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::{Value, json};
use tempfile::TempDir;

/// Enough bytes to span several of the importer's 1 MiB reads, not a multiple of them.
const BIG: usize = 3 * 1024 * 1024 + 123;

fn big_bytes() -> Vec<u8> {
    (0..BIG).map(|i| (i * 7 % 251) as u8).collect()
}

/// A tree with everything the importer must copy and everything it must skip: nested
/// folders, an empty one, a unicode name, a multi-chunk file, a symlink to a file, a
/// symlink loop (`loop -> ..`), a fifo and a name the server refuses (a tab).
fn fixture() -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    fs::create_dir_all(root.join("a/b")).unwrap();
    fs::create_dir(root.join("empty")).unwrap();
    fs::write(root.join("top.txt"), "hello\n").unwrap();
    fs::write(root.join("a/b/deep.md"), "# deep\n").unwrap();
    fs::write(root.join("a/Привет, мир.txt"), "юникод\n").unwrap();
    fs::write(root.join("a/big.bin"), big_bytes()).unwrap();
    fs::write(root.join("bad\tname.txt"), "refused").unwrap();
    symlink("../top.txt", root.join("a/link")).unwrap();
    symlink("..", root.join("a/loop")).unwrap();
    let made = Command::new("mkfifo")
        .arg(root.join("pipe"))
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo failed");
    dir
}

/// What the account must hold after importing `fixture()`: each path (below the target)
/// and its bytes, `None` for a folder.
fn fixture_tree() -> BTreeMap<String, Option<Vec<u8>>> {
    BTreeMap::from([
        ("a".into(), None),
        ("a/b".into(), None),
        ("a/b/deep.md".into(), Some(b"# deep\n".to_vec())),
        ("a/big.bin".into(), Some(big_bytes())),
        (
            "a/Привет, мир.txt".into(),
            Some("юникод\n".as_bytes().to_vec()),
        ),
        ("empty".into(), None),
        ("top.txt".into(), Some(b"hello\n".to_vec())),
    ])
}

/// Every folder and file of the account through the API, by path: the JSON of each.
fn listing(client: &Client) -> BTreeMap<String, Value> {
    let mut found = BTreeMap::new();
    let mut pending = vec![("root".to_string(), String::new())];
    while let Some((folder, prefix)) = pending.pop() {
        let page = client
            .get(&format!("/api/folders/{folder}/contents?limit=1000"))
            .go()
            .expect(200)
            .json();
        assert!(page["next_cursor"].is_null(), "more than one page: {page}");
        for sub in page["folders"].as_array().expect("folders") {
            let path = format!("{prefix}{}", sub["name"].as_str().expect("name"));
            pending.push((id(sub), format!("{path}/")));
            found.insert(path, sub.clone());
        }
        for file in page["files"].as_array().expect("files") {
            let path = format!("{prefix}{}", file["name"].as_str().expect("name"));
            found.insert(path, file.clone());
        }
    }
    found
}

/// The account's tree as `fixture_tree()` states one, each file's bytes downloaded.
fn tree(client: &Client) -> BTreeMap<String, Option<Vec<u8>>> {
    listing(client)
        .into_iter()
        .map(|(path, entry)| {
            let bytes = entry.get("size").map(|_| content(client, &entry));
            (path, bytes)
        })
        .collect()
}

fn content(client: &Client, file: &Value) -> Vec<u8> {
    client
        .get(&format!("/api/files/{}/content", id(file)))
        .go()
        .expect(200)
        .body
}

/// `mycloud import --user alice ARGS… DIR` on the server's data dir and database.
fn import(server: &Server, args: &[&str], dir: &Path) -> (bool, String, String) {
    let mut full = vec!["import", "--user", "alice"];
    full.extend_from_slice(args);
    full.push(dir.to_str().expect("utf-8 path"));
    let (status, stdout, stderr) = server.cli(&full, "");
    (status.success(), stdout, stderr)
}

#[track_caller]
fn import_ok(server: &Server, args: &[&str], dir: &Path) -> String {
    let (ok, stdout, stderr) = import(server, args, dir);
    assert!(ok, "import failed\nstdout: {stdout}\nstderr: {stderr}");
    stdout
}

/// The number on the summary line that starts with `label`, e.g. "files imported".
#[track_caller]
fn count(summary: &str, label: &str) -> u64 {
    summary
        .lines()
        .find_map(|line| line.trim_start().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {label:?} count in:\n{summary}"))
}

/// The summary lists each skipped entry with its reason.
#[track_caller]
fn assert_lists_the_skipped(summary: &str) {
    for line in [
        "skipped  a/link: symlink",
        "skipped  a/loop: symlink",
        "skipped  pipe: special file (fifo)",
        "skipped  bad\\tname.txt: file name refused: must not contain control characters",
    ] {
        assert!(summary.contains(line), "{line:?} missing from:\n{summary}");
    }
    assert_eq!(count(summary, "skipped"), 4, "{summary}");
}

both_backends!(import_copies_folders_names_and_bytes_and_lists_what_it_skipped);
fn import_copies_folders_names_and_bytes_and_lists_what_it_skipped() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let source = fixture();
    let summary = import_ok(&server, &[], source.path());

    assert_eq!(tree(&alice), fixture_tree());
    assert_lists_the_skipped(&summary);
    assert_eq!(count(&summary, "folders created"), 3, "{summary}");
    assert_eq!(count(&summary, "files imported"), 4, "{summary}");
    let bytes = 6 + 7 + "юникод\n".len() + BIG;
    assert!(
        summary.contains(&format!("({bytes} bytes")),
        "the byte count is not {bytes}:\n{summary}"
    );
    assert_eq!(count(&summary, "failed"), 0, "{summary}");
    // Exactly one blob per file, nothing left in tmp/, and the types come from the names.
    assert_eq!(server.files_under("files").len(), 4);
    server.assert_tmp_empty();
    let listed = listing(&alice);
    assert_eq!(listed["a/b/deep.md"]["content_type"], "text/markdown");
    assert_eq!(listed["top.txt"]["content_type"], "text/plain");
    assert!(listed["top.txt"]["folder_id"].is_null(), "{listed:?}");
    assert_eq!(listed["a/b/deep.md"]["folder_id"], listed["a/b"]["id"]);
}

both_backends!(a_second_import_duplicates_nothing_and_counts_it_already_there);
fn a_second_import_duplicates_nothing_and_counts_it_already_there() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let source = fixture();
    import_ok(&server, &[], source.path());
    let before = listing(&alice);

    let again = import_ok(&server, &[], source.path());
    assert_eq!(
        listing(&alice),
        before,
        "the second run changed the account"
    );
    assert_eq!(count(&again, "folders created"), 0, "{again}");
    assert!(again.contains("(3 already there)"), "{again}");
    assert_eq!(count(&again, "files imported"), 0, "{again}");
    assert_eq!(count(&again, "already there"), 4, "{again}");
    assert_lists_the_skipped(&again);
    assert_eq!(server.files_under("files").len(), 4);
    server.assert_tmp_empty();
}

both_backends!(on_conflict_replace_gives_new_bytes_and_keeps_id_comment_and_share_link);
fn on_conflict_replace_gives_new_bytes_and_keeps_id_comment_and_share_link() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let source = fixture();
    import_ok(&server, &[], source.path());
    let top = listing(&alice)["top.txt"].clone();
    alice
        .patch(&format!("/api/files/{}", id(&top)))
        .json(&json!({"comment": "kept"}))
        .go()
        .expect(200);
    let share_url = share_url_of(&alice, &top);

    fs::write(source.path().join("top.txt"), "hello again, longer\n").unwrap();
    let summary = import_ok(&server, &["--on-conflict", "replace"], source.path());
    assert_eq!(count(&summary, "replaced"), 4, "{summary}");
    assert_eq!(count(&summary, "files imported"), 4, "{summary}");
    assert_eq!(count(&summary, "folders created"), 0, "{summary}");

    let after = listing(&alice);
    let mut expected = fixture_tree();
    expected.insert("top.txt".into(), Some(b"hello again, longer\n".to_vec()));
    assert_eq!(tree(&alice), expected);
    let replaced = &after["top.txt"];
    assert_eq!(replaced["id"], top["id"]);
    assert_eq!(replaced["comment"], "kept");
    assert_eq!(replaced["share_url"], share_url.as_str());
    assert_eq!(replaced["size"], 20);
    // The old bytes went: still one blob per file.
    assert_eq!(server.files_under("files").len(), 4);
    server.assert_tmp_empty();
}

both_backends!(on_conflict_rename_stores_numbered_copies_beside_the_originals);
fn on_conflict_rename_stores_numbered_copies_beside_the_originals() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let source = fixture();
    import_ok(&server, &[], source.path());

    let summary = import_ok(&server, &["--on-conflict", "rename"], source.path());
    assert_eq!(count(&summary, "renamed"), 4, "{summary}");
    assert_eq!(count(&summary, "folders created"), 0, "{summary}");
    assert!(
        summary.contains("renamed  a/big.bin: stored as big (1).bin"),
        "{summary}"
    );
    let mut expected = fixture_tree();
    for (copy, original) in [
        ("top (1).txt", "top.txt"),
        ("a/big (1).bin", "a/big.bin"),
        ("a/Привет, мир (1).txt", "a/Привет, мир.txt"),
        ("a/b/deep (1).md", "a/b/deep.md"),
    ] {
        let bytes = expected[original].clone();
        expected.insert(copy.into(), bytes);
    }
    assert_eq!(tree(&alice), expected);
}

both_backends!(folder_option_lands_the_tree_in_a_path_made_or_reused_on_the_way);
fn folder_option_lands_the_tree_in_a_path_made_or_reused_on_the_way() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    alice
        .post("/api/folders")
        .json(&json!({"name": "A"}))
        .go()
        .expect(201);
    let source = fixture();
    let summary = import_ok(&server, &["--folder", "A/B"], source.path());
    assert!(summary.contains("into alice:/A/B"), "{summary}");
    // B, a, a/b and empty are new; A was there.
    assert_eq!(count(&summary, "folders created"), 4, "{summary}");
    assert!(summary.contains("(1 already there)"), "{summary}");

    let mut expected: BTreeMap<String, Option<Vec<u8>>> = fixture_tree()
        .into_iter()
        .map(|(path, bytes)| (format!("A/B/{path}"), bytes))
        .collect();
    expected.insert("A".into(), None);
    expected.insert("A/B".into(), None);
    assert_eq!(tree(&alice), expected);
}

both_backends!(a_folder_whose_name_is_taken_by_a_file_is_skipped_with_what_it_holds);
fn a_folder_whose_name_is_taken_by_a_file_is_skipped_with_what_it_holds() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    upload_put(&alice, "a", b"a file called a");
    let source = fixture();
    let summary = import_ok(&server, &[], source.path());
    assert!(
        summary.contains("skipped  a: a file of this name is already there"),
        "{summary}"
    );
    let tree = tree(&alice);
    let names: Vec<&str> = tree.keys().map(String::as_str).collect();
    assert_eq!(names, ["a", "empty", "top.txt"]);
    assert_eq!(tree["a"], Some(b"a file called a".to_vec()));
}

both_backends!(a_missing_user_or_directory_exits_non_zero_and_says_why);
fn a_missing_user_or_directory_exits_non_zero_and_says_why() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let source = fixture();

    let (status, _, stderr) = server.cli(
        &[
            "import",
            "--user",
            "nobody",
            source.path().to_str().unwrap(),
        ],
        "",
    );
    assert!(!status.success(), "a missing user was accepted");
    assert!(stderr.contains("no user named \"nobody\""), "{stderr}");

    let missing = source.path().join("not-there");
    let (ok, _, stderr) = import(&server, &[], &missing);
    assert!(!ok, "a missing directory was accepted");
    assert!(
        stderr.contains("not-there") && stderr.contains("No such file"),
        "{stderr}"
    );

    let (ok, _, stderr) = import(&server, &[], &source.path().join("top.txt"));
    assert!(!ok, "a file was accepted as the directory");
    assert!(stderr.contains("is not a directory"), "{stderr}");

    assert!(
        listing(&alice).is_empty(),
        "a refused import stored something"
    );
    server.assert_tmp_empty();
}

both_backends!(a_file_that_cannot_be_read_fails_the_run_but_the_others_go);
fn a_file_that_cannot_be_read_fails_the_run_but_the_others_go() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let source = fixture();
    let secret = source.path().join("a/secret.txt");
    fs::write(&secret, "no").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    let (ok, stdout, stderr) = import(&server, &[], source.path());
    if fs::read(&secret).is_ok() {
        // As root the mode is no obstacle (CAP_DAC_OVERRIDE): the file is simply copied.
        assert!(ok, "{stdout}\n{stderr}");
        assert!(listing(&alice).contains_key("a/secret.txt"));
        return;
    }
    assert!(!ok, "an unreadable file did not fail the run:\n{stdout}");
    assert!(
        stderr.contains("failed   a/secret.txt: Permission denied"),
        "{stderr}"
    );
    assert!(stderr.contains("could not be read"), "{stderr}");
    assert_eq!(count(&stdout, "failed"), 1, "{stdout}");
    assert_eq!(tree(&alice), fixture_tree());
    server.assert_tmp_empty();
}
