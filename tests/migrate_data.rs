//! `mycloud migrate-data`: users, sessions and file rows move between SQLite and
//! PostgreSQL with nothing lost, and the same data dir serves on the new database.
//! These tests need both backends at once, so they run once, on the PostgreSQL harness.

mod common;

use std::path::Path;

use common::backend::{Backend, run_on, with_backend};
use common::postgres::postgres;
use common::*;

/// Copies a data dir (files, avatars, secret, SQLite database) as a backup would.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[track_caller]
fn migrate(data_dir: &Path, from: &str, to: &str) -> (bool, String, String) {
    let data = data_dir.to_str().expect("utf-8 path");
    let (status, stdout, stderr) = run_cli(
        &[
            "--data-dir",
            data,
            "migrate-data",
            "--from",
            from,
            "--to",
            to,
        ],
        "",
    );
    (status.success(), stdout, stderr)
}

#[test]
fn sqlite_to_postgres_and_back_keeps_users_sessions_files_and_shares() {
    run_on(Backend::Postgres, || {
        // Source: a SQLite server with two users, a session, files, a share, an avatar.
        let mut source = with_backend(Backend::Sqlite, Server::start);
        let root = admin_named(&source, "root");
        let (_, alice) = user(&source, "alice");
        let alice_token = login(&source, "alice", PASSWORD);
        let kept = upload_put(&alice, "report.txt", b"quarterly numbers");
        upload_multipart(&alice, "notes.md", b"# notes", Some("mine"));
        let shared = share_url_of(&alice, &kept);
        let share_path = shared.split_once("/s/").expect("share path").1.to_string();
        // A folder share with rules, and a file request into that folder, one file in.
        let folder = make_folder(&alice, "album", None);
        let folder_share = alice
            .post(&format!("/api/folders/{}/share", id(&folder)))
            .json(&serde_json::json!({"max_downloads": 7, "password": "pw"}))
            .go()
            .expect(200)
            .json()["folder"]["share"]
            .clone();
        let request = alice
            .post(&format!("/api/folders/{}/requests", id(&folder)))
            .json(&serde_json::json!({"label": "drop", "max_files": 9}))
            .go()
            .expect(201)
            .json()["request"]
            .clone();
        let request_url = request["url"].as_str().expect("request url").to_string();
        source
            .anon()
            .put(&format!("{request_url}/files?name=dropped.txt"))
            .body(b"dropped".to_vec())
            .go()
            .expect(201);
        let users_before = root.get("/api/admin/users").go().expect(200).json();
        source.terminate();
        source
            .wait_exit(std::time::Duration::from_secs(10))
            .expect("source stopped");

        let target = postgres().expect("postgres").create_database();
        let sqlite_url = format!("sqlite://{}", source.data_dir.join("mycloud.db").display());
        let (ok, stdout, stderr) = migrate(&source.data_dir, &sqlite_url, &target.url);
        assert!(ok, "migrate-data failed:\n{stdout}\n{stderr}");
        assert!(stdout.contains("2 users"), "{stdout}");
        assert!(stdout.contains("3 files"), "{stdout}");
        assert!(stdout.contains("1 file requests"), "{stdout}");

        // The same data dir on PostgreSQL: old token, bytes, share link, counts.
        let moved = with_backend(Backend::Sqlite, || {
            Server::start_seeded(&["--database-url", &target.url], |dir| {
                copy_dir(&source.data_dir, dir)
            })
        });
        let alice = moved.client(&alice_token);
        assert_eq!(alice.me()["username"], "alice");
        let body = alice
            .get(&format!("/api/files/{}/content", id(&kept)))
            .go()
            .expect(200)
            .body;
        assert_eq!(body, b"quarterly numbers");
        let public = moved
            .anon()
            .get(&format!("/s/{share_path}"))
            .go()
            .expect(200);
        assert_eq!(public.body, b"quarterly numbers");
        let folder_after = alice
            .get(&format!("/api/folders/{}", id(&folder)))
            .go()
            .expect(200)
            .json()["folder"]["share"]
            .clone();
        // The same but for the server's address in the links.
        let without_host = |mut v: serde_json::Value| {
            let url = v["url"].as_str().unwrap_or_default();
            let path = url.splitn(4, '/').nth(3).unwrap_or_default().to_string();
            v["url"] = path.into();
            v
        };
        assert_eq!(
            without_host(folder_after),
            without_host(folder_share),
            "the folder's share and its rules"
        );
        let requests = alice.get("/api/requests").go().expect(200).json()["requests"].clone();
        let mut expected = request.clone();
        expected["file_count"] = 1.into();
        expected["bytes_received"] = 7.into();
        assert_eq!(
            requests
                .as_array()
                .map(|r| r.iter().cloned().map(without_host).collect::<Vec<_>>()),
            Some(vec![without_host(expected)])
        );
        let health = moved.anon().get("/api/health").go().expect(200).json();
        assert_eq!(health["database"], "postgres");
        let root = moved.client(&login(&moved, "root", PASSWORD));
        let users_after = root.get("/api/admin/users").go().expect(200).json();
        let figures = |v: &serde_json::Value| {
            let mut rows: Vec<_> = v["users"]
                .as_array()
                .expect("users")
                .iter()
                .map(|u| {
                    (
                        u["username"].clone(),
                        u["file_count"].clone(),
                        u["total_size"].clone(),
                    )
                })
                .collect();
            rows.sort_by_key(|r| r.0.to_string());
            rows
        };
        assert_eq!(figures(&users_after), figures(&users_before));
        // The request goes on taking files on the new database.
        let path = request_url.split_once("/r/").expect("request path").1;
        moved
            .anon()
            .put(&format!("/r/{path}/files?name=after.txt"))
            .body(b"after the move".to_vec())
            .go()
            .expect(201);

        // A target that already holds data is refused, and left as it was.
        let (ok, _, stderr) = migrate(&source.data_dir, &sqlite_url, &target.url);
        assert!(!ok, "a second copy into a full database was accepted");
        assert!(stderr.contains("empty"), "{stderr}");
        assert_eq!(target.query("SELECT count(*) FROM users"), "2");

        // And back to a new SQLite file.
        let back = tempfile::tempdir().expect("temp dir");
        let back_db = back.path().join("back.db");
        let back_url = format!("sqlite://{}", back_db.display());
        let (ok, stdout, stderr) = migrate(&source.data_dir, &target.url, &back_url);
        assert!(ok, "migrate-data back failed:\n{stdout}\n{stderr}");
        for (table, count) in [
            ("users", "2"),
            ("files", "4"),
            ("folders", "1"),
            ("file_requests", "1"),
        ] {
            let got = sqlite_query(&back_db, &format!("SELECT count(*) FROM {table}"))
                .expect("query the copy");
            assert_eq!(got, count, "{table}");
        }
        let sessions = sqlite_query(&back_db, "SELECT count(*) FROM sessions").expect("query");
        let sessions: u32 = sessions.parse().expect("count");
        assert!(sessions >= 3, "sessions were lost: {sessions}");
    });
}

#[test]
fn a_missing_source_or_an_unknown_scheme_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = format!("sqlite://{}", dir.path().join("nope.db").display());
    let other = format!("sqlite://{}", dir.path().join("other.db").display());
    let (ok, _, stderr) = migrate(dir.path(), &missing, &other);
    assert!(!ok);
    assert!(stderr.contains("nope.db"), "{stderr}");
    let (ok, _, stderr) = migrate(dir.path(), "mysql://x/y", &other);
    assert!(!ok);
    assert!(
        stderr.contains("sqlite://") && stderr.contains("postgres://"),
        "{stderr}"
    );
}
