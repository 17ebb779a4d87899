//! Router and shell; nothing else.

use crate::components::header::Header;
use crate::i18n::t;
use crate::pages;
use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// leptos 0.8.23's `src/hydration/island_script.js` (MIT, the Leptos
/// authors) with one change: it takes the bundle's URLs (content-hashed, from
/// the server's asset registry) instead of building them from the output name,
/// and starts the WASM download beside the JS. Islands still hydrate on idle,
/// after `mod.hydrate()`, in document order, as upstream does.
const ISLAND_SCRIPT: &str = include_str!("island_script.js");

/// The URL the site serves `path` under: its content-hashed name when the
/// server knows the file (browsers keep it for a year), else `path` itself.
fn asset_url(path: &str) -> String {
    #[cfg(feature = "ssr")]
    if let Some(state) = use_context::<crate::server::state::AppState>() {
        return state.assets.url(path);
    }
    path.to_string()
}

/// Chromium keeps text it shaped before the Devanagari face arrived (on a
/// system with no Devanagari font of its own: boxes) until that text is laid
/// out again. Once a web font has loaded, one class on `<html>` changes a font
/// property every element inherits (`font-feature-settings`, to the default
/// kerning), so all text is shaped again with the face.
const FONT_RELAYOUT: &str = "document.fonts&&document.fonts.addEventListener(\"loadingdone\",function(){\
     document.documentElement.classList.add(\"fonts-ready\")});";

/// The Devanagari face (a subset of Noto Sans Devanagari, public/fonts/):
/// browsers download it only for a page that has Devanagari text to draw
/// (unicode-range) and none installed, and draw the text meanwhile (swap).
fn devanagari_font_face() -> String {
    format!(
        "@font-face{{font-family:\"Noto Sans Devanagari\";src:local(\"Noto Sans Devanagari\"),url({}) format(\"woff2\");\
         font-display:swap;unicode-range:U+0900-097F,U+1CD0-1CFF,U+200C-200D,U+25CC,U+A830-A83F,U+A8E0-A8FF}}\
         .fonts-ready body{{font-feature-settings:\"kern\" 1}}",
        asset_url("/fonts/noto-sans-devanagari.woff2")
    )
}

/// The stylesheet, inlined: on a slow mobile link a separate request costs a
/// round trip (about 0.6 s on slow 4G) before anything paints, more than its
/// 4 KB (Brotli) in every page. A link to the hashed file when the site has
/// no stylesheet to read (a server started without a built site).
fn stylesheet() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(css) = use_context::<crate::server::state::AppState>()
        .and_then(|state| state.assets.text("/pkg/portal.css").map(str::to_string))
    {
        return view! { <style id="portal-css" inner_html=css></style> }.into_any();
    }
    view! { <link rel="stylesheet" id="portal-css" href=asset_url("/pkg/portal.css") /> }.into_any()
}

/// The document. Nothing in `<head>` delays the first paint (the stylesheet
/// is inline): the islands' JS and WASM are fetched when the page is idle
/// (no preload competing with the text and the QR code for a slow link).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let lang = crate::i18n::current().code();
    let _ = options;
    // what leptos's <HydrationScripts islands=true/> does on the server: in
    // islands mode only islands carry hydration markers
    if let Some(sc) = Owner::current_shared_context() {
        sc.set_is_hydrating(false);
    }
    let islands = format!("{ISLAND_SCRIPT}({:?}, {:?});", asset_url("/pkg/portal.js"), asset_url("/pkg/portal.wasm"));
    view! {
        <!DOCTYPE html>
        <html lang=lang>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                {stylesheet()}
                <style>{devanagari_font_face()}</style>
                <script inner_html=FONT_RELAYOUT></script>
                <script type="module">{islands}</script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Every page waits for its data before the first byte (SsrMode::Async), so
    // pages work with JavaScript off and never show a loading placeholder.
    view! {
        <Link rel="icon" href=asset_url("/favicon.svg") />
        <Meta name="description" content=t("meta-description") />
        <Title text=t("brand") />
        <Router>
            <Header />
            <main class="container">
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("/") view=pages::home::HomePage ssr=SsrMode::Async />
                    <Route path=path!("/signin") view=pages::auth::SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/signup") view=pages::auth::SignUpPage ssr=SsrMode::Async />
                    <Route path=path!("/deposit") view=pages::deposit::DepositPage ssr=SsrMode::Async />
                    <Route path=path!("/deposits/:id") view=pages::deposit::PaymentPage ssr=SsrMode::Async />
                    <Route path=path!("/balance") view=pages::balance::BalancePage ssr=SsrMode::Async />
                    <Route path=path!("/withdraw") view=pages::withdraw::WithdrawPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=pages::admin::AdminPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/transactions") view=pages::admin::transactions::TransactionsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/deposits/:id") view=pages::admin::deposit::AdminDepositPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/withdrawals/:id") view=pages::admin::withdrawal::AdminWithdrawalPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/postbacks") view=pages::admin::postbacks::PostbacksPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/postbacks/inspect") view=pages::admin::inspector::InspectorPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view=pages::admin::users::UsersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users/:login") view=pages::admin::users::UserPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view=pages::admin::audit::AuditPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <footer class="site-footer">
                <div class="container">{t("footer")}</div>
            </footer>
        </Router>
    }
}
