//! Router and shell; nothing else.

use crate::components::header::Header;
use crate::i18n::t;
use crate::pages;
use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let lang = crate::i18n::current().code();
    view! {
        <!DOCTYPE html>
        <html lang=lang>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options islands=true />
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
        <Stylesheet id="portal-css" href="/pkg/portal.css" />
        <Link rel="icon" href="/favicon.svg" />
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
