//! Signing in, and setting up the first admin: plain HTML forms that post to the server's
//! `/login` and `/setup` (they work before the wasm arrives, and password managers know them).
//! A failed attempt comes back with the reason in `?error=`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The reason a post came back, if any.
fn error() -> impl Fn() -> Option<AnyView> {
    let query = use_query_map();
    move || {
        query.read().get("error").map(|e| {
            view! { <p class="answer error" role="alert" data-testid="sign-in-error">{e}</p> }
                .into_any()
        })
    }
}

#[component]
pub fn Login() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
    view! {
        <Title text="Sign in"/>
        <h1>"Sign in"</h1>
        <section class="card sign-in">
            {error()}
            <form method="post" action="/login" class="stacked">
                <label for="username">"Name"</label>
                <input id="username" name="username" autocomplete="username" required/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <input type="hidden" name="next" value=next/>
                <button type="submit">"Sign in"</button>
            </form>
        </section>
    }
}

/// The first admin. A server others can reach asks for the code printed in its log
/// (the gate adds `?code=asked`).
#[component]
pub fn Setup() -> impl IntoView {
    let query = use_query_map();
    let code = move || {
        (query.read().get("code").as_deref() == Some("asked")).then(|| {
            view! {
                <label for="code">"Setup code, from the server's log"</label>
                <input id="code" name="code" autocomplete="off" spellcheck="false" required/>
            }
        })
    };
    view! {
        <Title text="Set up"/>
        <h1>"Set up IoT Center"</h1>
        <section class="card sign-in">
            <p>"No one can sign in yet. Choose the name and password of the first admin, who can then add the other users."</p>
            {error()}
            <form method="post" action="/setup" class="stacked">
                {code}
                <label for="username">"Name"</label>
                <input id="username" name="username" autocomplete="username" required/>
                <label for="password">"Password (at least 10 characters)"</label>
                <input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required/>
                <button type="submit">"Create the admin and sign in"</button>
            </form>
        </section>
    }
}
