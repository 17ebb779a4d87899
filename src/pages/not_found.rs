use crate::i18n::t;
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card narrow">
            <h1>{t("not-found-title")}</h1>
            <p>{t("not-found-text")}</p>
            <p><a class="button" href="/">{t("not-found-home")}</a></p>
        </section>
    }
}
