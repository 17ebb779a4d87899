//! Admin: the dashboard at /admin, and the console's other pages beside it.

use crate::api::admin::AssignSuspense;
use crate::api::admin::console::get_dashboard;
use crate::components::ui::{ErrorNote, InfoNote, format_ist};
use crate::domain::Money;
use crate::pages::query_message;
use crate::views::{Dashboard, DepositWindow};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

pub mod audit;
pub mod deposit;
pub mod inspector;
pub mod nav;
pub mod postbacks;
pub mod transactions;
pub mod users;
pub mod withdrawal;

use nav::{AdminNav, refused};

fn rate(w: &DepositWindow) -> String {
    match w.success_rate_tenths() {
        Some(t) => format!("{}.{}%", t / 10, t % 10),
        None => "—".to_string(),
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let error = query_message("error");
    let notice = query_message("notice");
    let data = Resource::new(|| (), |_| get_dashboard());
    view! {
        <AdminNav current="/admin" />
        <Suspense fallback=|| ()>
            {move || {
                let (error, notice) = (error.clone(), notice.clone());
                Suspend::new(async move {
                    match data.await {
                        Err(e) => refused(&e, "/admin"),
                        Ok(d) => view! {
                            <ErrorNote message=error />
                            <InfoNote message=notice />
                            <DashboardView d=d />
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn DashboardView(d: Dashboard) -> impl IntoView {
    let oldest = d.oldest_pending.clone();
    view! {
        <div class="spread">
            <h1>"Dashboard"</h1>
            <form method="get" action="/admin/transactions" class="row nowrap-form" role="search">
                <input name="q" placeholder="Find a deposit id, order id or UPI reference" aria-label="Find a transaction" style="min-width:16rem" />
                <button type="submit" class="button small">"Find"</button>
            </form>
        </div>
        <div class="stats" data-testid="dashboard-stats">
            <div class="stat"><div class="label">"Today (IST)"</div><div class="value">{Money::from_paise(d.today.credited_paise).to_string()}</div>
                <div class="small muted">{format!("{} deposits · {} credited · {}", d.today.count, d.today.credited_count, rate(&d.today))}</div></div>
            <div class="stat"><div class="label">"Last 7 days"</div><div class="value">{Money::from_paise(d.week.credited_paise).to_string()}</div>
                <div class="small muted">{format!("{} deposits · {} credited · {}", d.week.count, d.week.credited_count, rate(&d.week))}</div></div>
            <a class="stat link" href="/admin/transactions?kind=deposit&status=pending"><div class="label">"Open deposits"</div><div class="value" data-testid="pending-count">{d.pending}</div>
                <div class="small muted">{oldest.as_ref().map(|o| format!("oldest since {}", format_ist(o.created_at))).unwrap_or_else(|| "none waiting".into())}</div></a>
            <a class="stat link" href="/admin/transactions?flag=suspense"><div class="label">"In suspense"</div><div class="value" data-testid="suspense-count">{d.suspense}</div>
                <div class="small muted">"verified, no deposit claims them"</div></a>
            <a class="stat link" href="/admin/transactions?flag=paid_no_postback"><div class="label">"Flagged"</div><div class="value" data-testid="flagged-count">{d.flagged}</div>
                <div class="small muted">"paid without postback, order unseen"</div></a>
            <a class={if d.refused_last_hour >= 10 { "stat link alarm" } else { "stat link" }} href="/admin/postbacks?verdict=rejected">
                <div class="label">"Refused postbacks, last hour"</div><div class="value" data-testid="refused-hour">{d.refused_last_hour}</div>
                <div class="small muted">{format!("{} in 24 hours", d.refused_last_day)}{(d.refused_last_hour >= 10).then_some(" · a burst: check the keys or who is sending")}</div></a>
        </div>

        <section class="card">
            <h2>"Deposits per hour, last 48 hours"</h2>
            <HourChart per_hour=d.per_hour.clone() hours_from=d.hours_from />
        </section>

        {oldest.map(|o| view! {
            <section class="card">
                <h2>"Oldest open deposit"</h2>
                <p><a class="mono" href=format!("/admin/deposits/{}", o.id)>{o.id.clone()}</a>
                " · " {o.login.clone()} " · " {Money::from_paise(o.amount_paise).to_string()} " · since " {format_ist(o.created_at)}</p>
            </section>
        })}

        {(!d.suspense_list.is_empty()).then(|| view! {
            <section class="card">
                <div class="spread">
                    <h2>"Payments in suspense"</h2>
                    <a class="small" href="/admin/transactions?flag=suspense">{format!("All {} in the list", d.suspense)}</a>
                </div>
                <p class="muted small">"Verified payments that no signed field ties to a deposit (or not in rupees, or of a kind the signature does not tell). No balance has changed. The label was not signed: it is only a hint; assign after checking with the payer."</p>
                <div class="table-wrap"><table data-testid="suspense">
                    <thead><tr><th>"Received"</th><th>"UPI reference"</th><th>"Label sent (unsigned)"</th><th>"Order ref"</th><th class="num">"Amount"</th><th>"Why"</th><th>"Credit to user"</th></tr></thead>
                    <tbody>{d.suspense_list.iter().map(|p| view! {
                        <tr>
                            <td class="small">{format_ist(p.created_at)}</td><td class="mono small">{p.transaction_id.clone()}</td><td>{p.label.clone()}</td><td class="mono small">{p.order_ref.clone()}</td>
                            <td class="num">{if p.currency == "INR" { Money::from_paise(p.amount_paise).to_string() } else { format!("{} {}", Money::from_paise(p.amount_paise).to_decimal(), p.currency) }}</td>
                            <td class="small">{p.reason.clone()}</td>
                            <td>
                                <form method="post" action=AssignSuspense::PATH class="row nowrap-form">
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
    }
}

/// Bars drawn on the server: readable without JavaScript, a few hundred bytes.
#[component]
fn HourChart(per_hour: Vec<i64>, hours_from: i64) -> impl IntoView {
    const W: i64 = 960;
    const H: i64 = 160;
    const BAR: i64 = W / 48;
    let max = per_hour.iter().copied().max().unwrap_or(0).max(1);
    let total: i64 = per_hour.iter().sum();
    let label = format!("{total} deposits in the last 48 hours; at most {max} in one hour");
    let ticks = [0usize, 12, 24, 36, 47];
    view! {
        <svg class="chart" viewBox=format!("0 0 {W} {}", H + 24) role="img" aria-label=label.clone() data-testid="hour-chart">
            <title>{label.clone()}</title>
            <line x1="0" y1=H x2=W y2=H class="axis" />
            {per_hour.iter().enumerate().map(|(i, n)| {
                let h = (n * (H - 10)) / max;
                let x = i as i64 * BAR + 1;
                let hour = format_ist(hours_from + i as i64 * 3_600_000);
                view! {
                    <rect x=x y=H - h width=BAR - 2 height=h class="bar"><title>{format!("{hour}: {n}")}</title></rect>
                }
            }).collect_view()}
            {ticks.into_iter().map(|i| {
                let x = i as i64 * BAR + BAR / 2;
                let anchor = match i { 0 => "start", 47 => "end", _ => "middle" };
                let text = format_ist(hours_from + i as i64 * 3_600_000);
                let short = text.split(", ").nth(1).unwrap_or("").trim_end_matches(" IST").to_string();
                view! { <text x=x y=H + 18 class="tick" text-anchor=anchor>{short}</text> }
            }).collect_view()}
            <text x=W - 4 y="14" class="tick" text-anchor="end">{format!("max {max}/h")}</text>
        </svg>
    }
}
