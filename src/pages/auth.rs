use super::{query_message, query_param};
use crate::api::auth::{SignIn, SignUp};
use crate::components::ui::ErrorNote;
use crate::i18n::t;
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
            <h1>{t("signin-title")}</h1>
            <ErrorNote message=error />
            <form method="post" action=SignIn::PATH class="stack">
                <input type="hidden" name="next" value=next />
                <label>{t("field-login")}
                    <input name="login" autocomplete="username" required minlength="3" maxlength="36" value=login />
                </label>
                <label>{t("field-password")}
                    <input name="password" type="password" autocomplete="current-password" required />
                </label>
                <button type="submit" class="button">{t("nav-sign-in")}</button>
            </form>
            <p class="muted">{t("signin-new-here")} " " <a href="/signup">{t("signin-create-link")}</a></p>
        </section>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let error = query_message("error");
    let login = query_param("login").unwrap_or_default();
    view! {
        <section class="card narrow">
            <h1>{t("signup-title")}</h1>
            <ErrorNote message=error />
            <form method="post" action=SignUp::PATH class="stack">
                <div class="field">
                    <label for="signup-login">{t("field-login")}</label>
                    <input id="signup-login" name="login" autocomplete="username" required minlength="3" maxlength="36"
                        pattern="[a-z0-9_\\-]{3,36}" value=login aria-describedby="login-hint" />
                    <small class="hint" id="login-hint">{t("signup-login-hint")}</small>
                </div>
                <div class="field">
                    <label for="signup-password">{t("field-password")}</label>
                    <input id="signup-password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="128" aria-describedby="password-hint" />
                    <small class="hint" id="password-hint">{t("signup-password-hint")}</small>
                </div>
                <label>{t("signup-repeat-password")}
                    <input name="password_confirm" type="password" autocomplete="new-password" required minlength="8" maxlength="128" />
                </label>
                <button type="submit" class="button">{t("nav-create-account")}</button>
            </form>
            <p class="muted">{t("signup-have-account")} " " <a href="/signin">{t("nav-sign-in")}</a></p>
        </section>
    }
}
