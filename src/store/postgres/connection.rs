//! Reaching PostgreSQL: the URL with our defaults, the pool and its timeouts, and which
//! errors mean "the database is away" (503) rather than a bug (500). No SQL here.

use std::error::Error as _;
use std::io;
use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::error::SqlState;

use crate::error::{Error, Result};

/// Connections at most. Queries are short and few per request; this leaves most of
/// PostgreSQL's default 100 connections to whatever else shares the server.
const POOL_SIZE: usize = 16;

/// How long getting a working connection may take (waiting for a free one, checking
/// a pooled one, or connecting anew) before a request gets 503: fail fast rather than
/// hang while the database is away or stuck.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The TCP (or socket) connect alone; shorter than `ACQUIRE_TIMEOUT` so that an
/// unreachable host is reported as such.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);

/// A connection whose sent data goes unacknowledged this long (the host vanished without
/// a reset) is dropped, instead of a query waiting out TCP's ~15 minutes of retries.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(10);

/// Where libpq (and so `psql`) looks on Debian when the URL names no host.
const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

/// The connection settings from the URL, with our defaults where it gives none.
pub(super) fn settings(url: &str) -> Result<tokio_postgres::Config> {
    // The URL itself never goes into a message: it may carry the password.
    let mut config = tokio_postgres::Config::from_str(url)
        .map_err(|e| Error::Unavailable(format!("invalid PostgreSQL URL: {}", chain(&e))))?;
    if config.get_ssl_mode() == SslMode::Require {
        return Err(Error::Unavailable(
            "sslmode=require is not supported: mycloud talks to PostgreSQL without TLS, \
             over a Unix socket or a loopback address"
                .into(),
        ));
    }
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        config.host_path(DEFAULT_SOCKET_DIR);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(TCP_USER_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("mycloud");
    }
    Ok(config)
}

/// `host:port/database` for messages; never the user or the password.
pub(super) fn target(config: &tokio_postgres::Config) -> String {
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let mut hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(name) => format!("{name}:{port}"),
            Host::Unix(dir) => format!("{}:{port}", dir.display()),
        })
        .collect();
    if hosts.is_empty() {
        hosts = (config.get_hostaddrs().iter())
            .map(|ip| format!("{ip}:{port}"))
            .collect();
    }
    // PostgreSQL's default database is the one named like the user.
    match config.get_dbname().or(config.get_user()) {
        Some(db) => format!("{}/{db}", hosts.join(",")),
        None => hosts.join(","),
    }
}

pub(super) fn pool(config: tokio_postgres::Config) -> Result<Pool> {
    // Fast: a pooled connection is handed out unless its connection task has ended. A
    // server that restarts or ends a session closes the socket, and that is what ends the
    // task, so such connections are replaced without a round trip. `Verified` ran a no-op
    // query on every checkout: half the round trips of `GET /api/me`, for a check that
    // only catches a connection cut in the milliseconds before it is used (and that
    // request gets a 503 it may retry).
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .build()
        .map_err(|e| Error::internal("building the PostgreSQL pool", e))
}

/// A pooled connection, or `Unavailable` within `ACQUIRE_TIMEOUT`. One bound for the
/// whole wait: against a stuck server each pooled connection's check would otherwise
/// take its own timeout in turn.
pub(super) async fn acquire(pool: &Pool) -> Result<Object, String> {
    match tokio::time::timeout(ACQUIRE_TIMEOUT, pool.get()).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(describe_pool_error(&e)),
        Err(_) => Err(format!(
            "no working connection within {} s",
            ACQUIRE_TIMEOUT.as_secs()
        )),
    }
}

/// An error with its causes: tokio-postgres says "db error" and keeps the server's
/// message in the source.
pub(super) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// Whether `e` means the database is away (503, try again) rather than a bug (500).
fn connection_lost(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        // 08 connection exception; 53 out of resources (connections, disk, memory);
        // 57P shutting down, starting up, or the database dropped.
        Some(code) => ["08", "53", "57P"]
            .iter()
            .any(|class| code.code().starts_with(class)),
        None => e.is_closed() || e.source().is_some_and(|s| s.is::<io::Error>()),
    }
}

/// Which unique column a violation names, by the index names in `V1__initial.sql`.
fn unique_violation(e: &tokio_postgres::Error) -> Option<&'static str> {
    let db = e.as_db_error()?;
    if *db.code() != SqlState::UNIQUE_VIOLATION {
        return None;
    }
    match db.constraint()? {
        "users_username_key" => Some("username"),
        "users_email_key" => Some("email"),
        _ => None,
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        if let Some(field) = unique_violation(&e) {
            Error::taken(field)
        } else if connection_lost(&e) {
            Error::Unavailable(chain(&e))
        } else {
            Error::internal("postgres", chain(&e))
        }
    }
}

fn describe_pool_error(e: &PoolError) -> String {
    match e {
        PoolError::Backend(e) => chain(e),
        e => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_names_host_port_and_database_never_the_password() {
        let config = settings("postgres://mycloud:s3cret@db.local:5433/files").expect("parses");
        assert_eq!(target(&config), "db.local:5433/files");
        let config = settings("postgres://mycloud:s3cret@localhost").expect("parses");
        assert_eq!(target(&config), "localhost:5432/mycloud");
    }

    #[test]
    fn a_url_without_a_host_uses_the_local_socket() {
        let config = settings("postgres:///mycloud").expect("parses");
        assert_eq!(target(&config), "/var/run/postgresql:5432/mycloud");
    }

    #[test]
    fn timeouts_default_to_failing_fast_unless_the_url_sets_them() {
        let config = settings("postgres://u@h/db").expect("parses");
        assert_eq!(config.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
        let config = settings("postgres://u@h/db?connect_timeout=2").expect("parses");
        assert_eq!(config.get_connect_timeout(), Some(&Duration::from_secs(2)));
    }

    #[test]
    fn tls_is_refused_with_a_reason_and_bad_urls_keep_the_password_out() {
        let Err(Error::Unavailable(why)) = settings("postgres://u@h/db?sslmode=require") else {
            panic!("sslmode=require accepted");
        };
        assert!(why.contains("sslmode=require is not supported"), "{why}");
        let Err(Error::Unavailable(why)) = settings("postgres://u:s3cret@h:port/db") else {
            panic!("a bad port accepted");
        };
        assert!(!why.contains("s3cret"), "{why}");
    }
}
