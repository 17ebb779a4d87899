//! Deposit form and payment view.

use super::{query_message, query_param};
use crate::api::auth::current_user;
use crate::api::deposits::{CreateDeposit, get_deposit, get_deposit_form};
#[cfg(feature = "hydrate")]
use crate::components::island::{JsProps, after_hydration, hydrate_island, hydrated_children};
use crate::components::island::{island, island_children};
use crate::components::ui::{ErrorNote, SignInPrompt, keep_what_was_typed};
use crate::domain::{DepositStatus, Money};
use crate::i18n::{self, IslandTexts, Texts, t, t_with};
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
                        Some(t_with(
                            "amount-between",
                            &[
                                ("min", &Money::from_paise(info.min_paise).to_string()),
                                ("max", &Money::from_paise(info.max_paise).to_string()),
                            ],
                        ))
                    } else {
                        error
                    };
                    let window = method == "window";
                    view! {
                        <section class="card narrow">
                            <h1>{t("add-money")}</h1>
                            <p class="muted">{t("deposit-lead")}</p>
                            <ErrorNote message=error />
                            <form method="post" action=CreateDeposit::PATH class="stack" data-testid="deposit-form">
                                <AmountField min_paise=info.min_paise max_paise=info.max_paise initial=amount texts=i18n::texts(AMOUNT_KEYS, &["min", "max"]) />
                                <fieldset>
                                    <legend>{t("deposit-how")}</legend>
                                    <label class="choice">
                                        <input type="radio" name="method" value="qr" checked=!window />
                                        <span><strong>{t("deposit-pay-here")}</strong><br/><span class="hint">{t("deposit-pay-here-hint")}</span></span>
                                    </label>
                                    <label class="choice">
                                        <input type="radio" name="method" value="window" checked=window />
                                        <span><strong>{t("deposit-window")}</strong><br/><span class="hint">{t("deposit-window-hint")}</span></span>
                                    </label>
                                </fieldset>
                                <button type="submit" class="button">{t("deposit-continue")}</button>
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
#[component]
fn AmountField(min_paise: i64, max_paise: i64, initial: String, texts: Texts) -> impl IntoView {
    let props = {
        let (initial, texts) = (initial.clone(), texts.clone());
        move || {
            serde_json::json!({ "min_paise": min_paise, "max_paise": max_paise, "initial": initial, "texts": texts })
                .to_string()
        }
    };
    island("AmountField", props, move || amount_field(min_paise, max_paise, initial, texts))
}

/// The browser's entry point for [`AmountField`] (see `components::island`).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen(js_name = "AmountField")]
pub fn hydrate_amount_field(el: web_sys::HtmlElement) {
    let p = JsProps::of(&el);
    hydrate_island(
        &el,
        AmountField(AmountFieldProps {
            min_paise: p.i64("min_paise"),
            max_paise: p.i64("max_paise"),
            initial: p.string("initial"),
            texts: p.texts("texts"),
        }),
    );
}

fn amount_field(min_paise: i64, max_paise: i64, initial: String, texts: Texts) -> impl IntoView {
    let value = RwSignal::new(initial.clone());
    let input = NodeRef::<leptos::html::Input>::new();
    keep_what_was_typed(input, value);
    let (min, max) = (Money::from_paise(min_paise).to_string(), Money::from_paise(max_paise).to_string());
    let range = [("min", min.as_str()), ("max", max.as_str())];
    let hint = texts.fill("amount-range", &range);
    let texts = IslandTexts::new(texts);
    let problem = move || {
        let v = value.get();
        if v.trim().is_empty() {
            return None;
        }
        match Money::from_user_input(&v) {
            Err(e) => Some(texts.get(e.key())),
            Ok(m) if m.paise() < min_paise || m.paise() > max_paise => {
                let (min, max) = (Money::from_paise(min_paise).to_string(), Money::from_paise(max_paise).to_string());
                Some(texts.fill("amount-between", &[("min", &min), ("max", &max)]))
            }
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
            <label for="deposit-amount">{texts.get("field-amount")}</label>
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
                    title=texts.get("amount-title")
                    placeholder="250"
                    data-testid="amount"
                    value=initial
                    node_ref=input
                    on:input=move |ev| value.set(event_target_value(&ev))
                    aria-invalid=move || if problem().is_some() { "true" } else { "false" }
                />
            </span>
            <small class="hint" id="amount-hint">
                {hint}
            </small>
        </div>
        {move || problem().map(|p| view! { <div class="alert error" role="alert" data-testid="amount-error">{p}</div> })}
        <div class="presets">
            {presets.into_iter().map(|p| {
                let rupees = (p / 100).to_string();
                view! {
                    <button type="button" class="button ghost small" on:click=move |_| {
                        if let Some(el) = input.get_untracked() {
                            el.set_value(&rupees);
                        }
                        value.set(rupees.clone());
                    }>
                        {{
                            let amount = Money::from_paise(p).to_string();
                            amount.strip_suffix(".00").map(str::to_string).unwrap_or(amount)
                        }}
                    </button>
                }
            }).collect_view()}
        </div>
    }
}

/// What the amount island says, translated on the server.
const AMOUNT_KEYS: &[&str] = &[
    "field-amount",
    "amount-title",
    "amount-between",
    "amount-range",
    "msg-amount_empty",
    "msg-amount_not_a_number",
    "msg-amount_decimals",
    "msg-amount_not_positive",
    "msg-amount_too_large",
];

/// What the live status island says, translated on the server.
const LIVE_KEYS: &[&str] = &[
    "deposit-status-created",
    "deposit-status-pending",
    "deposit-status-unknown",
    "deposit-status-credited",
    "deposit-status-failed",
    "deposit-status-expired",
    "live-credited",
    "live-on-balance",
    "live-see-balance",
    "live-no-money-taken",
    "live-try-again",
    "live-unknown",
    "live-expires",
    "live-checking",
    "live-check-now",
    "msg-check_failed",
];

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
                            <section class="card narrow"><h1>{t("deposit-not-found")}</h1><p><a href="/deposit">{t("deposit-start-new")}</a></p></section>
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
            view! { <QrOption svg=svg.clone() links=d.app_links.clone() device=d.device show_all id=d.id.clone() amount=amount.clone() /> }
                .into_any()
        }
        (None, None) => ().into_any(),
    };
    view! {
        <section class="card medium">
            <div class="spread">
                <div>
                    <div class="muted small">{t("col-deposit")} " " <span class="mono">{d.id.clone()}</span></div>
                    <div class="big-amount" data-testid="deposit-amount">{amount}</div>
                </div>
            </div>
            <ErrorNote message=error />
            <LiveDeposit id=d.id.clone() initial=live remaining_secs texts=i18n::texts(LIVE_KEYS, &["amount", "time"])>
                {options}
                {d.sandbox_pay_url.clone().map(|url| view! {
                    <div class="alert warn small" data-testid="sandbox-hint" style="margin-top:1rem">
                        {t("sandbox-plays-bank")} " "
                        <a href=url target="_blank" rel="noopener" data-testid="sandbox-pay">{t("sandbox-pay-link")}</a>
                        " " {t("sandbox-pay-after")}
                    </div>
                })}
            </LiveDeposit>
        </section>
    }
}

#[component]
fn WindowOption(url: String) -> impl IntoView {
    view! {
        <div class="stack">
            <p>{t("window-lead")}</p>
            <p><a class="button" href=url.clone() target="_blank" rel="noopener" data-testid="open-window">{t("window-open")}</a></p>
            <iframe class="window-frame" src=url title=t("deposit-window")></iframe>
        </div>
    }
}

#[component]
fn QrOption(
    svg: String,
    links: Option<AppLinksView>,
    device: Device,
    show_all: bool,
    id: String,
    amount: String,
) -> impl IntoView {
    let phone = device != Device::Desktop;
    // The QR's text alternative: what it pays, to whom, and the same link.
    let payee = links.as_ref().map(|l| l.payee.clone()).unwrap_or_default();
    let alt = t_with("qr-alt", &[("amount", &amount), ("payee", &payee)]);
    let upi_id = links.as_ref().filter(|l| !l.vpa.is_empty()).map(|l| {
        view! {
            <div class="small upi-id">
                {t("qr-upi-id")} " " <span class="mono" data-testid="upi-id">{l.vpa.clone()}</span>
                " · " <a href=l.generic.clone() data-testid="upi-link">{t("qr-upi-link")}</a>
            </div>
        }
    });
    let qr = view! {
        <div class="qr-box" data-testid="qr">
            <div class="qr-image" role="img" aria-label=alt inner_html=svg></div>
            <div class="muted small">{t("qr-scan")}</div>
            {upi_id}
        </div>
    };
    let buttons = links.map(|l| {
        let ios = device == Device::Ios || show_all;
        let android = device == Device::Android || show_all;
        view! {
            <div class="app-buttons" data-testid="app-buttons">
                {android.then(|| view! { <a class="primary" href=l.generic.clone() data-testid="upi-generic">{t("upi-pay-with-app")}</a> })}
                {ios.then(|| view! {
                    <a href=l.paytm.clone() data-testid="upi-paytm">"Paytm"</a>
                    <a href=l.phonepe.clone() data-testid="upi-phonepe">"PhonePe"</a>
                    <a href=l.gpay.clone() data-testid="upi-gpay">"Google Pay"</a>
                })}
                {(ios && !android).then(|| view! { <a href=l.generic.clone() data-testid="upi-generic">{t("upi-other-app")}</a> })}
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
                            <summary>{t("qr-show")}</summary>
                            {qr}
                        </details>
                    </div>
                }.into_any()
            } else {
                view! {
                    <div>{qr}</div>
                    <div>
                        <ol class="steps">
                            <li>{t("qr-step1")}</li>
                            <li>{t("qr-step2")}</li>
                            <li>{t("qr-step3")}</li>
                        </ol>
                        {if show_all { buttons.into_any() } else {
                            view! { <a class="small" href=format!("/deposits/{id}?all=1")>{t("qr-show-all")}</a> }.into_any()
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
/// deposit is settled. It talks to the server with the browser's own
/// `EventSource` and `fetch` (no server-function client in the bundle).
#[component]
fn LiveDeposit(
    id: String,
    initial: LiveStatus,
    remaining_secs: i64,
    texts: Texts,
    children: Children,
) -> impl IntoView {
    let props = {
        let (id, initial, texts) = (id.clone(), initial.clone(), texts.clone());
        move || {
            serde_json::json!({ "id": id, "initial": initial, "remaining_secs": remaining_secs, "texts": texts })
                .to_string()
        }
    };
    island(LIVE_DEPOSIT, props, move || live_deposit(id, initial, remaining_secs, texts, island_children(children)))
}

/// The island's name: its `data-component` and its entry point in the WASM.
const LIVE_DEPOSIT: &str = "LiveDeposit";

/// The browser's entry point for [`LiveDeposit`] (see `components::island`).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen(js_name = "LiveDeposit")]
pub fn hydrate_live_deposit(el: web_sys::HtmlElement) {
    let p = JsProps::of(&el);
    let id = p.string("id");
    let initial = live_status(&p.field("initial")).unwrap_or(LiveStatus {
        status: DepositStatus::Unknown,
        credited_paise: None,
        message: None,
    });
    let (remaining_secs, texts) = (p.i64("remaining_secs"), p.texts("texts"));
    hydrate_island(
        &el,
        island(LIVE_DEPOSIT, String::new, move || {
            live_deposit(id, initial, remaining_secs, texts, hydrated_children())
        }),
    );
}

/// A [`LiveStatus`] as the server writes it (island props, the event
/// stream, the status endpoints); `None` if its status is not one we know.
#[cfg(feature = "hydrate")]
fn live_status(p: &JsProps) -> Option<LiveStatus> {
    Some(LiveStatus {
        status: DepositStatus::parse(&p.opt_string("status")?)?,
        credited_paise: p.opt_i64("credited_paise"),
        message: p.opt_string("message"),
    })
}

fn live_deposit(
    id: String,
    initial: LiveStatus,
    remaining_secs: i64,
    texts: Texts,
    children: impl IntoView + 'static,
) -> impl IntoView {
    let texts = IslandTexts::new(texts);
    let tx = move |key: &str| texts.get(key);
    let live = RwSignal::new(initial);
    let remaining = RwSignal::new(remaining_secs);
    let checking = RwSignal::new(false);
    // "" when there is nothing to say (a String signal, as the other islands use)
    let note = RwSignal::new(String::new());

    #[cfg(feature = "hydrate")]
    {
        let id = id.clone();
        after_hydration(move || start_live_updates(id, live, remaining));
    }

    let check_now = move |_id: String| {
        checking.set(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match fetch_status(CHECK_DEPOSIT_PATH, &_id).await {
                Some(s) => {
                    note.set(s.message.clone().unwrap_or_default());
                    let now = live.get_untracked();
                    if s.status != now.status || s.credited_paise != now.credited_paise {
                        live.set(LiveStatus { message: now.message, ..s });
                    }
                }
                None => note.set(tx("msg-check_failed")),
            }
            checking.set(false);
        });
    };

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
                        let amount = Money::from_paise(credited_paise.unwrap_or(0)).to_string();
                        texts.fill("live-credited", &[("amount", &amount)])
                    }
                    LiveStatus { status, .. } => tx(&format!("deposit-status-{}", status.as_str())),
                }}
            </div>
            <div class="small">
                {move || {
                    let LiveStatus { status, message, .. } = live.get();
                    // one shape for every state: text, a link (or the countdown), text
                    let (before, link, after) = match status {
                        DepositStatus::Credited => (tx("live-on-balance"), Some(("/balance", tx("live-see-balance"))), String::new()),
                        DepositStatus::Failed | DepositStatus::Expired => (
                            message.unwrap_or_else(|| tx("live-no-money-taken")),
                            Some(("/deposit", tx("live-try-again"))),
                            String::new(),
                        ),
                        DepositStatus::Unknown => (format!("{} {}", message.unwrap_or_default(), tx("live-unknown")), None, String::new()),
                        _ => {
                            let expires = tx("live-expires");
                            let (b, a) = i18n::split_around(&expires, "{time}").unwrap_or((expires.as_str(), ""));
                            (b.to_string(), None, a.to_string())
                        }
                    };
                    let counting = !status.is_terminal() && status != DepositStatus::Unknown;
                    view! {
                        <span>
                            {before}
                            {link.map(|(href, text)| view! { " " <a href=href>{text}</a> })}
                            {counting.then(|| view! { <span class="countdown" data-testid="countdown">{move || format_countdown(remaining.get())}</span> })}
                            {after}
                        </span>
                    }
                }}
            </div>
            {move || (!status().is_terminal()).then(|| {
                let id = id_for_check.clone();
                view! {
                    // a real form: without JavaScript it posts and comes back
                    <form method="post" action=CHECK_DEPOSIT_FORM_PATH class="row" style="margin:.6rem 0 0"
                        on:submit=move |ev| { ev.prevent_default(); check_now(id.clone()); }>
                        <input type="hidden" name="id" value=id_for_check.clone() />
                        <button type="submit" class="button secondary small" data-testid="check-now" disabled=move || checking.get()>
                            {move || if checking.get() { tx("live-checking") } else { tx("live-check-now") }}
                        </button>
                        {move || Some(note.get()).filter(|n| !n.is_empty()).map(|n| view! { <span class="small muted">{n}</span> })}
                    </form>
                }
            })}
        </div>
        <div class:hidden=move || status().is_terminal() data-testid="payment-options">{children}</div>
    }
}

/// Where "Check now" asks (`check_deposit_now`), and its form twin.
#[cfg(any(feature = "hydrate", test))]
const CHECK_DEPOSIT_PATH: &str = "/api/deposit-check";
const CHECK_DEPOSIT_FORM_PATH: &str = "/api/deposit-check-form";
/// Read-only status for polling when the event stream cannot be kept open (`get_deposit_status`).
#[cfg(any(feature = "hydrate", test))]
const DEPOSIT_STATUS_PATH: &str = "/api/deposit-status";

/// POSTs `id` to a status server function with the browser's `fetch` and
/// reads its JSON answer; `None` for any failure.
#[cfg(feature = "hydrate")]
async fn fetch_status(path: &str, id: &str) -> Option<LiveStatus> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let body = format!("id={}", String::from(js_sys::encode_uri_component(id)));
    init.set_body(&wasm_bindgen::JsValue::from_str(&body));
    let headers = web_sys::Headers::new().ok()?;
    headers.set("content-type", "application/x-www-form-urlencoded").ok()?;
    headers.set("accept", "application/json").ok()?;
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(path, &init).ok()?;
    let response: web_sys::Response =
        JsFuture::from(web_sys::window()?.fetch_with_request(&request)).await.ok()?.dyn_into().ok()?;
    if !response.ok() {
        return None;
    }
    let text = JsFuture::from(response.text().ok()?).await.ok()?.as_string()?;
    live_status(&JsProps::parse(&text)?)
}

/// Server-sent events for the status, a 1 s countdown, and polling only if
/// the event stream cannot be kept open.
#[cfg(feature = "hydrate")]
fn start_live_updates(id: String, live: RwSignal<LiveStatus>, remaining: RwSignal<i64>) {
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
                && let Some(s) = JsProps::parse(&text).as_ref().and_then(live_status)
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
                    if let Some(s) = fetch_status(DEPOSIT_STATUS_PATH, &id).await {
                        live.set(s);
                    }
                });
            }
        },
        Duration::from_secs(3),
    );
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::{AMOUNT_KEYS, LIVE_KEYS};
    use crate::domain::DepositStatus;
    use crate::domain::money::MoneyError;
    use crate::i18n::{Lang, has_key};

    #[test]
    fn the_island_asks_the_server_functions_at_their_paths() {
        use crate::api::deposits::{CheckDepositForm, CheckDepositNow, GetDepositStatus};
        use leptos::server_fn::ServerFn;
        assert_eq!(super::CHECK_DEPOSIT_PATH, CheckDepositNow::PATH);
        assert_eq!(super::CHECK_DEPOSIT_FORM_PATH, CheckDepositForm::PATH);
        assert_eq!(super::DEPOSIT_STATUS_PATH, GetDepositStatus::PATH);
    }

    #[test]
    fn the_islands_are_handed_every_sentence_they_can_show_in_both_languages() {
        use MoneyError::*;
        for e in [Empty, NotANumber, TooManyDecimals, NotPositive, TooLarge] {
            assert!(AMOUNT_KEYS.contains(&e.key()), "{}", e.key());
        }
        for s in DepositStatus::ALL {
            let key = format!("deposit-status-{}", s.as_str());
            assert!(LIVE_KEYS.contains(&key.as_str()), "{key}");
        }
        for key in AMOUNT_KEYS.iter().chain(LIVE_KEYS) {
            for lang in Lang::ALL {
                assert!(has_key(lang, key), "{lang:?} lacks {key}");
            }
        }
    }
}
