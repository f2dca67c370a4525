//! Server functions of the Users page: users and API tokens, for admins only.

use crate::models::*;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::ssr::require, iot_core::accounts::Accounts};

#[cfg(feature = "ssr")]
fn accounts() -> Result<Accounts, AppError> {
    require(Role::Admin)?;
    use_context::<Accounts>().ok_or_else(|| AppError::ServerFn("the server has no accounts".into()))
}

/// Every user and API token (never a token itself).
#[server]
pub async fn list_accounts() -> Result<(Vec<AccountRow>, Vec<AccountRow>), AppError> {
    let a = accounts()?;
    Ok((a.users().await?, a.tokens().await?))
}

#[server]
pub async fn add_user(name: AccountName, role: Role, password: Password) -> Result<(), AppError> {
    Ok(accounts()?.add_user(&name, role, &password).await?)
}

#[server]
pub async fn set_user_role(name: String, role: Role) -> Result<(), AppError> {
    Ok(accounts()?.set_role(&name, role).await?)
}

#[server]
pub async fn reset_password(name: String, password: Password) -> Result<(), AppError> {
    Ok(accounts()?.set_password(&name, &password).await?)
}

#[server]
pub async fn remove_user(name: String) -> Result<(), AppError> {
    Ok(accounts()?.remove_user(&name).await?)
}

/// A new API token, shown this once.
#[server]
pub async fn add_api_token(name: AccountName, role: Role) -> Result<String, AppError> {
    Ok(accounts()?.add_token(&name, role).await?)
}

#[server]
pub async fn remove_api_token(name: String) -> Result<(), AppError> {
    Ok(accounts()?.remove_token(&name).await?)
}
