//! /admin/deposits/{id}: one deposit's whole story (timeline of events,
//! postbacks with verdicts and redacted bodies, status checks, admin actions),
//! the ledger entries it caused, and the actions: re-check at the provider,
//! assign a suspense payment, add a note.

use super::nav::{AdminNav, refused};
use super::transactions::{status_badge_class, status_label};
use crate::api::admin::AssignSuspense;
use crate::api::admin::console::{AddDepositNote, RecheckDeposit, get_admin_deposit};
use crate::components::ui::{ErrorNote, InfoNote, format_ist};
use crate::domain::Money;
use crate::pages::query_message;
use crate::views::{DepositDetail, TimelineEntry};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "requested" => "Requested",
        "resubmitted" => "Asked again",
        "cancelled" => "Cancelled",
        "created" => "Created",
        "provider_answer" => "Provider answered",
        "status_check" => "Status check",
        "postback" => "Postback",
        "failed" => "Failed",
        "expired" => "Expired",
        "flagged" => "Flagged",
        "note" => "Note",
        "audit" => "Admin action",
        _ => "Event",
    }
}

#[component]
pub fn AdminDepositPage() -> impl IntoView {
    let id = use_params_map().with_untracked(|p| p.get("id").unwrap_or_default());
    let error = query_message("error");
    let notice = query_message("notice");
    let key = id.clone();
    let data = Resource::new(move || key.clone(), get_admin_deposit);
    view! {
        <AdminNav current="/admin/transactions" />
        <Suspense fallback=|| ()>
            {move || {
                let (id, error, notice) = (id.clone(), error.clone(), notice.clone());
                Suspend::new(async move {
                    match data.await {
                        Err(e) => refused(&e, &format!("/admin/deposits/{id}")),
                        Ok(None) => view! {
                            <section class="card narrow"><h1>"No such deposit"</h1>
                            <p><a href="/admin/transactions">"Back to transactions"</a></p></section>
                        }.into_any(),
                        Ok(Some(d)) => view! {
                            <ErrorNote message=error />
                            <InfoNote message=notice />
                            <Detail d=d />
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn Detail(d: DepositDetail) -> impl IntoView {
    let dep = d.deposit.clone();
    let back = format!("/admin/deposits/{}", dep.id);
    let open = matches!(dep.status.as_str(), "created" | "pending" | "unknown");
    let user_href = format!("/admin/users/{}", crate::domain::url_encode(&dep.login));
    view! {
        <div class="spread">
            <h1 class="mono-title">"Deposit " <span class="mono">{dep.id.clone()}</span></h1>
            <span class=status_badge_class(&dep.status) data-testid="deposit-status">{status_label(&dep.status)}</span>
        </div>
        <div class="detail-grid">
            <section class="card">
                <h2>"Summary"</h2>
                <dl class="facts">
                    <dt>"User"</dt><dd><a href=user_href>{dep.login.clone()}</a></dd>
                    <dt>"Amount"</dt><dd>{Money::from_paise(dep.amount_paise).to_string()}</dd>
                    <dt>"Credited"</dt><dd>{dep.credited_paise.map(|c| Money::from_paise(c).to_string()).unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Method"</dt><dd>{dep.method.clone()}</dd>
                    <dt>"Provider order"</dt><dd class="mono">{dep.order_id.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"UPI reference"</dt><dd class="mono" data-testid="upi-reference">{dep.reference.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Created"</dt><dd>{format_ist(dep.created_at)}</dd>
                    <dt>{if open { "Expires" } else { "Settled" }}</dt>
                    <dd>{if open { format_ist(d.expires_at) } else { dep.settled_at.map(format_ist).unwrap_or_else(|| "—".into()) }}</dd>
                    <dt>"Flags"</dt>
                    <dd>{if dep.flags.is_empty() { view! { <span class="muted">"none"</span> }.into_any() } else {
                        dep.flags.split(',').filter(|f| !f.is_empty()).map(|f| view! { <span class="badge badge-pending flag">{f.replace('_', " ")}</span> }).collect_view().into_any() }}</dd>
                    {d.failure_reason.clone().map(|r| view! { <dt>"Reason"</dt><dd>{r}</dd> })}
                </dl>
            </section>
            <section class="card">
                <h2>"Actions"</h2>
                <form method="post" action=RecheckDeposit::PATH class="row">
                    <input type="hidden" name="id" value=dep.id.clone() />
                    <button type="submit" class="button small" disabled=!open>"Re-check at the provider now"</button>
                    <span class="small muted">{if open { "Asks the provider's status API; never credits by itself." } else { "The deposit is settled." }}</span>
                </form>
                <form method="post" action=AddDepositNote::PATH class="note-form">
                    <input type="hidden" name="id" value=dep.id.clone() />
                    <label for="note">"Add a note"</label>
                    <textarea id="note" name="note" rows="2" maxlength="1000" required placeholder="What you found, who you spoke to"></textarea>
                    <button type="submit" class="button small secondary">"Add note"</button>
                </form>
            </section>
        </div>

        {(!d.candidates.is_empty()).then(|| view! {
            <section class="card">
                <h2>"Payments in suspense that may be this deposit's"</h2>
                <p class="muted small">"Same amount, or the unsigned label names this user. Check with the payer before assigning: the payment is credited to the user once, and the action is audited."</p>
                <div class="table-wrap"><table>
                    <thead><tr><th>"Received"</th><th>"UPI reference"</th><th>"Label (unsigned)"</th><th class="num">"Amount"</th><th>"Why"</th><th></th></tr></thead>
                    <tbody>{d.candidates.iter().map(|p| view! {
                        <tr>
                            <td class="small">{format_ist(p.created_at)}</td>
                            <td class="mono small">{p.transaction_id.clone()}</td>
                            <td>{p.label.clone()}</td>
                            <td class="num">{Money::from_paise(p.amount_paise).to_string()}</td>
                            <td class="small">{p.reason.clone()}</td>
                            <td>
                                <form method="post" action=AssignSuspense::PATH>
                                    <input type="hidden" name="transaction_id" value=p.transaction_id.clone() />
                                    <input type="hidden" name="login" value=dep.login.clone() />
                                    <input type="hidden" name="back" value=back.clone() />
                                    <button type="submit" class="button small">{format!("Assign to {}", dep.login)}</button>
                                </form>
                            </td>
                        </tr>
                    }).collect_view()}</tbody>
                </table></div>
            </section>
        })}

        <section class="card">
            <h2>"Timeline"</h2>
            <ol class="timeline" data-testid="timeline">
                {d.timeline.into_iter().map(|t| view! { <TimelineItem t=t /> }).collect_view()}
            </ol>
        </section>

        <section class="card">
            <h2>"Ledger entries"</h2>
            {if d.entries.is_empty() {
                view! { <p class="muted">"This deposit has moved no money."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap"><table data-testid="ledger">
                        <thead><tr><th>"#"</th><th>"When"</th><th>"Kind"</th><th>"Bucket"</th><th class="num">"Amount"</th><th>"Reference"</th></tr></thead>
                        <tbody>{d.entries.iter().map(|e| view! {
                            <tr><td>{e.id}</td><td class="small">{format_ist(e.created_at)}</td><td>{e.kind.clone()}</td><td>{e.bucket.clone()}</td>
                            <td class="num">{Money::from_paise(e.amount_paise).to_string()}</td><td class="mono small">{e.reference.clone()}</td></tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn TimelineItem(t: TimelineEntry) -> impl IntoView {
    let class = format!("timeline-item kind-{}", t.kind);
    view! {
        <li class=class>
            <div class="when small muted">{format_ist(t.at)}</div>
            <div class="what"><strong>{kind_label(&t.kind)}</strong> " " <span>{t.detail.clone()}</span></div>
            {t.postback.map(|p| view! {
                <div class="small">
                    "Postback #" {p.id} " from " <span class="mono">{p.remote_addr.clone()}</span>
                    " · answered " {p.http_status} " · verdict " <span class="badge badge-neutral">{p.verdict.clone()}</span>
                    " · " <a href=format!("/admin/postbacks/inspect?id={}", p.id)>"inspect"</a>
                    <details><summary>"body (signature redacted)"</summary><pre class="mono small body">{p.body.clone()}</pre></details>
                </div>
            })}
        </li>
    }
}
