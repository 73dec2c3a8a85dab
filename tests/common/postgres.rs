//! A throwaway PostgreSQL for the postgres variants of the integration tests: one cluster per
//! test binary, started on first use, and one fresh database for every `Server`.
//!
//! Where it comes from. `MYCLOUD_TEST_DATABASE_URL=postgres://…` names a server on which the
//! user may `CREATE DATABASE`; then no cluster is started and each test database is dropped
//! again when its `Server` goes. Otherwise `initdb` and `postgres` (from `PATH`, else the
//! newest `/usr/lib/postgresql/*/bin/`) build a cluster in a temp folder (in memory where
//! possible, see [`cluster_parent`]): trust auth, only on 127.0.0.1, on a port the OS handed
//! out, with every durability setting off, since nothing here must survive a crash.
//! PostgreSQL refuses to run as root, so as root the folder is given to the `postgres` user
//! and the server commands run with its uid and gid. Test databases are made with `psql`,
//! which every PostgreSQL install ships with.
//!
//! How it ends. The cluster lives in a `static`, and statics are never dropped, so no
//! destructor can stop it. Instead the postmaster is the child of a tiny watchdog shell that
//! reads a pipe whose only writer is this process. Whatever way the process ends (normally,
//! panic=abort, SIGKILL, Ctrl-C), the kernel closes that pipe; the watchdog reads
//! end-of-file, stops the postmaster as `pg_ctl stop -m immediate` would (SIGQUIT), reaps
//! it, and deletes the folder. Being the postmaster's parent matters: after `pg_ctl start`
//! it would belong to PID 1, and an init that reaps late leaves a `postgres` zombie for a
//! second after the tests are done. The pipe's write end is close-on-exec, so no `mycloud`
//! child holds it open; the watchdog has its own process group and ignores INT, TERM and
//! HUP, so the Ctrl-C that kills a test run does not kill its cleanup too.
//!
//! On its own the watchdog still finishes some 20 ms after the test binary, so a `pgrep`
//! right after `cargo test` could catch the last cluster shutting down. So on a normal exit
//! an `atexit(3)` handler closes the pipe itself and waits for the watchdog: the binary ends
//! only once its cluster is gone. The watchdog stays the safety net for every other exit.

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::needs::on_path;

/// Names a server to use instead of starting a cluster.
pub const URL_VAR: &str = "MYCLOUD_TEST_DATABASE_URL";

/// How often a start is retried when another process took the port in the meantime.
const PORT_ATTEMPTS: usize = 5;

/// How long a postmaster may take to accept connections (a loaded CI machine is slow).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The watchdog. `$1` is the cluster's folder, the rest the postmaster's command line
/// without its port. Each line read is a port to start a postmaster on (a new line only
/// after the previous postmaster died at start); end-of-file means this process is gone.
const WATCHDOG_SCRIPT: &str = r#"trap '' INT TERM HUP
root=$1
shift
pid=
while read -r port; do
    "$@" -p "$port" </dev/null >>"$root/log" 2>&1 &
    pid=$!
done
if [ -n "$pid" ]; then
    kill -QUIT "$pid" 2>/dev/null
    wait "$pid"
fi
rm -rf -- "$root""#;

/// Why PostgreSQL cannot be used.
#[derive(Debug)]
pub enum Unavailable {
    /// Not installed here: the postgres tests skip, except under `CI=true`.
    Missing(String),
    /// Installed but broken (or the given server unreachable): always a failure.
    Broken(String),
}

/// The PostgreSQL server the tests create their databases on.
pub struct Postgres {
    /// Where `CREATE DATABASE` is sent: the `postgres` database of the server.
    admin_url: String,
    psql: PathBuf,
    /// A server we did not start keeps what it is given, so databases are dropped after use.
    external: bool,
    /// `CREATE DATABASE`'s options: `STRATEGY = FILE_COPY` where the server has it (15+).
    /// Copying the template's files is three times faster than the default of writing
    /// them to the WAL, and the checkpoint it costs is cheap with fsync off.
    create_options: &'static str,
}

/// The watchdog of this process's cluster, where the exit handler can reach it.
struct Watchdog {
    /// Held open until the process ends, or until [`stop_at_exit`] closes it.
    pipe: Mutex<Option<ChildStdin>>,
    child: Mutex<Child>,
}

static WATCHDOG: OnceLock<Watchdog> = OnceLock::new();

unsafe extern "C" {
    /// C's `atexit(3)`: `f` runs when the process exits normally (after `main` returns or
    /// on `process::exit`, which is how the test harness ends).
    safe fn atexit(f: extern "C" fn()) -> std::ffi::c_int;
}

/// Stops the cluster and waits until it is gone: closing the pipe is the watchdog's signal.
extern "C" fn stop_at_exit() {
    if let Some(watchdog) = WATCHDOG.get() {
        if let Ok(mut pipe) = watchdog.pipe.lock() {
            pipe.take();
        }
        if let Ok(mut child) = watchdog.child.lock() {
            let _ = child.wait();
        }
    }
}

/// One test's database, named `t_<random>`.
pub struct Database {
    /// The URL to pass as `--database-url`.
    pub url: String,
    name: String,
    server: &'static Postgres,
}

impl Database {
    /// Runs one SQL statement in this database; returns its rows, one a line, fields
    /// separated by `|`. For tests that check what the server really wrote.
    #[track_caller]
    pub fn query(&self, sql: &str) -> String {
        self.server
            .psql(&self.url, sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

impl Database {
    /// The database's name, for statements such as `ALTER DATABASE`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs one statement in the server's `postgres` database: for changes to this
    /// database that cannot be made from inside it once it refuses connections.
    #[track_caller]
    pub fn admin_query(&self, sql: &str) -> String {
        self.server
            .psql(&self.server.admin_url, sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // A cluster of our own goes away whole at the end; dropping each database would only
        // cost time. Someone else's server must get back what it had.
        if self.server.external {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            if let Err(e) = self.server.psql(&self.server.admin_url, &sql) {
                let _ = writeln!(std::io::stderr(), "could not drop {}: {e}", self.name);
            }
        }
    }
}

impl Postgres {
    /// Creates a fresh, empty database for one server.
    #[track_caller]
    pub fn create_database(&'static self) -> Database {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let sql = format!("CREATE DATABASE {name}{}", self.create_options);
        self.psql(&self.admin_url, &sql)
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        Database {
            url: with_database(&self.admin_url, &name),
            name,
            server: self,
        }
    }

    fn create_options(&self) -> Result<&'static str, String> {
        let version: u32 = self
            .psql(&self.admin_url, "SHOW server_version_num")?
            .parse()
            .map_err(|e| format!("server_version_num: {e}"))?;
        Ok(if version >= 150_000 {
            " STRATEGY = FILE_COPY"
        } else {
            ""
        })
    }

    /// Runs `sql` through `psql` against `url`; returns the unaligned, tuples-only output.
    fn psql(&self, url: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(&self.psql)
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-d", url, "-c", sql])
            .env("PGCONNECT_TIMEOUT", "10")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{}: {e}", self.psql.display()))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
        } else {
            Err(describe(&out))
        }
    }
}

/// The server of this test binary, set up on the first call.
pub fn postgres() -> Result<&'static Postgres, &'static Unavailable> {
    static POSTGRES: OnceLock<Result<Postgres, Unavailable>> = OnceLock::new();
    POSTGRES.get_or_init(set_up).as_ref()
}

fn set_up() -> Result<Postgres, Unavailable> {
    let psql = find_tool("psql").ok_or_else(|| Unavailable::Missing("psql not found".into()))?;
    if let Some(url) = std::env::var(URL_VAR).ok().filter(|u| !u.is_empty()) {
        let mut server = Postgres {
            admin_url: url,
            psql,
            external: true,
            create_options: "",
        };
        server.create_options = server
            .create_options()
            .map_err(|e| Unavailable::Broken(format!("{URL_VAR} is not reachable: {e}")))?;
        return Ok(server);
    }
    let bin = find_server_bin()
        .ok_or_else(|| Unavailable::Missing("initdb and postgres not found".into()))?;
    let owner = Owner::detect()?;
    start_cluster(&bin, &owner, psql)
}

fn broken(what: &str, e: impl std::fmt::Display) -> Unavailable {
    Unavailable::Broken(format!("{what}: {e}"))
}

fn start_cluster(bin: &Path, owner: &Owner, psql: PathBuf) -> Result<Postgres, Unavailable> {
    let root = tempfile::Builder::new()
        .prefix("mycloud-pg-")
        .tempdir_in(cluster_parent())
        .map_err(|e| broken("temp dir", e))?
        .keep();
    owner.take(&root)?;
    let db = root.join("db");
    // First the watchdog, so that from here on any end of this process cleans up.
    let mut watchdog = owner.command("sh");
    watchdog
        .arg("-c")
        .arg(WATCHDOG_SCRIPT)
        .arg("mycloud-pg-watchdog")
        .arg(&root)
        .arg(bin.join("postgres"))
        .arg("-D")
        .arg(&db)
        .arg("-k")
        .arg(&root)
        .args(["-c", "listen_addresses=127.0.0.1"])
        .args(["-c", "fsync=off"])
        .args(["-c", "synchronous_commit=off"])
        .args(["-c", "full_page_writes=off"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let mut child = watchdog
        .spawn()
        .map_err(|e| broken("start the watchdog shell", e))?;
    let pipe = child.stdin.take().expect("watchdog stdin");
    let watchdog = WATCHDOG.get_or_init(|| Watchdog {
        pipe: Mutex::new(Some(pipe)),
        child: Mutex::new(child),
    });
    if atexit(stop_at_exit) != 0 {
        return Err(Unavailable::Broken("atexit failed".into()));
    }

    fill_data_dir(bin, owner, &db)?;
    let log = root.join("log");
    let mut last_error = String::new();
    for _ in 0..PORT_ATTEMPTS {
        let port = free_port().map_err(|e| broken("find a free port", e))?;
        let log_from = std::fs::metadata(&log).map_or(0, |m| m.len());
        let mut pipe = watchdog.pipe.lock().expect("watchdog pipe");
        writeln!(pipe.as_mut().expect("open until exit"), "{port}")
            .map_err(|e| broken("talk to the watchdog", e))?;
        drop(pipe);
        match wait_until_ready(&db, &log, log_from) {
            Ok(()) => {
                let mut server = Postgres {
                    admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
                    psql,
                    external: false,
                    create_options: "",
                };
                server.create_options = server
                    .create_options()
                    .map_err(|e| broken("ask the new cluster its version", e))?;
                return Ok(server);
            }
            Err(Start::PortTaken(server_log)) => last_error = server_log,
            Err(Start::Failed(why)) => return Err(Unavailable::Broken(why)),
        }
    }
    Err(Unavailable::Broken(format!(
        "no free port in {PORT_ATTEMPTS} tries:\n{last_error}"
    )))
}

enum Start {
    PortTaken(String),
    Failed(String),
}

/// Waits for the postmaster to say it accepts connections, as `pg_ctl -w` does: the status
/// line of `postmaster.pid` reads `ready`. A `FATAL` in the log (from `log_from` on: this
/// attempt's part) means it died at start.
fn wait_until_ready(db: &Path, log: &Path, log_from: u64) -> Result<(), Start> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let pid_file = std::fs::read_to_string(db.join("postmaster.pid")).unwrap_or_default();
        if pid_file
            .lines()
            .nth(7)
            .is_some_and(|s| s.starts_with("ready"))
        {
            return Ok(());
        }
        let server_log = std::fs::read(log).unwrap_or_default();
        let this_try = String::from_utf8_lossy(server_log.get(log_from as usize..).unwrap_or(&[]));
        // Retry only once that postmaster is gone (its lock file with it), or the next one
        // would find the data dir still locked.
        if this_try.contains("could not bind") && !db.join("postmaster.pid").exists() {
            return Err(Start::PortTaken(this_try.into_owned()));
        }
        if (this_try.contains("FATAL") || this_try.contains("PANIC"))
            && !this_try.contains("could not bind")
        {
            return Err(Start::Failed(format!(
                "postgres did not start:\n{this_try}"
            )));
        }
        if Instant::now() > deadline {
            return Err(Start::Failed(format!(
                "postgres not ready after {START_TIMEOUT:?}:\n{this_try}"
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Where clusters go: a tmpfs when there is one with room to spare, else the temp dir.
/// A cluster is thousands of small files and every `CREATE DATABASE` copies hundreds
/// more; on a disk that costs 200 ms per test database and a second per `initdb`, in
/// memory a fifth of that. Nothing in it needs to outlive the process. A test binary's
/// databases are never dropped (the cluster goes whole), hence the margin: a few hundred
/// MB at most, and Docker's 64 MB `/dev/shm` is passed over.
fn cluster_parent() -> PathBuf {
    const SHM: &str = "/dev/shm";
    const ROOM_KB: u64 = 2 * 1024 * 1024;
    let available_kb = Command::new("df")
        .args(["-Pk", SHM])
        .stderr(Stdio::null())
        .output()
        .ok()
        .and_then(|out| {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.lines()
                .nth(1)?
                .split_whitespace()
                .nth(3)?
                .parse::<u64>()
                .ok()
        });
    if available_kb.is_some_and(|kb| kb >= ROOM_KB) {
        PathBuf::from(SHM)
    } else {
        std::env::temp_dir()
    }
}

/// Makes `db` a fresh cluster: a copy of the template in `target/tmp` when there is one
/// (0.1 s into tmpfs, where `initdb` takes 0.4 s; once per test binary), else `initdb`, whose result
/// then becomes the template. The template is keyed by the exact `initdb` version and the
/// uid that runs the server, is published by an atomic rename (so a parallel test binary
/// never copies half of one), and goes with `cargo clean`. It is a cluster that never ran,
/// exactly what `initdb` leaves, so a copy of it is as good as a new one.
fn fill_data_dir(bin: &Path, owner: &Owner, db: &Path) -> Result<(), Unavailable> {
    let template = template_path(bin, owner);
    if let Some(template) = template.as_deref().filter(|t| t.is_dir()) {
        if copy_dir(template, db) {
            return Ok(());
        }
        let _ = std::fs::remove_dir_all(db);
    }
    init_db(bin, owner, db)?;
    if let Some(template) = template {
        let mut staging = template.clone().into_os_string();
        staging.push(format!(".new-{}", uuid::Uuid::new_v4().simple()));
        let staging = PathBuf::from(staging);
        if !copy_dir(db, &staging) || std::fs::rename(&staging, &template).is_err() {
            // Another test binary published one first, or target/tmp is read-only: fine.
            let _ = std::fs::remove_dir_all(&staging);
        }
    }
    Ok(())
}

/// Where the template for this `initdb` and this server user lives.
fn template_path(bin: &Path, owner: &Owner) -> Option<PathBuf> {
    let version = Command::new(bin.join("initdb"))
        .arg("--version")
        .output()
        .ok()?;
    let tag: String = String::from_utf8_lossy(&version.stdout)
        .chars()
        .filter_map(|c| match c {
            '.' => Some('_'),
            c if c.is_ascii_alphanumeric() => Some(c),
            _ => None,
        })
        .collect();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    Some(dir.join(format!("mycloud-pg-template-{tag}-uid{}", owner.uid())))
}

/// `cp -a`: as root it keeps the `postgres` owner, and always the 0700 PostgreSQL insists on.
fn copy_dir(from: &Path, to: &Path) -> bool {
    Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `initdb` with UTF-8 and the `C.UTF-8` locale where the system has it (so `lower()` knows
/// more than ASCII, as on a real server), plain `C` otherwise.
fn init_db(bin: &Path, owner: &Owner, db: &Path) -> Result<(), Unavailable> {
    let mut last = String::new();
    for locale in ["--locale=C.UTF-8", "--no-locale"] {
        let out = owner
            .command(bin.join("initdb"))
            .arg("-D")
            .arg(db)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                locale,
                "--no-sync",
            ])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| broken("run initdb", e))?;
        if out.status.success() {
            return Ok(());
        }
        last = describe(&out);
        // initdb removes what it made when it fails; be sure before the next try.
        let _ = std::fs::remove_dir_all(db);
    }
    Err(Unavailable::Broken(format!("initdb failed: {last}")))
}

/// Who runs the server: this user, or `postgres` when this user is root.
enum Owner {
    Me { uid: u32 },
    Postgres { uid: u32, gid: u32 },
}

impl Owner {
    fn detect() -> Result<Owner, Unavailable> {
        let me = id(&["-u"])
            .ok_or_else(|| Unavailable::Broken("`id -u` did not give a number".into()))?;
        if me != 0 {
            return Ok(Owner::Me { uid: me });
        }
        match (id(&["-u", "postgres"]), id(&["-g", "postgres"])) {
            (Some(uid), Some(gid)) => Ok(Owner::Postgres { uid, gid }),
            _ => Err(Unavailable::Missing(
                "running as root, and there is no `postgres` user to run the server".into(),
            )),
        }
    }

    fn uid(&self) -> u32 {
        match *self {
            Owner::Me { uid } | Owner::Postgres { uid, .. } => uid,
        }
    }

    /// A command that runs as the server's user.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        if let Owner::Postgres { uid, gid } = *self {
            cmd.uid(uid).gid(gid);
        }
        cmd
    }

    /// Hands the cluster's folder to the server's user.
    fn take(&self, root: &Path) -> Result<(), Unavailable> {
        if let Owner::Postgres { uid, gid } = *self {
            std::os::unix::fs::chown(root, Some(uid), Some(gid))
                .map_err(|e| broken(&format!("chown {}", root.display()), e))?;
        }
        Ok(())
    }
}

/// `id ARGS` as a number.
fn id(args: &[&str]) -> Option<u32> {
    let out = Command::new("id")
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn describe(out: &Output) -> String {
    format!(
        "{}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A port nobody listens on right now. Another process may take it before the server
/// binds it; the start is retried then.
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The versioned folders of Debian's layout, newest first.
fn versioned_bins() -> Vec<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry
                .file_name()
                .to_str()?
                .split('.')
                .next()?
                .parse()
                .ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    found.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    found.into_iter().map(|(_, dir)| dir).collect()
}

/// The folder with both `initdb` and `postgres`: the one on `PATH` first, as a developer
/// who put a version there expects, else the newest installed. Symlinks (Debian's
/// `/usr/local/bin/initdb → /usr/lib/postgresql/15/bin/initdb`) are followed, so the
/// server always comes from the same install as `initdb`.
fn find_server_bin() -> Option<PathBuf> {
    let from_path = on_path("initdb")
        .and_then(|p| p.canonicalize().ok())
        .and_then(|p| p.parent().map(Path::to_path_buf));
    from_path
        .into_iter()
        .chain(versioned_bins())
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
}

/// A client tool from `PATH`, else from the newest installed version.
fn find_tool(name: &str) -> Option<PathBuf> {
    on_path(name).or_else(|| {
        versioned_bins()
            .into_iter()
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// `url` with its database (the path) replaced by `name`, keeping any `?options`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_at = base.find("://").map_or(0, |i| i + 3);
    let path_at = base[authority_at..]
        .find('/')
        .map_or(base.len(), |i| authority_at + i);
    let mut out = format!("{}/{name}", &base[..path_at]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}
