//! The commands besides `serve`, run against the data dir of a running server: user
//! management, migrate, check and reap.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use serde_json::json;

const NEW_PASSWORD: &str = "Other-pass-2";

fn stdin_password(password: &str) -> String {
    format!("{password}\n")
}

both_backends!(user_create_with_password_stdin_then_login_works);
fn user_create_with_password_stdin_then_login_works() {
    let server = Server::start();
    let args = [
        "user",
        "create",
        "carol",
        "--email",
        "Carol@example.com",
        "--password-stdin",
    ];
    let stdout = server.cli_ok(&args, &stdin_password(PASSWORD));
    assert!(stdout.contains("carol"), "{stdout}");
    let carol = server.client(&login(&server, "carol", PASSWORD));
    let me = carol.me();
    assert_eq!(me["username"], "carol");
    assert_eq!(me["email"], "Carol@example.com");
    assert_eq!(me["is_admin"], false);
    carol
        .get("/api/admin/users")
        .go()
        .expect_error(403, "forbidden");
}

both_backends!(user_create_admin_makes_an_admin);
fn user_create_admin_makes_an_admin() {
    let server = Server::start();
    let root = admin(&server);
    assert_eq!(root.me()["is_admin"], true);
    root.get("/api/admin/users").go().expect(200);
}

both_backends!(user_create_refuses_bad_names_weak_passwords_and_duplicates);
fn user_create_refuses_bad_names_weak_passwords_and_duplicates() {
    let server = Server::start();
    let bad_name = server.cli(
        &["user", "create", "x", "--password-stdin"],
        &stdin_password(PASSWORD),
    );
    assert!(
        !bad_name.0.success(),
        "a bad username was accepted: {bad_name:?}"
    );
    let weak = server.cli(&["user", "create", "carol", "--password-stdin"], "weak\n");
    assert!(!weak.0.success(), "a weak password was accepted: {weak:?}");
    assert!(!weak.2.is_empty(), "a failure should say why on stderr");
    server.cli_ok(
        &["user", "create", "carol", "--password-stdin"],
        &stdin_password(PASSWORD),
    );
    let dup = server.cli(
        &["user", "create", "CAROL", "--password-stdin"],
        &stdin_password(PASSWORD),
    );
    assert!(
        !dup.0.success(),
        "a duplicate username was accepted: {dup:?}"
    );
    // Only the one good account exists.
    let body = json!({"username": "x", "password": PASSWORD});
    server
        .anon()
        .post("/api/auth/login")
        .json(&body)
        .go()
        .expect_error(401, "invalid_credentials");
}

both_backends!(user_list_shows_every_account);
fn user_list_shows_every_account() {
    let server = Server::start();
    server.cli_ok(
        &["user", "create", "carol", "--admin", "--password-stdin"],
        &stdin_password(PASSWORD),
    );
    register(&server, "dave1");
    let stdout = server.cli_ok(&["user", "list"], "");
    assert!(stdout.contains("carol"), "{stdout}");
    assert!(stdout.contains("dave1"), "{stdout}");
}

both_backends!(data_dir_and_database_url_are_accepted_after_the_subcommand_arguments);
fn data_dir_and_database_url_are_accepted_after_the_subcommand_arguments() {
    let server = Server::start();
    register(&server, "dave1");
    let dir = server.data_dir.to_str().expect("utf-8");
    let mut args = vec!["user", "list", "--data-dir", dir];
    args.extend(server.db_args());
    let (status, stdout, stderr) = run_cli(&args, "");
    assert!(status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("dave1"), "{stdout}");
}

both_backends!(user_set_admin_on_and_off_takes_effect_at_once);
fn user_set_admin_on_and_off_takes_effect_at_once() {
    let server = Server::start();
    admin(&server);
    register(&server, "carol");
    let carol = server.client(&login(&server, "carol", PASSWORD));
    carol
        .get("/api/admin/users")
        .go()
        .expect_error(403, "forbidden");
    server.cli_ok(&["user", "set-admin", "carol", "on"], "");
    carol.get("/api/admin/users").go().expect(200);
    assert_eq!(carol.me()["is_admin"], true);
    server.cli_ok(&["user", "set-admin", "carol", "off"], "");
    carol
        .get("/api/admin/users")
        .go()
        .expect_error(403, "forbidden");
    let unknown = server.cli(&["user", "set-admin", "nobody", "on"], "");
    assert!(
        !unknown.0.success(),
        "set-admin of an unknown user succeeded: {unknown:?}"
    );
}

both_backends!(user_set_admin_off_refuses_to_remove_the_last_admin);
fn user_set_admin_off_refuses_to_remove_the_last_admin() {
    let server = Server::start();
    let root = admin(&server);
    let last = server.cli(&["user", "set-admin", "admin", "off"], "");
    assert!(!last.0.success(), "the last admin was demoted: {last:?}");
    root.get("/api/admin/users").go().expect(200);
}

// No server and no database: `--help` is the same on both backends, so it runs once.
#[test]
fn user_passwd_help_offers_password_stdin() {
    let (status, stdout, _) = run_cli(&["user", "passwd", "--help"], "");
    assert!(status.success());
    assert!(stdout.contains("--password-stdin"), "{stdout}");
}

both_backends!(user_passwd_sets_a_new_password_and_ends_sessions);
fn user_passwd_sets_a_new_password_and_ends_sessions() {
    let server = Server::start();
    register(&server, "carol");
    let carol = server.client(&login(&server, "carol", PASSWORD));
    server.cli_ok(
        &["user", "passwd", "carol", "--password-stdin"],
        &stdin_password(NEW_PASSWORD),
    );
    carol.get("/api/me").go().expect_error(401, "unauthorized");
    let old = json!({"username": "carol", "password": PASSWORD});
    server
        .anon()
        .post("/api/auth/login")
        .json(&old)
        .go()
        .expect_error(401, "invalid_credentials");
    login(&server, "carol", NEW_PASSWORD);
    let weak = server.cli(&["user", "passwd", "carol", "--password-stdin"], "weak\n");
    assert!(!weak.0.success(), "a weak password was accepted: {weak:?}");
}

both_backends!(migrate_exits_zero_and_again);
fn migrate_exits_zero_and_again() {
    let server = Server::start();
    server.cli_ok(&["migrate"], "");
    server.cli_ok(&["migrate"], "");
    server.anon().get("/api/health").go().expect(200);
}

both_backends!(check_passes_on_a_healthy_dir_and_fails_after_a_blob_is_deleted);
fn check_passes_on_a_healthy_dir_and_fails_after_a_blob_is_deleted() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"abc");
    upload_put(&alice, "b.txt", b"def");
    server.cli_ok(&["check"], "");

    std::fs::remove_file(server.blob_path(file["owner_id"].as_str().expect("owner"), &id(&file)))
        .expect("rm");
    let (status, stdout, stderr) = server.cli(&["check"], "");
    assert!(
        !status.success(),
        "check missed a deleted blob:\n{stdout}{stderr}"
    );
    let report = format!("{stdout}{stderr}");
    assert!(
        report.contains(&id(&file)),
        "the report should name the damaged file:\n{report}"
    );
}

both_backends!(check_fails_when_a_blob_is_truncated);
fn check_fails_when_a_blob_is_truncated() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"abcdef");
    std::fs::write(
        server.blob_path(file["owner_id"].as_str().expect("owner"), &id(&file)),
        b"ab",
    )
    .expect("truncate");
    let (status, stdout, stderr) = server.cli(&["check"], "");
    assert!(
        !status.success(),
        "check missed a truncated blob:\n{stdout}{stderr}"
    );
}

both_backends!(reap_exits_zero_and_prints_counts);
fn reap_exits_zero_and_prints_counts() {
    let server = Server::start();
    let stdout = server.cli_ok(&["reap"], "");
    assert!(
        stdout.chars().any(|c| c.is_ascii_digit()),
        "reap should print what it did: {stdout:?}"
    );
}

both_backends!(reap_removes_stale_temp_files_and_dry_run_only_lists_them);
fn reap_removes_stale_temp_files_and_dry_run_only_lists_them() {
    let server = Server::start();
    let tmp = server.data_dir.join("tmp");
    let stale = tmp.join("stale-upload");
    let fresh = tmp.join("fresh-upload");
    std::fs::write(&stale, b"old partial").expect("write");
    std::fs::write(&fresh, b"in flight").expect("write");
    let two_hours_ago = SystemTime::now() - Duration::from_secs(2 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .expect("open")
        .set_modified(two_hours_ago)
        .expect("mtime");

    let dry = server.cli_ok(&["reap", "--dry-run"], "");
    assert!(
        dry.contains("stale-upload"),
        "dry run should list what it would delete: {dry}"
    );
    assert!(
        !dry.contains("fresh-upload"),
        "a young temp file is not stale: {dry}"
    );
    assert!(stale.exists(), "a dry run deleted a file");

    server.cli_ok(&["reap"], "");
    assert!(!stale.exists(), "reap left a stale temp file");
    assert!(
        fresh.exists(),
        "reap deleted a temp file younger than the grace period"
    );
}

both_backends!(reap_never_deletes_referenced_files);
fn reap_never_deletes_referenced_files() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"keep me");
    let blob = server.blob_path(file["owner_id"].as_str().expect("owner"), &id(&file));
    let old = SystemTime::now() - Duration::from_secs(3 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&blob)
        .expect("open")
        .set_modified(old)
        .expect("mtime");
    server.cli_ok(&["reap"], "");
    assert_eq!(
        alice
            .get(&format!("/api/files/{}/content", id(&file)))
            .go()
            .expect(200)
            .body,
        b"keep me"
    );
}

both_backends!(a_second_server_on_the_same_data_dir_refuses_to_start);
fn a_second_server_on_the_same_data_dir_refuses_to_start() {
    let server = Server::start();
    let data = server.data_dir.to_str().expect("utf-8 path");
    let mut args = vec!["--data-dir", data, "--listen", "127.0.0.1:0"];
    args.extend(server.db_args());
    args.push("serve");
    let (status, _, stderr) = run_cli(&args, "");
    assert!(!status.success(), "a second server started: {stderr}");
    assert!(stderr.contains("another mycloud server"), "{stderr}");
    server.anon().get("/api/health").go().expect(200);
}
