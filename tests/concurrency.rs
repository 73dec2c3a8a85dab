//! Races the server must win on either backend: uniqueness enforced by the database rather
//! than by a check-then-insert, the last-admin rule under two admins removing each other,
//! one public link per file however many ask at once, a user deleted while their upload is
//! in flight, and storage figures that stay exact while many uploads and deletes run at once.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Barrier;
use std::thread;
use std::time::Duration;

use common::*;
use reqwest::blocking::RequestBuilder;
use serde_json::{Value, json};

/// How many pairs of registrations race.
const ROUNDS: usize = 21;

/// `GET /api/admin/users`.
#[track_caller]
fn admin_list(admin: &Client) -> Vec<Value> {
    admin.get("/api/admin/users").go().expect(200).json()["users"]
        .as_array()
        .expect("users")
        .clone()
}

/// Sends every request at the same instant (released by one barrier); returns the replies
/// in order.
fn race(requests: Vec<RequestBuilder>) -> Vec<Reply> {
    let barrier = Barrier::new(requests.len());
    thread::scope(|s| {
        let racers: Vec<_> = requests
            .into_iter()
            .map(|request| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    request.go()
                })
            })
            .collect();
        racers
            .into_iter()
            .map(|r| r.join().expect("racer panicked"))
            .collect()
    })
}

/// The usernames of the admins, as the admin list shows them.
#[track_caller]
fn admins(admin: &Client) -> Vec<String> {
    admin_list(admin)
        .iter()
        .filter(|u| u["is_admin"] == true)
        .map(|u| u["username"].as_str().expect("username").to_string())
        .collect()
}

both_backends!(simultaneous_registrations_of_one_name_or_email_give_one_201_and_one_409);
/// Both requests pass every check before either inserts (hashing the password takes far
/// longer than the race window), so only a unique index can turn one of them away. The
/// rounds vary what collides: the same username, the username in other capitals, the
/// email in other capitals.
fn simultaneous_registrations_of_one_name_or_email_give_one_201_and_one_409() {
    let server = Server::start();
    let mut expected = Vec::new();
    for round in 0..ROUNDS {
        let name = format!("racer{round:02}");
        let mut first = registration(&name);
        let mut second = registration(&name);
        let field = match round % 3 {
            0 => "username",
            1 => {
                second["username"] = json!(name.to_uppercase());
                "username"
            }
            _ => {
                second["username"] = json!(format!("other{round:02}"));
                second["email"] = json!(format!("{}@EXAMPLE.com", name.to_uppercase()));
                "email"
            }
        };
        if field == "username" {
            // Only the name collides.
            first["email"] = json!(format!("{name}.a@example.com"));
            second["email"] = json!(format!("{name}.b@example.com"));
        }
        let register = |body: &Value| server.anon().post("/api/auth/register").json(body);
        let replies = race(vec![register(&first), register(&second)]);
        let created: Vec<&Reply> = replies.iter().filter(|r| r.status == 201).collect();
        assert_eq!(created.len(), 1, "round {round}: {replies:?}");
        let refused = replies
            .iter()
            .find(|r| r.status != 201)
            .expect("one refused");
        let error = refused.expect_error(409, "taken");
        assert_eq!(error["field"], field, "round {round}: {refused:?}");
        expected.push((field, name));
    }

    // Exactly one account per name and per email, and nothing else was half-created.
    let root = admin_named(&server, "root");
    let users = admin_list(&root);
    assert_eq!(users.len(), ROUNDS + 1, "{users:?}");
    for (field, name) in expected {
        let key = if field == "username" {
            name.clone()
        } else {
            format!("{name}@example.com")
        };
        let matching = users
            .iter()
            .filter(|u| {
                u[field]
                    .as_str()
                    .is_some_and(|v| v.eq_ignore_ascii_case(&key))
            })
            .count();
        assert_eq!(matching, 1, "{field} {key}: {users:?}");
    }
}

both_backends!(two_admins_demoting_each_other_at_once_leave_one_admin);
/// The last-admin rule is a check ("another admin remains?") and a write; run both requests
/// between each other's check and write and a careless server ends with no admin at all.
/// One demotion must win; the other is refused, as `last_admin` or, if it came second, as
/// a `forbidden` from an admin who no longer is one.
fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    const ROUNDS: usize = 10;
    let server = Server::start();
    let ann = admin_named(&server, "annie");
    let ben = admin_named(&server, "benny");
    let (ann_id, ben_id) = (id(&ann.me()), id(&ben.me()));
    for round in 0..ROUNDS {
        let demote = |by: &Client, whom: &str| {
            by.patch(&format!("/api/admin/users/{whom}"))
                .json(&json!({"is_admin": false}))
        };
        let replies = race(vec![demote(&ann, &ben_id), demote(&ben, &ann_id)]);
        let won: Vec<usize> = (0..2).filter(|&i| replies[i].status == 200).collect();
        assert_eq!(won.len(), 1, "round {round}: {replies:?}");
        let lost = &replies[1 - won[0]];
        assert!(matches!(lost.status, 403 | 409), "round {round}: {lost:?}");
        let (winner, loser_id) = if won[0] == 0 {
            (&ann, &ben_id)
        } else {
            (&ben, &ann_id)
        };
        assert_eq!(admins(winner).len(), 1, "round {round}");
        // Back to two admins for the next round.
        winner
            .patch(&format!("/api/admin/users/{loser_id}"))
            .json(&json!({"is_admin": true}))
            .go()
            .expect(200);
    }
}

both_backends!(two_admins_deleting_each_other_at_once_leave_one_admin);
/// As above with `DELETE`, which no later request can undo. Each round the survivor faces a
/// new rival, so exactly two admins race every time.
fn two_admins_deleting_each_other_at_once_leave_one_admin() {
    const ROUNDS: usize = 4;
    let server = Server::start();
    let mut survivor = admin_named(&server, "first");
    for round in 0..ROUNDS {
        let rival = admin_named(&server, &format!("rival{round}"));
        let (survivor_id, rival_id) = (id(&survivor.me()), id(&rival.me()));
        let delete = |by: &Client, whom: &str| by.delete(&format!("/api/admin/users/{whom}"));
        let replies = race(vec![
            delete(&survivor, &rival_id),
            delete(&rival, &survivor_id),
        ]);
        let won: Vec<usize> = (0..2).filter(|&i| replies[i].status == 204).collect();
        assert_eq!(won.len(), 1, "round {round}: {replies:?}");
        let lost = &replies[1 - won[0]];
        // A deleted admin's token went with them, so 401 is a fair answer for the loser.
        assert!(
            matches!(lost.status, 401 | 403 | 409),
            "round {round}: {lost:?}"
        );
        if won[0] == 1 {
            survivor = rival;
        }
        assert_eq!(admins(&survivor).len(), 1, "round {round}");
    }
}

both_backends!(simultaneous_shares_of_one_file_hand_out_one_link);
/// Sharing is idempotent, also when eight requests arrive together: one token is minted,
/// and every caller gets the link that works (a second token written over the first would
/// hand someone a dead link).
fn simultaneous_shares_of_one_file_hand_out_one_link() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, "a.txt", b"shared bytes");
    let path = format!("/api/files/{}/share", id(&file));
    let replies = race((0..8).map(|_| alice.post(&path)).collect());
    let urls: Vec<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{r:?}");
            r.json()["file"]["share_url"]
                .as_str()
                .expect("share_url")
                .to_string()
        })
        .collect();
    assert!(urls.iter().all(|u| *u == urls[0]), "{urls:?}");
    let got = server.anon().get(&urls[0]).go().expect(200);
    assert_eq!(got.body, b"shared bytes");
    let listed = alice
        .get(&format!("/api/files/{}", id(&file)))
        .go()
        .expect(200);
    assert_eq!(listed.json()["file"]["share_url"], urls[0]);
}

/// The size of upload `k` of thread `t`: all different, so a lost or doubled update shows.
fn upload_size(t: usize, k: usize) -> usize {
    1 + t * 1000 + k * 97
}

both_backends!(admin_figures_stay_exact_under_parallel_uploads_and_deletes);
/// Eight threads, two per user, each upload ten files and delete every third one at once;
/// the admin list and `/api/me` must then add up to the byte.
fn admin_figures_stay_exact_under_parallel_uploads_and_deletes() {
    const USERS: usize = 4;
    const THREADS: usize = 8;
    const UPLOADS: usize = 10;
    let server = Server::start();
    let root = admin(&server);
    let writers: Vec<(Value, Client)> = (0..USERS)
        .map(|u| user(&server, &format!("writer{u}")))
        .collect();

    let barrier = Barrier::new(THREADS);
    thread::scope(|s| {
        for t in 0..THREADS {
            let client = writers[t % USERS].1.clone();
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                for k in 0..UPLOADS {
                    let bytes = vec![t as u8; upload_size(t, k)];
                    let file = upload_put(&client, &format!("t{t}-{k}.bin"), &bytes);
                    assert_eq!(file["size"], bytes.len());
                    if k % 3 == 2 {
                        client
                            .delete(&format!("/api/files/{}", id(&file)))
                            .go()
                            .expect(204);
                    }
                }
            });
        }
    });

    let listed = admin_list(&root);
    for (u, (user, client)) in writers.iter().enumerate() {
        let kept: Vec<usize> = (0..THREADS)
            .filter(|t| t % USERS == u)
            .flat_map(|t| (0..UPLOADS).filter(|k| k % 3 != 2).map(move |k| (t, k)))
            .map(|(t, k)| upload_size(t, k))
            .collect();
        let (count, total) = (kept.len(), kept.iter().sum::<usize>());
        let row = listed
            .iter()
            .find(|r| r["id"] == user["id"])
            .unwrap_or_else(|| panic!("{} not listed", user["username"]));
        assert_eq!(
            (&row["file_count"], &row["total_size"]),
            (&json!(count), &json!(total)),
            "admin figures of {}",
            user["username"]
        );
        let storage = &client.me()["storage"];
        assert_eq!(
            (&storage["file_count"], &storage["total_size"]),
            (&json!(count), &json!(total)),
            "/api/me of {}",
            user["username"]
        );
        let files = client.get("/api/files").go().expect(200).json()["files"].clone();
        assert_eq!(files.as_array().map(Vec::len), Some(count), "{files}");
    }
    server.assert_tmp_empty();
    server.cli_ok(&["check"], "");
}

/// Bytes in the body of the upload that is cut in two by the deletion.
const SLOW_SIZE: usize = 1024 * 1024;

/// Starts `PUT /api/files` as `token` and sends half of its body, then waits until the
/// server is writing it to `tmp/`. Returns the open connection.
fn start_slow_upload(server: &Server, token: &str) -> TcpStream {
    let addr = server.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        stream,
        "PUT /api/files?name=slow.bin HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Token {token}\r\n\
         Content-Length: {SLOW_SIZE}\r\nConnection: close\r\n\r\n"
    )
    .expect("send head");
    stream
        .write_all(&vec![b'a'; SLOW_SIZE / 2])
        .expect("send half");
    stream.flush().expect("flush");
    let streaming = server.wait_for(Duration::from_secs(5), || {
        !server.files_under("tmp").is_empty()
    });
    assert!(streaming, "the upload never reached tmp/");
    stream
}

/// Deletes `victim` while their upload is in flight, runs `finish_upload`, then checks
/// that nothing of theirs is left: no row, no bytes, and nothing `check` complains about,
/// while `bystander`'s file stays as it was.
fn delete_user_mid_upload(finish_upload: impl FnOnce(TcpStream)) {
    let server = Server::start();
    let root = admin(&server);
    let (victim, _) = user(&server, "alice");
    let token = login(&server, "alice", PASSWORD);
    let (bystander, bobby) = user(&server, "bobby");
    let kept = upload_put(&bobby, "keep.txt", b"bobby's bytes");
    let victim_id = id(&victim);

    let stream = start_slow_upload(&server, &token);
    root.delete(&format!("/api/admin/users/{victim_id}"))
        .go()
        .expect(204);
    finish_upload(stream);

    // The temp file goes once the request is over; a hung-up one may take a moment.
    let settled = server.wait_for(Duration::from_secs(10), || {
        server.files_under("tmp").is_empty()
    });
    assert!(settled, "tmp/ holds {:?}", server.files_under("tmp"));
    let left = server.files_under(&format!("files/{victim_id}"));
    assert!(left.is_empty(), "bytes of a deleted user: {left:?}");
    for table in [
        "files WHERE owner_id",
        "sessions WHERE user_id",
        "users WHERE id",
    ] {
        let sql = format!("SELECT count(*) FROM {table} = '{victim_id}'");
        assert_eq!(server.query(&sql), "0", "{sql}");
    }
    let users = admin_list(&root);
    assert!(users.iter().all(|u| u["id"] != victim["id"]), "{users:?}");
    let row = users
        .iter()
        .find(|u| u["id"] == bystander["id"])
        .expect("bobby listed");
    assert_eq!(
        (&row["file_count"], &row["total_size"]),
        (&json!(1), &json!(13))
    );
    assert_eq!(
        bobby
            .get(&format!("/api/files/{}/content", id(&kept)))
            .go()
            .expect(200)
            .body,
        b"bobby's bytes"
    );
    server.cli_ok(&["check"], "");
}

both_backends!(deleting_a_user_whose_upload_then_completes_keeps_neither_row_nor_bytes);
/// The upload was authorised when it began; by the time its bytes are in, its owner is gone.
/// Its row cannot be written, so its bytes must go too, and the answer is the 404 of an
/// owner that does not exist (not a 201 for a file nobody owns, not a 500).
fn deleting_a_user_whose_upload_then_completes_keeps_neither_row_nor_bytes() {
    delete_user_mid_upload(|mut stream| {
        stream
            .write_all(&vec![b'b'; SLOW_SIZE / 2])
            .expect("send the rest");
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).expect("read the reply");
        let reply = String::from_utf8_lossy(&reply);
        assert!(reply.starts_with("HTTP/1.1 404 "), "{reply}");
        assert!(reply.contains("\"not_found\""), "{reply}");
    });
}

both_backends!(deleting_a_user_whose_upload_then_hangs_up_keeps_nothing);
fn deleting_a_user_whose_upload_then_hangs_up_keeps_nothing() {
    delete_user_mid_upload(drop);
}
