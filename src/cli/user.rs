//! `mycloud user create|set-admin|passwd|list`: accounts from the command line, so the
//! first admin never comes from a web registration.

use std::io::BufRead;
use std::process::ExitCode;

use crate::app::App;
use crate::auth::{Hasher, random_base64url};
use crate::config::{OnOff, UserCommand};
use crate::store::NewUser;
use crate::validate;

pub async fn run(app: &App, action: UserCommand) -> Result<ExitCode, String> {
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
                quota_bytes: app.config.default_quota,
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
