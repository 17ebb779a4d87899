//! Admin: the postback log. Every postback received, accepted or refused,
//! newest first, filtered by verdict; each row links to the inspector.

use super::nav::{self, AdminNav, Pager};
use crate::api::admin::postbacks::get_postback_log;
use crate::components::ui::format_ist;
use crate::domain::url_encode;
use crate::pages::query_param;
use leptos::prelude::*;

/// The badge class of a postback verdict.
pub fn verdict_class(verdict: &str) -> &'static str {
    let head = verdict.split([' ', ':', '(']).next().unwrap_or("");
    match head {
        "credited" | "duplicate" | "withdrawal_recorded" | "withdrawal_paid" | "withdrawal_rejected" => {
            "badge badge-ok"
        }
        "withdrawal_pending" => "badge badge-pending",
        "suspense" | "review" | "mixed" => "badge badge-pending",
        _ => "badge badge-bad",
    }
}

/// What an HTTP answer to the provider means, in a word.
fn answer_label(status: i64) -> &'static str {
    match status {
        200 => "ok",
        400 => "malformed",
        403 => "refused",
        413 => "too large",
        503 => "not committed",
        _ => "",
    }
}

#[component]
pub fn PostbacksPage() -> impl IntoView {
    let verdict = query_param("verdict");
    let before = query_param("before").and_then(|b| b.parse::<i64>().ok());
    let data = Resource::new(move || (verdict.clone(), before), |(v, b)| get_postback_log(v, b));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => nav::refused(&e, "/admin/postbacks"),
                    Ok(log) => {
                        let chosen = log.verdict.clone();
                        let older = log.next_before.map(|n| format!("/admin/postbacks?verdict={}&before={n}", url_encode(&log.verdict)));
                        let newest = before.map(|_| format!("/admin/postbacks?verdict={}", url_encode(&log.verdict)));
                        view! {
                            <AdminNav current="/admin/postbacks" />
                            <div class="spread">
                                <h1>"Postbacks"</h1>
                                <a class="button ghost small" href="/admin/postbacks/inspect">"Inspect a body"</a>
                            </div>
                            <p class="muted small">
                                "Every postback the provider (or anyone) sent, kept as it arrived with what the portal answered and why, forged and malformed ones included. Signatures are redacted: a signed body is a replayable credential."
                            </p>
                            <section class="card">
                                <form method="get" action="/admin/postbacks" class="row" style="margin-bottom:.75rem">
                                    <label class="sr-only" for="verdict">"Verdict"</label>
                                    <select id="verdict" name="verdict" style="width:auto">
                                        <option value="" selected=chosen.is_empty()>"Any verdict"</option>
                                        {log.verdicts.iter().map(|v| view! {
                                            <option value=v.clone() selected=*v == chosen>{v.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                    <button type="submit" class="button small">"Filter"</button>
                                    {(!chosen.is_empty()).then(|| view! { <a class="small" href="/admin/postbacks">"Clear"</a> })}
                                </form>
                                {if log.rows.is_empty() {
                                    view! { <p class="muted" data-testid="no-postbacks">"No postbacks match."</p> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-wrap"><table data-testid="postback-log">
                                            <thead><tr>
                                                <th>"#"</th><th>"Received"</th><th>"From"</th><th>"Answer"</th><th>"Verdict"</th>
                                                <th>"Deposit / transaction"</th><th>"Body"</th><th></th>
                                            </tr></thead>
                                            <tbody>{log.rows.into_iter().map(|row| {
                                                let p = row.postback;
                                                let inspect = format!("/admin/postbacks/inspect?id={}", p.id);
                                                view! {
                                                    <tr data-verdict=p.verdict.clone()>
                                                        <td class="mono small">{p.id}</td>
                                                        <td class="small">{format_ist(p.received_at)}</td>
                                                        <td class="mono small">{p.remote_addr.clone()}</td>
                                                        <td><span class="mono">{p.http_status}</span>
                                                            <div class="small muted">{answer_label(p.http_status)}</div></td>
                                                        <td><span class=verdict_class(&p.verdict)>{p.verdict.clone()}</span>
                                                            {(!p.detail.is_empty() && p.detail != p.verdict).then(|| view! { <div class="small muted">{p.detail.clone()}</div> })}</td>
                                                        <td class="small">
                                                            {if row.links.is_empty() {
                                                                view! { <span class="muted">"—"</span> }.into_any()
                                                            } else {
                                                                row.links.into_iter().map(|l| view! {
                                                                    <div>
                                                                        {l.deposit_id.clone().map(|d| view! {
                                                                            <a class="mono" href=format!("/admin/deposits/{}", url_encode(&d))>{d.clone()}</a>" "
                                                                        })}
                                                                        <span class="mono muted">{l.transaction_id.clone()}</span>" "
                                                                        <span class="badge badge-neutral">{l.status.clone()}</span>
                                                                        {(l.postback_id != p.id).then(|| view! {
                                                                            <div class="muted">"first claimed by " <a href=format!("/admin/postbacks/inspect?id={}", l.postback_id)>{format!("#{}", l.postback_id)}</a></div>
                                                                        })}
                                                                    </div>
                                                                }).collect_view().into_any()
                                                            }}
                                                        </td>
                                                        <td><details><summary class="small">{format!("{} bytes", p.body.len())}</summary>
                                                            <pre class="code small">{p.body.clone()}</pre></details></td>
                                                        <td><a class="button ghost small" href=inspect>"Inspect"</a></td>
                                                    </tr>
                                                }
                                            }).collect_view()}</tbody>
                                        </table></div>
                                    }.into_any()
                                }}
                                <Pager newest=newest older=older />
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
