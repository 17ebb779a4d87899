//! Small presentational pieces shared by pages.

use crate::domain::{DepositStatus, Money};
use crate::i18n::t;
use leptos::prelude::*;

#[component]
pub fn ErrorNote(#[prop(into)] message: Option<String>) -> impl IntoView {
    message.filter(|m| !m.is_empty()).map(|m| view! { <div class="alert error" role="alert">{m}</div> })
}

#[component]
pub fn InfoNote(#[prop(into)] message: Option<String>) -> impl IntoView {
    message.filter(|m| !m.is_empty()).map(|m| view! { <div class="alert info" role="status">{m}</div> })
}

#[component]
pub fn Amount(paise: i64) -> impl IntoView {
    view! { <span class="amount">{Money::from_paise(paise).to_string()}</span> }
}

#[component]
pub fn StatusBadge(status: DepositStatus) -> impl IntoView {
    view! { <span class=format!("badge badge-{}", status.as_str())>{deposit_status_label(status)}</span> }
}

/// A deposit's status in the visitor's language.
pub fn deposit_status_label(status: DepositStatus) -> String {
    t(&format!("deposit-status-{}", status.as_str()))
}

/// For an island's text field: islands wake up on idle, so once the field
/// is hydrated, whatever was typed into it before then becomes the signal's
/// value (the island binds `value=` once, never `prop:value`, so waking up
/// never resets it).
pub fn keep_what_was_typed(input: NodeRef<leptos::html::Input>, value: RwSignal<String>) {
    crate::components::island::after_hydration(move || {
        if let Some(el) = input.get_untracked() {
            let typed = el.value();
            if typed != value.get_untracked() {
                value.set(typed);
            }
        }
    });
}

/// Shown where a page needs a signed-in user.
#[component]
pub fn SignInPrompt(#[prop(into)] next: String) -> impl IntoView {
    view! {
        <section class="card narrow">
            <h1>{t("signin-prompt-title")}</h1>
            <p>{t("signin-prompt-text")}</p>
            <p class="actions">
                <a class="button" href=format!("/signin?next={}", next)>{t("nav-sign-in")}</a>
                <a class="button secondary" href="/signup">{t("nav-create-account")}</a>
            </p>
        </section>
    }
}

/// Formats unix milliseconds as IST (UTC+05:30), the users' time zone.
pub fn format_ist(ms: i64) -> String {
    let ist = ms + 19_800_000;
    let secs = ist.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::domain::time::civil_from_days(days);
    let month = t(&format!("month-{m}"));
    format!("{d} {month} {y}, {:02}:{:02} IST", rem / 3600, (rem % 3600) / 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_ist() {
        // 2026-10-01 04:30:00 UTC = 10:00 IST
        assert_eq!(super::format_ist(1_790_829_000_000), "1 Oct 2026, 10:00 IST");
    }
}
