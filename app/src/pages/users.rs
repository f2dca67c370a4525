//! Users and API tokens, for admins: add, change role, reset password, remove; tokens are
//! shown once, when made.

use crate::api::{
    list_accounts, AddApiToken, AddUser, RemoveApiToken, RemoveUser, ResetPassword, SetUserRole,
};
use crate::components::{format_time, show, ErrorBanner, Loading};
use crate::models::{AccountRow, Role};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Users() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let set_role = ServerAction::<SetUserRole>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let remove = ServerAction::<RemoveUser>::new();
    let add_token = ServerAction::<AddApiToken>::new();
    let remove_token = ServerAction::<RemoveApiToken>::new();
    let accounts = Resource::new(
        move || {
            (
                add.version().get(),
                set_role.version().get(),
                remove.version().get(),
                add_token.version().get(),
                remove_token.version().get(),
            )
        },
        |_| list_accounts(),
    );
    let failed = move || {
        [
            add.value().get().and_then(Result::err),
            set_role.value().get().and_then(Result::err),
            reset.value().get().and_then(Result::err),
            remove.value().get().and_then(Result::err),
            add_token.value().get().and_then(Result::err),
            remove_token.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .last()
        .map(|error| view! { <ErrorBanner error/> })
    };
    view! {
        <Title text="Users"/>
        <h1>"Users"</h1>
        <p class="lead">"Viewers read; operators also manage devices and writers; admins also manage users."</p>
        {failed}
        <Transition fallback=Loading>
            {move || accounts.get().map(|r| show(r, move |(users, tokens)| view! {
                <UserTable users set_role reset remove/>
                <TokenTable tokens remove_token/>
            }.into_any()))}
        </Transition>
        <section class="card">
            <h2>"Add a user"</h2>
            <ActionForm action=add attr:class="inline-form">
                <label for="new-name">"Name"</label>
                <input id="new-name" name="name" required/>
                <RoleSelect id="new-role" name="role"/>
                <label for="new-password">"Password"</label>
                <input id="new-password" name="password" type="password" autocomplete="new-password" minlength="10" required/>
                <button type="submit">"Add"</button>
            </ActionForm>
        </section>
        <section class="card">
            <h2>"Add an API token"</h2>
            <p>"For scripts: " <code>"Authorization: Bearer <token>"</code> ". The token is shown once."</p>
            <ActionForm action=add_token attr:class="inline-form">
                <label for="token-name">"Name"</label>
                <input id="token-name" name="name" required/>
                <RoleSelect id="token-role" name="role"/>
                <button type="submit">"Create"</button>
            </ActionForm>
            {move || add_token.value().get().and_then(Result::ok).map(|token| view! {
                <pre class="config token" data-testid="new-token">{token}</pre>
            })}
        </section>
    }
}

#[component]
fn RoleSelect(id: &'static str, name: &'static str) -> impl IntoView {
    view! {
        <label for=id>"Role"</label>
        <select id=id name=name>
            {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> }).collect_view()}
        </select>
    }
}

#[component]
fn UserTable(
    users: Vec<AccountRow>,
    set_role: ServerAction<SetUserRole>,
    reset: ServerAction<ResetPassword>,
    remove: ServerAction<RemoveUser>,
) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Users"</h2>
            <table data-testid="users">
                <thead><tr><th>"Name"</th><th>"Role"</th><th>"Since"</th><th>"Password"</th><th></th></tr></thead>
                <tbody>
                    {users.into_iter().map(|u| {
                        let (for_role, for_reset, for_remove) = (u.name.clone(), u.name.clone(), u.name.clone());
                        let (password, set_password) = signal(String::new());
                        view! {
                            <tr>
                                <td>{u.name.clone()}</td>
                                <td>
                                    <select aria-label=format!("Role of {}", u.name) on:change=move |ev| {
                                        if let Ok(role) = Role::parse(&event_target_value(&ev)) {
                                            set_role.dispatch(SetUserRole { name: for_role.clone(), role });
                                        }
                                    }>
                                        {Role::ALL.into_iter().map(|r| view! {
                                            <option value=r.as_str() selected=r == u.role>{r.as_str()}</option>
                                        }).collect_view()}
                                    </select>
                                </td>
                                <td>{format_time(&u.created_at)}</td>
                                <td class="inline-form">
                                    <input type="password" aria-label=format!("New password of {}", u.name) autocomplete="new-password"
                                        prop:value=password on:input=move |ev| set_password.set(event_target_value(&ev))/>
                                    <button class="secondary" disabled=move || password.read().chars().count() < 10
                                        on:click=move |_| {
                                            if let Ok(p) = crate::models::Password::parse(&password.get_untracked()) {
                                                reset.dispatch(ResetPassword { name: for_reset.clone(), password: p });
                                                set_password.set(String::new());
                                            }
                                        }>"Reset"</button>
                                </td>
                                <td><button class="danger" on:click=move |_| { remove.dispatch(RemoveUser { name: for_remove.clone() }); }>"Remove"</button></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn TokenTable(
    tokens: Vec<AccountRow>,
    remove_token: ServerAction<RemoveApiToken>,
) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"API tokens"</h2>
            {if tokens.is_empty() {
                view! { <p class="muted">"None yet."</p> }.into_any()
            } else {
                view! {
                    <table data-testid="tokens">
                        <thead><tr><th>"Name"</th><th>"Role"</th><th>"Since"</th><th></th></tr></thead>
                        <tbody>
                            {tokens.into_iter().map(|t| {
                                let name = t.name.clone();
                                view! {
                                    <tr>
                                        <td>{t.name}</td><td>{t.role.as_str()}</td><td>{format_time(&t.created_at)}</td>
                                        <td><button class="danger" on:click=move |_| { remove_token.dispatch(RemoveApiToken { name: name.clone() }); }>"Revoke"</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
