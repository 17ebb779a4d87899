use super::{query_message, query_param};
use crate::api::auth::{SignIn, SignUp};
use crate::components::ui::ErrorNote;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn SignInPage() -> impl IntoView {
    let error = query_message("error");
    let login = query_param("login").unwrap_or_default();
    let next =
        query_param("next").filter(|n| crate::domain::local_path(n).is_some()).unwrap_or_else(|| "/deposit".into());
    view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ErrorNote message=error />
            <form method="post" action=SignIn::PATH class="stack">
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
    let error = query_message("error");
    let login = query_param("login").unwrap_or_default();
    view! {
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <ErrorNote message=error />
            <form method="post" action=SignUp::PATH class="stack">
                <div class="field">
                    <label for="signup-login">"Login"</label>
                    <input id="signup-login" name="login" autocomplete="username" required minlength="3" maxlength="36"
                        pattern="[a-z0-9_\\-]{3,36}" value=login aria-describedby="login-hint" />
                    <small class="hint" id="login-hint">"3 to 36 characters: lowercase letters, digits, '_' or '-'. Your login is also your payment reference."</small>
                </div>
                <div class="field">
                    <label for="signup-password">"Password"</label>
                    <input id="signup-password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="128" aria-describedby="password-hint" />
                    <small class="hint" id="password-hint">"At least 8 characters."</small>
                </div>
                <label>"Repeat the password"
                    <input name="password_confirm" type="password" autocomplete="new-password" required minlength="8" maxlength="128" />
                </label>
                <button type="submit" class="button">"Create account"</button>
            </form>
            <p class="muted">"Have an account? " <a href="/signin">"Sign in"</a></p>
        </section>
    }
}
