use super::{query_message, query_param};
use crate::api::account::get_balance;
use crate::components::ui::{ErrorNote, InfoNote, SignInPrompt, StatusBadge, format_ist};
use crate::domain::Money;
use crate::views::withdrawal_status_label;
use leptos::prelude::*;

/// How a ledger entry's kind reads on a page (the user's balance and the admin's view of it).
pub fn entry_kind_label(kind: &str) -> &'static str {
    match kind {
        "deposit_credit" => "UPI deposit",
        "withdrawal_hold" => "Withdrawal (reserved)",
        "hold_release" => "Withdrawal returned",
        "withdrawal_payout" => "Withdrawal paid",
        "adjustment" => "Adjustment",
        _ => "Entry",
    }
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
                        <h1>"Balance"</h1>
                        <InfoNote message=notice />
                        <ErrorNote message=error />
                        <div class="stats">
                            <div class="stat"><div class="label">"Balance"</div><div class="value" data-testid="balance">{Money::from_paise(b.balance_paise).to_string()}</div></div>
                            <div class="stat"><div class="label">"Available to withdraw"</div><div class="value" data-testid="available">{Money::from_paise(b.available_paise).to_string()}</div></div>
                            <div class="stat"><div class="label">"Held for withdrawals"</div><div class="value">{Money::from_paise(b.held_paise).to_string()}</div></div>
                        </div>
                        <p class="row"><a class="button" href="/deposit">"Add money"</a><a class="button secondary" href="/withdraw">"Withdraw"</a></p>
                        {(!b.open_deposits.is_empty()).then(|| view! {
                            <section class="card">
                                <h2>"Pending deposits"</h2>
                                <div class="table-wrap"><table class="cards">
                                    <thead><tr><th>"Started"</th><th>"Deposit"</th><th class="num">"Amount"</th><th>"Status"</th></tr></thead>
                                    <tbody>
                                        {b.open_deposits.into_iter().map(|d| view! {
                                            <tr>
                                                <td data-label="Started">{format_ist(d.created_at)}</td>
                                                <td data-label="Deposit"><a class="mono" href=format!("/deposits/{}", d.id)>{d.id.clone()}</a></td>
                                                <td class="num" data-label="Amount">{Money::from_paise(d.amount_paise).to_string()}</td>
                                                <td data-label="Status"><StatusBadge status=d.status /></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                            </section>
                        })}
                        {(!b.withdrawals.is_empty()).then(|| view! {
                            <section class="card">
                                <h2>"Withdrawals"</h2>
                                {b.sandbox_admin_url.clone().filter(|_| b.withdrawals.iter().any(|w| matches!(w.status.as_str(), "requested" | "submitted" | "unknown"))).map(|url| view! {
                                    <div class="alert warn small" data-testid="sandbox-withdrawal-hint">
                                        "Demo: the provider sandbox plays the bank. "
                                        <a href=url target="_blank" rel="noopener">"Pay or reject the withdrawal on its operator page"</a>
                                        "."
                                    </div>
                                })}
                                <div class="table-wrap"><table class="cards" data-testid="withdrawals">
                                    <thead><tr><th>"Requested"</th><th>"To"</th><th class="num">"Amount"</th><th>"Status"</th></tr></thead>
                                    <tbody>
                                        {b.withdrawals.into_iter().map(|w| {
                                            let badge = format!("badge badge-{}", w.status);
                                            view! {
                                                <tr data-withdrawal=w.id.clone()>
                                                    <td data-label="Requested">{format_ist(w.created_at)}</td>
                                                    <td data-label="To"><div><span class="mono">{w.account_masked.clone()}</span><div class="small muted">{w.ifsc.clone()}</div></div></td>
                                                    <td class="num" data-label="Amount">{Money::from_paise(w.amount_paise).to_string()}</td>
                                                    <td data-label="Status"><div><span class=badge data-testid="withdrawal-status" data-status=w.status.clone()>{withdrawal_status_label(&w.status)}</span>
                                                        {w.reason.clone().filter(|_| w.status != "paid").map(|r| view! { <div class="small muted">{r}</div> })}</div></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                            </section>
                        })}
                        <section class="card">
                            <h2>"History"</h2>
                            {if b.entries.is_empty() {
                                view! { <p class="muted">"No entries yet. Your deposits and withdrawals will appear here."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap"><table class="cards" data-testid="ledger">
                                        <thead><tr><th>"When"</th><th>"What"</th><th>"Reference"</th><th class="num">"Amount"</th></tr></thead>
                                        <tbody>
                                            {b.entries.into_iter().map(|e| {
                                                let cls = if e.amount_paise >= 0 { "num amount positive" } else { "num amount negative" };
                                                let amount = if e.amount_paise > 0 { format!("+{}", Money::from_paise(e.amount_paise)) } else { Money::from_paise(e.amount_paise).to_string() };
                                                view! {
                                                    <tr>
                                                        <td data-label="When">{format_ist(e.created_at)}</td>
                                                        <td data-label="What"><div>{entry_kind_label(&e.kind)}{(e.bucket == "held").then(|| view! { " " <span class="badge badge-neutral">"held"</span> })}
                                                            <div class="small muted">{e.memo.clone()}</div></div></td>
                                                        <td class="mono small refs" data-label="Reference">{e.reference.clone()}</td>
                                                        <td class=cls data-label="Amount">{amount}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table></div>
                                    <div class="pager">
                                        {before.map(|_| view! { <a class="button ghost small" href="/balance">"Newest"</a> })}
                                        {b.next_before.map(|n| view! { <a class="button ghost small" href=format!("/balance?before={n}")>"Older"</a> })}
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
