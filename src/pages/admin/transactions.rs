//! /admin/transactions: every deposit, withdrawal and unclaimed provider
//! payment, filtered from the URL, newest first, a page at a time, with
//! totals of the filtered set and a CSV export of it.

use super::nav::{AdminNav, Pager, refused};
use crate::api::admin::console::get_transactions;
use crate::components::ui::format_ist;
use crate::domain::{DepositStatus, Money};
use crate::views::{TRANSACTION_FLAGS, TRANSACTION_KINDS, TransactionQuery, TransactionRow};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The statuses offered in the filter: deposits', then withdrawals' and payments'.
const STATUSES: [&str; 13] = [
    "created",
    "pending",
    "unknown",
    "credited",
    "failed",
    "expired",
    "requested",
    "submitted",
    "paid",
    "rejected",
    "cancelled",
    "suspense",
    "assigned",
];

pub fn status_badge_class(status: &str) -> String {
    match status {
        "suspense" => "badge badge-pending".into(),
        "assigned" => "badge badge-ok".into(),
        s => format!("badge badge-{s}"),
    }
}

pub fn status_label(status: &str) -> String {
    DepositStatus::parse(status).map(|s| s.label().to_string()).unwrap_or_else(|| {
        let mut c = status.chars();
        c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
    })
}

/// Where a row leads: a deposit's detail page; a payment's search by reference.
pub fn row_href(r: &TransactionRow) -> String {
    match r.kind.as_str() {
        "deposit" => format!("/admin/deposits/{}", crate::domain::url_encode(&r.id)),
        "withdrawal" => format!("/admin/withdrawals/{}", crate::domain::url_encode(&r.id)),
        _ => format!("/admin/transactions?q={}", crate::domain::url_encode(&r.id)),
    }
}

#[component]
pub fn TransactionsPage() -> impl IntoView {
    let query = use_query_map().with_untracked(|m| {
        let mut t = TransactionQuery::default();
        for f in TransactionQuery::FIELDS {
            if let Some(v) = m.get(f) {
                t.set(f, &v);
            }
        }
        t
    });
    let args = query.clone();
    let data = Resource::new(
        move || args.clone(),
        |t| {
            let o = |s: String| (!s.is_empty()).then_some(s);
            get_transactions(
                o(t.status),
                o(t.kind),
                o(t.user),
                o(t.q),
                o(t.from),
                o(t.to),
                o(t.min),
                o(t.max),
                o(t.flag),
                o(t.cursor),
            )
        },
    );
    view! {
        <AdminNav current="/admin/transactions" />
        <Suspense fallback=|| ()>
            {move || {
                let query = query.clone();
                Suspend::new(async move {
                    match data.await {
                        Err(e) => refused(&e, "/admin/transactions"),
                        Ok(page) => {
                            let filters = page.query.to_query_string(false);
                            let csv = if filters.is_empty() {
                                "/admin/transactions.csv".to_string()
                            } else {
                                format!("/admin/transactions.csv?{filters}")
                            };
                            let next = page.next_cursor.as_ref().map(|c| {
                                format!("/admin/transactions?{}", page.query.with_cursor(c).to_query_string(true))
                            });
                            let first = (!query.cursor.is_empty()).then(|| {
                                if filters.is_empty() { "/admin/transactions".to_string() } else { format!("/admin/transactions?{filters}") }
                            });
                            view! {
                                <div class="spread">
                                    <h1>"Transactions"</h1>
                                    <a class="button secondary small" href=csv download="transactions.csv">"Export CSV"</a>
                                </div>
                                <FilterForm query=query.clone() />
                                {(!page.problems.is_empty()).then(|| view! {
                                    <div class="alert error" role="alert">
                                        <strong>"These filters could not be read; nothing is shown until they are fixed:"</strong>
                                        <ul>{page.problems.iter().map(|p| view! { <li>{p.clone()}</li> }).collect_view()}</ul>
                                    </div>
                                })}
                                <section class="card">
                                    <p class="totals" data-testid="totals">
                                        <strong>{page.total_count}</strong>
                                        {if page.total_count == 1 { " transaction" } else { " transactions" }}
                                        " · " <strong>{Money::from_paise(page.total_paise).to_string()}</strong> " in total"
                                        <span class="muted small">" (the whole filtered set, not only this page)"</span>
                                    </p>
                                    {if page.rows.is_empty() {
                                        view! { <p class="muted" data-testid="no-rows">"No transactions match."</p> }.into_any()
                                    } else {
                                        view! { <TransactionTable rows=page.rows.clone() total_count=page.total_count total_paise=page.total_paise /> }.into_any()
                                    }}
                                    <Pager newest=first older=next />
                                </section>
                            }
                            .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn FilterForm(query: TransactionQuery) -> impl IntoView {
    let selected = |field: &str, v: &str| query.get(field) == v;
    view! {
        <form method="get" action="/admin/transactions" class="card filters" aria-label="Filters">
            <div class="filter-grid">
                <label class="wide">"Id or reference"
                    <input name="q" value=query.q.clone() placeholder="deposit id, order id, UPI reference" />
                </label>
                <label>"User"
                    <input name="user" value=query.user.clone() placeholder="login" />
                </label>
                <label>"Kind"
                    <select name="kind">
                        <option value="" selected=query.kind.is_empty()>"Any"</option>
                        {TRANSACTION_KINDS.into_iter().map(|k| view! { <option value=k selected=selected("kind", k)>{status_label(k)}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Status"
                    <select name="status">
                        <option value="" selected=query.status.is_empty()>"Any"</option>
                        {STATUSES.into_iter().map(|s| view! { <option value=s selected=selected("status", s)>{status_label(s)}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Flag"
                    <select name="flag">
                        <option value="" selected=query.flag.is_empty()>"Any"</option>
                        {TRANSACTION_FLAGS.into_iter().map(|f| view! { <option value=f selected=selected("flag", f)>{f.replace('_', " ")}</option> }).collect_view()}
                    </select>
                </label>
                <label>"From (IST)" <input type="date" name="from" value=query.from.clone() /></label>
                <label>"To (IST)" <input type="date" name="to" value=query.to.clone() /></label>
                <label>"Min ₹" <input name="min" inputmode="decimal" value=query.min.clone() /></label>
                <label>"Max ₹" <input name="max" inputmode="decimal" value=query.max.clone() /></label>
            </div>
            <div class="row">
                <button type="submit" class="button small">"Apply"</button>
                <a class="button ghost small" href="/admin/transactions">"Clear"</a>
            </div>
        </form>
    }
}

#[component]
pub fn TransactionTable(rows: Vec<TransactionRow>, total_count: i64, total_paise: i64) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="transactions cards" data-testid="transactions" data-total-count=total_count data-total-paise=total_paise>
                <thead>
                    <tr>
                        <th>"Created"</th><th>"Transaction"</th><th>"User"</th><th class="num">"Amount"</th>
                        <th>"Status · flags"</th><th>"Provider order · UPI ref"</th><th>"Settled"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|r| {
                        let href = row_href(&r);
                        let credited = r.credited_paise.filter(|c| *c != r.amount_paise).map(|c| view! {
                            <div class="small muted">{format!("credited {}", Money::from_paise(c))}</div>
                        });
                        view! {
                            <tr data-kind=r.kind.clone() data-id=r.id.clone()>
                                <td class="small nowrap" data-label="Created">{format_ist(r.created_at)}</td>
                                <td data-label="Transaction"><a class="mono small id" href=href>{r.id.clone()}</a>
                                    <div class="small muted">{status_label(&r.kind)}{(!r.method.is_empty()).then(|| format!(" · {}", r.method))}</div></td>
                                <td data-label="User">{if r.login.is_empty() { view! { <span class="muted small">"unassigned"</span> }.into_any() } else {
                                    let href = format!("/admin/users/{}", crate::domain::url_encode(&r.login));
                                    view! { <a href=href>{r.login.clone()}</a> }.into_any() }}</td>
                                <td class="num" data-label="Amount">{Money::from_paise(r.amount_paise).to_string()}{credited}</td>
                                <td data-label="Status"><span class=status_badge_class(&r.status)>{status_label(&r.status)}</span>
                                    <div>{r.flags.split(',').filter(|f| !f.is_empty()).map(|f| view! {
                                        <span class="badge badge-pending flag">{f.replace('_', " ")}</span>
                                    }).collect_view()}</div></td>
                                <td class="mono small refs" data-label="Order · UPI ref">{r.order_id.clone().unwrap_or_default()}<br />{r.reference.clone().unwrap_or_default()}</td>
                                <td class="small nowrap" data-label="Settled">{r.settled_at.map(format_ist).unwrap_or_default()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
