use crate::api::auth::SignOut;
use crate::api::auth::current_user;
#[cfg(feature = "hydrate")]
use crate::components::island::{JsProps, hydrate_island, hydrated_children};
use crate::components::island::{after_hydration, island, island_children};
use crate::i18n::{self, Lang, t};
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
                        view! { <NavMenu menu_label=t("nav-menu")><NavLinks user /></NavMenu> }
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

/// The navigation links, rendered on the server (the island below only folds them).
#[component]
fn NavLinks(user: Option<UserView>) -> impl IntoView {
    let signed_in = user.is_some();
    let is_admin = user.as_ref().is_some_and(|u| u.is_admin);
    let login = user.map(|u| u.login).unwrap_or_default();
    view! {
        {signed_in.then(|| view! {
            <a href="/deposit">{t("nav-deposit")}</a>
            <a href="/balance">{t("nav-balance")}</a>
            <a href="/withdraw">{t("nav-withdraw")}</a>
        })}
        {is_admin.then(|| view! { <a href="/admin">{t("nav-admin")}</a> })}
        {if signed_in {
            view! {
                <span class="nav-user" data-testid="signed-in-user">{login.clone()}</span>
                <form method="post" action=SignOut::PATH class="inline">
                    <button type="submit" class="link-button">{t("nav-sign-out")}</button>
                </form>
            }.into_any()
        } else {
            view! {
                <a href="/signin">{t("nav-sign-in")}</a>
                <a href="/signup" class="button small">{t("nav-create-account")}</a>
            }.into_any()
        }}
    }
}

/// The navigation; on phones it folds behind a menu button (an island, so the
/// button works after hydration; without JavaScript the links stay visible).
/// The links are its children: server-rendered HTML, not code in the bundle.
#[component]
fn NavMenu(menu_label: String, children: Children) -> impl IntoView {
    let props = {
        let menu_label = menu_label.clone();
        move || serde_json::json!({ "menu_label": menu_label }).to_string()
    };
    island(NAV_MENU, props, move || nav_menu(menu_label, island_children(children)))
}

/// The island's name: its `data-component` and its entry point in the WASM.
const NAV_MENU: &str = "NavMenu";

/// The browser's entry point for [`NavMenu`] (see `components::island`).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen(js_name = "NavMenu")]
pub fn hydrate_nav_menu(el: web_sys::HtmlElement) {
    let menu_label = JsProps::of(&el).string("menu_label");
    hydrate_island(&el, island(NAV_MENU, String::new, move || nav_menu(menu_label, hydrated_children())));
}

fn nav_menu(menu_label: String, children: impl IntoView + 'static) -> impl IntoView {
    // RwSignal like every island's flags (one signal type: less code in the bundle)
    let open = RwSignal::new(false);
    // Once awake: the menu folds (class `js`), and the page says it is
    // hydrated (tests wait for this). Plain DOM calls, no signal: less code.
    after_hydration(move || {
        #[cfg(feature = "hydrate")]
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            if let Some(nav) = doc.get_element_by_id("main-nav") {
                let _ = nav.class_list().add_1("js");
            }
            if let Some(el) = doc.document_element() {
                let _ = el.set_attribute("data-hydrated", "true");
            }
        }
    });
    view! {
        <button
            class="menu-toggle"
            type="button"
            aria-controls="main-nav"
            aria-expanded=move || if open.get() { "true" } else { "false" }
            on:click=move |_| open.update(|o| *o = !*o)
        >
            <span class="sr-only">{menu_label}</span>
            <span aria-hidden="true">{move || if open.get() { "✕" } else { "☰" }}</span>
        </button>
        <nav id="main-nav" class="main-nav" class:open=move || open.get()>
            {children}
        </nav>
    }
}
