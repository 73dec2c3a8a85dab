//! The access matrix, generated from the route table: every operation that the running
//! server's `/api/openapi.json` lists (the unit test in `src/server/router.rs` holds that
//! document equal to the router's `ROUTES`) is called by every kind of caller, and must
//! answer what its `x-access` rule says. A new route with a rule this file does not know,
//! or one it does not know how to call, fails the test until it is taught.

mod common;

use std::collections::BTreeMap;

use base64::Engine;
use common::*;
use serde_json::json;

/// Who is calling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Caller {
    Anonymous,
    /// Owns the files and the user id in the paths.
    Owner,
    OtherUser,
    Admin,
    /// A token whose session is past its idle and absolute expiry.
    ExpiredToken,
    /// A token that was logged out.
    LoggedOutToken,
    /// A token from while its user was an admin; the right has since been removed.
    RevokedAdmin,
}

const CALLERS: [Caller; 7] = [
    Caller::Anonymous,
    Caller::Owner,
    Caller::OtherUser,
    Caller::Admin,
    Caller::ExpiredToken,
    Caller::LoggedOutToken,
    Caller::RevokedAdmin,
];

/// What a rule promises a caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Any 2xx.
    Success,
    Status(u16),
}

fn expected(rule: &str, caller: Caller) -> Expect {
    use Caller::*;
    use Expect::{Status, Success};
    let no_account = matches!(caller, Anonymous | ExpiredToken | LoggedOutToken);
    let owner_or_admin = matches!(caller, Owner | Admin);
    match rule {
        // Public routes ignore whatever token comes along, dead or alive.
        "public" | "share-token" => Success,
        _ if no_account => Status(401),
        "user" => Success,
        // Someone else's thing answers exactly like a missing one.
        "self-or-admin" | "owner-or-admin" | "signed-link-or-owner" if owner_or_admin => Success,
        "self-or-admin" | "owner-or-admin" | "signed-link-or-owner" => Status(404),
        "admin" if caller == Admin => Success,
        "admin" => Status(403),
        // Only the account that created it; an admin's account is just another.
        "creator" if caller == Owner => Success,
        "creator" => Status(404),
        other => panic!("access rule {other:?} is new: teach tests/access_matrix.rs its answers"),
    }
}

/// The server with an owner, their file, avatar and shared file, and a token per caller.
struct World {
    server: Server,
    owner_id: String,
    share_path: String,
    /// `/s/{token}` of a folder of the owner's and `/r/{token}` of a file request into it.
    folder_share_path: String,
    request_path: String,
    /// A user the admin routes act on without deleting.
    bystander_id: String,
    tokens: BTreeMap<Caller, String>,
    /// The account behind each caller that has one that can still log in.
    usernames: BTreeMap<Caller, &'static str>,
    /// Makes each registration's name unique.
    counter: std::cell::Cell<u32>,
}

impl World {
    fn build() -> World {
        // Every caller registers; the per-IP limit is not what this test is about.
        let server = Server::start_with(&["--registrations-per-hour", "1000"]);
        admin_named(&server, "admin");
        let owner = register(&server, "owner");
        register(&server, "other");
        let lapsed = register(&server, "lapsed");
        let bystander = register(&server, "bystander");
        let ex_admin_id = id(&admin_named(&server, "exadmin").me());
        let tokens = BTreeMap::from(
            [
                (Caller::Owner, "owner"),
                (Caller::OtherUser, "other"),
                (Caller::Admin, "admin"),
                (Caller::ExpiredToken, "lapsed"),
                (Caller::LoggedOutToken, "owner"),
                (Caller::RevokedAdmin, "exadmin"),
            ]
            .map(|(caller, name)| (caller, login(&server, name, PASSWORD))),
        );
        let owner_client = server.client(&tokens[&Caller::Owner]);
        server
            .client(&tokens[&Caller::Admin])
            .patch(&format!("/api/admin/users/{ex_admin_id}"))
            .json(&json!({"is_admin": false}))
            .go()
            .expect(200);

        expire_sessions(&server, &id(&lapsed));
        let expired = server.client(&tokens[&Caller::ExpiredToken]);
        expired.get("/api/me").go().expect(401);
        server
            .client(&tokens[&Caller::LoggedOutToken])
            .post("/api/auth/logout")
            .go()
            .expect(204);

        owner_client
            .put("/api/me/avatar")
            .header("content-type", "image/png")
            .body(TINY_PNG.to_vec())
            .go()
            .expect(200);
        let shared = upload_put(&owner_client, "shared.txt", b"shared bytes");
        let share_url = share_url_of(&owner_client, &shared);
        let share_path = share_url
            .split_once("/s/")
            .map(|(_, token)| format!("/s/{token}"))
            .expect("a /s/ url");

        let folder = make_folder(&owner_client, "shared folder", None);
        put_into(&owner_client, Some(&folder), "inside.txt", b"inside");
        let folder_share_path = owner_client
            .post(&format!("/api/folders/{}/share", id(&folder)))
            .go()
            .expect(200)
            .json()["folder"]["share"]["url"]
            .as_str()
            .and_then(|url| url.split_once("/s/").map(|(_, t)| format!("/s/{t}")))
            .expect("a folder share url");
        let request_path = owner_client
            .post(&format!("/api/folders/{}/requests", id(&folder)))
            .json(&json!({}))
            .go()
            .expect(201)
            .json()["request"]["url"]
            .as_str()
            .and_then(|url| url.split_once("/r/").map(|(_, t)| format!("/r/{t}")))
            .expect("a request url");

        let usernames = BTreeMap::from([
            (Caller::Owner, "owner"),
            (Caller::OtherUser, "other"),
            (Caller::Admin, "admin"),
            (Caller::RevokedAdmin, "exadmin"),
        ]);
        World {
            owner_id: id(&owner),
            bystander_id: id(&bystander),
            share_path,
            folder_share_path,
            request_path,
            tokens,
            usernames,
            counter: std::cell::Cell::new(0),
            server,
        }
    }

    /// The caller's long-lived client (anonymous: no token).
    fn client(&self, caller: Caller) -> Client {
        match self.tokens.get(&caller) {
            Some(token) => self.server.client(token),
            None => self.server.anon(),
        }
    }

    /// A client on a new session of the caller's account, for calls that end their session;
    /// callers without a live account keep their dead token.
    fn fresh_client(&self, caller: Caller) -> Client {
        match self.usernames.get(&caller) {
            Some(name) => self.server.client(&login(&self.server, name, PASSWORD)),
            None => self.client(caller),
        }
    }

    fn owner(&self) -> Client {
        self.client(Caller::Owner)
    }

    /// A new file of the owner's, so that a call may change or delete it.
    fn owner_file(&self) -> String {
        let name = format!("{}.txt", self.unique_name("file"));
        id(&upload_put(&self.owner(), &name, b"some bytes"))
    }

    /// A new folder of the owner's holding one file, so that a call may change, list,
    /// zip or delete it.
    fn owner_folder(&self) -> String {
        let name = self.unique_name("folder");
        let folder = self
            .owner()
            .post("/api/folders")
            .json(&json!({ "name": name }))
            .go()
            .expect(201)
            .json()["folder"]
            .clone();
        put_file(
            &self.owner(),
            &[("name", "inside.txt"), ("folder_id", &id(&folder))],
            b"inside",
        )
        .expect(201);
        id(&folder)
    }

    /// A file of the owner's, deleted: an item in their trash for a call to restore or
    /// purge.
    fn owner_trashed_file(&self) -> String {
        let file = self.owner_file();
        self.owner()
            .delete(&format!("/api/files/{file}"))
            .go()
            .expect(204);
        file
    }

    /// A folder of the owner's (holding a file), deleted: an item in their trash.
    fn owner_trashed_folder(&self) -> String {
        let folder = self.owner_folder();
        self.owner()
            .delete(&format!("/api/folders/{folder}"))
            .go()
            .expect(204);
        folder
    }

    /// A new file of the owner's, shared: for the calls that change a share.
    fn owner_shared_file(&self) -> String {
        let file = self.owner_file();
        self.owner()
            .post(&format!("/api/files/{file}/share"))
            .go()
            .expect(200);
        file
    }

    /// A new folder of the owner's, shared.
    fn owner_shared_folder(&self) -> String {
        let folder = self.owner_folder();
        self.owner()
            .post(&format!("/api/folders/{folder}/share"))
            .go()
            .expect(200);
        folder
    }

    /// A new resumable upload of the owner's, one byte long: `/api/uploads/ID`.
    fn owner_upload(&self) -> String {
        let name = base64::engine::general_purpose::STANDARD.encode(self.unique_name("tus"));
        let location = self
            .owner()
            .post("/api/uploads")
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", "1")
            .header("Upload-Metadata", format!("filename {name}"))
            .go()
            .expect(201)
            .header("location")
            .expect("Location");
        let id = location.rsplit('/').next().unwrap_or_default();
        format!("/api/uploads/{id}")
    }

    /// A new file request of the owner's, for a call to delete.
    fn owner_request(&self) -> String {
        let folder = self.owner_folder();
        id(&self
            .owner()
            .post(&format!("/api/folders/{folder}/requests"))
            .json(&json!({"label": "for the matrix"}))
            .go()
            .expect(201)
            .json()["request"])
    }

    fn unique_name(&self, prefix: &str) -> String {
        self.counter.set(self.counter.get() + 1);
        format!("{prefix}{}", self.counter.get())
    }

    /// Calls one operation as `caller`, with every path parameter filled with a real id
    /// the owner holds. Panics for an operation it does not know.
    fn call(&self, caller: Caller, method: &str, path: &str) -> Reply {
        let client = self.client(caller);
        let file_path = |suffix: &str| format!("/api/files/{}{suffix}", self.owner_file());
        let folder_path = |suffix: &str| format!("/api/folders/{}{suffix}", self.owner_folder());
        match (method, path) {
            ("GET", "/api/health" | "/api/openapi.json" | "/api/me" | "/api/files") => {
                client.get(path).go()
            }
            ("POST", "/api/auth/register") => client
                .post(path)
                .json(&registration(&self.unique_name("newcomer")))
                .go(),
            ("POST", "/api/auth/login") => client
                .post(path)
                .json(&json!({"username": "other", "password": PASSWORD}))
                .go(),
            ("POST", "/api/auth/logout") => self.fresh_client(caller).post(path).go(),
            ("PATCH", "/api/me") => client.patch(path).json(&json!({"full_name": "N"})).go(),
            // The same password: every caller keeps working, this session survives it.
            ("POST", "/api/me/password") => client
                .post(path)
                .json(&json!({"current_password": PASSWORD, "new_password": PASSWORD}))
                .go(),
            ("PUT", "/api/me/avatar") => client
                .put(path)
                .header("content-type", "image/png")
                .body(TINY_PNG.to_vec())
                .go(),
            ("DELETE", "/api/me/avatar") => client.delete(path).go(),
            ("GET", "/api/users/{id}/avatar") => {
                // Someone's DELETE /api/me/avatar may have removed it: put it back.
                self.owner()
                    .put("/api/me/avatar")
                    .header("content-type", "image/png")
                    .body(TINY_PNG.to_vec())
                    .go()
                    .expect(200);
                client
                    .get(&format!("/api/users/{}/avatar", self.owner_id))
                    .go()
            }
            ("POST", "/api/files") => post_multipart(
                &client,
                "/api/files?on_conflict=rename",
                &[Part::File {
                    name: "multi.txt",
                    bytes: b"multipart bytes",
                }],
            ),
            ("PUT", "/api/files") => put_file(
                &client,
                &[("name", "raw.txt"), ("on_conflict", "rename")],
                b"raw bytes",
            ),
            ("GET", "/api/files/{id}") => client.get(&file_path("")).go(),
            ("PATCH", "/api/files/{id}") => client
                .patch(&file_path(""))
                .json(&json!({"comment": "changed"}))
                .go(),
            ("DELETE", "/api/files/{id}") => client.delete(&file_path("")).go(),
            ("GET", "/api/files/{id}/content") => client.get(&file_path("/content")).go(),
            ("HEAD", "/api/files/{id}/content") => client.head(&file_path("/content")).go(),
            ("POST", "/api/files/{id}/link") => client.post(&file_path("/link")).go(),
            ("POST", "/api/files/{id}/share") => client.post(&file_path("/share")).go(),
            ("DELETE", "/api/files/{id}/share") => client.delete(&file_path("/share")).go(),
            ("POST", "/api/folders") => client
                .post(path)
                .json(&json!({ "name": self.unique_name("made") }))
                .go(),
            ("GET", "/api/folders/{id}") => client.get(&folder_path("")).go(),
            ("PATCH", "/api/folders/{id}") => client
                .patch(&folder_path(""))
                .json(&json!({ "name": self.unique_name("renamed") }))
                .go(),
            ("DELETE", "/api/folders/{id}") => client.delete(&folder_path("")).go(),
            ("GET", "/api/folders/{id}/contents") => client.get(&folder_path("/contents")).go(),
            ("GET", "/api/folders/{id}/zip") => client.get(&folder_path("/zip")).go(),
            ("POST", "/api/folders/{id}/link") => client.post(&folder_path("/link")).go(),
            ("GET", "/api/search") => client.get("/api/search?q=file").go(),
            ("GET", "/api/trash") => client.get(path).go(),
            ("DELETE", "/api/trash") => client.delete(path).go(),
            ("DELETE", "/api/trash/files/{id}") => client
                .delete(&format!("/api/trash/files/{}", self.owner_trashed_file()))
                .go(),
            ("POST", "/api/trash/files/{id}/restore") => client
                .post(&format!(
                    "/api/trash/files/{}/restore",
                    self.owner_trashed_file()
                ))
                .go(),
            ("DELETE", "/api/trash/folders/{id}") => client
                .delete(&format!(
                    "/api/trash/folders/{}",
                    self.owner_trashed_folder()
                ))
                .go(),
            ("POST", "/api/trash/folders/{id}/restore") => client
                .post(&format!(
                    "/api/trash/folders/{}/restore",
                    self.owner_trashed_folder()
                ))
                .go(),
            ("GET", "/api/admin/users") => client.get(path).go(),
            ("PATCH", "/api/admin/users/{id}") => client
                .patch(&format!("/api/admin/users/{}", self.bystander_id))
                .json(&json!({"is_admin": false}))
                .go(),
            ("DELETE", "/api/admin/users/{id}") => {
                let (doomed, _) = user(&self.server, &self.unique_name("doomed"));
                client
                    .delete(&format!("/api/admin/users/{}", id(&doomed)))
                    .go()
            }
            ("PATCH", "/api/files/{id}/share") => client
                .patch(&format!("/api/files/{}/share", self.owner_shared_file()))
                .json(&json!({"max_downloads": 5}))
                .go(),
            ("POST", "/api/folders/{id}/share") => client.post(&folder_path("/share")).go(),
            ("PATCH", "/api/folders/{id}/share") => client
                .patch(&format!(
                    "/api/folders/{}/share",
                    self.owner_shared_folder()
                ))
                .json(&json!({"max_downloads": 5}))
                .go(),
            ("DELETE", "/api/folders/{id}/share") => client
                .delete(&format!(
                    "/api/folders/{}/share",
                    self.owner_shared_folder()
                ))
                .go(),
            ("POST", "/api/folders/{id}/requests") => client
                .post(&folder_path("/requests"))
                .json(&json!({"label": "matrix"}))
                .go(),
            ("GET", "/api/shares" | "/api/requests" | "/api/admin/shares") => client.get(path).go(),
            ("GET", "/api/qr") => client
                .get("/api/qr?text=https%3A%2F%2Fexample.org%2Fs%2Fx")
                .go(),
            ("DELETE", "/api/requests/{id}") => client
                .delete(&format!("/api/requests/{}", self.owner_request()))
                .go(),
            ("OPTIONS", "/api/uploads") => client.request(reqwest::Method::OPTIONS, path).go(),
            ("OPTIONS", "/api/uploads/{id}") => client
                .request(reqwest::Method::OPTIONS, &self.owner_upload())
                .go(),
            ("GET", "/api/uploads") => client.get(path).go(),
            ("POST", "/api/uploads") => {
                let name =
                    base64::engine::general_purpose::STANDARD.encode(self.unique_name("new"));
                client
                    .post(path)
                    .header("Tus-Resumable", "1.0.0")
                    .header("Upload-Length", "1")
                    .header("Upload-Metadata", format!("filename {name}"))
                    .go()
            }
            ("HEAD", "/api/uploads/{id}") => client
                .head(&self.owner_upload())
                .header("Tus-Resumable", "1.0.0")
                .go(),
            ("PATCH", "/api/uploads/{id}") => client
                .patch(&self.owner_upload())
                .header("Tus-Resumable", "1.0.0")
                .header("Upload-Offset", "0")
                .header("Content-Type", "application/offset+octet-stream")
                .body(b"x".to_vec())
                .go(),
            ("DELETE", "/api/uploads/{id}") => client
                .delete(&self.owner_upload())
                .header("Tus-Resumable", "1.0.0")
                .go(),
            ("GET", "/s/{token}") => client.get(&self.share_path).go(),
            ("HEAD", "/s/{token}") => client.head(&self.share_path).go(),
            ("GET", "/s/{token}/download") => client
                .get(&format!(
                    "{}/download?path=inside.txt",
                    self.folder_share_path
                ))
                .go(),
            ("HEAD", "/s/{token}/download") => {
                client.head(&format!("{}/download", self.share_path)).go()
            }
            ("GET", "/s/{token}/info") => {
                client.get(&format!("{}/info", self.folder_share_path)).go()
            }
            ("POST", "/s/{token}/unlock") => client
                .post(&format!("{}/unlock", self.share_path))
                .json(&json!({"password": "none is set"}))
                .go(),
            ("GET", "/r/{token}") => client.get(&self.request_path).go(),
            ("GET", "/r/{token}/info") => client.get(&format!("{}/info", self.request_path)).go(),
            ("POST", "/r/{token}/unlock") => client
                .post(&format!("{}/unlock", self.request_path))
                .json(&json!({"password": "none is set"}))
                .go(),
            ("PUT", "/r/{token}/files") => client
                .put(&format!(
                    "{}/files?name={}.txt",
                    self.request_path,
                    self.unique_name("dropped")
                ))
                .body(b"dropped".to_vec())
                .go(),
            ("POST", "/r/{token}/files") => post_multipart(
                &client,
                &format!("{}/files", self.request_path),
                &[Part::File {
                    name: &format!("{}.txt", self.unique_name("posted")),
                    bytes: b"posted",
                }],
            ),
            _ => {
                panic!("tests/access_matrix.rs does not know how to call {method} {path}: teach it")
            }
        }
    }
}

/// Moves every session of `user_id` back to the epoch, past both `--session-idle` and
/// `--session-max-age`. (`Server::query` opens a SQLite database read-only.)
fn expire_sessions(server: &Server, user_id: &str) {
    let changed = match current_backend() {
        Backend::Sqlite => {
            let db =
                rusqlite::Connection::open(server.data_dir.join("mycloud.db")).expect("open db");
            db.busy_timeout(std::time::Duration::from_secs(5))
                .expect("busy timeout");
            db.execute(
                "UPDATE sessions SET created_at = 0, last_seen_at = 0 WHERE user_id = ?1",
                [user_id],
            )
            .expect("backdate sessions")
        }
        Backend::Postgres => server
            .query(&format!(
                "UPDATE sessions SET created_at = 'epoch', last_seen_at = 'epoch' \
                 WHERE user_id = '{user_id}' RETURNING user_id"
            ))
            .lines()
            .count(),
    };
    assert_eq!(changed, 1);
}

/// (METHOD, path, x-access) of every operation in the served document.
fn operations(server: &Server) -> Vec<(String, String, String)> {
    let reply = server.anon().get("/api/openapi.json").go().expect(200);
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("application/json")
    );
    let doc = reply.json();
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (key, operation) in item.as_object().expect("path item") {
            if key == "parameters" {
                continue;
            }
            let Some(rule) = operation["x-access"].as_str() else {
                panic!("{key} {path} has no x-access rule");
            };
            found.push((key.to_uppercase(), path.clone(), rule.to_string()));
        }
    }
    found
}

both_backends!(every_operation_answers_every_caller_as_its_access_rule_says);
fn every_operation_answers_every_caller_as_its_access_rule_says() {
    let world = World::build();
    let operations = operations(&world.server);
    // The exact set is held equal to the route table by the unit test; this only guards
    // against a document that lost its paths.
    assert!(
        operations.len() >= 27,
        "only {} operations",
        operations.len()
    );
    let mut wrong = Vec::new();
    for (method, path, rule) in &operations {
        for caller in CALLERS {
            let want = expected(rule, caller);
            let reply = world.call(caller, method, path);
            let right = match want {
                Expect::Success => (200..300).contains(&reply.status),
                Expect::Status(status) => reply.status == status,
            };
            if !right {
                wrong.push(format!(
                    "{method} {path} ({rule}) as {caller:?}: wanted {want:?}, got {} {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body[..reply.body.len().min(200)])
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn a_rule_the_matrix_does_not_know_fails_it() {
    let unknown = std::panic::catch_unwind(|| expected("owner-or-friend", Caller::Owner));
    assert!(unknown.is_err());
}

/// A visitor's call of a `share-token` operation on a password-protected link: the
/// folder share at `share`, the file request at `request`, with `grant` (`?grant=…`)
/// or without.
fn visit(
    client: &Client,
    method: &str,
    path: &str,
    share: &str,
    request: &str,
    grant: &str,
) -> Reply {
    let with = |base: &str, rest: &str| {
        let sep = if rest.contains('?') { '&' } else { '?' };
        if grant.is_empty() {
            format!("{base}{rest}")
        } else {
            format!("{base}{rest}{sep}grant={grant}")
        }
    };
    match (method, path) {
        ("GET", "/s/{token}") => client.get(&with(share, "")).go(),
        ("HEAD", "/s/{token}") => client.head(&with(share, "")).go(),
        ("GET", "/s/{token}/download") => {
            client.get(&with(share, "/download?path=inside.txt")).go()
        }
        ("HEAD", "/s/{token}/download") => client.head(&with(share, "/download")).go(),
        ("GET", "/s/{token}/info") => client.get(&with(share, "/info")).go(),
        ("GET", "/r/{token}") => client.get(&with(request, "")).go(),
        ("GET", "/r/{token}/info") => client.get(&with(request, "/info")).go(),
        ("PUT", "/r/{token}/files") => client
            .put(&with(request, &format!("/files?name={}.txt", random_id())))
            .body(b"dropped".to_vec())
            .go(),
        ("POST", "/r/{token}/files") => {
            let name = format!("{}.txt", random_id());
            post_multipart(
                client,
                &with(request, "/files"),
                &[Part::File {
                    name: &name,
                    bytes: b"posted",
                }],
            )
        }
        _ => panic!("tests/access_matrix.rs does not know how to visit {method} {path}: teach it"),
    }
}

both_backends!(password_links_answer_visitors_with_and_without_the_password);
fn password_links_answer_visitors_with_and_without_the_password() {
    let server = Server::start();
    let (_, owner) = user(&server, "owner");
    let (_, other) = user(&server, "other");
    let folder = make_folder(&owner, "private", None);
    put_into(&owner, Some(&folder), "inside.txt", b"inside");
    let rules = json!({"password": "open sesame"});
    let share_url = owner
        .post(&format!("/api/folders/{}/share", id(&folder)))
        .json(&rules)
        .go()
        .expect(200)
        .json()["folder"]["share"]["url"]
        .as_str()
        .expect("share url")
        .to_string();
    let request_url = owner
        .post(&format!("/api/folders/{}/requests", id(&folder)))
        .json(&rules)
        .go()
        .expect(201)
        .json()["request"]["url"]
        .as_str()
        .expect("request url")
        .to_string();
    let grant_of = |url: &str| {
        let unlocked = server
            .anon()
            .post(&format!("{url}/unlock"))
            .json(&rules)
            .go()
            .expect(200)
            .json();
        let url = unlocked["url"].as_str().expect("unlocked url");
        url.split_once("?grant=").expect("a grant").1.to_string()
    };
    let (share_grant, request_grant) = (grant_of(&share_url), grant_of(&request_url));

    let visitors = [
        ("anonymous", server.anon()),
        ("owner's token", owner),
        ("another user's token", other),
    ];
    let mut wrong = Vec::new();
    for (method, path, rule) in operations(&server) {
        if rule != "share-token" {
            continue;
        }
        for (who, client) in &visitors {
            if path.ends_with("/unlock") {
                let base = if path.starts_with("/s/") {
                    &share_url
                } else {
                    &request_url
                };
                let bad = client
                    .post(&format!("{base}/unlock"))
                    .json(&json!({"password": "guess"}))
                    .go();
                let good = client.post(&format!("{base}/unlock")).json(&rules).go();
                if bad.status != 401 || good.status != 200 {
                    wrong.push(format!(
                        "{method} {path} as {who}: wrong password {}, right password {}",
                        bad.status, good.status
                    ));
                }
                continue;
            }
            let grant = if path.starts_with("/s/") {
                &share_grant
            } else {
                &request_grant
            };
            let without = visit(client, &method, &path, &share_url, &request_url, "");
            let with = visit(client, &method, &path, &share_url, &request_url, grant);
            let refused = without.status == 401
                && (method == "HEAD"
                    || without.json()["error"]["code"] == "share_password_required");
            if !refused || !(200..300).contains(&with.status) {
                wrong.push(format!(
                    "{method} {path} as {who}: without the password {}, with it {} {}",
                    without.status,
                    with.status,
                    String::from_utf8_lossy(&with.body[..with.body.len().min(200)])
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}
