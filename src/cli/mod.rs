//! The cli group: the commands besides `serve`, one file each (`user`, `reap`, `check`,
//! `backup`, `import`, `migrate_data`); this file picks one. Each opens the same data dir
//! and database the server uses (SQLite in WAL mode and PostgreSQL both allow that beside
//! a running server). May use every group; nothing imports it but `lib.rs`.

mod backup;
mod check;
mod import;
mod migrate_data;
mod reap;
mod user;

use std::process::ExitCode;

use crate::app::App;
use crate::config::{Command, Config};
use crate::server;

/// `socket` is the listener systemd passed (socket activation); only `serve` uses it.
pub async fn run(
    command: Command,
    config: Config,
    socket: Option<std::net::TcpListener>,
) -> Result<ExitCode, String> {
    // Each arm opens the App itself: migrate-data works on two databases named by its own
    // flags and must not create a data dir or a default database.
    match command {
        Command::MigrateData { from, to } => {
            let (from, to) = crate::config::migrate_data_urls(&from, &to)?;
            migrate_data::run(&from, &to).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve => server::serve(App::open(config).await?, socket)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::User { action } => user::run(&App::open(config).await?, action).await,
        Command::Migrate => {
            let app = App::open(config).await?;
            println!("database is up to date ({})", app.store.dialect());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { repair } => check::command(&App::open(config).await?, repair)
            .await
            .map_err(|e| e.to_string()),
        Command::Reap { dry_run } => reap::run(&App::open(config).await?, dry_run).await,
        Command::Import {
            user,
            folder,
            on_conflict,
            dir,
        } => {
            let request = import::Request {
                user,
                folder,
                on_conflict,
                dir,
            };
            import::run(&App::open(config).await?, request).await
        }
        // Reads the database file directly: no App, so nothing is created or migrated.
        Command::Backup { dest, force } => backup::run(&config, dest, force).await,
    }
}
