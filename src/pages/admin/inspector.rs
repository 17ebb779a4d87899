//! Admin: the postback inspector. Shows every step the postback endpoint
//! takes with a stored postback (`?id=`) or a pasted body (the form posts to
//! this page), using the same verifier and classifier; nothing is credited
//! or recorded. Signatures are shown masked: see docs/SECURITY.md.

use super::nav::{self, AdminNav};
use super::postbacks::verdict_class;
use crate::api::admin::postbacks::inspect_postback;
use crate::api::messages::Message;
use crate::components::ui::{ErrorNote, format_ist};
use crate::domain::{Money, url_encode};
use crate::pages::query_param;
use crate::views::{InspectorView, PastedPostback, PostbackInspection, StepOutcome};
use leptos::prelude::*;

/// The path of this page; its paste form posts here too.
pub const INSPECTOR_PATH: &str = crate::views::INSPECTOR_PAGE;

/// The server function refused the visitor (signed out, or not an admin),
/// as opposed to failing on the request itself.
pub fn is_access_refusal(e: &ServerFnError) -> bool {
    let text = e.to_string();
    text.contains("Please sign in") || text.contains("Admins only")
}

fn outcome_badge(o: StepOutcome) -> impl IntoView {
    let (class, text) = match o {
        StepOutcome::Pass => ("badge badge-ok", "pass"),
        StepOutcome::Fail => ("badge badge-bad", "fail"),
        StepOutcome::Skipped => ("badge badge-neutral", "skipped"),
        StepOutcome::Info => ("badge badge-neutral", "value"),
    };
    view! { <span class=class>{text}</span> }
}

fn yes_no(v: Option<bool>, yes: &'static str, no: &'static str) -> impl IntoView {
    match v {
        Some(true) => view! { <span class="badge badge-ok">{yes}</span> }.into_any(),
        Some(false) => view! { <span class="badge badge-bad">{no}</span> }.into_any(),
        None => view! { <span class="badge badge-neutral">"not compared"</span> }.into_any(),
    }
}

/// The two ways in: a received postback by id, or a pasted body.
fn forms(id: Option<i64>, pasted: String, view: Option<&InspectorView>) -> impl IntoView {
    let limit = view.map(|v| format!(" (at most {} bytes, as the postback endpoint reads)", v.body_limit_bytes));
    view! {
        <section class="card">
            <div class="grid-2">
                <form method="get" action=INSPECTOR_PATH class="stack">
                    <label>"A received postback"
                        <input name="id" type="number" min="1" inputmode="numeric" placeholder="Postback #" value=id.map(|i| i.to_string()) />
                        <span class="hint">"Its number in the postback log."</span>
                    </label>
                    <div><button type="submit" class="button small">"Inspect postback"</button></div>
                </form>
                <form method="post" action=INSPECTOR_PATH class="stack">
                    <label>"Or paste a raw body"
                        <textarea name="body" rows="6" spellcheck="false" class="mono small" placeholder="{\"signature\":\"...\",\"access_key\":\"...\",\"additional_data\":[...]}">{pasted}</textarea>
                        <span class="hint">"Checked exactly as the postback endpoint would" {limit} ". Nothing is stored."</span>
                    </label>
                    <div><button type="submit" class="button small">"Inspect body"</button></div>
                </form>
            </div>
        </section>
    }
}

fn report(i: PostbackInspection, configured_access_key: String) -> impl IntoView {
    let summary_class = if i.verified { "alert info" } else { "alert error" };
    let summary = if i.verified {
        format!(
            "Would be accepted: HTTP {} {{\"status\":\"ok\"}}, recorded with verdict \"{}\".",
            i.http_status, i.verdict
        )
    } else {
        format!(
            "Would be refused: HTTP {}, recorded with verdict \"{}\": {}.",
            i.http_status,
            i.verdict,
            i.refusal.clone().unwrap_or_default()
        )
    };
    let stored = i.stored.clone();
    view! {
        <div class=summary_class role="status" data-testid="inspection-summary">
            <span class=verdict_class(&i.verdict)>{i.verdict.clone()}</span>" "{summary}
            <div class="small">"This is only an inspection: nothing was credited or recorded."</div>
        </div>

        {stored.map(|p| view! {
            <section class="card">
                <h2>{format!("Postback #{}", p.id)}</h2>
                <div class="table-wrap"><table>
                    <tbody>
                        <tr><th>"Received"</th><td>{format_ist(p.received_at)}</td></tr>
                        <tr><th>"From"</th><td class="mono">{p.remote_addr.clone()}</td></tr>
                        <tr><th>"Answered then"</th><td><span class="mono">{p.http_status}</span>" "<span class=verdict_class(&p.verdict)>{p.verdict.clone()}</span>
                            {(!p.detail.is_empty() && p.detail != p.verdict).then(|| view! { <div class="small muted">{p.detail.clone()}</div> })}</td></tr>
                    </tbody>
                </table></div>
                <p class="small muted">"The verdict above is what the postback endpoint would do with this body now, with the keys configured now."</p>
                <details><summary class="small">"Body (signature redacted)"</summary><pre class="code small">{p.body.clone()}</pre></details>
            </section>
        })}

        <section class="card">
            <h2>"Verification, step by step"</h2>
            <div class="table-wrap"><table data-testid="inspection-steps">
                <thead><tr><th>"Step"</th><th>"Result"</th><th>"Detail"</th></tr></thead>
                <tbody>{i.steps.into_iter().map(|s| view! {
                    <tr><td>{s.name}</td><td>{outcome_badge(s.outcome)}</td><td class="small mono">{s.detail}</td></tr>
                }).collect_view()}</tbody>
            </table></div>
        </section>

        <section class="card">
            <h2>"Signature"</h2>
            <div class="table-wrap"><table data-testid="inspection-signature">
                <tbody>
                    <tr><th>"access_key received"</th><td class="mono">{i.access_key_received.clone().unwrap_or_else(|| "(none)".into())}</td></tr>
                    <tr><th>"access_key configured"</th><td class="mono">{configured_access_key}<div class="small muted">"The public postback key; the private key is never shown."</div></td></tr>
                    <tr><th>"Access key"</th><td>{yes_no(i.access_key_matches, "matches", "differs")}</td></tr>
                    <tr><th>"md5(J)"</th><td class="mono">{i.signed_json_md5.clone().unwrap_or_else(|| "(nothing to hash)".into())}</td></tr>
                    <tr><th>"Expected signature"</th><td class="mono" data-testid="expected-signature">{i.expected_signature_masked.clone().unwrap_or_else(|| "(nothing to sign)".into())}</td></tr>
                    <tr><th>"Received signature"</th><td class="mono" data-testid="received-signature">{i.received_signature_masked.clone().unwrap_or_else(|| "(none)".into())}</td></tr>
                    <tr><th>"Signature"</th><td data-testid="signature-match">{yes_no(i.signature_matches, "matches", "does not match")}</td></tr>
                </tbody>
            </table></div>
            <p class="small muted">
                "Signatures show their first 8 characters only. The whole signature the portal expects for a pasted body would let anyone who reads this page sign postbacks of their own and credit money; match or no match is all a check needs."
            </p>
            {i.signed_json.clone().map(|j| {
                let bytes = j.len();
                view! {
                <details open={bytes <= 4096}>
                    <summary class="small">{format!("J: additional_data as PHP's json_encode writes it ({bytes} bytes), what is signed")}</summary>
                    <pre class="code small" data-testid="signed-json">{j}</pre>
                </details>
                }
            })}
        </section>

        {i.verified.then(|| view! {
            <section class="card">
                <h2>"Signed items"</h2>
                <p class="small muted">"Only these signed fields decide whether money moves, how much and to whom."</p>
                {if i.items.is_empty() {
                    view! { <p class="muted">"No readable item."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap"><table data-testid="inspection-items">
                            <thead><tr><th>"#"</th><th>"Transaction"</th><th class="num">"Amount"</th><th>"Order ref"</th><th>"Kind"</th><th>"Would go"</th></tr></thead>
                            <tbody>{i.items.iter().map(|it| {
                                let amount = if it.currency == "INR" {
                                    Money::from_paise(it.amount_paise).to_string()
                                } else {
                                    format!("{} {}", Money::from_paise(it.amount_paise).to_decimal(), it.currency)
                                };
                                view! {
                                    <tr data-verdict=it.verdict.clone()>
                                        <td>{it.index}</td>
                                        <td class="mono small">{it.transaction_id.clone()}
                                            {it.claimed_by_postback.map(|id| view! {
                                                <div>"claimed by " <a href=format!("{INSPECTOR_PATH}?id={id}")>{format!("#{id}")}</a></div>
                                            })}</td>
                                        <td class="num">{amount}</td>
                                        <td class="mono small">{if it.order_ref.is_empty() { "(none)".to_string() } else { it.order_ref.clone() }}</td>
                                        <td><span class="badge badge-neutral">{it.kind.clone()}</span><div class="small muted">{it.kind_detail.clone()}</div></td>
                                        <td><span class=verdict_class(&it.verdict)>{it.verdict.clone()}</span>
                                            <div class="small">{it.explanation.clone()}
                                                {it.deposit_id.clone().map(|d| view! { " " <a href=format!("/admin/deposits/{}", url_encode(&d))>"open deposit"</a> })}
                                            </div>
                                            {(!it.flags.is_empty()).then(|| view! { <div class="small muted">{format!("flags: {}", it.flags.join(", "))}</div> })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table></div>
                    }.into_any()
                }}
                {(!i.unreadable.is_empty()).then(|| view! {
                    <div class="alert warn small">
                        <strong>"Kept for review (signed, but unreadable): "</strong>
                        {i.unreadable.join("; ")}
                    </div>
                })}
            </section>
            <section class="card">
                <h2>"Unsigned top-level fields"</h2>
                <p class="small muted">"Outside the signature: recorded and compared, never obeyed. Disagreements show as flags on the items."</p>
                <div class="table-wrap"><table>
                    <tbody>{i.unsigned.iter().cloned().map(|(k, v)| view! {
                        <tr><th class="mono">{k}</th><td class="mono">{if v.is_empty() { "(none)".to_string() } else { v }}</td></tr>
                    }).collect_view()}</tbody>
                </table></div>
            </section>
        })}
    }
}

#[component]
pub fn InspectorPage() -> impl IntoView {
    let id = query_param("id").and_then(|i| i.trim().parse::<i64>().ok());
    let pasted = use_context::<PastedPostback>().unwrap_or_default();
    let too_large = pasted.too_large;
    let body = Some(pasted.body.clone()).filter(|b| !b.trim().is_empty());
    let data = Resource::new(move || (id, body.clone()), |(id, body)| inspect_postback(id, body));
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let pasted = pasted.body.clone();
                Suspend::new(async move {
                    match data.await {
                        Err(e) if is_access_refusal(&e) => nav::refused(&e, INSPECTOR_PATH),
                        result => {
                            let (view_data, error) = match result {
                                Ok(v) => (Some(v), None),
                                Err(e) => (None, Some(e.to_string())),
                            };
                            let error = error.or(too_large.then(|| Message::InspectTooLarge.text().to_string()));
                            let key = view_data.as_ref().map(|v| v.configured_access_key.clone()).unwrap_or_default();
                            let inspection = view_data.as_ref().and_then(|v| v.inspection.clone());
                            view! {
                                <AdminNav current=INSPECTOR_PATH />
                                <h1>"Postback inspector"</h1>
                                <p class="muted small">
                                    "Every check the postback endpoint makes, with the same code: the access key, additional_data re-encoded the PHP way, its md5, the signature, and where each signed item would go. It only reads: nothing is credited or recorded."
                                </p>
                                <ErrorNote message=error />
                                {forms(id, pasted, view_data.as_ref())}
                                {inspection.map(|i| report(i, key))}
                            }.into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}
