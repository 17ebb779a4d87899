//! Admin: balances. Find a user by login; one user's balances, ledger,
//! latest deposits and history, and the manual adjustment form.

use super::inspector::is_access_refusal;
use super::nav::{self, AdminNav, Pager};
use crate::api::admin::users::{AdjustBalance, MAX_REASON_CHARS, get_admin_user, get_admin_users};
use crate::components::ui::{ErrorNote, InfoNote, StatusBadge, format_ist};
use crate::domain::{Money, url_encode};
use crate::pages::{query_message, query_param};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;

fn money(paise: i64) -> String {
    Money::from_paise(paise).to_string()
}

fn role_badge(role: &str) -> impl IntoView + use<> {
    (role == "admin").then(|| view! { <span class="badge badge-neutral">"admin"</span> })
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let q = query_param("q");
    let after = query_param("after");
    let data = Resource::new(move || (q.clone(), after.clone()), |(q, a)| get_admin_users(q, a));
    let searched = query_param("q").unwrap_or_default();
    let paged = query_param("after").is_some();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let searched = searched.clone();
                Suspend::new(async move {
                    match data.await {
                        Err(e) => nav::refused(&e, "/admin/users"),
                        Ok(list) => {
                            let older = list.next_after.as_ref().map(|a| format!("/admin/users?q={}&after={}", url_encode(&searched), url_encode(a)));
                            let first = paged.then(|| format!("/admin/users?q={}", url_encode(&searched)));
                            view! {
                                <AdminNav current="/admin/users" />
                                <h1>"Balances"</h1>
                                <div class="stats">
                                    <div class="stat"><div class="label">"Users"</div><div class="value">{list.user_count}</div></div>
                                    <div class="stat"><div class="label">"Available, all users"</div><div class="value">{money(list.available_total_paise)}</div></div>
                                    <div class="stat"><div class="label">"Held for withdrawals"</div><div class="value">{money(list.held_total_paise)}</div></div>
                                </div>
                                <section class="card">
                                    <form method="get" action="/admin/users" class="row" style="margin-bottom:.75rem">
                                        <label class="sr-only" for="user-q">"Login"</label>
                                        <input id="user-q" name="q" placeholder="Login, or part of it" value=searched.clone() style="flex:1 1 220px" autocapitalize="none" />
                                        <button type="submit" class="button small">"Find"</button>
                                    </form>
                                    {if list.users.is_empty() {
                                        view! { <p class="muted">"No user matches."</p> }.into_any()
                                    } else {
                                        view! {
                                            <div class="table-wrap"><table data-testid="admin-users">
                                                <thead><tr><th>"Login"</th><th class="num">"Balance"</th><th class="num">"Available"</th><th class="num">"Held"</th><th>"Since"</th></tr></thead>
                                                <tbody>{list.users.into_iter().map(|u| view! {
                                                    <tr>
                                                        <td><a href=format!("/admin/users/{}", url_encode(&u.login))>{u.login.clone()}</a>" "{role_badge(&u.role)}</td>
                                                        <td class="num amount">{money(u.available_paise + u.held_paise)}</td>
                                                        <td class="num">{money(u.available_paise)}</td>
                                                        <td class="num">{money(u.held_paise)}</td>
                                                        <td class="small">{format_ist(u.created_at)}</td>
                                                    </tr>
                                                }).collect_view()}</tbody>
                                            </table></div>
                                        }.into_any()
                                    }}
                                    <Pager newest=first older=older newest_label="First" older_label="Next" />
                                </section>
                            }.into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn UserPage() -> impl IntoView {
    let login = use_params_map().with_untracked(|p| p.get("login")).unwrap_or_default();
    let before = query_param("before").and_then(|b| b.parse::<i64>().ok());
    let error = query_message("error");
    let notice = query_message("notice");
    // Prefills after a refused form (the values typed, never a message).
    let prefill_direction = query_param("direction").unwrap_or_else(|| "credit".into());
    let prefill_amount = query_param("amount").unwrap_or_default();
    let prefill_reason = query_param("reason").unwrap_or_default();
    let here = format!("/admin/users/{}", url_encode(&login));
    let data = Resource::new(move || (login.clone(), before), |(l, b)| get_admin_user(l, b));
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let (error, notice, here) = (error.clone(), notice.clone(), here.clone());
                let (prefill_direction, prefill_amount, prefill_reason) = (prefill_direction.clone(), prefill_amount.clone(), prefill_reason.clone());
                Suspend::new(async move {
                    match data.await {
                        Err(e) if is_access_refusal(&e) => nav::refused(&e, &here),
                        Err(e) => view! {
                            <AdminNav current="/admin/users" />
                            {nav::refused(&e, &here)}
                            <p><a href="/admin/users">"All balances"</a></p>
                        }.into_any(),
                        Ok(u) => {
                            let older = u.next_before.map(|n| format!("{here}?before={n}"));
                            let newest = before.map(|_| here.clone());
                            let debit = prefill_direction == "debit";
                            view! {
                                <AdminNav current="/admin/users" />
                                <p class="small"><a href="/admin/users">"All balances"</a></p>
                                <h1>{u.login.clone()}" "{role_badge(&u.role)}</h1>
                                <p class="muted small">{format!("Account since {}", format_ist(u.created_at))}</p>
                                <ErrorNote message=error />
                                <InfoNote message=notice />
                                <div class="stats">
                                    <div class="stat"><div class="label">"Balance"</div><div class="value" data-testid="balance">{money(u.available_paise + u.held_paise)}</div></div>
                                    <div class="stat"><div class="label">"Available"</div><div class="value" data-testid="available">{money(u.available_paise)}</div></div>
                                    <div class="stat"><div class="label">"Held for withdrawals"</div><div class="value" data-testid="held">{money(u.held_paise)}</div></div>
                                </div>

                                <section class="card">
                                    <h2>"Adjust the balance"</h2>
                                    <p class="small muted">"A correction, posted as one ledger entry with your reason and recorded in the audit trail. A debit cannot take more than the available balance. Sending this form twice adjusts once."</p>
                                    <form method="post" action=AdjustBalance::PATH class="stack">
                                        <input type="hidden" name="login" value=u.login.clone() />
                                        <input type="hidden" name="key" value=u.adjustment_key.clone() />
                                        <fieldset>
                                            <legend>"Direction"</legend>
                                            <div class="row">
                                                <label class="choice"><input type="radio" name="direction" value="credit" checked=!debit />"Credit (add)"</label>
                                                <label class="choice"><input type="radio" name="direction" value="debit" checked=debit />"Debit (take)"</label>
                                            </div>
                                        </fieldset>
                                        <label>"Amount in rupees"
                                            <div class="amount-input"><span>"₹"</span>
                                                <input name="amount" inputmode="decimal" autocomplete="off" required placeholder="0.00" value=prefill_amount />
                                            </div>
                                        </label>
                                        <label>"Reason"
                                            <input name="reason" required maxlength=MAX_REASON_CHARS.to_string() placeholder="e.g. refund for ticket 4821" value=prefill_reason />
                                            <span class="hint">"Required. Shown in the user's ledger and the audit trail."</span>
                                        </label>
                                        <div><button type="submit" class="button">"Post adjustment"</button></div>
                                    </form>
                                </section>

                                <section class="card">
                                    <h2>"Ledger"</h2>
                                    {if u.entries.is_empty() {
                                        view! { <p class="muted">"No entries yet."</p> }.into_any()
                                    } else {
                                        view! {
                                            <div class="table-wrap"><table data-testid="user-ledger">
                                                <thead><tr><th>"When"</th><th>"What"</th><th class="num">"Amount"</th><th>"Reference"</th></tr></thead>
                                                <tbody>{u.entries.into_iter().map(|e| {
                                                    let cls = if e.amount_paise >= 0 { "num amount positive" } else { "num amount negative" };
                                                    let amount = if e.amount_paise > 0 { format!("+{}", money(e.amount_paise)) } else { money(e.amount_paise) };
                                                    view! {
                                                        <tr>
                                                            <td class="small">{format_ist(e.created_at)}</td>
                                                            <td>{crate::pages::balance::entry_kind_label(&e.kind)}" "<span class="badge badge-neutral">{e.bucket.clone()}</span>
                                                                <div class="small muted">{e.memo.clone()}</div></td>
                                                            <td class=cls>{amount}</td>
                                                            <td class="mono small">{e.reference.clone()}</td>
                                                        </tr>
                                                    }
                                                }).collect_view()}</tbody>
                                            </table></div>
                                        }.into_any()
                                    }}
                                    <Pager newest=newest older=older />
                                </section>

                                <section class="card">
                                    <h2>"Latest deposits"</h2>
                                    {if u.deposits.is_empty() {
                                        view! { <p class="muted">"No deposits."</p> }.into_any()
                                    } else {
                                        view! {
                                            <div class="table-wrap"><table data-testid="user-deposits">
                                                <thead><tr><th>"Created"</th><th>"Deposit"</th><th class="num">"Amount"</th><th class="num">"Credited"</th><th>"Status"</th></tr></thead>
                                                <tbody>{u.deposits.into_iter().map(|d| view! {
                                                    <tr>
                                                        <td class="small">{format_ist(d.created_at)}</td>
                                                        <td><a class="mono small" href=format!("/admin/deposits/{}", url_encode(&d.id))>{d.id.clone()}</a></td>
                                                        <td class="num">{money(d.amount_paise)}</td>
                                                        <td class="num">{d.credited_paise.map(money).unwrap_or_default()}</td>
                                                        <td><StatusBadge status=d.status /></td>
                                                    </tr>
                                                }).collect_view()}</tbody>
                                            </table></div>
                                        }.into_any()
                                    }}
                                </section>

                                <section class="card">
                                    <h2>"History"</h2>
                                    {if u.history.is_empty() {
                                        view! { <p class="muted">"No admin action on this user yet."</p> }.into_any()
                                    } else {
                                        view! {
                                            <div class="table-wrap"><table data-testid="user-history">
                                                <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Detail"</th></tr></thead>
                                                <tbody>{u.history.into_iter().rev().map(|a| view! {
                                                    <tr>
                                                        <td class="small">{format_ist(a.created_at)}</td>
                                                        <td>{a.admin_login.clone()}</td>
                                                        <td><span class="badge badge-neutral">{a.action.clone()}</span></td>
                                                        <td class="small wrap">{a.detail.clone()}</td>
                                                    </tr>
                                                }).collect_view()}</tbody>
                                            </table></div>
                                            <p class="small"><a href="/admin/audit">"The whole audit trail"</a></p>
                                        }.into_any()
                                    }}
                                </section>
                            }.into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}
