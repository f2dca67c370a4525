//! `iot-center user add`, `token add` and `state copy`: accounts and state managed from a
//! shell, against the same state database as the server (both can write at once).

use crate::cli::{Command, StateAction, TokenAction, UserAction};
use crate::config::Config;
use anyhow::Context;
use iot_core::accounts::Accounts;
use iot_core::state_db::{copy_all, StateDb, StateLocation};
use iot_models::{AccountName, Password, Role};
use std::io::IsTerminal;

pub async fn run(command: Command, config: &Config) -> anyhow::Result<()> {
    crate::startup::private_dir(&config.data_dir)?;
    let state = StateDb::open(&config.state).await?;
    let accounts = Accounts::new(state.clone());
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
            let token = accounts.add_token(&name, role).await?;
            eprintln!("API token {name} ({role}); it is shown only now:");
            println!("{token}");
        }
        Command::State {
            action: StateAction::Copy { to },
        } => {
            let target = StateLocation::Url(to);
            let copied = copy_all(&state, &StateDb::open(&target).await?).await?;
            eprintln!(
                "copied {} into {}: {copied}",
                config.state.describe(),
                target.describe()
            );
            eprintln!("set DATABASE_URL to it to use it");
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
