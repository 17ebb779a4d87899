use super::{query_message, query_param};
use crate::api::account::get_balance;
use crate::components::ui::{ErrorNote, InfoNote, SignInPrompt, StatusBadge, format_ist};
use crate::domain::Money;
use crate::i18n::t;
use crate::views::withdrawal_status_label;
use leptos::prelude::*;

/// How a ledger entry's kind reads on a page (the user's balance and the admin's view of it).
pub fn entry_kind_label(kind: &str) -> String {
    let known = ["deposit_credit", "withdrawal_hold", "hold_release", "withdrawal_payout", "adjustment"];
    t(&format!("entry-{}", if known.contains(&kind) { kind } else { "other" }))
}

#[component]
pub fn BalancePage() -> impl IntoView {
    let before = query_param("before").and_then(|b| b.parse::<i64>().ok());
    let notice = query_message("notice");
    let error = query_message("error");
    let view_res = Resource::new(move || before, get_balance);
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let (notice, error) = (notice.clone(), error.clone());
                Suspend::new(async move {
                match view_res.await {
                    Err(e) if e.to_string().contains("sign in") => view! { <SignInPrompt next="/balance" /> }.into_any(),
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                    Ok(b) => view! {
                        <h1>{t("balance-title")}</h1>
                        <InfoNote message=notice />
                        <ErrorNote message=error />
                        <div class="stats">
                            <div class="stat"><div class="label">{t("balance-title")}</div><div class="value" data-testid="balance">{Money::from_paise(b.balance_paise).to_string()}</div></div>
                            <div class="stat"><div class="label">{t("balance-available")}</div><div class="value" data-testid="available">{Money::from_paise(b.available_paise).to_string()}</div></div>
                            <div class="stat"><div class="label">{t("balance-held")}</div><div class="value">{Money::from_paise(b.held_paise).to_string()}</div></div>
                        </div>
                        <p class="row"><a class="button" href="/deposit">{t("add-money")}</a><a class="button secondary" href="/withdraw">{t("nav-withdraw")}</a></p>
                        {(!b.open_deposits.is_empty()).then(|| view! {
                            <section class="card">
                                <h2>{t("balance-pending-deposits")}</h2>
                                <div class="table-wrap"><table class="cards">
                                    <thead><tr><th>{t("col-started")}</th><th>{t("col-deposit")}</th><th class="num">{t("col-amount")}</th><th>{t("col-status")}</th></tr></thead>
                                    <tbody>
                                        {b.open_deposits.into_iter().map(|d| view! {
                                            <tr>
                                                <td data-label=t("col-started")>{format_ist(d.created_at)}</td>
                                                <td data-label=t("col-deposit")><a class="mono" href=format!("/deposits/{}", d.id)>{d.id.clone()}</a></td>
                                                <td class="num" data-label=t("col-amount")>{Money::from_paise(d.amount_paise).to_string()}</td>
                                                <td data-label=t("col-status")><StatusBadge status=d.status /></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                            </section>
                        })}
                        {(!b.withdrawals.is_empty()).then(|| view! {
                            <section class="card">
                                <h2>{t("balance-withdrawals")}</h2>
                                {b.sandbox_admin_url.clone().filter(|_| b.withdrawals.iter().any(|w| matches!(w.status.as_str(), "requested" | "submitted" | "unknown"))).map(|url| view! {
                                    <div class="alert warn small" data-testid="sandbox-withdrawal-hint">
                                        {t("sandbox-plays-bank")} " "
                                        <a href=url target="_blank" rel="noopener">{t("sandbox-withdrawal-link")}</a>
                                        "."
                                    </div>
                                })}
                                <div class="table-wrap"><table class="cards" data-testid="withdrawals">
                                    <thead><tr><th>{t("col-requested")}</th><th>{t("col-to")}</th><th class="num">{t("col-amount")}</th><th>{t("col-status")}</th></tr></thead>
                                    <tbody>
                                        {b.withdrawals.into_iter().map(|w| {
                                            let badge = format!("badge badge-{}", w.status);
                                            view! {
                                                <tr data-withdrawal=w.id.clone()>
                                                    <td data-label=t("col-requested")>{format_ist(w.created_at)}</td>
                                                    <td data-label=t("col-to")><div><span class="mono">{w.account_masked.clone()}</span><div class="small muted">{w.ifsc.clone()}</div></div></td>
                                                    <td class="num" data-label=t("col-amount")>{Money::from_paise(w.amount_paise).to_string()}</td>
                                                    <td data-label=t("col-status")><div><span class=badge data-testid="withdrawal-status" data-status=w.status.clone()>{withdrawal_status_label(&w.status)}</span>
                                                        {w.reason.clone().filter(|_| w.status != "paid").map(|r| view! { <div class="small muted">{r}</div> })}</div></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                            </section>
                        })}
                        <section class="card">
                            <h2>{t("balance-history")}</h2>
                            {if b.entries.is_empty() {
                                view! { <p class="muted">{t("balance-no-entries")}</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap"><table class="cards" data-testid="ledger">
                                        <thead><tr><th>{t("col-when")}</th><th>{t("col-what")}</th><th>{t("col-reference")}</th><th class="num">{t("col-amount")}</th></tr></thead>
                                        <tbody>
                                            {b.entries.into_iter().map(|e| {
                                                let cls = if e.amount_paise >= 0 { "num amount positive" } else { "num amount negative" };
                                                let amount = if e.amount_paise > 0 { format!("+{}", Money::from_paise(e.amount_paise)) } else { Money::from_paise(e.amount_paise).to_string() };
                                                view! {
                                                    <tr>
                                                        <td data-label=t("col-when")>{format_ist(e.created_at)}</td>
                                                        <td data-label=t("col-what")><div>{entry_kind_label(&e.kind)}{(e.bucket == "held").then(|| view! { " " <span class="badge badge-neutral">{t("badge-held")}</span> })}
                                                            <div class="small muted">{e.memo.clone()}</div></div></td>
                                                        <td class="mono small refs" data-label=t("col-reference")>{e.reference.clone()}</td>
                                                        <td class=cls data-label=t("col-amount")>{amount}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table></div>
                                    <div class="pager">
                                        {before.map(|_| view! { <a class="button ghost small" href="/balance">{t("pager-newest")}</a> })}
                                        {b.next_before.map(|n| view! { <a class="button ghost small" href=format!("/balance?before={n}")>{t("pager-older")}</a> })}
                                    </div>
                                }.into_any()
                            }}
                        </section>
                    }.into_any(),
                }
            })}}
        </Suspense>
    }
}
