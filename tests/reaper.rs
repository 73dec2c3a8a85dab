//! The reaper, the watcher, `check --repair` and `backup`, against a running server: what
//! goes (old orphans, deleted users' folders, expired sessions), what stays (anything
//! young, anything referenced), and how rows whose bytes vanish are marked and unmarked.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::*;

/// Well past the reaper's one-hour grace period.
const TWO_HOURS: Duration = Duration::from_secs(2 * 3600);
/// The watcher's pass comes within about two seconds; leave room for a loaded machine.
const WATCHER_WAIT: Duration = Duration::from_secs(15);

fn set_age(path: &Path, age: Duration) {
    fs::File::open(path)
        .expect("open")
        .set_modified(SystemTime::now() - age)
        .expect("set mtime");
}

/// Writes `path` (and its folder) and makes it look `age` old.
fn write_aged(path: &Path, age: Duration) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, b"left behind").expect("write");
    set_age(path, age);
}

fn owner(file: &serde_json::Value) -> String {
    file["owner_id"].as_str().expect("owner_id").to_string()
}

/// The `missing` flag of a file as `GET /api/files` lists it.
fn listed_missing(client: &Client, file_id: &str) -> bool {
    let list = client.get("/api/files").go().expect(200).json();
    let file = list["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["id"] == file_id)
        .cloned()
        .unwrap_or_else(|| panic!("{file_id} not listed: {list}"));
    file.get("missing") == Some(&serde_json::Value::Bool(true))
}

both_backends!(reap_removes_old_orphan_blobs_and_keeps_young_and_referenced_ones);
fn reap_removes_old_orphan_blobs_and_keeps_young_and_referenced_ones() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"keep me");
    let folder = server.data_dir.join("files").join(owner(&file));
    let old = folder.join(random_id());
    let young = folder.join(random_id());
    write_aged(&old, TWO_HOURS);
    write_aged(&young, Duration::from_secs(60));

    server.cli_ok(&["reap"], "");
    assert!(!old.exists(), "an orphan older than an hour survived");
    assert!(young.exists(), "an orphan younger than an hour was deleted");
    let content = alice.get(&format!("/api/files/{}/content", id(&file)));
    assert_eq!(content.go().expect(200).body, b"keep me");
}

both_backends!(reap_removes_old_orphan_avatars_and_keeps_the_current_one);
fn reap_removes_old_orphan_avatars_and_keeps_the_current_one() {
    let server = Server::start();
    let (me, alice) = user(&server, "alice");
    let reply = alice
        .put("/api/me/avatar")
        .header("content-type", "image/png")
        .body(TINY_PNG.to_vec())
        .go();
    assert!(reply.status == 200 || reply.status == 204, "{reply:?}");
    let folder = server.data_dir.join("avatars").join(id(&me));
    let current = server.files_under("avatars");
    assert_eq!(current.len(), 1, "{current:?}");
    set_age(&current[0], TWO_HOURS);
    let old = folder.join(format!("{}.png", random_id()));
    let young = folder.join(format!("{}.png", random_id()));
    write_aged(&old, TWO_HOURS);
    write_aged(&young, Duration::from_secs(60));

    server.cli_ok(&["reap"], "");
    assert!(!old.exists(), "an old orphan avatar survived");
    assert!(young.exists(), "a young orphan avatar was deleted");
    assert!(current[0].exists(), "the current avatar was deleted");
    let url = format!("/api/users/{}/avatar", id(&me));
    assert_eq!(alice.get(&url).go().expect(200).body, TINY_PNG);
}

both_backends!(reap_removes_the_leftover_folders_of_deleted_users);
fn reap_removes_the_leftover_folders_of_deleted_users() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let kept = upload_put(&alice, "a.txt", b"abc");
    let gone_files = server.data_dir.join("files").join(random_id());
    let gone_avatars = server.data_dir.join("avatars").join(random_id());
    let recent = server.data_dir.join("files").join(random_id());
    for folder in [&gone_files, &gone_avatars] {
        write_aged(&folder.join(random_id()), TWO_HOURS);
        set_age(folder, TWO_HOURS);
    }
    // Its file is young: maybe a brand-new user's first upload; it stays for now.
    write_aged(&recent.join(random_id()), Duration::from_secs(60));

    server.cli_ok(&["reap"], "");
    assert!(
        !gone_files.exists(),
        "a deleted user's files/ folder stayed"
    );
    assert!(
        !gone_avatars.exists(),
        "a deleted user's avatars/ folder stayed"
    );
    assert!(recent.exists(), "a folder with a young file was removed");
    assert!(server.blob_path(&owner(&kept), &id(&kept)).exists());
}

both_backends!(dry_run_lists_exactly_what_a_pass_deletes_and_deletes_nothing);
fn dry_run_lists_exactly_what_a_pass_deletes_and_deletes_nothing() {
    // Seeded before the server starts, so its watcher does not clean up first.
    let orphan = PathBuf::from("files").join(random_id()).join(random_id());
    let avatar = PathBuf::from("avatars").join(random_id()).join("x.png");
    let server = Server::start_seeded(&[], |data| {
        for path in [&orphan, &avatar] {
            let path = data.join(path);
            write_aged(&path, TWO_HOURS);
            set_age(path.parent().expect("folder"), TWO_HOURS);
        }
    });
    let stale = server.data_dir.join("tmp").join("stale-upload");
    write_aged(&stale, TWO_HOURS);
    let (orphan, avatar) = (server.data_dir.join(&orphan), server.data_dir.join(&avatar));
    let folder = |p: &Path| p.parent().expect("folder").to_path_buf();
    let doomed = [folder(&orphan), folder(&avatar), orphan, avatar, stale];

    let dry = server.cli_ok(&["reap", "--dry-run"], "");
    for path in &doomed {
        assert!(path.exists(), "a dry run deleted {}", path.display());
    }
    let real = server.cli_ok(&["reap"], "");
    for path in &doomed {
        assert!(!path.exists(), "reap left {}", path.display());
    }
    let listed = |out: &str, verb: &str| -> Vec<String> {
        let mut paths: Vec<String> = out
            .lines()
            .filter_map(|l| l.strip_prefix(verb))
            .map(|l| l.split_whitespace().last().expect("path").to_string())
            .collect();
        paths.sort();
        paths
    };
    let mut want: Vec<String> = doomed.iter().map(|p| p.display().to_string()).collect();
    want.sort();
    assert_eq!(listed(&dry, "would remove "), want, "dry run:\n{dry}");
    assert_eq!(listed(&real, "removed "), want, "real pass:\n{real}");
}

both_backends!(a_blob_deleted_behind_the_servers_back_is_marked_missing_until_restored);
fn a_blob_deleted_behind_the_servers_back_is_marked_missing_until_restored() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"precious");
    let other = upload_put(&alice, "b.txt", b"fine");
    let blob = server.blob_path(&owner(&file), &id(&file));
    let content = format!("/api/files/{}/content", id(&file));
    assert!(!listed_missing(&alice, &id(&file)));

    fs::remove_file(&blob).expect("rm");
    assert!(
        server.wait_for(WATCHER_WAIT, || listed_missing(&alice, &id(&file))),
        "the list never said missing:\n{}",
        server.log()
    );
    assert!(!listed_missing(&alice, &id(&other)));
    alice.get(&content).go().expect_error(410, "missing");
    let marked = server.query(&format!(
        "SELECT missing_since IS NOT NULL FROM files WHERE id = '{}'",
        id(&file)
    ));
    assert!(marked == "1" || marked == "t", "missing_since: {marked:?}");

    // Restored from a backup: the mark goes, the bytes are served again.
    fs::write(&blob, b"precious").expect("restore");
    assert!(
        server.wait_for(WATCHER_WAIT, || !listed_missing(&alice, &id(&file))),
        "the mark stayed after the bytes came back:\n{}",
        server.log()
    );
    assert_eq!(alice.get(&content).go().expect(200).body, b"precious");
}

both_backends!(reap_removes_expired_sessions);
fn reap_removes_expired_sessions() {
    let server = Server::start_with(&["--session-idle", "2s"]);
    let (_, alice) = user(&server, "alice");
    alice.get("/api/me").go().expect(200);
    assert_ne!(server.query("SELECT COUNT(*) FROM sessions"), "0");
    std::thread::sleep(Duration::from_secs(3));
    let out = server.cli_ok(&["--session-idle", "2s", "reap"], "");
    assert_eq!(server.query("SELECT COUNT(*) FROM sessions"), "0", "{out}");
    alice.get("/api/me").go().expect_error(401, "unauthorized");
}

both_backends!(check_repair_cleans_up_marks_missing_and_fails_while_bytes_are_gone);
fn check_repair_cleans_up_marks_missing_and_fails_while_bytes_are_gone() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let lost = upload_put(&alice, "lost.txt", b"gone soon");
    let blob = server.blob_path(&owner(&lost), &id(&lost));
    let orphan = blob.with_file_name(random_id());
    write_aged(&orphan, TWO_HOURS);
    let young = blob.with_file_name(random_id());
    write_aged(&young, Duration::from_secs(60));
    fs::remove_file(&blob).expect("rm");

    let (status, stdout, stderr) = server.cli(&["check", "--repair"], "");
    assert_eq!(status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains(&id(&lost)), "{stdout}");
    assert!(!orphan.exists(), "repair left an old orphan");
    assert!(young.exists(), "repair deleted a young orphan");
    assert!(listed_missing(&alice, &id(&lost)), "repair did not mark it");

    fs::write(&blob, b"gone soon").expect("restore");
    let stdout = server.cli_ok(&["check", "--repair"], "");
    assert!(stdout.contains("OK:"), "{stdout}");
    assert!(!listed_missing(&alice, &id(&lost)));
}

both_backends!(backup_copies_the_database_while_the_server_writes);
fn backup_copies_the_database_while_the_server_writes() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    upload_put(&alice, "a.txt", b"abc");
    let dir = tempfile::tempdir().expect("temp dir");
    let dest = dir.path().join("copy.db");
    let dest_arg = dest.to_str().expect("utf-8 path");

    if server.backend == Backend::Postgres {
        let (status, _, stderr) = server.cli(&["backup", dest_arg], "");
        assert_eq!(status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("pg_dump"), "{stderr}");
        assert!(!dest.exists());
        return;
    }

    let writer = {
        let alice = alice.clone();
        std::thread::spawn(move || {
            for i in 0..20 {
                upload_put(&alice, &format!("busy-{i}.txt"), b"while backing up");
            }
        })
    };
    let out = server.cli_ok(&["backup", dest_arg], "");
    writer.join().expect("uploads");
    assert!(out.contains("backed up"), "{out}");
    assert_eq!(
        sqlite_query(&dest, "PRAGMA integrity_check").expect("query"),
        "ok"
    );
    assert_eq!(
        sqlite_query(&dest, "SELECT username FROM users").expect("query"),
        "alice"
    );
    let files: u32 = sqlite_query(&dest, "SELECT COUNT(*) FROM files")
        .expect("query")
        .parse()
        .expect("count");
    assert!((1..=21).contains(&files), "{files} files in the copy");

    let (status, _, stderr) = server.cli(&["backup", dest_arg], "");
    assert!(!status.success(), "overwrote without --force");
    assert!(stderr.contains("--force"), "{stderr}");
    server.cli_ok(&["backup", "--force", dest_arg], "");
    assert_eq!(
        sqlite_query(&dest, "SELECT COUNT(*) FROM files").expect("query"),
        "21"
    );
}
