//! Log setup: `RUST_LOG` filters (default `info`, with the migration runner and
//! PostgreSQL's notices, such as "relation already exists, skipping" on every start, kept
//! to warnings). Lines go to stderr as `[2026-11-25T10:00:00.123Z INFO  module] message`; under
//! systemd (JOURNAL_STREAM set) as `INFO: message`, because journald stamps each line
//! itself and a second timestamp only takes width.

use std::io::Write;

use crate::clock::Timestamp;

pub fn init() {
    let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let mut builder = env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("info,refinery_core=warn,tokio_postgres=warn"),
    );
    if under_journald {
        builder.format(|buf, record| writeln!(buf, "{}: {}", record.level(), record.args()));
    } else {
        builder.format(|buf, record| {
            let now = Timestamp::now().rfc3339();
            let (level, target) = (record.level(), record.target());
            writeln!(buf, "[{now} {level:<5} {target}] {}", record.args())
        });
    }
    builder.init();
}
