//! The `settings` fuzz target: settings read from flags and environment variables
//! (durations, sizes, the public URL and the database URL, the last two through the real
//! command line parser).

use clap::Parser;

use super::{DatabaseUrl, format_duration, parse_duration, parse_size};
use crate::config::{Cli, Config};

/// `--public-url=VALUE` through the real command line parser.
pub fn public_url(value: &str) -> Result<Option<String>, String> {
    Cli::try_parse_from(["mycloud", &format!("--public-url={value}")])
        .map(|cli| cli.settings.public_url)
        .map_err(|e| e.to_string())
}

/// `--database-url=VALUE` through the command line parser and `Config`, as at start.
pub fn database_url(value: &str) -> Result<DatabaseUrl, String> {
    let cli = Cli::try_parse_from(["mycloud", &format!("--database-url={value}")])
        .map_err(|e| e.to_string())?;
    Config::from_settings(cli.settings).map(|config| config.database)
}

/// Input: the value (invalid UTF-8 replaced), given to each parser in turn.
///
/// Checks: a parsed duration prints back to text that parses to the same duration, and
/// surrounding whitespace changes nothing; a plain number of bytes is that number; error
/// messages are one line; an accepted public URL is http(s) with a host, no query, fragment,
/// space or trailing slash, and is accepted again unchanged; a database URL is taken only
/// with its scheme, and its error never repeats what follows `://` (it may hold a password).
pub fn check(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let s = s.as_ref();
    check_duration(s);
    check_size(s);
    check_public_url(s);
    check_database_url(s);
}

fn one_line(message: &str) {
    assert!(
        !message.chars().any(char::is_control),
        "{message:?} is not one clean line"
    );
}

fn check_duration(s: &str) {
    match parse_duration(s) {
        Ok(d) => {
            assert_eq!(d.subsec_nanos() % 1_000_000, 0, "whole milliseconds");
            let printed = format_duration(d);
            assert_eq!(
                parse_duration(&printed),
                Ok(d),
                "{s:?} printed as {printed:?}"
            );
            assert_eq!(parse_duration(&format!(" {s}\t")), Ok(d));
        }
        Err(message) => one_line(&message),
    }
}

fn check_size(s: &str) {
    match parse_size(s) {
        Ok(n) => {
            let t = s.trim();
            if t.bytes().all(|b| b.is_ascii_digit()) {
                assert_eq!(t.parse(), Ok(n));
            }
        }
        Err(message) => one_line(&message),
    }
}

fn check_public_url(s: &str) {
    let Ok(url) = public_url(s) else { return };
    let url = url.expect("a value was given");
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .expect("http or https");
    assert!(!rest.starts_with('/'), "{url:?} has no host");
    assert!(!url.ends_with('/'));
    assert!(!url.contains(['?', '#']));
    assert!(!url.chars().any(|c| c.is_whitespace() || c.is_control()));
    assert_eq!(
        public_url(&url),
        Ok(Some(url.clone())),
        "accepted again unchanged"
    );
}

fn check_database_url(s: &str) {
    match database_url(s) {
        Ok(DatabaseUrl::Sqlite(path)) => {
            let rest = s.strip_prefix("sqlite://").expect("sqlite scheme");
            assert!(!rest.is_empty());
            assert_eq!(path.as_os_str(), rest);
        }
        Ok(DatabaseUrl::Postgres(url)) => {
            assert_eq!(url, s);
            assert!(s.starts_with("postgres://") || s.starts_with("postgresql://"));
        }
        Err(message) => {
            one_line(&message);
            if let Some((scheme, secret)) = s.split_once("://")
                && secret.contains('@')
                && !scheme.contains(secret)
            {
                assert!(
                    !message.contains(secret),
                    "{message:?} shows what follows ://"
                );
            }
        }
    }
}
