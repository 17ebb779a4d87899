use super::query_param;
use crate::components::ui::ErrorNote;
use leptos::prelude::*;

#[component]
pub fn SignInPage() -> impl IntoView {
    let error = query_param("error");
    let login = query_param("login").unwrap_or_default();
    let next = query_param("next").unwrap_or_else(|| "/deposit".into());
    view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ErrorNote message=error />
            <form method="post" action="/api/sign-in" class="stack">
                <input type="hidden" name="next" value=next />
                <label>"Login"
                    <input name="login" autocomplete="username" required minlength="3" maxlength="36" value=login />
                </label>
                <label>"Password"
                    <input name="password" type="password" autocomplete="current-password" required />
                </label>
                <button type="submit" class="button">"Sign in"</button>
            </form>
            <p class="muted">"New here? " <a href="/signup">"Create an account"</a></p>
        </section>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let error = query_param("error");
    let login = query_param("login").unwrap_or_default();
    view! {
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <ErrorNote message=error />
            <form method="post" action="/api/sign-up" class="stack">
                <label>"Login"
                    <input name="login" autocomplete="username" required minlength="3" maxlength="36"
                        pattern="[a-z0-9_\\-]{3,36}" value=login />
                    <small class="hint">"3 to 36 characters: lowercase letters, digits, '_' or '-'."</small>
                </label>
                <label>"Password"
                    <input name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="128" />
                    <small class="hint">"At least 8 characters."</small>
                </label>
                <label>"Repeat the password"
                    <input name="password_confirm" type="password" autocomplete="new-password" required minlength="8" maxlength="128" />
                </label>
                <button type="submit" class="button">"Create account"</button>
            </form>
            <p class="muted">"Have an account? " <a href="/signin">"Sign in"</a></p>
        </section>
    }
}
