//! /admin/withdrawals/{id}: one withdrawal's story (requested, the
//! provider's answers, result postbacks, flags, admin actions), the ledger
//! entries of its hold, and the cancel action while it waits for the provider.

use super::deposit::TimelineItem;
use super::nav::{AdminNav, refused};
use super::transactions::{status_badge_class, status_label};
use crate::api::admin::withdrawals::{CancelWithdrawal, get_admin_withdrawal};
use crate::components::ui::{ErrorNote, InfoNote, format_ist};
use crate::domain::Money;
use crate::pages::query_message;
use crate::views::WithdrawalDetail;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;

#[component]
pub fn AdminWithdrawalPage() -> impl IntoView {
    let id = use_params_map().with_untracked(|p| p.get("id").unwrap_or_default());
    let error = query_message("error");
    let notice = query_message("notice");
    let key = id.clone();
    let data = Resource::new(move || key.clone(), get_admin_withdrawal);
    view! {
        <AdminNav current="/admin/transactions" />
        <Suspense fallback=|| ()>
            {move || {
                let (id, error, notice) = (id.clone(), error.clone(), notice.clone());
                Suspend::new(async move {
                    match data.await {
                        Err(e) => refused(&e, &format!("/admin/withdrawals/{id}")),
                        Ok(None) => view! {
                            <section class="card narrow"><h1>"No such withdrawal"</h1>
                            <p><a href="/admin/transactions?kind=withdrawal">"Back to withdrawals"</a></p></section>
                        }.into_any(),
                        Ok(Some(w)) => view! {
                            <ErrorNote message=error />
                            <InfoNote message=notice />
                            <Detail w=w />
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn Detail(w: WithdrawalDetail) -> impl IntoView {
    let row = w.withdrawal.clone();
    let user_href = format!("/admin/users/{}", crate::domain::url_encode(&row.login));
    view! {
        <div class="spread">
            <h1 class="mono-title">"Withdrawal " <span class="mono">{row.id.clone()}</span></h1>
            <span class=status_badge_class(&row.status) data-testid="withdrawal-status">{status_label(&row.status)}</span>
        </div>
        <div class="detail-grid">
            <section class="card">
                <h2>"Summary"</h2>
                <dl class="facts">
                    <dt>"User"</dt><dd><a href=user_href>{row.login.clone()}</a></dd>
                    <dt>"Amount"</dt><dd>{Money::from_paise(row.amount_paise).to_string()}</dd>
                    <dt>"To account"</dt><dd class="mono">{w.account_masked.clone()}</dd>
                    <dt>"Account holder"</dt><dd>{w.account_name.clone()}</dd>
                    <dt>"IFSC"</dt><dd class="mono">{w.ifsc.clone()}</dd>
                    <dt>"Requested"</dt><dd>{format_ist(row.created_at)}</dd>
                    <dt>"Settled"</dt><dd>{row.settled_at.map(format_ist).unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Provider"</dt><dd class="small">{if w.provider_status.is_empty() { "—".to_string() } else { w.provider_status.clone() }}</dd>
                    <dt>"Flags"</dt>
                    <dd data-testid="withdrawal-flags">{if row.flags.is_empty() { view! { <span class="muted">"none"</span> }.into_any() } else {
                        row.flags.split(',').filter(|f| !f.is_empty()).map(|f| view! { <span class="badge badge-pending flag">{f.replace('_', " ")}</span> }).collect_view().into_any() }}</dd>
                    {w.failure_reason.clone().map(|r| view! { <dt>"Reason"</dt><dd>{r}</dd> })}
                </dl>
            </section>
            <section class="card">
                <h2>"Actions"</h2>
                {if w.open {
                    view! {
                        <form method="post" action=CancelWithdrawal::PATH class="note-form" data-testid="cancel-form">
                            <input type="hidden" name="id" value=row.id.clone() />
                            <label for="reason">"Cancel this withdrawal"</label>
                            <textarea id="reason" name="reason" rows="2" maxlength="500" required placeholder="Why: the user asked, the provider confirmed it never arrived, ..."></textarea>
                            <p class="small muted">"The hold goes back to the user's available balance, audited. If the provider pays it after all, the payout is flagged for you: money never moves twice."</p>
                            <button type="submit" class="button small danger">"Cancel and release the hold"</button>
                        </form>
                    }.into_any()
                } else {
                    view! { <p class="muted">"This withdrawal is settled: nothing is held any more."</p> }.into_any()
                }}
            </section>
        </div>
        <section class="card">
            <h2>"Timeline"</h2>
            <ol class="timeline" data-testid="timeline">
                {w.timeline.into_iter().map(|t| view! { <TimelineItem t=t /> }).collect_view()}
            </ol>
        </section>
        <section class="card">
            <h2>"Ledger entries"</h2>
            <div class="table-wrap"><table data-testid="ledger">
                <thead><tr><th>"#"</th><th>"When"</th><th>"Kind"</th><th>"Bucket"</th><th class="num">"Amount"</th></tr></thead>
                <tbody>{w.entries.iter().map(|e| view! {
                    <tr><td>{e.id}</td><td class="small">{format_ist(e.created_at)}</td><td>{e.kind.clone()}</td><td>{e.bucket.clone()}</td>
                    <td class="num">{Money::from_paise(e.amount_paise).to_string()}</td></tr>
                }).collect_view()}</tbody>
            </table></div>
        </section>
    }
}
