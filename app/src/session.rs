//! Who is signed in, fetched once per page load and shared with every page through context,
//! so pages offer only what the caller's role allows (the server checks it regardless).

use crate::api::whoami;
use crate::models::{AppError, Caller, Role};
use leptos::prelude::*;

/// The signed-in caller (none on the sign-in pages).
#[derive(Clone, Copy)]
pub struct Me(pub Resource<Result<Option<Caller>, AppError>>);

pub fn provide_me() -> Me {
    let me = Me(Resource::new(|| (), |_| whoami()));
    provide_context(me);
    me
}

/// Whether the caller's role includes `role` (false until known): read inside a
/// `Transition`.
pub fn may(role: Role) -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    let me = use_context::<Me>();
    move || {
        me.and_then(|Me(r)| r.get())
            .and_then(Result::ok)
            .flatten()
            .is_some_and(|c| c.may(role))
    }
}
