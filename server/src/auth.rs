//! Who is calling, and the gate every request passes. People sign in with a password and
//! keep a session cookie (`axum-login` over `tower-sessions`, the sessions in SQLite so a
//! restart keeps them); automation sends an API token (`Authorization: Bearer`). The gate
//! puts the [`Caller`] in the request's extensions, where server functions and routes check
//! its role.

mod gate;
mod login;
mod sessions;
mod setup;
mod throttle;

pub use gate::gate;
pub use login::routes;
pub use setup::SetupCode;
pub use throttle::Throttle;

use axum_login::{AuthManagerLayer, AuthManagerLayerBuilder, AuthUser, AuthnBackend, UserId};
use iot_core::accounts::{Accounts, User};
use iot_core::state_db::StateDb;
pub use sessions::DbSessions as SessionStore;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// How long a session lasts without a request.
const IDLE_EXPIRY: time::Duration = time::Duration::hours(12);

/// A signed-in user, as the session knows them.
#[derive(Clone, Debug)]
pub struct SessionUser(pub User);

impl AuthUser for SessionUser {
    type Id = String;

    fn id(&self) -> String {
        self.0.name.clone()
    }

    /// A new password ends the user's other sessions.
    fn session_auth_hash(&self) -> &[u8] {
        self.0.password_hash.as_bytes()
    }
}

/// The name and password of the sign-in form.
#[derive(Clone, serde::Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// Passwords checked against the accounts store.
#[derive(Clone)]
pub struct SignIn(pub Accounts);

impl AuthnBackend for SignIn {
    type User = SessionUser;
    type Credentials = Credentials;
    type Error = iot_core::Error;

    async fn authenticate(&self, c: Credentials) -> Result<Option<SessionUser>, Self::Error> {
        Ok(self
            .0
            .verify(&c.username, &c.password)
            .await?
            .map(SessionUser))
    }

    async fn get_user(&self, name: &UserId<Self>) -> Result<Option<SessionUser>, Self::Error> {
        Ok(self.0.user(name).await?.map(SessionUser))
    }
}

pub type AuthSession = axum_login::AuthSession<SignIn>;

/// Sessions in an HttpOnly, SameSite=Lax cookie, kept in the state database, ending after
/// [`IDLE_EXPIRY`] without a request.
pub async fn layer(
    state: StateDb,
    accounts: Accounts,
) -> anyhow::Result<AuthManagerLayer<SignIn, SessionStore>> {
    let sessions = SessionManagerLayer::new(SessionStore::open(state).await?)
        .with_name("iot_center_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        // `Secure` is added per request by `surface::secure_cookies`, as the site is served.
        .with_secure(false)
        .with_expiry(Expiry::OnInactivity(IDLE_EXPIRY));
    Ok(AuthManagerLayerBuilder::new(SignIn(accounts), sessions).build())
}
