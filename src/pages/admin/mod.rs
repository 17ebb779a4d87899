//! Admin: every deposit and postback, searchable, with the suspense list.

use super::{query_message, query_param};
use crate::api::admin::AssignSuspense;
use crate::api::admin::get_admin_overview;
use crate::components::ui::{ErrorNote, InfoNote, SignInPrompt, StatusBadge, format_ist};
use crate::domain::{DepositStatus, Money, url_encode};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

pub mod audit;
pub mod inspector;
pub mod nav;
pub mod postbacks;
pub mod users;

fn verdict_class(v: &str) -> &'static str {
    if v.starts_with("credited") || v == "unmatched_credited" || v == "duplicate" || v == "withdrawal_recorded" {
        "badge badge-ok"
    } else if v == "suspense" || v == "review" || v == "mixed" || v == "processing" {
        "badge badge-pending"
    } else {
        "badge badge-bad"
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let q = query_param("q");
    let status = query_param("status");
    let before = query_param("before").and_then(|b| b.parse::<i64>().ok());
    let verdict = query_param("verdict");
    let pb_before = query_param("pb_before").and_then(|b| b.parse::<i64>().ok());
    let error = query_message("error");
    let notice = query_message("notice");
    let args = (q.clone(), status.clone(), before, verdict.clone(), pb_before);
    let data = Resource::new(move || args.clone(), |(q, s, b, v, pb)| get_admin_overview(q, s, b, v, pb));
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let (q, status, verdict) = (q.clone(), status.clone(), verdict.clone());
                let (error, notice) = (error.clone(), notice.clone());
                Suspend::new(async move {
                    match data.await {
                        Err(e) if e.to_string().contains("sign in") => view! { <SignInPrompt next="/admin" /> }.into_any(),
                        Err(e) if e.to_string().contains("Admins only") => view! {
                            <section class="card narrow"><h1>"Admins only"</h1><p>"This area is for the merchant's staff."</p></section>
                        }.into_any(),
                        Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                        Ok(o) => {
                            let q = q.unwrap_or_default();
                            let status = status.unwrap_or_default();
                            let verdict = verdict.unwrap_or_default();
                            let filter_q = q.clone();
                            let filter_status = status.clone();
                            view! {
                                <h1>"Admin"</h1>
                                <ErrorNote message=error />
                                <InfoNote message=notice />
                                <div class="stats">
                                    <div class="stat"><div class="label">"Credited in total"</div><div class="value">{Money::from_paise(o.credited_total_paise).to_string()}</div></div>
                                    {o.counts.iter().map(|(s, n)| view! {
                                        <div class="stat"><div class="label">{s.label()}</div><div class="value">{*n}</div></div>
                                    }).collect_view()}
                                    <div class="stat"><div class="label">"In suspense"</div><div class="value" data-testid="suspense-count">{o.suspense.len()}</div></div>
                                </div>

                                {(!o.suspense.is_empty()).then(|| view! {
                                    <section class="card">
                                        <h2>"Payments in suspense"</h2>
                                        <p class="muted small">"Verified payments that no signed field ties to a deposit (or not in rupees, or of a kind the signature does not tell). No balance has changed. The label was not signed: it is only a hint; assign after checking with the payer."</p>
                                        <div class="table-wrap"><table>
                                            <thead><tr><th>"Received"</th><th>"UPI reference"</th><th>"Label sent (unsigned)"</th><th>"Order ref"</th><th class="num">"Amount"</th><th>"Why"</th><th>"Credit to user"</th></tr></thead>
                                            <tbody>{o.suspense.iter().map(|p| view! {
                                                <tr>
                                                    <td>{format_ist(p.created_at)}</td><td class="mono">{p.transaction_id.clone()}</td><td>{p.label.clone()}</td><td class="mono">{p.order_ref.clone()}</td><td class="num">{if p.currency == "INR" { Money::from_paise(p.amount_paise).to_string() } else { format!("{} {}", Money::from_paise(p.amount_paise).to_decimal(), p.currency) }}</td>
                                                    <td class="small">{p.reason.clone()}</td>
                                                    <td>
                                                        <form method="post" action=AssignSuspense::PATH class="row">
                                                            <input type="hidden" name="transaction_id" value=p.transaction_id.clone() />
                                                            <input name="login" placeholder="login" required minlength="3" maxlength="36" style="width:9rem" aria-label="Login to credit" />
                                                            <button type="submit" class="button small">"Assign"</button>
                                                        </form>
                                                    </td>
                                                </tr>
                                            }).collect_view()}</tbody>
                                        </table></div>
                                    </section>
                                })}

                                <section class="card">
                                    <div class="spread"><h2>"Deposits"</h2></div>
                                    <form method="get" action="/admin" class="row" style="margin-bottom:.75rem">
                                        <input name="q" placeholder="Deposit id, login, order id or UPI reference" value=filter_q style="flex:1 1 260px" />
                                        <select name="status" style="width:auto">
                                            <option value="" selected=filter_status.is_empty()>"Any status"</option>
                                            {DepositStatus::ALL.into_iter().map(|s| view! {
                                                <option value=s.as_str() selected=filter_status == s.as_str()>{s.label()}</option>
                                            }).collect_view()}
                                        </select>
                                        <button type="submit" class="button small">"Search"</button>
                                    </form>
                                    {if o.deposits.is_empty() {
                                        view! { <p class="muted">"No deposits match."</p> }.into_any()
                                    } else {
                                        view! {
                                            <div class="table-wrap"><table data-testid="admin-deposits">
                                                <thead><tr><th>"Created"</th><th>"Deposit"</th><th>"User"</th><th class="num">"Amount"</th><th class="num">"Credited"</th><th>"Status"</th><th>"Provider"</th><th>"Notes"</th></tr></thead>
                                                <tbody>{o.deposits.iter().map(|d| view! {
                                                    <tr>
                                                        <td class="small">{format_ist(d.created_at)}</td>
                                                        <td><a class="mono small" href=format!("/deposits/{}", d.id)>{d.id.clone()}</a><div class="small muted">{d.method.clone()}</div></td>
                                                        <td>{d.login.clone()}</td>
                                                        <td class="num">{Money::from_paise(d.amount_paise).to_string()}</td>
                                                        <td class="num">{d.credited_paise.map(|c| Money::from_paise(c).to_string()).unwrap_or_default()}</td>
                                                        <td><StatusBadge status=d.status /></td>
                                                        <td class="mono small">{d.order_id.clone().unwrap_or_default()}<br/>{d.provider_txn_id.clone().unwrap_or_default()}</td>
                                                        <td class="small">{(!d.flags.is_empty()).then(|| view! { <span class="badge badge-pending">{d.flags.clone()}</span> })}
                                                            {d.failure_reason.clone().map(|r| view! { <div class="muted">{r}</div> })}</td>
                                                    </tr>
                                                }).collect_view()}</tbody>
                                            </table></div>
                                            <div class="pager">{o.next_before.map(|n| view! {
                                                <a class="button ghost small" href=format!("/admin?q={}&status={}&before={n}", url_encode(&q), url_encode(&status))>"Older"</a>
                                            })}</div>
                                        }.into_any()
                                    }}
                                </section>

                                <section class="card">
                                    <div class="spread">
                                        <h2>"Postbacks"</h2>
                                        <form method="get" action="/admin" class="row">
                                            <select name="verdict" style="width:auto">
                                                {["", "credited", "duplicate", "suspense", "review", "rejected", "malformed", "withdrawal_recorded", "mixed"].into_iter().map(|v| view! {
                                                    <option value=v selected=verdict == v>{if v.is_empty() { "Any verdict" } else { v }}</option>
                                                }).collect_view()}
                                            </select>
                                            <button type="submit" class="button small">"Filter"</button>
                                        </form>
                                    </div>
                                    <p class="muted small">"Every postback as it arrived, kept raw with the verdict, including forged and malformed ones."</p>
                                    <div class="table-wrap"><table data-testid="admin-postbacks">
                                        <thead><tr><th>"#"</th><th>"Received"</th><th>"From"</th><th>"Answer"</th><th>"Verdict"</th><th>"Body"</th></tr></thead>
                                        <tbody>{o.postbacks.iter().map(|p| view! {
                                            <tr>
                                                <td>{p.id}</td>
                                                <td class="small">{format_ist(p.received_at)}</td>
                                                <td class="small mono">{p.remote_addr.clone()}</td>
                                                <td>{p.http_status}</td>
                                                <td><span class=verdict_class(&p.verdict)>{p.verdict.clone()}</span>
                                                    {(p.detail != p.verdict).then(|| view! { <div class="small muted">{p.detail.clone()}</div> })}</td>
                                                <td><details><summary class="small">"raw"</summary><pre class="mono small" style="white-space:pre-wrap;max-width:520px">{p.body.clone()}</pre></details></td>
                                            </tr>
                                        }).collect_view()}</tbody>
                                    </table></div>
                                    <div class="pager">{o.postbacks_next_before.map(|n| view! {
                                        <a class="button ghost small" href=format!("/admin?verdict={}&pb_before={n}", url_encode(&verdict))>"Older"</a>
                                    })}</div>
                                </section>
                            }.into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}
