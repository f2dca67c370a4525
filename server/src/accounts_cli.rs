//! `iot-center user add` and `iot-center token add`: accounts managed from a shell, against
//! the same data directory as the server (SQLite lets both write at once).

use crate::cli::{Command, TokenAction, UserAction};
use anyhow::Context;
use iot_core::accounts::Accounts;
use iot_models::{AccountName, Password, Role};
use std::io::IsTerminal;
use std::path::Path;

pub async fn run(command: Command, data_dir: &Path) -> anyhow::Result<()> {
    crate::startup::private_dir(data_dir)?;
    let accounts = Accounts::open(data_dir)?;
    let parse = |name: &str, role: &str| -> anyhow::Result<(AccountName, Role)> {
        Ok((
            AccountName::parse(name).map_err(anyhow::Error::msg)?,
            Role::parse(role).map_err(anyhow::Error::msg)?,
        ))
    };
    match command {
        Command::User {
            action: UserAction::Add { name, role },
        } => {
            let (name, role) = parse(&name, &role)?;
            let password = Password::parse(&read_password()?).map_err(anyhow::Error::msg)?;
            accounts.add_user(&name, role, &password).await?;
            eprintln!("added {role} {name}");
        }
        Command::Token {
            action: TokenAction::Add { name, role },
        } => {
            let (name, role) = parse(&name, &role)?;
            let token = accounts.add_token(&name, role)?;
            eprintln!("API token {name} ({role}); it is shown only now:");
            println!("{token}");
        }
    }
    Ok(())
}

/// From a prompt without echo on a terminal, else the first line of stdin.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("Password: ").context("reading the password");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
