//! Admin: the audit trail. Every admin action (who, what, when, on what,
//! the state before and after), newest first, filtered by action.

use super::nav::{self, AdminNav, Pager};
use crate::api::admin::audit::get_audit_trail;
use crate::components::ui::format_ist;
use crate::domain::{Money, url_encode};
use crate::pages::query_param;
use leptos::prelude::*;

/// Where a target (`kind:id`) is shown, when the console has a page for it.
fn target_href(target: &str, payment_postbacks: &[(String, i64)]) -> Option<String> {
    let (kind, id) = target.split_once(':')?;
    match kind {
        "deposit" => Some(format!("/admin/deposits/{}", url_encode(id))),
        "user" => Some(format!("/admin/users/{}", url_encode(id))),
        "postback" => Some(format!("/admin/postbacks/inspect?id={}", url_encode(id))),
        "payment" => payment_postbacks
            .iter()
            .find(|(t, _)| t == id)
            .map(|(_, postback)| format!("/admin/postbacks/inspect?id={postback}")),
        _ => None,
    }
}

/// A state as stored (JSON text): an object's fields one a line (amounts in
/// paise shown in rupees), anything else as it is, or a dash.
fn state_cell(json: String) -> impl IntoView {
    if json.is_empty() {
        return view! { <span class="muted">"—"</span> }.into_any();
    }
    match serde_json::from_str::<serde_json::Value>(&json) {
        Ok(serde_json::Value::Object(fields)) => view! {
            <div class="kv small">
                {fields.into_iter().map(|(key, value)| {
                    let (key, value) = match (key.strip_suffix("_paise"), value.as_i64()) {
                        (Some(name), Some(paise)) => (name.to_string(), Money::from_paise(paise).to_string()),
                        _ => (key, value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string())),
                    };
                    view! { <div><span class="muted">{key}": "</span>{value}</div> }
                }).collect_view()}
            </div>
        }
        .into_any(),
        _ => view! { <code class="mono small">{json}</code> }.into_any(),
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let action = query_param("action");
    let before = query_param("before").and_then(|b| b.parse::<i64>().ok());
    let chosen = action.clone().unwrap_or_default();
    let data = Resource::new(move || (action.clone(), before), |(a, b)| get_audit_trail(a, b));
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let chosen = chosen.clone();
                Suspend::new(async move {
                    match data.await {
                        Err(e) => nav::refused(&e, "/admin/audit"),
                        Ok(trail) => {
                            let older = trail.next_before.map(|n| format!("/admin/audit?action={}&before={n}", url_encode(&chosen)));
                            let newest = before.map(|_| format!("/admin/audit?action={}", url_encode(&chosen)));
                            let links = trail.payment_postbacks.clone();
                            view! {
                                <AdminNav current="/admin/audit" />
                                <h1>"Audit trail"</h1>
                                <p class="muted small">"Every admin action, written in the same transaction as the change it records."</p>
                                <section class="card">
                                    <form method="get" action="/admin/audit" class="row" style="margin-bottom:.75rem">
                                        <label class="sr-only" for="audit-action">"Action"</label>
                                        <select id="audit-action" name="action" style="width:auto">
                                            <option value="" selected=chosen.is_empty()>"Any action"</option>
                                            {trail.actions.iter().map(|a| view! {
                                                <option value=a.clone() selected=*a == chosen>{a.clone()}</option>
                                            }).collect_view()}
                                        </select>
                                        <button type="submit" class="button small">"Filter"</button>
                                        {(!chosen.is_empty()).then(|| view! { <a class="small" href="/admin/audit">"Clear"</a> })}
                                    </form>
                                    {if trail.entries.is_empty() {
                                        view! { <p class="muted">"No admin action recorded."</p> }.into_any()
                                    } else {
                                        view! {
                                            <div class="table-wrap"><table data-testid="audit-trail">
                                                <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Target"</th><th>"Detail"</th><th>"Before"</th><th>"After"</th></tr></thead>
                                                <tbody>{trail.entries.into_iter().map(|a| {
                                                    let target = match target_href(&a.target, &links) {
                                                        Some(href) => view! { <a class="mono small" href=href>{a.target.clone()}</a> }.into_any(),
                                                        None => view! { <span class="mono small">{a.target.clone()}</span> }.into_any(),
                                                    };
                                                    view! {
                                                        <tr data-action=a.action.clone()>
                                                            <td class="small nowrap">{format_ist(a.created_at)}</td>
                                                            <td>{a.admin_login.clone()}</td>
                                                            <td><span class="badge badge-neutral">{a.action.clone()}</span></td>
                                                            <td>{target}</td>
                                                            <td class="small wrap">{a.detail.clone()}</td>
                                                            <td>{state_cell(a.before_state)}</td>
                                                            <td>{state_cell(a.after_state)}</td>
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
                })
            }}
        </Suspense>
    }
}
