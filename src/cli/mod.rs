//! The commands besides `serve`: account management, migrate, check, reap, backup and
//! migrate-data. Each opens the same data dir and database the server uses (SQLite in WAL
//! mode and PostgreSQL both allow that beside a running server).

use std::io::BufRead;
use std::process::ExitCode;

use crate::app::App;
use crate::auth::{Hasher, random_base64url};
use crate::clock::Timestamp;
use crate::config::{Command, Config, OnOff, UserCommand};
use crate::reaper::{Reaper, Report};
use crate::server;
use crate::store::NewUser;
use crate::validate;
use crate::{backup, check, migrate_data};

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
        Command::User { action } => user(&App::open(config).await?, action).await,
        Command::Migrate => {
            let app = App::open(config).await?;
            println!("database is up to date ({})", app.store.dialect());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { repair } => check::command(&App::open(config).await?, repair)
            .await
            .map_err(|e| e.to_string()),
        Command::Reap { dry_run } => reap(&App::open(config).await?, dry_run).await,
        // Reads the database file directly: no App, so nothing is created or migrated.
        Command::Backup { dest, force } => backup::run(&config, dest, force).await,
    }
}

async fn reap(app: &App, dry_run: bool) -> Result<ExitCode, String> {
    let report = Reaper::new(app)
        .reap_once(Timestamp::now(), dry_run)
        .await
        .map_err(|e| e.to_string())?;
    print_reap(&report, dry_run);
    Ok(ExitCode::SUCCESS)
}

/// A pass as a small table of counts, then every path it deleted (or would) and every
/// row it found without its bytes.
pub fn print_reap(report: &Report, dry_run: bool) {
    println!("{:<24} {:>6}  ACTION", "WHAT", "COUNT");
    for (what, count, action) in report.rows(dry_run) {
        println!("{what:<24} {count:>6}  {action}");
    }
    let verb = if dry_run { "would remove" } else { "removed" };
    for (kind, path) in report.deleted() {
        println!("{verb} {kind:<6} {}", path.display());
    }
    for path in &report.missing {
        println!("missing      {}", path.display());
    }
}

async fn user(app: &App, action: UserCommand) -> Result<ExitCode, String> {
    let hasher = Hasher::new();
    match action {
        UserCommand::Create {
            name,
            admin,
            email,
            full_name,
            password_stdin,
        } => {
            validate::username(&name).map_err(|m| format!("username: {m}"))?;
            if let Some(email) = &email {
                validate::email(email).map_err(|m| format!("email: {m}"))?;
            }
            let (password, generated) = password(password_stdin)?;
            let password_hash = hasher
                .hash(password.clone())
                .await
                .map_err(|e| e.to_string())?;
            let new = NewUser {
                username: name,
                full_name: full_name.unwrap_or_default(),
                email,
                password_hash,
                is_admin: admin,
            };
            let user = app
                .store
                .create_user(new)
                .await
                .map_err(|e| e.to_string())?;
            let role = if user.is_admin { "admin" } else { "user" };
            println!("created {role} {} ({})", user.username, user.id);
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::SetAdmin { name, state } => {
            let user = find(app, &name).await?;
            let user = app
                .store
                .set_admin(user.id, state == OnOff::On)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{} is {}",
                user.username,
                if user.is_admin {
                    "an admin"
                } else {
                    "not an admin"
                }
            );
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            let user = find(app, &name).await?;
            let (password, generated) = password(password_stdin)?;
            let hash = hasher
                .hash(password.clone())
                .await
                .map_err(|e| e.to_string())?;
            app.store
                .set_password(user.id, hash, None)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "password changed for {}; every session of theirs has ended",
                user.username
            );
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::List => {
            let users = app
                .store
                .users_with_storage()
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{:<20} {:<5} {:<32} {:>7} {:>14}  LAST LOGIN",
                "USERNAME", "ADMIN", "EMAIL", "FILES", "BYTES"
            );
            for u in users {
                println!(
                    "{:<20} {:<5} {:<32} {:>7} {:>14}  {}",
                    u.user.username,
                    if u.user.is_admin { "yes" } else { "no" },
                    u.user.email.as_deref().unwrap_or("-"),
                    u.storage.file_count,
                    u.storage.total_size,
                    u.user
                        .last_login_at
                        .map_or("never".to_string(), |t| t.rfc3339())
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn find(app: &App, name: &str) -> Result<crate::store::User, String> {
    match app
        .store
        .user_by_name(name)
        .await
        .map_err(|e| e.to_string())?
    {
        Some((user, _)) => Ok(user),
        None => Err(format!("no user named {name:?}")),
    }
}

/// The password from stdin's first line, or a generated one (and `true`).
fn password(from_stdin: bool) -> Result<(String, bool), String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("reading stdin: {e}"))?;
        let password = line.trim_end_matches(['\n', '\r']).to_string();
        validate::password(&password).map_err(|m| format!("password: {m}"))?;
        return Ok((password, false));
    }
    // Four groups of random base64url joined by '-': the dash is the special character;
    // draw again in the rare case a letter class or digit is missing.
    loop {
        let groups: Result<Vec<String>, _> = (0..4).map(|_| random_base64url::<5>()).collect();
        let candidate = groups.map_err(|e| e.to_string())?.join("-");
        if validate::password(&candidate).is_ok() {
            return Ok((candidate, true));
        }
    }
}
