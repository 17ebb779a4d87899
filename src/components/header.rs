use crate::api::auth::SignOut;
use crate::api::auth::current_user;
use crate::i18n::{self, Lang, Texts, t};
use crate::views::UserView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// Header with the main navigation and the signed-in user.
#[component]
pub fn Header() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <TestModeBanner />
        <header class="site-header">
            <div class="container header-row">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"₹"</span>
                    <span>{t("brand")}</span>
                </a>
                <LanguageSwitch />
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let user = user.await.ok().flatten();
                        let texts = i18n::texts(NAV_KEYS, &[]);
                        view! { <NavMenu user texts /> }
                    })}
                </Suspense>
            </div>
        </header>
    }
}

/// "Test mode" on every page while the portal talks to the provider sandbox,
/// as payment dashboards do: nobody mistakes a demo payment for real money.
/// Rendered on the server only (it is not an island).
#[component]
fn TestModeBanner() -> impl IntoView {
    #[cfg(feature = "ssr")]
    let test_mode = use_context::<crate::server::state::AppState>().is_some_and(|s| !s.config.provider_env.is_live());
    #[cfg(not(feature = "ssr"))]
    let test_mode = false;
    test_mode.then(|| {
        view! {
            <div class="test-mode-banner" role="note" data-testid="test-mode">
                <strong>{t("test-mode")}</strong>
                " · "
                {t("test-mode-note")}
            </div>
        }
    })
}

/// The other language, as a link to this page in it (`?lang=`; the server
/// remembers the choice in a cookie). Each name is written in its own script.
#[component]
fn LanguageSwitch() -> impl IntoView {
    let current = i18n::current();
    view! {
        <nav class="lang-switch" aria-label=t("language")>
            {Lang::ALL.into_iter().map(|l| {
                if l == current {
                    view! { <span class="lang-current" lang=l.code() aria-current="true">{l.name()}</span> }.into_any()
                } else {
                    view! {
                        <a href=format!("?lang={}", l.code()) lang=l.code() hreflang=l.code() data-testid=format!("lang-{}", l.code())>
                            {l.name()}
                        </a>
                    }.into_any()
                }
            }).collect_view()}
        </nav>
    }
}

const NAV_KEYS: &[&str] = &[
    "nav-menu",
    "nav-deposit",
    "nav-balance",
    "nav-withdraw",
    "nav-admin",
    "nav-sign-out",
    "nav-sign-in",
    "nav-create-account",
];

/// The navigation; on phones it folds behind a menu button (an island, so the
/// button works after hydration; without JavaScript the links stay visible).
#[island]
fn NavMenu(user: Option<UserView>, texts: Texts) -> impl IntoView {
    let (open, set_open) = signal(false);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| {
        hydrated.set(true);
        #[cfg(feature = "hydrate")]
        if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = el.set_attribute("data-hydrated", "true");
        }
    });
    let signed_in = user.is_some();
    let is_admin = user.as_ref().is_some_and(|u| u.is_admin);
    let login = user.map(|u| u.login).unwrap_or_default();
    view! {
        <button
            class="menu-toggle"
            type="button"
            aria-controls="main-nav"
            aria-expanded=move || if open.get() { "true" } else { "false" }
            on:click=move |_| set_open.update(|o| *o = !*o)
        >
            <span class="sr-only">{texts.get("nav-menu")}</span>
            <span aria-hidden="true">{move || if open.get() { "✕" } else { "☰" }}</span>
        </button>
        <nav
            id="main-nav"
            class="main-nav"
            class:open=move || open.get()
            class:js=move || hydrated.get()
        >
            {signed_in.then(|| view! {
                <a href="/deposit">{texts.get("nav-deposit")}</a>
                <a href="/balance">{texts.get("nav-balance")}</a>
                <a href="/withdraw">{texts.get("nav-withdraw")}</a>
            })}
            {is_admin.then(|| view! { <a href="/admin">{texts.get("nav-admin")}</a> })}
            {if signed_in {
                view! {
                    <span class="nav-user" data-testid="signed-in-user">{login.clone()}</span>
                    <form method="post" action=SignOut::PATH class="inline">
                        <button type="submit" class="link-button">{texts.get("nav-sign-out")}</button>
                    </form>
                }.into_any()
            } else {
                view! {
                    <a href="/signin">{texts.get("nav-sign-in")}</a>
                    <a href="/signup" class="button small">{texts.get("nav-create-account")}</a>
                }.into_any()
            }}
        </nav>
    }
}
