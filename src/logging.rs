//! Log setup: `RUST_LOG` filters (default `info`, with the migration runner and
//! PostgreSQL's notices, such as "relation already exists, skipping" on every start, kept
//! to warnings); under systemd (JOURNAL_STREAM set) lines carry no timestamp because
//! journald adds its own.

use std::io::Write;

pub fn init() {
    let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let mut builder = env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("info,refinery_core=warn,tokio_postgres=warn"),
    );
    if under_journald {
        builder.format(|buf, record| writeln!(buf, "{}: {}", record.level(), record.args()));
    } else {
        builder.format_timestamp_millis();
    }
    builder.init();
}
