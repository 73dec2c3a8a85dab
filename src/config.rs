//! Every setting: its flag, its `MYCLOUD_*` environment variable, its default and how it
//! parses. Built once at start into a `Config` that is passed down, never read globally.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::units::{parse_duration, parse_size};

#[derive(Parser, Debug)]
#[command(
    name = "mycloud",
    version,
    about = "Self-hosted personal cloud file storage"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Settings are global flags: `mycloud --listen X` and `mycloud serve --listen X` agree,
/// and every subcommand sees the same data dir and database.
#[derive(Args, Debug, Clone)]
pub struct Settings {
    /// Where files, avatars, the SQLite database and the signing secret live.
    #[arg(
        long,
        env = "MYCLOUD_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Address and port to listen on.
    #[arg(
        long,
        env = "MYCLOUD_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: SocketAddr,
    /// `sqlite://PATH` or `postgres://…`; default `sqlite://<data-dir>/mycloud.db`.
    /// `DATABASE_URL` is read too when this is unset.
    #[arg(long, env = "MYCLOUD_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// `open`: anyone may register; `closed`: only admins create users.
    #[arg(
        long,
        env = "MYCLOUD_REGISTRATION",
        default_value = "open",
        global = true
    )]
    pub registration: Registration,
    /// Base URL for share links (e.g. `https://files.example.org`); derived from the
    /// request when unset.
    #[arg(long, env = "MYCLOUD_PUBLIC_URL", global = true, value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// A session ends after this long without a request.
    #[arg(long, env = "MYCLOUD_SESSION_IDLE", default_value = "7d", global = true, value_parser = parse_duration)]
    pub session_idle: Duration,
    /// A session ends this long after login, however busy.
    #[arg(long, env = "MYCLOUD_SESSION_MAX_AGE", default_value = "30d", global = true, value_parser = parse_duration)]
    pub session_max_age: Duration,
    /// Largest upload accepted (e.g. `10G`); unlimited when unset.
    #[arg(long, env = "MYCLOUD_MAX_UPLOAD_SIZE", global = true, value_parser = parse_size)]
    pub max_upload_size: Option<u64>,
    /// The quota of each new account (e.g. `5G`); none when unset. Admins change it per
    /// account.
    #[arg(long, env = "MYCLOUD_DEFAULT_QUOTA", global = true, value_parser = parse_size)]
    pub default_quota: Option<u64>,
    /// How long deleted files and folders stay in the trash before the reaper purges
    /// them; `0` deletes at once, with no trash.
    #[arg(long, env = "MYCLOUD_TRASH_RETENTION", default_value = "30d", global = true, value_parser = parse_retention)]
    pub trash_retention: Duration,
    /// How long an unfinished resumable (tus) upload waits for its next bytes before the
    /// reaper removes it, bytes and all.
    #[arg(long, env = "MYCLOUD_UPLOAD_EXPIRY", default_value = "24h", global = true, value_parser = parse_duration)]
    pub upload_expiry: Duration,
    /// How often the reaper runs.
    #[arg(long, env = "MYCLOUD_REAP_INTERVAL", default_value = "10m", global = true, value_parser = parse_duration)]
    pub reap_interval: Duration,
    /// Behind a reverse proxy: take the client IP from `X-Forwarded-For` and the scheme
    /// from `X-Forwarded-Proto`.
    #[arg(long, env = "MYCLOUD_TRUST_PROXY", global = true)]
    pub trust_proxy: bool,
    /// Largest request head (request line and headers) accepted; larger is 431.
    #[arg(long, env = "MYCLOUD_MAX_HEADER_SIZE", default_value = "64K", global = true, value_parser = parse_size)]
    pub max_header_size: u64,
    /// Most headers one request may carry; more is 431.
    #[arg(
        long,
        env = "MYCLOUD_MAX_HEADERS",
        default_value_t = 100,
        global = true
    )]
    pub max_headers: usize,
    /// A client must send its whole request head within this time, else the connection
    /// is closed.
    #[arg(long, env = "MYCLOUD_HEADER_TIMEOUT", default_value = "30s", global = true, value_parser = parse_duration)]
    pub header_timeout: Duration,
    /// A request body that sends nothing for this long is answered 408 and its
    /// connection closed.
    #[arg(long, env = "MYCLOUD_BODY_IDLE_TIMEOUT", default_value = "60s", global = true, value_parser = parse_duration)]
    pub body_idle_timeout: Duration,
    /// Most connections served at once; further ones wait in the listen backlog.
    #[arg(
        long,
        env = "MYCLOUD_MAX_CONNECTIONS",
        default_value_t = 1024,
        global = true
    )]
    pub max_connections: usize,
    /// Largest JSON request body accepted; larger is 413.
    #[arg(long, env = "MYCLOUD_MAX_JSON_SIZE", default_value = "64K", global = true, value_parser = parse_size)]
    pub max_json_size: u64,
    /// Deepest nesting of arrays and objects in a JSON request body; deeper is 400.
    #[arg(
        long,
        env = "MYCLOUD_MAX_JSON_DEPTH",
        default_value_t = 32,
        global = true
    )]
    pub max_json_depth: usize,
    /// Failed logins one username may have before each further failure doubles the wait.
    #[arg(
        long,
        env = "MYCLOUD_LOGIN_FREE_FAILURES_PER_USER",
        default_value_t = 5,
        global = true
    )]
    pub login_free_failures_per_user: u32,
    /// Failed logins one client IP may have (more than per user: many people may share
    /// an address) before each further failure doubles the wait.
    #[arg(
        long,
        env = "MYCLOUD_LOGIN_FREE_FAILURES_PER_IP",
        default_value_t = 20,
        global = true
    )]
    pub login_free_failures_per_ip: u32,
    /// The first wait after the free failures; it doubles with each failure after.
    #[arg(long, env = "MYCLOUD_LOGIN_BACKOFF", default_value = "1s", global = true, value_parser = parse_duration)]
    pub login_backoff: Duration,
    /// Accounts one client IP may register per hour.
    #[arg(
        long,
        env = "MYCLOUD_REGISTRATIONS_PER_HOUR",
        default_value_t = 10,
        global = true
    )]
    pub registrations_per_hour: u32,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registration {
    Open,
    Closed,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Manage accounts from the shell.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Compare database and disk; exit non-zero on damage.
    Check {
        /// First do what a reaper pass does (remove litter older than an hour, mark rows
        /// whose bytes are gone), then check again.
        #[arg(long)]
        repair: bool,
    },
    /// Run one reaper pass and print what it did.
    Reap {
        /// Print what a pass would delete, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Copy the SQLite database, consistently, while the server runs (PostgreSQL: use
    /// pg_dump).
    Backup {
        /// The file to write; it must not exist unless --force.
        dest: PathBuf,
        /// Replace DEST if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Copy a directory tree of this machine into an account: every subdirectory becomes
    /// a folder, every regular file a file, names kept.
    ///
    /// DIR's own name is not a level: its contents land in the target folder (--folder,
    /// else the account's root). Symlinks (never followed), special files and names the
    /// server refuses are skipped and listed. Each file's bytes are stored as durably as
    /// an upload's. Running it again adds only what is not there yet. Exits non-zero when
    /// DIR or the user is missing, or when a file could not be read.
    Import {
        /// The account to import into.
        #[arg(long, value_name = "NAME")]
        user: String,
        /// Where in the account the tree lands, `/`-separated (e.g. `Photos/2024`);
        /// folders on the way are created if missing. Default: the account's root.
        #[arg(long, value_name = "PATH")]
        folder: Option<String>,
        /// When a file's name is already taken in its folder: `fail` leaves the file
        /// there alone (counted as already there), `rename` stores `name (1).ext`,
        /// `replace` gives the existing file the new bytes (keeping its id, comment and
        /// share link).
        #[arg(long, value_enum, default_value = "fail")]
        on_conflict: ImportConflict,
        /// The directory whose contents are copied.
        dir: PathBuf,
    },
    /// Copy every account, session and file row into an empty database (SQLite to
    /// PostgreSQL or back); the files on disk stay where they are.
    MigrateData {
        /// The database to read: `sqlite://PATH` or `postgres://…`.
        // Plain text, checked by `migrate_data_urls`: clap's own error for a value it
        // refuses repeats the whole value, and a database URL may hold a password.
        #[arg(long)]
        from: String,
        /// The empty database to fill: `sqlite://PATH` or `postgres://…`.
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account; prints a generated password unless --password-stdin.
    Create {
        name: String,
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        full_name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Grant or revoke admin rights.
    SetAdmin { name: String, state: OnOff },
    /// Set a new password (generated and printed unless --password-stdin); ends every session.
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts with their storage.
    List,
}

/// `mycloud import --on-conflict`: what to do with a file whose name is taken.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportConflict {
    Fail,
    Rename,
    Replace,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnOff {
    On,
    Off,
}

/// Which database, resolved from `--database-url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

/// The settings after resolution, shared by everything that runs.
#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub database: DatabaseUrl,
    pub registration_open: bool,
    pub public_url: Option<String>,
    pub session_idle: Duration,
    pub session_max_age: Duration,
    pub max_upload_size: Option<u64>,
    pub default_quota: Option<u64>,
    pub trash_retention: Duration,
    pub upload_expiry: Duration,
    pub reap_interval: Duration,
    pub trust_proxy: bool,
    pub limits: Limits,
}

/// What one client may ask of the server (docs/DESIGN-NOTES.md, "Limits").
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_header_size: usize,
    pub max_headers: usize,
    pub header_timeout: Duration,
    pub body_idle_timeout: Duration,
    pub max_connections: usize,
    pub json: JsonLimits,
    pub login_free_failures_per_user: u32,
    pub login_free_failures_per_ip: u32,
    pub login_backoff: Duration,
    pub registrations_per_hour: u32,
}

/// How large and how deep a JSON request body may be.
#[derive(Clone, Copy, Debug)]
pub struct JsonLimits {
    pub max_size: usize,
    pub max_depth: usize,
}

/// hyper keeps reading a head until its read buffer (about 400 KiB) is full, whatever
/// `max_header_size` says, so a larger setting would not be honoured.
const HEADER_SIZE_RANGE: std::ops::RangeInclusive<u64> = 1024..=256 * 1024;
/// serde_json refuses nesting deeper than 128 on its own, with a less clear message.
const JSON_DEPTH_RANGE: std::ops::RangeInclusive<usize> = 1..=128;
const JSON_SIZE_RANGE: std::ops::RangeInclusive<u64> = 1024..=16 * 1024 * 1024;

impl Limits {
    fn from_settings(s: &Settings) -> Result<Limits, String> {
        if !HEADER_SIZE_RANGE.contains(&s.max_header_size) {
            return Err("--max-header-size must be between 1K and 256K".into());
        }
        if !(1..=1000).contains(&s.max_headers) {
            return Err("--max-headers must be between 1 and 1000".into());
        }
        for (flag, value) in [
            ("--header-timeout", s.header_timeout),
            ("--body-idle-timeout", s.body_idle_timeout),
            ("--login-backoff", s.login_backoff),
        ] {
            if value.is_zero() {
                return Err(format!("{flag} must be more than 0"));
            }
        }
        if s.max_connections == 0 {
            return Err("--max-connections must be at least 1".into());
        }
        if !JSON_SIZE_RANGE.contains(&s.max_json_size) {
            return Err("--max-json-size must be between 1K and 16M".into());
        }
        if !JSON_DEPTH_RANGE.contains(&s.max_json_depth) {
            return Err("--max-json-depth must be between 1 and 128".into());
        }
        if s.registrations_per_hour == 0 {
            return Err(
                "--registrations-per-hour must be at least 1 (use --registration closed to stop registrations)"
                    .into(),
            );
        }
        Ok(Limits {
            max_header_size: s.max_header_size as usize,
            max_headers: s.max_headers,
            header_timeout: s.header_timeout,
            body_idle_timeout: s.body_idle_timeout,
            max_connections: s.max_connections,
            json: JsonLimits {
                max_size: s.max_json_size as usize,
                max_depth: s.max_json_depth,
            },
            login_free_failures_per_user: s.login_free_failures_per_user,
            login_free_failures_per_ip: s.login_free_failures_per_ip,
            login_backoff: s.login_backoff,
            registrations_per_hour: s.registrations_per_hour,
        })
    }
}

impl Config {
    pub fn from_settings(s: Settings) -> Result<Config, String> {
        let limits = Limits::from_settings(&s)?;
        let url = s
            .database_url
            .or_else(|| std::env::var("DATABASE_URL").ok());
        let database = match url {
            None => DatabaseUrl::Sqlite(s.data_dir.join("mycloud.db")),
            Some(url) => parse_database_url(&url).map_err(|e| format!("--database-url {e}"))?,
        };
        if s.reap_interval.is_zero() {
            return Err("--reap-interval must be more than 0".into());
        }
        if s.upload_expiry.is_zero() {
            return Err("--upload-expiry must be more than 0".into());
        }
        Ok(Config {
            data_dir: s.data_dir,
            listen: s.listen,
            database,
            registration_open: s.registration == Registration::Open,
            public_url: s.public_url,
            session_idle: s.session_idle,
            session_max_age: s.session_max_age,
            max_upload_size: s.max_upload_size,
            default_quota: s.default_quota,
            trash_retention: s.trash_retention,
            upload_expiry: s.upload_expiry,
            reap_interval: s.reap_interval,
            trust_proxy: s.trust_proxy,
            limits,
        })
    }
}

/// A database URL; the error names neither the flag (the caller does) nor more of the
/// URL than its scheme (the rest may hold a password).
/// `migrate-data`'s `--from` and `--to`, with errors that name the flag and never repeat
/// the URL (it may hold a password).
pub fn migrate_data_urls(from: &str, to: &str) -> Result<(DatabaseUrl, DatabaseUrl), String> {
    let from = parse_database_url(from).map_err(|e| format!("--from: {e}"))?;
    let to = parse_database_url(to).map_err(|e| format!("--to: {e}"))?;
    Ok((from, to))
}

fn parse_database_url(url: &str) -> Result<DatabaseUrl, String> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Err("sqlite:// needs a path, e.g. sqlite://data/mycloud.db".into());
        }
        return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(DatabaseUrl::Postgres(url.to_string()));
    }
    Err(format!(
        "must start with sqlite:// or postgres://, got {:?}",
        url.split("://").next().unwrap_or(url)
    ))
}

fn parse_public_url(s: &str) -> Result<String, String> {
    let trimmed = s.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or("must start with http:// or https://")?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty()
        || rest.contains(['?', '#'])
        || trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("must be a URL like https://files.example.org (no query or fragment)".into());
    }
    Ok(trimmed.to_string())
}

/// A duration, or a bare `0`: `--trash-retention 0` means no trash at all.
fn parse_retention(s: &str) -> Result<Duration, String> {
    if s.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    parse_duration(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_schemes() {
        assert_eq!(
            parse_database_url("sqlite://a/b.db"),
            Ok(DatabaseUrl::Sqlite("a/b.db".into()))
        );
        assert_eq!(
            parse_database_url("sqlite:///abs.db"),
            Ok(DatabaseUrl::Sqlite("/abs.db".into()))
        );
        assert!(matches!(
            parse_database_url("postgres://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(parse_database_url("mysql://x").is_err());
        assert!(parse_database_url("sqlite://").is_err());
    }

    #[test]
    fn public_url_is_normalised_and_checked() {
        assert_eq!(
            parse_public_url("https://f.example.org/"),
            Ok("https://f.example.org".into())
        );
        assert_eq!(
            parse_public_url("http://h:8080/cloud"),
            Ok("http://h:8080/cloud".into())
        );
        assert!(parse_public_url("ftp://x").is_err());
        assert!(parse_public_url("https://").is_err());
        assert!(parse_public_url("https://x/?a=b").is_err());
    }

    #[test]
    fn every_setting_parses_from_flags() {
        let cli = Cli::try_parse_from([
            "mycloud",
            "--data-dir",
            "/d",
            "--listen",
            "0.0.0.0:1",
            "--registration",
            "closed",
            "--session-idle",
            "30m",
            "--session-max-age",
            "12h",
            "--max-upload-size",
            "1G",
            "--reap-interval",
            "1m",
            "--trust-proxy",
            "--max-header-size",
            "16K",
            "--max-headers",
            "20",
            "--header-timeout",
            "5s",
            "--body-idle-timeout",
            "10s",
            "--max-connections",
            "8",
            "--max-json-size",
            "2K",
            "--max-json-depth",
            "4",
            "--login-free-failures-per-user",
            "2",
            "--login-free-failures-per-ip",
            "7",
            "--login-backoff",
            "3s",
            "--registrations-per-hour",
            "1",
            "reap",
            "--dry-run",
        ])
        .expect("parses");
        let c = Config::from_settings(cli.settings).expect("valid");
        assert_eq!(c.session_idle, Duration::from_secs(1800));
        assert_eq!(c.session_max_age, Duration::from_secs(12 * 3600));
        assert_eq!(c.max_upload_size, Some(1 << 30));
        assert!(!c.registration_open && c.trust_proxy);
        let l = c.limits;
        assert_eq!((l.max_header_size, l.max_headers), (16 * 1024, 20));
        assert_eq!(l.header_timeout, Duration::from_secs(5));
        assert_eq!(l.body_idle_timeout, Duration::from_secs(10));
        assert_eq!(l.max_connections, 8);
        assert_eq!((l.json.max_size, l.json.max_depth), (2048, 4));
        assert_eq!(
            (l.login_free_failures_per_user, l.login_free_failures_per_ip),
            (2, 7)
        );
        assert_eq!(l.login_backoff, Duration::from_secs(3));
        assert_eq!(l.registrations_per_hour, 1);
        assert!(matches!(cli.command, Some(Command::Reap { dry_run: true })));
    }

    #[test]
    fn out_of_range_limits_are_refused_naming_the_flag() {
        for (flag, value) in [
            ("--max-header-size", "100"),
            ("--max-header-size", "1M"),
            ("--max-headers", "0"),
            ("--header-timeout", "0s"),
            ("--body-idle-timeout", "0s"),
            ("--max-connections", "0"),
            ("--max-json-size", "1G"),
            ("--max-json-depth", "500"),
            ("--login-backoff", "0s"),
            ("--registrations-per-hour", "0"),
        ] {
            let cli = Cli::try_parse_from(["mycloud", flag, value]).expect("parses");
            let err = Config::from_settings(cli.settings).expect_err(flag);
            assert!(err.starts_with(flag), "{flag} {value}: {err}");
        }
    }

    #[test]
    fn migrate_data_takes_two_database_urls() {
        let cli = Cli::try_parse_from([
            "mycloud",
            "migrate-data",
            "--from",
            "sqlite://data/mycloud.db",
            "--to",
            "postgres://mycloud@localhost/mycloud",
        ])
        .expect("parses");
        let Some(Command::MigrateData { from, to }) = cli.command else {
            panic!("not migrate-data: {:?}", cli.command);
        };
        let (from, to) = migrate_data_urls(&from, &to).expect("valid URLs");
        assert_eq!(from, DatabaseUrl::Sqlite("data/mycloud.db".into()));
        assert!(matches!(to, DatabaseUrl::Postgres(_)));
    }

    #[test]
    fn import_takes_its_options_and_the_shared_settings_in_any_order() {
        let cli = Cli::try_parse_from([
            "mycloud",
            "import",
            "--user",
            "alice",
            "/srv/photos",
            "--data-dir",
            "/var/lib/mycloud",
            "--database-url",
            "postgres://mycloud@localhost/mycloud",
        ])
        .expect("parses");
        let Some(Command::Import {
            user,
            folder,
            on_conflict,
            dir,
        }) = cli.command
        else {
            panic!("not import: {:?}", cli.command);
        };
        assert_eq!((user.as_str(), folder), ("alice", None));
        assert_eq!(on_conflict, ImportConflict::Fail);
        assert_eq!(dir, PathBuf::from("/srv/photos"));
        let c = Config::from_settings(cli.settings).expect("valid");
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/mycloud"));
        assert!(matches!(c.database, DatabaseUrl::Postgres(_)));

        let cli = Cli::try_parse_from([
            "mycloud",
            "import",
            "--user=alice",
            "--folder=Photos/2024",
            "--on-conflict=rename",
            "dir",
        ])
        .expect("parses");
        assert!(matches!(
            cli.command,
            Some(Command::Import {
                on_conflict: ImportConflict::Rename,
                folder: Some(_),
                ..
            })
        ));
        assert!(
            Cli::try_parse_from(["mycloud", "import", "dir"]).is_err(),
            "--user is required"
        );
        let bad = Cli::try_parse_from(["mycloud", "import", "--user=a", "--on-conflict=skip", "d"]);
        assert!(bad.is_err());
    }

    /// Found by the `settings` fuzz target's author: clap's error used to print the value.
    #[test]
    fn a_refused_migrate_data_url_is_named_by_its_flag_without_its_password() {
        let error = migrate_data_urls("mysql://u:hunter2@h/db", "sqlite://y").unwrap_err();
        assert!(error.starts_with("--from: "), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
        let error = migrate_data_urls("sqlite://x", "mysql://u:hunter2@h/db").unwrap_err();
        assert!(error.starts_with("--to: "), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }
}
