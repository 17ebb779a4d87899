//! Deposit form and payment view.

use super::{query_message, query_param};
use crate::api::auth::current_user;
use crate::api::deposits::{CheckDepositForm, CheckDepositNow, CreateDeposit, get_deposit, get_deposit_form};
use crate::components::ui::{ErrorNote, SignInPrompt};
use crate::domain::{DepositStatus, Money};
use crate::views::{AppLinksView, DepositView, Device, LiveStatus};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;

#[component]
pub fn DepositPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    let info = Resource::new(|| (), |_| get_deposit_form());
    let error_code = query_param("error");
    let error = query_message("error");
    let amount = query_param("amount").unwrap_or_default();
    let method = query_param("method").unwrap_or_else(|| "qr".into());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let (error, error_code, amount, method) = (error.clone(), error_code.clone(), amount.clone(), method.clone());
                Suspend::new(async move {
                    let Some(_user) = user.await.ok().flatten() else {
                        return view! { <SignInPrompt next="/deposit" /> }.into_any();
                    };
                    let info = match info.await {
                        Ok(i) => i,
                        Err(e) => return view! { <ErrorNote message=e.to_string() /> }.into_any(),
                    };
                    // The range is this portal's own setting, so the page can say it.
                    let error = if error_code.as_deref() == Some(crate::api::messages::Message::AmountOutOfRange.code()) {
                        Some(format!(
                            "The amount must be between {} and {}.",
                            Money::from_paise(info.min_paise),
                            Money::from_paise(info.max_paise)
                        ))
                    } else {
                        error
                    };
                    let window = method == "window";
                    view! {
                        <section class="card narrow">
                            <h1>"Add money"</h1>
                            <p class="muted">"Pay by UPI from any bank app. Your balance updates as soon as the payment arrives."</p>
                            <ErrorNote message=error />
                            <form method="post" action=CreateDeposit::PATH class="stack" data-testid="deposit-form">
                                <AmountField min_paise=info.min_paise max_paise=info.max_paise initial=amount />
                                <fieldset>
                                    <legend>"How do you want to pay?"</legend>
                                    <label class="choice">
                                        <input type="radio" name="method" value="qr" checked=!window />
                                        <span><strong>"Pay here"</strong><br/><span class="hint">"QR code, or open Paytm, PhonePe or Google Pay on this phone"</span></span>
                                    </label>
                                    <label class="choice">
                                        <input type="radio" name="method" value="window" checked=window />
                                        <span><strong>"Payment window"</strong><br/><span class="hint">"The provider's secure payment page (whole rupees)"</span></span>
                                    </label>
                                </fieldset>
                                <button type="submit" class="button">"Continue to payment"</button>
                            </form>
                        </section>
                    }.into_any()
                })
            }}
        </Suspense>
    }
}

/// The amount input with presets; checks as you type with the same rules the
/// server applies (`Money::from_user_input` and the configured range).
#[island]
fn AmountField(min_paise: i64, max_paise: i64, initial: String) -> impl IntoView {
    let value = RwSignal::new(initial);
    let problem = move || {
        let v = value.get();
        if v.trim().is_empty() {
            return None;
        }
        match Money::from_user_input(&v) {
            Err(e) => Some(e.to_string()),
            Ok(m) if m.paise() < min_paise || m.paise() > max_paise => Some(format!(
                "The amount must be between {} and {}.",
                Money::from_paise(min_paise),
                Money::from_paise(max_paise)
            )),
            Ok(_) => None,
        }
    };
    let presets: Vec<i64> = [100_i64, 250, 500, 1000, 2000]
        .into_iter()
        .map(|r| r * 100)
        .filter(|p| *p >= min_paise && *p <= max_paise)
        .collect();
    view! {
        <div class="field">
            <label for="deposit-amount">"Amount in rupees"</label>
            <span class="amount-input">
                <span aria-hidden="true">"₹"</span>
                <input
                    id="deposit-amount"
                    name="amount"
                    aria-describedby="amount-hint"
                    inputmode="decimal"
                    autocomplete="off"
                    required
                    pattern="[0-9]+([.][0-9]{1,2})?"
                    title="Rupees, with at most two decimals"
                    placeholder="250"
                    data-testid="amount"
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                    aria-invalid=move || if problem().is_some() { "true" } else { "false" }
                />
            </span>
            <small class="hint" id="amount-hint">
                {format!("From {} to {}", Money::from_paise(min_paise), Money::from_paise(max_paise))}
            </small>
        </div>
        {move || problem().map(|p| view! { <div class="alert error" role="alert" data-testid="amount-error">{p}</div> })}
        <div class="presets">
            {presets.into_iter().map(|p| {
                let rupees = (p / 100).to_string();
                view! {
                    <button type="button" class="button ghost small" on:click=move |_| value.set(rupees.clone())>
                        {Money::from_paise(p).to_string().replace(".00", "")}
                    </button>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
pub fn PaymentPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.with_untracked(|p| p.get("id").unwrap_or_default());
    let show_all = query_param("all").is_some();
    let error = query_message("error");
    let deposit = Resource::new(move || id.clone(), get_deposit);
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let error = error.clone();
                Suspend::new(async move {
                    match deposit.await {
                        Err(e) if e.to_string().contains("sign in") => view! { <SignInPrompt next="/deposit" /> }.into_any(),
                        Err(e) => view! { <section class="card narrow"><ErrorNote message=e.to_string() /></section> }.into_any(),
                        Ok(None) => view! {
                            <section class="card narrow"><h1>"Deposit not found"</h1><p><a href="/deposit">"Start a new deposit"</a></p></section>
                        }.into_any(),
                        Ok(Some(d)) => view! { <PaymentView d show_all error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn PaymentView(d: DepositView, show_all: bool, error: Option<String>) -> impl IntoView {
    let amount = Money::from_paise(d.amount_paise).to_string();
    let remaining_secs = ((d.expires_at - d.server_now) / 1000).max(0);
    let live = LiveStatus { status: d.status, credited_paise: d.credited_paise, message: d.failure_reason.clone() };
    let options = match (&d.window_url, &d.qr_svg) {
        (Some(url), _) => view! { <WindowOption url=url.clone() /> }.into_any(),
        (None, Some(svg)) => {
            view! { <QrOption svg=svg.clone() links=d.app_links.clone() device=d.device show_all id=d.id.clone() /> }
                .into_any()
        }
        (None, None) => ().into_any(),
    };
    view! {
        <section class="card medium">
            <div class="spread">
                <div>
                    <div class="muted small">"Deposit " <span class="mono">{d.id.clone()}</span></div>
                    <div class="big-amount" data-testid="deposit-amount">{amount}</div>
                </div>
            </div>
            <ErrorNote message=error />
            <LiveDeposit id=d.id.clone() initial=live remaining_secs>
                {options}
                {d.sandbox_pay_url.clone().map(|url| view! {
                    <div class="alert warn small" data-testid="sandbox-hint" style="margin-top:1rem">
                        "Demo: the provider sandbox plays the bank. "
                        <a href=url target="_blank" rel="noopener" data-testid="sandbox-pay">"Open the sandbox UPI app"</a>
                        " to pay, decline or let this payment expire."
                    </div>
                })}
            </LiveDeposit>
            <noscript>
                <form method="post" action=CheckDepositForm::PATH>
                    <input type="hidden" name="id" value=d.id.clone() />
                    <button type="submit" class="button secondary">"Check now"</button>
                </form>
            </noscript>
        </section>
    }
}

#[component]
fn WindowOption(url: String) -> impl IntoView {
    view! {
        <div class="stack">
            <p>"Complete the payment in the provider's window below, or open it in a new tab."</p>
            <p><a class="button" href=url.clone() target="_blank" rel="noopener" data-testid="open-window">"Open payment window"</a></p>
            <iframe class="window-frame" src=url title="Payment window"></iframe>
        </div>
    }
}

#[component]
fn QrOption(svg: String, links: Option<AppLinksView>, device: Device, show_all: bool, id: String) -> impl IntoView {
    let phone = device != Device::Desktop;
    let qr = view! {
        <div class="qr-box" data-testid="qr">
            <div inner_html=svg></div>
            <div class="muted small">"Scan with any UPI app"</div>
        </div>
    };
    let buttons = links.map(|l| {
        let ios = device == Device::Ios || show_all;
        let android = device == Device::Android || show_all;
        view! {
            <div class="app-buttons" data-testid="app-buttons">
                {android.then(|| view! { <a class="primary" href=l.generic.clone() data-testid="upi-generic">"Pay with a UPI app"</a> })}
                {ios.then(|| view! {
                    <a href=l.paytm.clone() data-testid="upi-paytm">"Paytm"</a>
                    <a href=l.phonepe.clone() data-testid="upi-phonepe">"PhonePe"</a>
                    <a href=l.gpay.clone() data-testid="upi-gpay">"Google Pay"</a>
                })}
                {(ios && !android).then(|| view! { <a href=l.generic.clone() data-testid="upi-generic">"Other UPI app"</a> })}
            </div>
        }
    });
    view! {
        <div class="pay">
            {if phone {
                view! {
                    <div>
                        {buttons}
                        <details>
                            <summary>"Show QR code"</summary>
                            {qr}
                        </details>
                    </div>
                }.into_any()
            } else {
                view! {
                    <div>{qr}</div>
                    <div>
                        <ol class="steps">
                            <li>"Open any UPI app on your phone (Paytm, PhonePe, Google Pay, BHIM, your bank's app)."</li>
                            <li>"Scan the QR code and approve the payment."</li>
                            <li>"Keep this page open: it turns green when the money arrives."</li>
                        </ol>
                        {if show_all { buttons.into_any() } else {
                            view! { <a class="small" href=format!("/deposits/{id}?all=1")>"Paying on this device? Show all payment options"</a> }.into_any()
                        }}
                    </div>
                }.into_any()
            }}
        </div>
    }
}

fn format_countdown(secs: i64) -> String {
    format!("{:02}:{:02}", secs / 60, secs % 60)
}

/// The live part of the payment page: status pushed by the server (SSE),
/// countdown, and "Check now". The payment options (children) hide once the
/// deposit is settled.
#[island]
fn LiveDeposit(id: String, initial: LiveStatus, remaining_secs: i64, children: Children) -> impl IntoView {
    let live = RwSignal::new(initial);
    let remaining = RwSignal::new(remaining_secs);
    let check = ServerAction::<CheckDepositNow>::new();
    let note = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        if let Some(result) = check.value().get() {
            match result {
                Ok(s) => {
                    note.set(s.message.clone());
                    if s.status != live.get_untracked().status
                        || s.credited_paise != live.get_untracked().credited_paise
                    {
                        live.set(LiveStatus { message: live.get_untracked().message, ..s });
                    }
                }
                Err(e) => note.set(Some(e.to_string())),
            }
        }
    });

    #[cfg(feature = "hydrate")]
    {
        let id = id.clone();
        Effect::new(move |_| start_live_updates(id.clone(), live, remaining));
    }

    let status = move || live.get().status;
    let id_for_check = id.clone();
    view! {
        <div
            class=move || format!("status-panel {}", status().as_str())
            data-testid="deposit-status"
            data-status=move || status().as_str()
            aria-live="polite"
        >
            <div class="status-title">
                {move || match live.get() {
                    LiveStatus { status: DepositStatus::Credited, credited_paise, .. } => {
                        format!("Credited {}", Money::from_paise(credited_paise.unwrap_or(0)))
                    }
                    LiveStatus { status, .. } => status.label().to_string(),
                }}
            </div>
            <div class="small">
                {move || match live.get() {
                    LiveStatus { status: DepositStatus::Credited, .. } => view! {
                        <span>"The money is on your balance. " <a href="/balance">"See balance"</a></span>
                    }.into_any(),
                    LiveStatus { status: DepositStatus::Failed | DepositStatus::Expired, message, .. } => view! {
                        <span>{message.unwrap_or_else(|| "No money was taken.".into())} " " <a href="/deposit">"Try again"</a></span>
                    }.into_any(),
                    LiveStatus { status: DepositStatus::Unknown, message, .. } => view! {
                        <span>{message.unwrap_or_default()} " If you paid, the money will be credited as soon as the provider confirms."</span>
                    }.into_any(),
                    _ => view! {
                        <span>"Expires in " <span class="countdown" data-testid="countdown">{move || format_countdown(remaining.get())}</span>
                        ". This page updates by itself."</span>
                    }.into_any(),
                }}
            </div>
            {move || (!status().is_terminal()).then(|| {
                let id = id_for_check.clone();
                view! {
                    <p class="row" style="margin:.6rem 0 0">
                        <button
                            type="button"
                            class="button secondary small"
                            data-testid="check-now"
                            disabled=move || check.pending().get()
                            on:click=move |_| { check.dispatch(CheckDepositNow { id: id.clone() }); }
                        >
                            {move || if check.pending().get() { "Checking…" } else { "Check now" }}
                        </button>
                        {move || note.get().map(|n| view! { <span class="small muted">{n}</span> })}
                    </p>
                }
            })}
        </div>
        <div class:hidden=move || status().is_terminal() data-testid="payment-options">{children()}</div>
    }
}

/// Server-sent events for the status, a 1 s countdown, and polling only if
/// the event stream cannot be kept open.
#[cfg(feature = "hydrate")]
fn start_live_updates(id: String, live: RwSignal<LiveStatus>, remaining: RwSignal<i64>) {
    use crate::api::deposits::get_deposit_status;
    use std::time::Duration;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    let _ = set_interval_with_handle(
        move || {
            if !live.get_untracked().status.is_terminal() {
                remaining.update(|r| *r = (*r - 1).max(0));
            }
        },
        Duration::from_secs(1),
    );
    if live.get_untracked().status.is_terminal() {
        return;
    }
    let sse_failed = RwSignal::new(false);
    if let Ok(es) = web_sys::EventSource::new(&format!("/api/deposits/{id}/events")) {
        let es_in = es.clone();
        let on_status = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if let Some(text) = ev.data().as_string()
                && let Ok(s) = serde_json::from_str::<LiveStatus>(&text)
            {
                let terminal = s.status.is_terminal();
                live.set(s);
                if terminal {
                    es_in.close();
                }
            }
        });
        let _ = es.add_event_listener_with_callback("status", on_status.as_ref().unchecked_ref());
        on_status.forget();
        let es_err = es.clone();
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            // CLOSED (2): the browser gave up reconnecting; fall back to polling.
            if es_err.ready_state() == 2 {
                sse_failed.set(true);
            }
        });
        let _ = es.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
        on_error.forget();
    } else {
        sse_failed.set(true);
    }
    let _ = set_interval_with_handle(
        move || {
            if sse_failed.get_untracked() && !live.get_untracked().status.is_terminal() {
                let id = id.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(s) = get_deposit_status(id).await {
                        live.set(s);
                    }
                });
            }
        },
        Duration::from_secs(3),
    );
}
