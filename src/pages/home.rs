use crate::api::auth::current_user;
use crate::i18n::{t, t_with};
use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let user = user.await.ok().flatten();
                view! {
                    <section class="hero">
                        <h1>{t("home-title")}</h1>
                        <p class="lead">
                            {t("home-lead")}
                        </p>
                        {match user {
                            Some(u) => view! {
                                <p class="actions">
                                    <a class="button" href="/deposit">{t("nav-deposit")}</a>
                                    <a class="button secondary" href="/balance">{t("nav-balance")}</a>
                                </p>
                                <p class="muted">{t("home-signed-in-as")} " " <strong>{u.login}</strong></p>
                            }.into_any(),
                            None => view! {
                                <p class="actions">
                                    <a class="button" href="/signup">{t("nav-create-account")}</a>
                                    <a class="button secondary" href="/signin">{t("nav-sign-in")}</a>
                                </p>
                            }.into_any(),
                        }}
                    </section>
                    <section class="features">
                        <div class="card"><h2>{t("home-step1")}</h2><p>{t_with("home-step1-text", &[("min", "₹100"), ("max", "₹1,00,000")])}</p></div>
                        <div class="card"><h2>{t("home-step2")}</h2><p>{t("home-step2-text")}</p></div>
                        <div class="card"><h2>{t("home-step3")}</h2><p>{t("home-step3-text")}</p></div>
                    </section>
                }
            })}
        </Suspense>
    }
}
