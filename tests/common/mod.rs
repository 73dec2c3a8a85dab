//! The test harness: starts the real `mycloud` binary on port 0 with a fresh data dir (and,
//! in the postgres variant of a test, a fresh PostgreSQL database: see `backend`) and does
//! the boring parts of talking to it (accounts, tokens, uploads, reading the disk).
//! Each test file is its own crate and uses a different subset, hence `dead_code`.
#![allow(dead_code)]

pub mod backend;
pub mod needs;
pub mod postgres;
pub mod secrets;

pub use backend::{Backend, current_backend};
// Not every test binary uses it (the browser tests run on SQLite only).
#[allow(unused_imports)]
pub(crate) use backend::both_backends;

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::blocking::RequestBuilder;
use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde_json::{Value, json};
use tempfile::TempDir;

/// The binary under test, built by cargo for integration tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_mycloud");

/// A password that satisfies the rules (upper case, digit, special character, ≥ 8).
pub const PASSWORD: &str = "Secret-pass-1";

/// How long the server may take to print its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The fields of `user`, exactly as the contract lists them.
pub const USER_FIELDS: [&str; 7] = [
    "id",
    "username",
    "full_name",
    "email",
    "is_admin",
    "avatar_url",
    "created_at",
];

/// The fields of `file`, exactly as the contract lists them.
pub const FILE_FIELDS: [&str; 11] = [
    "id",
    "owner_id",
    "folder_id",
    "name",
    "comment",
    "size",
    "content_type",
    "uploaded_at",
    "last_downloaded_at",
    "share",
    "share_url",
];

/// The fields of a `share` object on a file or folder (DESIGN §12).
pub const SHARE_FIELDS: [&str; 6] = [
    "url",
    "created_at",
    "expires_at",
    "has_password",
    "max_downloads",
    "download_count",
];

/// A 1×1 transparent PNG: a real image for avatar tests.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

/// A running `mycloud serve` with its own data dir; killed when dropped.
pub struct Server {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    /// The `--data-dir` of this server: inspect `files/`, `avatars/`, `tmp/` here.
    pub data_dir: PathBuf,
    /// Where its tables are: the backend of the test that started it.
    pub backend: Backend,
    /// On PostgreSQL, the database of this server alone (query it to see what was written).
    pub database: Option<postgres::Database>,
    log_path: PathBuf,
    child: Child,
    http: reqwest::blocking::Client,
    // Last: the folder goes after the process is dead.
    _root: TempDir,
}

impl Server {
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// Starts with extra flags, e.g. `&["--registration", "closed"]`.
    pub fn start_with(args: &[&str]) -> Server {
        Server::start_seeded(args, |_| {})
    }

    /// Runs `seed` on the (not yet existing) data dir path before the server starts.
    pub fn start_seeded(args: &[&str], seed: impl FnOnce(&Path)) -> Server {
        Server::start_full(&[], args, seed)
    }

    /// Starts with extra environment variables for the server alone, e.g. the test hook
    /// `MYCLOUD_TEST_CRASH_AT` (`command()` strips the test's own `MYCLOUD_*`).
    pub fn start_with_env(env: &[(&str, &str)], args: &[&str]) -> Server {
        Server::start_full(env, args, |_| {})
    }

    fn start_full(env: &[(&str, &str)], args: &[&str], seed: impl FnOnce(&Path)) -> Server {
        let backend = current_backend();
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(
                postgres::postgres()
                    .unwrap_or_else(|e| panic!("PostgreSQL for the tests: {e:?}"))
                    .create_database(),
            ),
        };
        let root = tempfile::tempdir().expect("temp dir");
        let data_dir = root.path().join("data");
        let log_path = root.path().join("server.log");
        seed(&data_dir);
        let log = File::create(&log_path).expect("log file");
        let (child, base) = spawn(&data_dir, database.as_ref(), &log_path, log, env, args);
        Server {
            base,
            data_dir,
            backend,
            database,
            log_path,
            child,
            http: http_client(),
            _root: root,
        }
    }

    /// Kills the process with SIGKILL (as `kill -9` or a power cut would end it: no
    /// cleanup runs) and waits until it is gone. Harmless when it has already exited.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        self.child.wait().expect("wait for mycloud");
    }

    /// Kills the process if it still runs and starts a new one on the same data dir and
    /// database, appending to the same log, with these environment variables and flags.
    /// `base` changes: the new process listens on a new port, so take clients afresh.
    pub fn restart(&mut self, env: &[(&str, &str)], args: &[&str]) {
        self.kill();
        let log = File::options()
            .append(true)
            .open(&self.log_path)
            .expect("log file");
        let (child, base) = spawn(
            &self.data_dir,
            self.database.as_ref(),
            &self.log_path,
            log,
            env,
            args,
        );
        self.child = child;
        self.base = base;
    }

    /// What the server wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// A client without a token.
    pub fn anon(&self) -> Client {
        Client {
            http: self.http.clone(),
            base: self.base.clone(),
            auth: None,
        }
    }

    /// A client sending `Authorization: Token <token>`.
    pub fn client(&self, token: &str) -> Client {
        self.client_with_auth(&format!("Token {token}"))
    }

    /// A client sending this exact `Authorization` header.
    pub fn client_with_auth(&self, header: &str) -> Client {
        Client {
            http: self.http.clone(),
            base: self.base.clone(),
            auth: Some(header.to_string()),
        }
    }

    /// `--database-url URL` on PostgreSQL, nothing on SQLite: add it to any command line
    /// built by hand, so that it works on this server's database.
    pub fn db_args(&self) -> Vec<&str> {
        database_args(self.database.as_ref())
    }

    /// Runs `mycloud --data-dir DIR [--database-url URL] ARGS…` with `stdin` as its input.
    pub fn cli(&self, args: &[&str], stdin: &str) -> (ExitStatus, String, String) {
        let mut full = vec!["--data-dir", self.data_dir.to_str().expect("utf-8 path")];
        full.extend(self.db_args());
        full.extend_from_slice(args);
        run_cli(&full, stdin)
    }

    /// `cli` that panics unless the command succeeds; returns its stdout.
    #[track_caller]
    pub fn cli_ok(&self, args: &[&str], stdin: &str) -> String {
        let (status, stdout, stderr) = self.cli(args, stdin);
        assert!(
            status.success(),
            "mycloud {args:?} failed: {status}\nstdout: {stdout}\nstderr: {stderr}"
        );
        stdout
    }

    /// Runs one SQL query on this server's database, whichever the backend; returns the rows
    /// one a line, fields joined by `|` and NULL as nothing (as `psql -A -t` prints them).
    /// For tests that must see what was really written, such as orphan rows.
    #[track_caller]
    pub fn query(&self, sql: &str) -> String {
        match &self.database {
            Some(db) => db.query(sql),
            None => sqlite_query(&self.data_dir.join("mycloud.db"), sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
        }
    }

    /// Where the bytes of a file live: `files/<user_id>/<blob id>`, and a file uploaded
    /// by `PUT` or `POST /api/files` (or `import`) has its id as its blob id. (A file made
    /// by a tus upload is named after the upload, a replaced file after its new bytes.)
    pub fn blob_path(&self, user_id: &str, file_id: &str) -> PathBuf {
        self.data_dir.join("files").join(user_id).join(file_id)
    }

    /// Every regular file below `sub` (e.g. `files`, `tmp`, `avatars`) of the data dir.
    pub fn files_under(&self, sub: &str) -> Vec<PathBuf> {
        let mut found = Vec::new();
        collect_files(&self.data_dir.join(sub), &mut found);
        found
    }

    /// Asserts that no refused request left anything in `tmp/`.
    #[track_caller]
    pub fn assert_tmp_empty(&self) {
        let left = self.files_under("tmp");
        assert!(left.is_empty(), "tmp/ should be empty, holds {left:?}");
    }

    /// Sends SIGTERM, as systemd does on stop.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// The exit status once the process has ended, or `None` after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits up to `timeout` for `cond` to hold; returns whether it did.
    pub fn wait_for(&self, timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if cond() {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // No token, share token, link signature or password in any server's log.
        let leaked = secrets::leaked_into(&self.log());
        if !leaked.is_empty() && !std::thread::panicking() {
            panic!("secrets in the server's log: {leaked:?}\n{}", self.log());
        }
    }
}

/// Spawns `mycloud serve` on `data_dir` and port 0, stderr to `log`; returns the child and
/// its base URL once it has printed its listening line, or panics with the log.
fn spawn(
    data_dir: &Path,
    database: Option<&postgres::Database>,
    log_path: &Path,
    log: File,
    env: &[(&str, &str)],
    args: &[&str],
) -> (Child, String) {
    let mut cmd = command();
    // Tests register many accounts from 127.0.0.1, far more than the default 10 an hour;
    // tests/limits.rs checks that limit with its own flag, which overrides this.
    cmd.env("MYCLOUD_REGISTRATIONS_PER_HOUR", "100000");
    cmd.arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--listen", "127.0.0.1:0"])
        .args(database_args(database))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log);
    let mut child = cmd.spawn().expect("spawn mycloud");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(line)) = lines.next() {
            let _ = tx.send(line);
        }
        // Keep draining so the server never blocks on a full pipe.
        for _ in lines {}
    });
    let line = rx.recv_timeout(START_TIMEOUT);
    let base = line
        .as_ref()
        .ok()
        .and_then(|l| l.strip_prefix("mycloud listening on "))
        .and_then(|url| url.strip_suffix('/'))
        .map(str::to_string);
    let Some(base) = base else {
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(log_path).unwrap_or_default();
        panic!("mycloud did not start: first stdout line {line:?}\n--- server log ---\n{log}");
    };
    (child, base)
}

fn database_args(database: Option<&postgres::Database>) -> Vec<&str> {
    match database {
        Some(db) => vec!["--database-url", &db.url],
        None => Vec::new(),
    }
}

/// The binary with an environment free of `MYCLOUD_*` and `DATABASE_URL` settings.
fn command() -> Command {
    let mut cmd = Command::new(BIN);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("MYCLOUD_") || key == "DATABASE_URL" {
            cmd.env_remove(key);
        }
    }
    // The log tests read request lines: the default level, whatever the caller's RUST_LOG.
    cmd.env_remove("RUST_LOG");
    cmd
}

/// Runs the binary with exactly these arguments (no data dir added).
pub fn run_cli(args: &[&str], stdin: &str) -> (ExitStatus, String, String) {
    let mut child = command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mycloud");
    let mut input = child.stdin.take().expect("stdin");
    // A command that does not read stdin may exit first: a broken pipe is fine then.
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    let out = child.wait_with_output().expect("wait for mycloud");
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `Server::query` on SQLite: read-only, so it can never change what it inspects.
pub fn sqlite_query(db: &Path, sql: &str) -> rusqlite::Result<String> {
    use rusqlite::types::ValueRef;
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn.prepare(sql)?;
    let columns = stmt.column_count();
    let mut rows = stmt.query([])?;
    let mut lines = Vec::new();
    while let Some(row) = rows.next()? {
        let mut fields = Vec::with_capacity(columns);
        for i in 0..columns {
            fields.push(match row.get_ref(i)? {
                ValueRef::Null => String::new(),
                ValueRef::Integer(n) => n.to_string(),
                ValueRef::Real(x) => x.to_string(),
                ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
            });
        }
        lines.push(fields.join("|"));
    }
    Ok(lines.join("\n"))
}

fn collect_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => collect_files(&path, found),
            Ok(_) => found.push(path),
            Err(_) => {}
        }
    }
}

fn http_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

/// An HTTP client bound to one server and, optionally, one `Authorization` header.
#[derive(Clone)]
pub struct Client {
    http: reqwest::blocking::Client,
    base: String,
    auth: Option<String>,
}

impl Client {
    /// `path` is either absolute (`http://…`, as in share and signed URLs) or `/api/…`.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let rb = self.http.request(method, url);
        match &self.auth {
            Some(auth) => rb.header(AUTHORIZATION, auth),
            None => rb,
        }
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    pub fn head(&self, path: &str) -> RequestBuilder {
        self.request(Method::HEAD, path)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    pub fn put(&self, path: &str) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    pub fn patch(&self, path: &str) -> RequestBuilder {
        self.request(Method::PATCH, path)
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// `GET /api/me` → the `user` object (with `storage`).
    #[track_caller]
    pub fn me(&self) -> Value {
        self.get("/api/me").go().expect(200).json()["user"].clone()
    }
}

/// A whole response: status, headers and body, read before any assertion.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:?} {}",
            self.status,
            self.headers,
            String::from_utf8_lossy(&self.body)
        )
    }
}

impl Reply {
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value as text, `None` when absent.
    /// The `Content-Disposition` header; fails the test when there is none.
    #[track_caller]
    pub fn disposition(&self) -> String {
        self.header("content-disposition")
            .unwrap_or_else(|| panic!("no Content-Disposition in {self:?}"))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_string())
    }

    /// Asserts the status, showing the whole reply when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(self.status, status, "unexpected reply: {self:?}");
        self
    }

    /// Asserts an error reply: this status, a JSON body with `error.code` and a message.
    /// Returns the `error` object for further checks (`field`, `fields`).
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "unexpected reply: {self:?}");
        let ct = self.header("content-type").unwrap_or_default();
        assert!(
            ct.starts_with("application/json"),
            "error without JSON content type: {self:?}"
        );
        let error = self.json()["error"].clone();
        assert_eq!(error["code"], code, "unexpected error code: {self:?}");
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "error without a message: {self:?}"
        );
        error
    }

    /// Asserts a 400 `invalid` error naming `field`.
    #[track_caller]
    pub fn expect_invalid(&self, field: &str) -> Value {
        let error = self.expect_error(400, "invalid");
        assert_eq!(error["field"], field, "wrong field named: {self:?}");
        error
    }
}

/// Sends a request and reads the whole reply.
pub trait Go {
    fn go(self) -> Reply;
}

impl Go for RequestBuilder {
    #[track_caller]
    fn go(self) -> Reply {
        let response = self
            .send()
            .unwrap_or_else(|e| panic!("request failed: {e:?}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .unwrap_or_else(|e| panic!("reading the body failed: {e:?}"))
            .to_vec();
        secrets::note_reply(&body);
        Reply {
            status,
            headers,
            body,
        }
    }
}

/// Asserts that `value` is an object with exactly these keys.
#[track_caller]
pub fn assert_keys(value: &Value, keys: &[&str]) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"));
    let mut got: Vec<&str> = object.keys().map(String::as_str).collect();
    let mut want = keys.to_vec();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "keys of {value}");
}

/// Asserts an RFC 3339 UTC timestamp, e.g. `2024-05-01T12:00:00Z`.
#[track_caller]
pub fn assert_time(value: &Value) {
    let s = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time string: {value}"));
    let b = s.as_bytes();
    let shaped = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && (s.ends_with('Z') || s.ends_with("+00:00"));
    assert!(shaped, "not an RFC 3339 UTC time: {s}");
}

/// Asserts a `user` object with exactly the contract's fields and sane values.
#[track_caller]
pub fn assert_user(user: &Value) {
    assert_keys(user, &USER_FIELDS);
    assert_uuid(&user["id"]);
    assert!(
        user["username"].is_string() && user["full_name"].is_string(),
        "{user}"
    );
    assert!(
        user["email"].is_string() || user["email"].is_null(),
        "{user}"
    );
    assert!(user["is_admin"].is_boolean(), "{user}");
    assert!(
        user["avatar_url"].is_string() || user["avatar_url"].is_null(),
        "{user}"
    );
    assert_time(&user["created_at"]);
}

/// Asserts a `file` object with exactly the contract's fields and sane values.
#[track_caller]
pub fn assert_file(file: &Value) {
    assert_keys(file, &FILE_FIELDS);
    assert_uuid(&file["id"]);
    assert_uuid(&file["owner_id"]);
    assert!(
        file["name"].is_string() && file["comment"].is_string(),
        "{file}"
    );
    assert!(
        file["size"].is_u64() && file["content_type"].is_string(),
        "{file}"
    );
    assert_time(&file["uploaded_at"]);
    if !file["last_downloaded_at"].is_null() {
        assert_time(&file["last_downloaded_at"]);
    }
    assert!(
        file["share_url"].is_string() || file["share_url"].is_null(),
        "{file}"
    );
    assert_share(&file["share"]);
    assert_eq!(
        file["share"]["url"].as_str(),
        file["share_url"].as_str(),
        "share.url and share_url agree: {file}"
    );
}

/// Asserts a `share` member: `null`, or an object with exactly the contract's fields.
#[track_caller]
pub fn assert_share(share: &Value) {
    if share.is_null() {
        return;
    }
    assert_keys(share, &SHARE_FIELDS);
    assert!(share["url"].is_string(), "{share}");
    assert_time(&share["created_at"]);
    if !share["expires_at"].is_null() {
        assert_time(&share["expires_at"]);
    }
    assert!(share["has_password"].is_boolean(), "{share}");
    assert!(
        share["max_downloads"].is_null() || share["max_downloads"].as_u64().is_some_and(|n| n >= 1),
        "{share}"
    );
    assert!(share["download_count"].is_u64(), "{share}");
}

#[track_caller]
pub fn assert_uuid(value: &Value) {
    let s = value
        .as_str()
        .unwrap_or_else(|| panic!("id is not a string: {value}"));
    assert!(uuid::Uuid::parse_str(s).is_ok(), "not a UUID: {s}");
}

/// A fresh UUID that names nothing on any server.
pub fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A registration body for `name` that passes every rule.
pub fn registration(name: &str) -> Value {
    json!({
        "username": name,
        "full_name": format!("{name} Example"),
        "email": format!("{name}@example.com"),
        "password": PASSWORD,
    })
}

/// Registers `name` over the web; returns the `user`.
#[track_caller]
pub fn register(server: &Server, name: &str) -> Value {
    let reply = server
        .anon()
        .post("/api/auth/register")
        .json(&registration(name))
        .go()
        .expect(201);
    reply.json()["user"].clone()
}

/// Logs in; returns the token.
#[track_caller]
pub fn login(server: &Server, name: &str, password: &str) -> String {
    let body = json!({"username": name, "password": password});
    let reply = server
        .anon()
        .post("/api/auth/login")
        .json(&body)
        .go()
        .expect(200);
    reply.json()["token"].as_str().expect("token").to_string()
}

/// Registers and logs in `name`; returns the `user` and a client with their token.
#[track_caller]
pub fn user(server: &Server, name: &str) -> (Value, Client) {
    let user = register(server, name);
    let token = login(server, name, PASSWORD);
    (user, server.client(&token))
}

/// Creates an admin named `name` with the CLI (`--password-stdin`) and logs in.
#[track_caller]
pub fn admin_named(server: &Server, name: &str) -> Client {
    let email = format!("{name}@example.com");
    server.cli_ok(
        &[
            "user",
            "create",
            name,
            "--admin",
            "--email",
            &email,
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    server.client(&login(server, name, PASSWORD))
}

/// An admin client (user `admin`).
#[track_caller]
pub fn admin(server: &Server) -> Client {
    admin_named(server, "admin")
}

/// Shares `file` (`POST /api/files/{id}/share`); returns its `share_url`.
#[track_caller]
pub fn share_url_of(client: &Client, file: &Value) -> String {
    client
        .post(&format!("/api/files/{}/share", id(file)))
        .go()
        .expect(200)
        .json()["file"]["share_url"]
        .as_str()
        .expect("share_url")
        .to_string()
}

/// `PUT /api/files?name=…` with `bytes`; returns the reply for failure tests.
pub fn put_file(client: &Client, query: &[(&str, &str)], bytes: &[u8]) -> Reply {
    client
        .put("/api/files")
        .query(query)
        .body(bytes.to_vec())
        .go()
}

/// Uploads `bytes` as `name` with a raw `PUT`; returns the `file`.
#[track_caller]
pub fn upload_put(client: &Client, name: &str, bytes: &[u8]) -> Value {
    put_file(client, &[("name", name)], bytes)
        .expect(201)
        .json()["file"]
        .clone()
}

/// One part of a hand-built multipart body.
pub enum Part<'a> {
    File { name: &'a str, bytes: &'a [u8] },
    Text { field: &'a str, value: &'a str },
}

pub const BOUNDARY: &str = "----mycloud-test-boundary-7MA4YWxkTrZu0gW";

/// A `multipart/form-data` body with the parts in the given order.
pub fn multipart_body(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::File { name, bytes } => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
            Part::Text { field, value } => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}")
                        .as_bytes(),
                );
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// `POST path` with a multipart body made of `parts`.
pub fn post_multipart(client: &Client, path: &str, parts: &[Part]) -> Reply {
    client
        .post(path)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart_body(parts))
        .go()
}

/// Uploads with a multipart `POST /api/files`; returns the `file`.
#[track_caller]
pub fn upload_multipart(client: &Client, name: &str, bytes: &[u8], comment: Option<&str>) -> Value {
    let mut parts = vec![Part::File { name, bytes }];
    if let Some(value) = comment {
        parts.push(Part::Text {
            field: "comment",
            value,
        });
    }
    post_multipart(client, "/api/files", &parts)
        .expect(201)
        .json()["file"]
        .clone()
}

/// `s` as a string, for ids taken from JSON.
pub fn id(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {value}"))
        .to_string()
}

/// Creates a folder named `name` in `parent` (`None`: the root); returns the `folder`.
#[track_caller]
pub fn make_folder(client: &Client, name: &str, parent: Option<&Value>) -> Value {
    let mut body = json!({ "name": name });
    if let Some(parent) = parent {
        body["parent_id"] = json!(id(parent));
    }
    client
        .post("/api/folders")
        .json(&body)
        .go()
        .expect(201)
        .json()["folder"]
        .clone()
}

/// Uploads `bytes` as `name` into `folder` (`None`: the root) with a raw `PUT`; returns
/// the `file`.
#[track_caller]
pub fn put_into(client: &Client, folder: Option<&Value>, name: &str, bytes: &[u8]) -> Value {
    let folder_id = folder.map_or("root".to_string(), id);
    put_file(client, &[("name", name), ("folder_id", &folder_id)], bytes)
        .expect(201)
        .json()["file"]
        .clone()
}

/// The names on the first page of a folder (`root` or an id): its folders, then its files.
#[track_caller]
pub fn names_in(client: &Client, folder: &str) -> (Vec<String>, Vec<String>) {
    let page = client
        .get(&format!("/api/folders/{folder}/contents?limit=1000"))
        .go()
        .expect(200)
        .json();
    let names = |key: &str| -> Vec<String> {
        page[key]
            .as_array()
            .expect("array")
            .iter()
            .map(|e| e["name"].as_str().expect("name").to_string())
            .collect()
    };
    (names("folders"), names("files"))
}

/// The names of the entries of a zip archive, sorted.
#[track_caller]
pub fn zip_names(bytes: &[u8]) -> Vec<String> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a readable zip");
    let mut names: Vec<String> = archive
        .file_names()
        .map(|name| name.expect("a UTF-8 name").into_owned())
        .collect();
    names.sort();
    names
}

/// An RFC 3339 time `secs` from now (negative: in the past).
pub fn in_secs(secs: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let t = now + secs;
    let (days, rem) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Civil date from days since the epoch (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}
