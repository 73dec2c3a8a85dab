//! Shares with rules (DESIGN §12): expiry, password, download limit on files and folders;
//! folder shares browsed and downloaded by visitors; the owner's and the admin's lists.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

/// `POST /api/{kind}s/{id}/share` with `rules`; the shared entry (`file` or `folder`).
#[track_caller]
fn share_with(client: &Client, kind: &str, entry: &Value, rules: Value) -> Value {
    let reply = client
        .post(&format!("/api/{kind}s/{}/share", id(entry)))
        .json(&rules)
        .go()
        .expect(200);
    let shared = reply.json()[kind].clone();
    assert_share(&shared["share"]);
    shared
}

fn url_of(shared: &Value) -> String {
    shared["share"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("not shared: {shared}"))
        .to_string()
}

/// The `?grant=` of a password-protected share, from `POST …/unlock`.
#[track_caller]
fn unlock(server: &Server, url: &str, password: &str) -> String {
    let unlocked = server
        .anon()
        .post(&format!("{url}/unlock"))
        .json(&json!({ "password": password }))
        .go()
        .expect(200)
        .json();
    assert_time(&unlocked["expires_at"]);
    let granted = unlocked["url"].as_str().expect("url");
    assert!(granted.starts_with(&format!("{url}?grant=")), "{granted}");
    granted.split_once("?grant=").expect("grant").1.to_string()
}

both_backends!(rules_are_set_at_creation_changed_by_patch_and_shown_on_the_entry);
fn rules_are_set_at_creation_changed_by_patch_and_shown_on_the_entry() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"rules");
    let expires = in_secs(3600);
    let shared = share_with(
        &alice,
        "file",
        &file,
        json!({"expires_at": expires, "password": "pw", "max_downloads": 3}),
    );
    let share = &shared["share"];
    assert_eq!(share["has_password"], true);
    assert_eq!(share["max_downloads"], 3);
    assert_eq!(share["download_count"], 0);
    assert_eq!(
        share["expires_at"].as_str().map(|t| &t[..19]),
        Some(&expires[..19])
    );
    assert_eq!(shared["share_url"], share["url"]);
    assert!(
        !share.to_string().contains("pbkdf2"),
        "the hash never leaves the server: {share}"
    );

    // Sharing again keeps the link and changes only what the body names.
    let again = share_with(&alice, "file", &file, json!({"max_downloads": 5}));
    assert_eq!(url_of(&again), url_of(&shared));
    assert_eq!(again["share"]["has_password"], true);
    assert_eq!(again["share"]["max_downloads"], 5);

    let patched = alice
        .patch(&format!("/api/files/{}/share", id(&file)))
        .json(&json!({"password": null, "expires_at": null, "max_downloads": null}))
        .go()
        .expect(200)
        .json()["file"]
        .clone();
    assert_file(&patched);
    assert_eq!(url_of(&patched), url_of(&shared), "PATCH keeps the link");
    assert_eq!(patched["share"]["has_password"], false);
    assert_eq!(patched["share"]["expires_at"], Value::Null);
    assert_eq!(patched["share"]["max_downloads"], Value::Null);
    server.anon().get(&url_of(&patched)).go().expect(200);

    // The same rules on a folder; the folder JSON carries the share everywhere it appears.
    let folder = make_folder(&alice, "docs", None);
    let shared = share_with(&alice, "folder", &folder, json!({"max_downloads": 2}));
    assert_eq!(shared["share"]["max_downloads"], 2);
    let got = alice
        .get(&format!("/api/folders/{}", id(&folder)))
        .go()
        .expect(200)
        .json();
    assert_eq!(got["folder"]["share"], shared["share"]);
    let root = alice
        .get("/api/folders/root/contents")
        .go()
        .expect(200)
        .json();
    assert_eq!(root["folders"][0]["share"], shared["share"]);

    // PATCH on an entry that is not shared: 404.
    let plain = upload_put(&alice, "plain.txt", b"x");
    alice
        .patch(&format!("/api/files/{}/share", id(&plain)))
        .json(&json!({"max_downloads": 1}))
        .go()
        .expect_error(404, "not_found");
}

both_backends!(bad_rules_are_400_naming_the_field_and_change_nothing);
fn bad_rules_are_400_naming_the_field_and_change_nothing() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"x");
    let path = format!("/api/files/{}/share", id(&file));
    let long = "p".repeat(10_000);
    for (body, field) in [
        (json!({"expires_at": in_secs(-60)}), "expires_at"),
        (json!({"expires_at": "tomorrow"}), "expires_at"),
        (json!({"expires_at": "2030-02-30T00:00:00Z"}), "expires_at"),
        (json!({"expires_at": 1_900_000_000}), "expires_at"),
        (json!({"max_downloads": 0}), "max_downloads"),
        (json!({"max_downloads": -1}), "max_downloads"),
        (json!({"max_downloads": 1.5}), "max_downloads"),
        (json!({"max_downloads": "3"}), "max_downloads"),
        (json!({"password": ""}), "password"),
        (json!({"password": long}), "password"),
        (json!({"password": 1234}), "password"),
        (json!({"max_download": 3}), "max_download"),
    ] {
        alice.post(&path).json(&body).go().expect_invalid(field);
    }
    let got = alice
        .get(&format!("/api/files/{}", id(&file)))
        .go()
        .expect(200)
        .json();
    assert_eq!(
        got["file"]["share"],
        Value::Null,
        "a refused POST shares nothing"
    );
    alice
        .post(&path)
        .header("content-type", "application/json")
        .body("{not json")
        .go()
        .expect_error(400, "invalid_json");
    // An empty body is no rules at all.
    alice.post(&path).go().expect(200);
    alice
        .patch(&path)
        .json(&json!({"max_downloads": 0}))
        .go()
        .expect_invalid("max_downloads");
}

both_backends!(an_expired_share_is_410_share_expired);
fn an_expired_share_is_410_share_expired() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"soon gone");
    let shared = share_with(&alice, "file", &file, json!({"expires_at": in_secs(2)}));
    let url = url_of(&shared);
    server.anon().get(&url).go().expect(200);
    assert!(server.wait_for(Duration::from_secs(10), || {
        server.anon().get(&url).go().status == 410
    }));
    server
        .anon()
        .get(&url)
        .go()
        .expect_error(410, "share_expired");
    server
        .anon()
        .get(&format!("{url}/info"))
        .go()
        .expect_error(410, "share_expired");
    server
        .anon()
        .post(&format!("{url}/unlock"))
        .json(&json!({"password": "x"}))
        .go()
        .expect_error(410, "share_expired");
    // The owner still lists it, and can give it more time.
    let listed = alice.get("/api/shares").go().expect(200).json();
    assert_eq!(listed["shares"][0]["id"], file["id"]);
    alice
        .patch(&format!("/api/files/{}/share", id(&file)))
        .json(&json!({"expires_at": in_secs(3600)}))
        .go()
        .expect(200);
    server.anon().get(&url).go().expect(200);
}

both_backends!(downloads_count_from_byte_zero_and_stop_at_the_limit);
fn downloads_count_from_byte_zero_and_stop_at_the_limit() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"0123456789");
    let url = url_of(&share_with(
        &alice,
        "file",
        &file,
        json!({"max_downloads": 2}),
    ));
    let count = || {
        alice
            .get(&format!("/api/files/{}", id(&file)))
            .go()
            .expect(200)
            .json()["file"]["share"]["download_count"]
            .as_u64()
            .expect("count")
    };
    server.anon().head(&url).go().expect(200);
    let resumed = server
        .anon()
        .get(&url)
        .header("range", "bytes=4-")
        .go()
        .expect(206);
    assert_eq!(resumed.body, b"456789");
    assert_eq!(count(), 0, "HEAD and a resumed range are no new download");
    let first = server
        .anon()
        .get(&url)
        .header("range", "bytes=0-3")
        .go()
        .expect(206);
    assert_eq!(first.body, b"0123");
    assert_eq!(count(), 1, "a range from byte 0 is a download");
    server
        .anon()
        .get(&format!("{url}/download"))
        .go()
        .expect(200);
    assert_eq!(count(), 2);
    server
        .anon()
        .get(&url)
        .go()
        .expect_error(410, "share_exhausted");
    server
        .anon()
        .get(&format!("{url}/download"))
        .go()
        .expect_error(410, "share_exhausted");
    // A download under way when the limit was reached can still resume.
    server
        .anon()
        .get(&url)
        .header("range", "bytes=4-")
        .go()
        .expect(206);
    assert_eq!(count(), 2);
    server
        .anon()
        .get(&format!("{url}/info"))
        .go()
        .expect_error(410, "share_exhausted");
    server
        .anon()
        .get(&url)
        .header("accept", "text/html")
        .go()
        .expect(410);
    // Raising the limit opens it again.
    alice
        .patch(&format!("/api/files/{}/share", id(&file)))
        .json(&json!({"max_downloads": 3}))
        .go()
        .expect(200);
    server.anon().get(&url).go().expect(200);
}

both_backends!(the_count_is_exact_under_50_concurrent_downloads);
fn the_count_is_exact_under_50_concurrent_downloads() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", &vec![7u8; 64 * 1024]);
    let url = url_of(&share_with(
        &alice,
        "file",
        &file,
        json!({"max_downloads": 20}),
    ));
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let (client, url) = (server.anon(), url.clone());
                s.spawn(move || {
                    let reply = client.get(&url).go();
                    if reply.status == 200 {
                        assert_eq!(reply.body.len(), 64 * 1024, "a whole file or none");
                    }
                    reply.status
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let ok = statuses.iter().filter(|&&s| s == 200).count();
    let gone = statuses.iter().filter(|&&s| s == 410).count();
    assert_eq!((ok, gone), (20, 30), "{statuses:?}");
    let got = alice
        .get(&format!("/api/files/{}", id(&file)))
        .go()
        .expect(200)
        .json();
    assert_eq!(got["file"]["share"]["download_count"], 20);
}

both_backends!(a_password_share_needs_its_password_and_a_grant_opens_it);
fn a_password_share_needs_its_password_and_a_grant_opens_it() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "secret.txt", b"behind a password");
    let url = url_of(&share_with(
        &alice,
        "file",
        &file,
        json!({"password": "correct horse"}),
    ));
    server
        .anon()
        .get(&url)
        .go()
        .expect_error(401, "share_password_required");
    server
        .anon()
        .get(&format!("{url}/info"))
        .go()
        .expect_error(401, "share_password_required");
    // A browser gets the page (with the password form) and the same status.
    let page = server
        .anon()
        .get(&url)
        .header("accept", "text/html")
        .go()
        .expect(401);
    assert!(
        page.header("content-type")
            .unwrap_or_default()
            .starts_with("text/html")
    );
    assert!(
        page.header("content-security-policy")
            .is_some_and(|c| c.contains("script-src 'self'"))
    );
    server
        .anon()
        .post(&format!("{url}/unlock"))
        .json(&json!({"password": "wrong horse"}))
        .go()
        .expect_error(401, "wrong_password");
    let grant = unlock(&server, &url, "correct horse");
    let reply = server
        .anon()
        .get(&format!("{url}?grant={grant}"))
        .go()
        .expect(200);
    assert_eq!(reply.body, b"behind a password");
    server
        .anon()
        .get(&format!("{url}/info?grant={grant}"))
        .go()
        .expect(200);
    // A grant bent or moved to another link opens nothing.
    let other = upload_put(&alice, "other.txt", b"other");
    let other_url = url_of(&share_with(
        &alice,
        "file",
        &other,
        json!({"password": "correct horse"}),
    ));
    for (link, g) in [
        (&url, format!("{}x", grant)),
        (&url, grant.replacen('1', "2", 1)),
        (&other_url, grant.clone()),
    ] {
        server
            .anon()
            .get(&format!("{link}?grant={g}"))
            .go()
            .expect_error(401, "share_password_required");
    }
    // A new password ends the grants of the old one.
    alice
        .patch(&format!("/api/files/{}/share", id(&file)))
        .json(&json!({"password": "battery staple"}))
        .go()
        .expect(200);
    server
        .anon()
        .get(&format!("{url}?grant={grant}"))
        .go()
        .expect_error(401, "share_password_required");
    // An unlock body over the length bound is refused before any hashing.
    server
        .anon()
        .post(&format!("{url}/unlock"))
        .json(&json!({"password": "x".repeat(10_000)}))
        .go()
        .expect_invalid("password");
}

both_backends!(wrong_passwords_are_throttled_and_then_even_the_right_one_waits);
fn wrong_passwords_are_throttled_and_then_even_the_right_one_waits() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"x");
    let url = url_of(&share_with(
        &alice,
        "file",
        &file,
        json!({"password": "right one"}),
    ));
    let mut throttled = None;
    for attempt in 1..=100 {
        let reply = server
            .anon()
            .post(&format!("{url}/unlock"))
            .json(&json!({"password": format!("guess {attempt}")}))
            .go();
        if reply.status == 429 {
            throttled = Some((attempt, reply));
            break;
        }
        reply.expect_error(401, "wrong_password");
    }
    let (attempt, reply) = throttled.expect("100 wrong passwords are throttled");
    assert!(attempt <= 21, "throttled only after {attempt} guesses");
    reply.expect_error(429, "too_many_requests");
    let wait: u64 = reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(wait >= 1, "{wait}");
    server
        .anon()
        .post(&format!("{url}/unlock"))
        .json(&json!({"password": "right one"}))
        .go()
        .expect_error(429, "too_many_requests");
}

both_backends!(a_folder_share_is_browsed_and_downloaded_inside_its_folder_only);
fn a_folder_share_is_browsed_and_downloaded_inside_its_folder_only() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let outside = make_folder(&alice, "outside", None);
    put_into(&alice, Some(&outside), "secret.txt", b"not shared");
    let top = make_folder(&alice, "Holiday", None);
    let sub = make_folder(&alice, "day 1", Some(&top));
    put_into(&alice, Some(&top), "notes.txt", b"top notes");
    put_into(&alice, Some(&sub), "photo 1.jpg", b"jpeg bytes");
    put_into(&alice, None, "root.txt", b"root file");
    let url = url_of(&share_with(&alice, "folder", &top, json!({})));

    let info = server
        .anon()
        .get(&format!("{url}/info"))
        .go()
        .expect(200)
        .json();
    assert_keys(
        &info,
        &[
            "kind",
            "name",
            "expires_at",
            "downloads_left",
            "path",
            "folders",
            "files",
            "next_cursor",
        ],
    );
    assert_eq!(info["kind"], "folder");
    assert_eq!(info["name"], "Holiday");
    assert_eq!(info["folders"], json!([{"name": "day 1"}]));
    assert_eq!(info["files"][0]["name"], "notes.txt");
    assert_keys(
        &info["files"][0],
        &["name", "size", "content_type", "uploaded_at"],
    );
    let text = info.to_string();
    for secret in [
        id(&top),
        id(&sub),
        alice.me()["id"].as_str().unwrap_or("?").to_string(),
    ] {
        assert!(!text.contains(&secret), "the visitor sees no id: {text}");
    }
    let inner = server
        .anon()
        .get(&format!("{url}/info?path=day%201"))
        .go()
        .expect(200)
        .json();
    assert_eq!(inner["path"], json!(["day 1"]));
    assert_eq!(inner["files"][0]["name"], "photo 1.jpg");
    let bytes = server
        .anon()
        .get(&format!("{url}/download?path=day%201/photo%201.jpg"))
        .go()
        .expect(200);
    assert_eq!(bytes.body, b"jpeg bytes");

    for escape in [
        "..",
        "../outside/secret.txt",
        "day%201/../../outside/secret.txt",
        "..%2Foutside%2Fsecret.txt",
        "%2E%2E/outside/secret.txt",
        "/outside/secret.txt",
        "%2Foutside%2Fsecret.txt",
        "./notes.txt",
        "day%201//photo%201.jpg",
        "..%5Coutside%5Csecret.txt",
        "notes.txt%00",
        "root.txt",
        "notes.txt/x",
    ] {
        for what in ["download", "info"] {
            let reply = server
                .anon()
                .get(&format!("{url}/{what}?path={escape}"))
                .go();
            reply.expect_error(404, "not_found");
        }
    }

    // Non-browsers get the folder as a zip at the link itself and at /download.
    for zip_url in [url.clone(), format!("{url}/download")] {
        let zip = server.anon().get(&zip_url).go().expect(200);
        assert_eq!(
            zip.header("content-type").as_deref(),
            Some("application/zip")
        );
        let names = zip_names(&zip.body);
        assert_eq!(
            names,
            ["day 1/", "day 1/photo 1.jpg", "notes.txt"],
            "{names:?}"
        );
    }
    let sub_zip = server
        .anon()
        .get(&format!("{url}/download?path=day%201"))
        .go()
        .expect(200);
    assert_eq!(zip_names(&sub_zip.body), ["photo 1.jpg"]);
    let counted = alice
        .get(&format!("/api/folders/{}", id(&top)))
        .go()
        .expect(200)
        .json();
    assert_eq!(
        counted["folder"]["share"]["download_count"], 4,
        "each download counts"
    );
}

both_backends!(shared_html_and_svg_never_run_inline_on_a_share);
fn shared_html_and_svg_never_run_inline_on_a_share() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let folder = make_folder(&alice, "web", None);
    put_into(
        &alice,
        Some(&folder),
        "page.html",
        b"<script>alert(1)</script>",
    );
    put_into(
        &alice,
        Some(&folder),
        "pic.svg",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    );
    let url = url_of(&share_with(&alice, "folder", &folder, json!({})));
    for name in ["page.html", "pic.svg"] {
        let reply = server
            .anon()
            .get(&format!("{url}/download?path={name}&inline=1"))
            .go()
            .expect(200);
        let ct = reply.header("content-type").unwrap_or_default();
        let disposition = reply.disposition();
        let sandboxed = reply
            .header("content-security-policy")
            .is_some_and(|c| c.contains("sandbox"));
        assert!(
            disposition.starts_with("attachment") || (ct.starts_with("text/plain") && sandboxed),
            "{name}: {ct}, {disposition}"
        );
        assert!(!ct.contains("html") && !ct.contains("svg"), "{name}: {ct}");
    }
}

both_backends!(revoked_and_trashed_shares_die_for_good);
fn revoked_and_trashed_shares_die_for_good() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let folder = make_folder(&alice, "f", None);
    let inner = make_folder(&alice, "inner", Some(&folder));
    let file = put_into(&alice, Some(&inner), "a.txt", b"x");
    let folder_url = url_of(&share_with(&alice, "folder", &folder, json!({})));
    let inner_url = url_of(&share_with(&alice, "folder", &inner, json!({})));
    let file_url = url_of(&share_with(&alice, "file", &file, json!({})));
    alice
        .delete(&format!("/api/folders/{}/share", id(&folder)))
        .go()
        .expect(204);
    server
        .anon()
        .get(&folder_url)
        .go()
        .expect_error(404, "not_found");
    // Trashing a folder kills the shares of everything inside; restoring brings none back.
    alice
        .delete(&format!("/api/folders/{}", id(&folder)))
        .go()
        .expect(204);
    for url in [&inner_url, &file_url] {
        server.anon().get(url).go().expect_error(404, "not_found");
    }
    alice
        .post(&format!("/api/trash/folders/{}/restore", id(&folder)))
        .go()
        .expect(200);
    for url in [&inner_url, &file_url] {
        server.anon().get(url).go().expect_error(404, "not_found");
    }
    let listed = alice.get("/api/shares").go().expect(200).json();
    assert_eq!(listed["shares"], json!([]));
}

both_backends!(the_owner_lists_their_shares_and_the_admin_lists_and_revokes_all);
fn the_owner_lists_their_shares_and_the_admin_lists_and_revokes_all() {
    let server = Server::start();
    let admin = admin(&server);
    let (alice_user, alice) = user(&server, "alice");
    let (_, bob) = user(&server, "bobby");
    let file = upload_put(&alice, "a.txt", b"x");
    let folder = make_folder(&alice, "docs", None);
    share_with(&alice, "file", &file, json!({"max_downloads": 4}));
    share_with(&alice, "folder", &folder, json!({"password": "pw"}));
    let bobs = upload_put(&bob, "b.txt", b"y");
    share_with(&bob, "file", &bobs, json!({}));

    let mine = alice.get("/api/shares").go().expect(200).json();
    let shares = mine["shares"].as_array().expect("shares");
    assert_eq!(shares.len(), 2);
    assert_eq!(shares[0]["kind"], "folder", "newest first");
    assert_eq!(shares[0]["name"], "docs");
    assert_eq!(shares[1]["kind"], "file");
    assert_eq!(shares[1]["size"], 1);
    for s in shares {
        assert_share(&s["share"]);
        assert_eq!(s["owner_id"], alice_user["id"]);
    }
    bob.get(&format!(
        "/api/shares?user={}",
        alice_user["id"].as_str().unwrap_or("")
    ))
    .go()
    .expect(403);

    let all = admin.get("/api/admin/shares").go().expect(200).json();
    let all = all["shares"].as_array().expect("shares");
    assert_eq!(all.len(), 3);
    assert!(all.iter().any(|s| s["owner_username"] == "bobby"));
    bob.get("/api/admin/shares")
        .go()
        .expect_error(403, "forbidden");
    // The admin revokes bob's share with the entry's own route.
    admin
        .delete(&format!("/api/files/{}/share", id(&bobs)))
        .go()
        .expect(204);
    let all = admin.get("/api/admin/shares").go().expect(200).json();
    assert_eq!(all["shares"].as_array().map(Vec::len), Some(2));
}

both_backends!(guessed_tokens_on_every_visitor_route_are_404_and_throttled);
fn guessed_tokens_on_every_visitor_route_are_404_and_throttled() {
    let server = Server::start();
    let mut throttled = false;
    for i in 0..40 {
        let token = format!("{:0>43}", i);
        let path = match i % 4 {
            0 => format!("/s/{token}/info"),
            1 => format!("/s/{token}/download"),
            2 => format!("/r/{token}/info"),
            _ => format!("/r/{token}"),
        };
        let reply = server.anon().get(&path).go();
        match reply.status {
            404 => {
                reply.expect_error(404, "not_found");
            }
            429 => {
                throttled = true;
                break;
            }
            other => panic!("{path}: {other}"),
        }
    }
    assert!(throttled, "40 guesses in a row are throttled");
}

#[test]
fn the_qr_code_is_an_svg_of_squares() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let reply = alice
        .get("/api/qr?text=https%3A%2F%2Fcloud.example%2Fs%2Fabc%3Cscript%3E")
        .go()
        .expect(200);
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("image/svg+xml")
    );
    let svg = reply.text();
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    assert!(
        !svg.contains("script") && !svg.contains("cloud.example"),
        "{svg}"
    );
    alice.get("/api/qr").go().expect_invalid("text");
    alice
        .get(&format!("/api/qr?text={}", "a".repeat(1001)))
        .go()
        .expect_invalid("text");
    server.anon().get("/api/qr?text=x").go().expect(401);
}
