//! What every admin page shares: the section menu, and the answer for a
//! visitor who may not see the page (the server function refused it).

use leptos::prelude::*;

/// The admin sections; `current` is the path of the page showing it.
#[component]
pub fn AdminNav(current: &'static str) -> impl IntoView {
    const SECTIONS: [(&str, &str); 6] = [
        ("/admin", "Dashboard"),
        ("/admin/transactions", "Transactions"),
        ("/admin/postbacks", "Postbacks"),
        ("/admin/postbacks/inspect", "Inspector"),
        ("/admin/users", "Balances"),
        ("/admin/audit", "Audit trail"),
    ];
    view! {
        <nav class="admin-nav" aria-label="Admin sections">
            {SECTIONS
                .into_iter()
                .map(|(href, label)| {
                    let here = href == current;
                    view! {
                        <a href=href class:current=here aria-current=here.then_some("page")>
                            {label}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// The links between keyset pages: back to the newest page, and the next
/// (older) page as `rel="next"`. Either is left out when there is none.
#[component]
pub fn Pager(
    newest: Option<String>,
    older: Option<String>,
    #[prop(default = "Newest")] newest_label: &'static str,
    #[prop(default = "Older")] older_label: &'static str,
) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            {newest.map(|href| view! { <a class="button ghost small" rel="first" href=href>{newest_label}</a> })}
            {older.map(|href| view! { <a class="button ghost small" rel="next" href=href>{older_label}</a> })}
        </nav>
    }
}

/// Shown instead of an admin page when its server function refused: the
/// sign-in prompt (401), "admins only" (403), or the error itself.
pub fn refused(error: &ServerFnError, next: &str) -> AnyView {
    use crate::components::ui::{ErrorNote, SignInPrompt};
    let text = error.to_string();
    if text.contains("Please sign in") {
        view! { <SignInPrompt next=next.to_string() /> }.into_any()
    } else if text.contains("Admins only") {
        view! {
            <section class="card narrow">
                <h1>"Admins only"</h1>
                <p>"This area is for the merchant's staff."</p>
            </section>
        }
        .into_any()
    } else {
        view! { <ErrorNote message=text /> }.into_any()
    }
}
