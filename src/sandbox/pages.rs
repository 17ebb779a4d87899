//! The sandbox's HTML pages: the payment window, the simulated UPI app, the
//! admin page and the delivery log.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::paykassma::deeplink::{app_links, parse_upi_uri};
use crate::paykassma::plugin::{Lang, PluginLink, PluginQuery, ReturnTargets};
use crate::paykassma::qr::qr_svg;

use super::SandboxState;
use super::hooks::{ChaosUpdate, delivery_filter};
use maud::{PreEscaped, html};

use super::html::{error_page, inr, page, respond, url_encode, when};
use super::ops::{self, CreateOutcome, MERCHANT_NAME, MERCHANT_VPA, NewOrder, OpError};
use super::store::{self, Order};
use super::time::now_ms;

/// First value of each parameter.
fn params(raw: Option<&str>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    if let Some(q) = raw {
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
    }
    map
}

fn form(body: &Bytes) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    map
}

fn db_error(e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "sandbox: database error");
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Sandbox error",
        "The sandbox could not read or write its database. Please try again.",
        None,
    )
}

fn base(st: &SandboxState) -> &str {
    st.config.public_url.trim_end_matches('/')
}

// ------------------------------------------------------------------ texts

/// The payment window's strings in English and Hindi.
struct T {
    hi: bool,
}

impl T {
    fn t<'a>(&self, en: &'a str, hi: &'a str) -> &'a str {
        if self.hi { hi } else { en }
    }
    fn lang(&self) -> &'static str {
        if self.hi { "hi" } else { "en" }
    }
}

// ---------------------------------------------------------------- index

/// `GET /`: the payment window when called with its parameters (like the
/// real `plugin.{server}/?...`), otherwise a small index.
pub async fn index(st: State<SandboxState>, q: RawQuery) -> Response {
    let p = params(q.0.as_deref());
    if p.contains_key("custom_transaction_id") || p.contains_key("wallet_type") || p.contains_key("fixed_amount") {
        return plugin(st, q).await;
    }
    let st = st.0;
    let example = PluginLink {
        base_url: format!("{}/plugin", base(&st)),
        label: "demo-user".to_owned(),
        custom_transaction_id: format!("demo-{}", now_ms()),
        fixed_amount_rupees: (st.config.min_paise + 99) / 100,
        lang: Lang::En,
        return_targets: ReturnTargets::Ids { success: 2, pending: 3, fail: 1 },
    };
    let example_hi =
        PluginLink { lang: Lang::Hi, custom_transaction_id: format!("demo-hi-{}", now_ms()), ..example.clone() };
    let body = html! {
        main.narrow {
            div.card {
                h1 { "Paykassma sandbox" }
                p { "A behavioural stand-in for the payment provider: the same API, a payment window, a simulated UPI app, signed postbacks with retries, withdrawals and chaos controls." }
                p {
                    a.btn href=(example.to_url()) { "Try the payment window" }
                    " "
                    a.btn.secondary href=(example_hi.to_url()) { "हिंदी में" }
                }
                p {
                    a.btn.secondary href="/admin" { "Admin" }
                    " "
                    a.btn.secondary href="/deliveries" { "Delivery log" }
                }
                p.muted { "Postbacks go to " code { (st.config.postback_url) } "." }
            }
        }
    };
    respond(StatusCode::OK, page("Paykassma sandbox", "en", None, true, body))
}

// --------------------------------------------------------- payment window

fn window_error(t: &T, errors: &[String]) -> Response {
    let title = t.t("This payment link is not valid", "यह भुगतान लिंक मान्य नहीं है");
    let body = html! {
        main.narrow {
            div.card {
                h1 { (title) }
                div.error {
                    (t.t(
                        "Please go back to the shop and start the payment again.",
                        "कृपया दुकान पर वापस जाएँ और भुगतान फिर से शुरू करें।"
                    ))
                    ul.errors { @for e in errors { li { (e) } } }
                }
                p.muted { (t.t("Error shown by the payment provider sandbox.", "यह त्रुटि भुगतान प्रदाता सैंडबॉक्स ने दिखाई है।")) }
            }
        }
    };
    respond(StatusCode::BAD_REQUEST, page(title, t.lang(), None, false, body))
}

/// `GET /plugin?label=..&currency_code=INR&lang=en|hi&wallet_type=upi_s&custom_transaction_id=..&fixed_amount=..`
/// plus the return targets: validates, creates (or reuses for the same
/// `custom_transaction_id`) an order, and shows the QR and app buttons.
pub async fn plugin(State(st): State<SandboxState>, RawQuery(q): RawQuery) -> Response {
    let query = PluginQuery::parse(q.as_deref().unwrap_or_default());
    let t = T { hi: query.lang == Lang::Hi };
    let mut errors: Vec<String> = query.errors.iter().map(|e| e.message(query.lang)).collect();
    // The amount range is the merchant's setting, not the link's.
    let amount = match query.fixed_amount_rupees.map(|r| r * 100) {
        Some(p) if p < st.config.min_paise => {
            let min = inr(st.config.min_paise);
            errors.push(if t.hi {
                format!("राशि कम से कम {min} होनी चाहिए।")
            } else {
                format!("The amount must be at least {min}.")
            });
            None
        }
        Some(p) if p > st.config.max_paise => {
            let max = inr(st.config.max_paise);
            errors.push(if t.hi {
                format!("राशि अधिकतम {max} हो सकती है।")
            } else {
                format!("The amount must be at most {max}.")
            });
            None
        }
        other => other,
    };
    let return_targets = query.return_targets;
    let (Some(label), Some(ctid), Some(amount_paise), true) =
        (query.label, query.custom_transaction_id, amount, errors.is_empty())
    else {
        return window_error(&t, &errors);
    };
    let created = ops::create_order(
        &st,
        NewOrder {
            custom_transaction_id: ctid,
            label: label.clone(),
            amount_paise,
            source: "plugin",
            lang: t.lang().to_owned(),
            return_targets,
        },
    )
    .await;
    let order = match created {
        Ok(CreateOutcome::Created(o)) => o,
        Ok(CreateOutcome::Duplicate(o)) if o.label == label && o.amount_paise == amount_paise => {
            match ops::get_order(&st, &o.order_id).await {
                Ok(Some(fresh)) => fresh,
                Ok(None) => o,
                Err(e) => return db_error(&e),
            }
        }
        Ok(CreateOutcome::Duplicate(_)) => {
            return window_error(
                &t,
                &[t.t(
                    "This transaction ID was already used for a different payment.",
                    "यह लेन-देन आईडी पहले ही किसी दूसरे भुगतान के लिए इस्तेमाल हो चुकी है।",
                )
                .to_owned()],
            );
        }
        Err(e) => return db_error(&e),
    };
    window_page(&st, &t, &order)
}

fn window_page(st: &SandboxState, t: &T, o: &Order) -> Response {
    let title = t.t("Pay with UPI", "UPI से भुगतान करें");
    let (status_class, status_text) = match (o.status.as_str(), o.failure_reason.as_deref()) {
        ("processing", _) => ("processing", t.t("Waiting for your payment", "आपके भुगतान की प्रतीक्षा है")),
        ("success", _) => ("success", t.t("Payment received", "भुगतान प्राप्त हुआ")),
        (_, Some("expired")) => ("failed", t.t("The time to pay has run out", "भुगतान का समय समाप्त हो गया")),
        _ => ("failed", t.t("Payment failed", "भुगतान विफल रहा")),
    };
    let open = o.status == "processing";
    // Where the real window would send the shopper back to, once settled.
    let which = if o.status == "success" { "success" } else { "fail" };
    let targets = url::form_urlencoded::parse(o.return_targets.as_bytes())
        .filter(|(k, _)| k.as_ref() == format!("payment_url_{which}_id") || k.as_ref() == format!("{which}_url"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>();
    let minutes = ((o.expires_at_ms - now_ms()).max(0) + 59_999) / 60_000;
    let body = html! {
        main.narrow {
            div.card {
                h1 { (title) }
                div.amount { (inr(o.amount_paise)) }
                p.muted { (t.t("Order", "ऑर्डर")) ": " code { (o.order_id) } }
                p { span class={ "status " (status_class) } { (status_text) } }
                @if open {
                    @let links = app_links(&o.qr_data);
                    p { (t.t("Scan the QR code with any UPI app.", "किसी भी UPI ऐप से QR कोड स्कैन करें।")) }
                    // Our own SVG, rendered from the order's UPI link.
                    div.qr { (PreEscaped(qr_svg(&o.qr_data).unwrap_or_default())) }
                    p.muted {
                        @if t.hi { (minutes) " मिनट के अंदर भुगतान करें।" } @else { "Please pay within " (minutes) " min." }
                    }
                    h2 { (t.t("Or open your UPI app", "या अपना UPI ऐप खोलें")) }
                    div.apps {
                        a.btn href=(links.generic) { "UPI" }
                        a.btn href=(links.gpay) { "Google Pay" }
                        a.btn href=(links.phonepe) { "PhonePe" }
                        a.btn href=(links.paytm) { "Paytm" }
                    }
                    p.notice style="margin-top:1rem" {
                        (t.t("Sandbox: no real app will pay this.", "सैंडबॉक्स: कोई असली ऐप इसका भुगतान नहीं करेगा।"))
                        " "
                        a href={ (base(st)) "/pay/" (url_encode(&o.order_id)) } target="_blank" rel="noopener" {
                            (t.t("Open the simulated UPI app", "नकली UPI ऐप खोलें"))
                        }
                    }
                } @else if !targets.is_empty() {
                    p.muted {
                        (t.t("The real window would now return you to the shop via", "असली विंडो अब आपको दुकान पर वापस भेजती, इसके ज़रिए"))
                        ": " code { (targets.join(", ")) }
                    }
                }
            }
        }
    };
    respond(StatusCode::OK, page(title, t.lang(), open.then_some(5), false, body))
}

// ------------------------------------------------------- the UPI app page

/// `GET /pay/{order_id}`: what the user's phone would do.
pub async fn pay_page(State(st): State<SandboxState>, Path(order_id): Path<String>, RawQuery(q): RawQuery) -> Response {
    let order = match ops::get_order(&st, &order_id).await {
        Ok(Some(o)) => o,
        Ok(None) => {
            return error_page(
                StatusCode::NOT_FOUND,
                "Unknown order",
                "There is no order with this id in the sandbox.",
                Some("/admin"),
            );
        }
        Err(e) => return db_error(&e),
    };
    let done = params(q.as_deref()).get("done").cloned().unwrap_or_default();
    let id = url_encode(&order.order_id);
    let upi = parse_upi_uri(&order.qr_data).ok();
    let flash = match done.as_str() {
        "paid" => "Payment sent. The provider will now send the postback.",
        "declined" => "Payment declined. No postback will be sent.",
        "expired" => "The payment request expired. No postback will be sent.",
        _ => "",
    };
    let payee = upi
        .as_ref()
        .map(|u| format!("{} ({})", u.pn.clone().unwrap_or_default(), u.pa))
        .unwrap_or_else(|| format!("{MERCHANT_NAME} ({MERCHANT_VPA})"));
    let amount = upi.as_ref().map(|u| u.amount_paise).unwrap_or(order.amount_paise);
    let note = upi.as_ref().and_then(|u| u.tn.as_deref()).unwrap_or(&order.order_id);
    let status_text = match order.failure_reason.as_deref() {
        Some(r) => format!("{} ({r})", order.status),
        None => order.status.clone(),
    };
    let action = |what: &str| format!("/pay/{id}/{what}");
    let body = html! {
        main.narrow {
            div.card {
                h1 { "Sandbox UPI app" }
                @if !flash.is_empty() { p.notice { (flash) } }
                p.muted { "Pay to" }
                p { strong { (payee) } }
                div.amount { (inr(amount)) }
                p.muted { "Note " code { (note) } " · Ref " code { (order.upi_ref) } }
                p { span class={ "status " (order.status) } { (status_text) } }
                @if order.status == "processing" {
                    @let vpa = ops::random_payer_vpa();
                    form method="post" action=(action("pay")) {
                        label { "Pay from (your UPI ID)" br; input name="payer_vpa" value=(vpa) autocomplete="off"; }
                        button.btn type="submit" { "Pay " (inr(order.amount_paise)) }
                    }
                    form method="post" action=(action("pay")) {
                        input type="hidden" name="payer_vpa" value=(vpa);
                        label { "Or pay a different amount (₹)" br; input name="amount" inputmode="decimal" placeholder="e.g. 150.50" required; }
                        button.btn.secondary type="submit" { "Pay this amount" }
                    }
                    form.inline method="post" action=(action("decline")) { button.btn.danger type="submit" { "Decline" } }
                    form.inline method="post" action=(action("expire")) { button.btn.secondary type="submit" { "Let it expire now" } }
                    p.muted { "Expires at " (when(order.expires_at_ms)) " (UTC+08:00)." }
                } @else if order.status == "success" {
                    p {
                        "Paid " strong { (inr(order.paid_paise.unwrap_or_default())) }
                        " from " code { (order.payer_vpa.as_deref().unwrap_or_default()) }
                        " at " (order.paid_at_ms.map(when).unwrap_or_default()) " (UTC+08:00)."
                        br;
                        "UPI transaction id " code { (order.transaction_id.as_deref().unwrap_or_default()) } "."
                    }
                }
                p {
                    a.btn.secondary.small href={ "/deliveries?order_id=" (id) } { "Postback deliveries" }
                    " "
                    a.btn.secondary.small href="/admin" { "Admin" }
                }
            }
        }
    };
    respond(StatusCode::OK, page("Sandbox UPI app", "en", None, true, body))
}

/// `POST /pay/{order_id}/{pay|decline|expire}` (form).
pub async fn pay_action(
    State(st): State<SandboxState>,
    Path((order_id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let back = format!("/pay/{}", url_encode(&order_id));
    let f = form(&body);
    let result = match action.as_str() {
        "pay" => {
            let amount = match f.get("amount").map(|a| a.trim()).filter(|a| !a.is_empty()) {
                None => None,
                Some(a) => match crate::domain::Money::from_wire_decimal(a).ok().map(crate::domain::Money::paise) {
                    Some(p) if p > 0 => Some(p),
                    _ => {
                        return error_page(
                            StatusCode::BAD_REQUEST,
                            "Invalid amount",
                            "Enter an amount in rupees greater than zero, with at most two decimals (e.g. 150.50).",
                            Some(&back),
                        );
                    }
                },
            };
            ops::pay(&st, &order_id, amount, f.get("payer_vpa").cloned()).await.map(|_| "paid")
        }
        "decline" => ops::fail_order(&st, &order_id, "declined").await.map(|_| "declined"),
        "expire" => ops::fail_order(&st, &order_id, "expired").await.map(|_| "expired"),
        _ => {
            return error_page(StatusCode::NOT_FOUND, "Unknown action", "This button does not exist.", Some(&back));
        }
    };
    match result {
        Ok(done) => Redirect::to(&format!("{back}?done={done}")).into_response(),
        Err(OpError::Db(e)) => db_error(&e),
        Err(e) => error_page(e.status(), "Not possible", &e.to_string(), Some(&back)),
    }
}

// ------------------------------------------------------------------ admin

/// `GET /admin`: merchant balance, chaos, orders and withdrawals.
pub async fn admin(State(st): State<SandboxState>) -> Response {
    let loaded = async {
        let mut conn = st.db.acquire().await?;
        store::expire_due(&mut conn, now_ms()).await?;
        let balance = store::balance(&mut conn).await?;
        let orders = store::recent_orders(&mut conn, 100).await?;
        let withdrawals = store::recent_withdrawals(&mut conn, 100).await?;
        Ok::<_, sqlx::Error>((balance, orders, withdrawals))
    };
    let (balance, orders, withdrawals) = match loaded.await {
        Ok(v) => v,
        Err(e) => return db_error(&e),
    };
    let c = st.chaos();
    let cfg = &st.config;
    let schedule = cfg.retry_schedule.iter().map(|d| human_duration(*d)).collect::<Vec<_>>().join(", ");
    let auto = cfg
        .auto_withdrawal_after
        .map(|d| format!("paid after {}", human_duration(d)))
        .unwrap_or_else(|| "off (decide below)".to_owned());
    let body = html! {
        main {
            div.card {
                h1 { "Sandbox admin" }
                p { "Merchant balance: " strong { (inr(balance)) } }
                form method="post" action="/admin/balance" {
                    label { "Set balance (₹) " input name="balance" inputmode="decimal" value=(crate::domain::Money::from_paise(balance).to_wire_rupees()); }
                    button.btn.small type="submit" { "Save" }
                }
                p.muted {
                    "Postback URL " code { (cfg.postback_url) }
                    " · amounts " (inr(cfg.min_paise)) " to " (inr(cfg.max_paise))
                    " · orders expire after " (cfg.order_ttl.as_secs()) " s · retries " (schedule)
                    " · automatic withdrawal decision: " (auto)
                }
            }
            div.card {
                h2 { "Chaos" }
                form method="post" action="/admin/chaos" {
                    label { "Extra copies of each postback " input type="number" min="0" max="50" name="duplicate_postbacks" value=(c.duplicate_postbacks); }
                    label { input type="checkbox" name="concurrent" value="1" checked[c.concurrent]; " Deliver copies concurrently" }
                    label { input type="checkbox" name="out_of_order" value="1" checked[c.out_of_order]; " Deliver out of order" }
                    label { "Delay before first delivery (ms) " input type="number" min="0" name="delay_ms" value=(c.delay.as_millis()); }
                    label { "Next status calls answering an error " input type="number" min="0" name="status_errors_for" value=(c.status_errors_for); }
                    label { "Next postbacks preceded by a forged (bad signature) copy " input type="number" min="0" name="bad_signature_next" value=(c.bad_signature_next); }
                    label { "Next withdrawals accepted with the answer lost (504) " input type="number" min="0" name="withdrawal_answer_lost_next" value=(c.withdrawal_answer_lost_next); }
                    button.btn type="submit" { "Apply" }
                }
            }
            div.card {
                h2 { "Orders" }
                div.scroll {
                    table {
                        tr { th { "Created (UTC+08)" } th { "Order" } th { "Custom id" } th { "Label" } th { "Amount" } th { "Status" } th { "Paid" } th { "UPI txn" } th {} }
                        @for o in &orders {
                            @let id = url_encode(&o.order_id);
                            tr {
                                td { (when(o.created_at_ms)) }
                                td { a href={ "/pay/" (id) } { code { (o.order_id) } } }
                                td { (o.custom_transaction_id) }
                                td { (o.label) }
                                td { (inr(o.amount_paise)) }
                                td {
                                    span class={ "status " (o.status) } {
                                        @match &o.failure_reason { Some(r) => { (o.status) " (" (r) ")" }, None => { (o.status) } }
                                    }
                                }
                                td { (o.paid_paise.map(inr).unwrap_or_default()) }
                                td { (o.transaction_id.as_deref().unwrap_or_default()) }
                                td { a href={ "/deliveries?order_id=" (id) } { "deliveries" } }
                            }
                        }
                        @if orders.is_empty() { tr { td.muted colspan="9" { "No orders yet." } } }
                    }
                }
            }
            div.card {
                h2 { "Withdrawals" }
                div.scroll {
                    table {
                        tr { th { "Created (UTC+08)" } th { "Withdrawal" } th { "Label" } th { "Amount" } th { "Account" } th { "IFSC" } th { "Status" } th {} }
                        @for w in &withdrawals {
                            @let id = url_encode(&w.withdrawal_id);
                            tr {
                                td { (when(w.created_at_ms)) }
                                td { code { (w.withdrawal_id) } @if w.is_test { " " span.muted { "(test)" } } }
                                td { (w.label) }
                                td { (inr(w.amount_paise)) }
                                td { (w.account_name) " · " (w.account_number) }
                                td { (w.bank_code) }
                                td { span class={ "status " (w.status.as_str()) } { (w.status.as_str()) } }
                                td {
                                    @if w.status.is_decided() {
                                        a href={ "/deliveries?order_id=" (id) } { "deliveries" }
                                    } @else {
                                        form.inline method="post" action={ "/admin/withdrawals/" (id) "/paid" } { button.btn.small type="submit" { "Paid" } }
                                        form.inline method="post" action={ "/admin/withdrawals/" (id) "/rejected" } { button.btn.small.danger type="submit" { "Reject" } }
                                    }
                                }
                            }
                        }
                        @if withdrawals.is_empty() { tr { td.muted colspan="8" { "No withdrawals yet." } } }
                    }
                }
            }
        }
    };
    respond(StatusCode::OK, page("Sandbox admin", "en", None, true, body))
}

/// `50 ms`, `5 s`, `2 min`, `1 h`.
fn human_duration(d: std::time::Duration) -> String {
    match d.as_millis() {
        ms if ms < 1000 || ms % 1000 != 0 => format!("{ms} ms"),
        ms if ms < 60_000 || ms % 60_000 != 0 => format!("{} s", ms / 1000),
        ms if ms < 3_600_000 || ms % 3_600_000 != 0 => format!("{} min", ms / 60_000),
        ms => format!("{} h", ms / 3_600_000),
    }
}

fn number_field(f: &HashMap<String, String>, name: &str) -> Result<Option<u64>, String> {
    match f.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("{} must be a whole number of zero or more.", name.replace('_', " "))),
    }
}

/// `POST /admin/chaos` (form): sets every chaos control.
pub async fn admin_chaos(State(st): State<SandboxState>, body: Bytes) -> Response {
    let f = form(&body);
    let parsed = (|| {
        let small = |n: Option<u64>| n.map(|v| u32::try_from(v).unwrap_or(u32::MAX));
        Ok::<_, String>(ChaosUpdate {
            duplicate_postbacks: Some(small(number_field(&f, "duplicate_postbacks")?).unwrap_or(0).min(50)),
            concurrent: Some(f.contains_key("concurrent")),
            out_of_order: Some(f.contains_key("out_of_order")),
            delay_ms: Some(number_field(&f, "delay_ms")?.unwrap_or(0)),
            status_errors_for: Some(small(number_field(&f, "status_errors_for")?).unwrap_or(0)),
            bad_signature_next: Some(small(number_field(&f, "bad_signature_next")?).unwrap_or(0)),
            withdrawal_answer_lost_next: Some(small(number_field(&f, "withdrawal_answer_lost_next")?).unwrap_or(0)),
        })
    })();
    match parsed {
        Ok(update) => {
            let mut c = st.chaos();
            update.apply(&mut c);
            st.set_chaos(c);
            Redirect::to("/admin").into_response()
        }
        Err(msg) => error_page(StatusCode::BAD_REQUEST, "Invalid chaos settings", &msg, Some("/admin")),
    }
}

/// `POST /admin/balance` (form, rupees).
pub async fn admin_balance(State(st): State<SandboxState>, body: Bytes) -> Response {
    let f = form(&body);
    match f
        .get("balance")
        .and_then(|b| crate::domain::Money::from_wire_decimal(b).ok())
        .map(crate::domain::Money::paise)
    {
        Some(p) if p >= 0 => match ops::set_balance(&st, p).await {
            Ok(()) => Redirect::to("/admin").into_response(),
            Err(e) => db_error(&e),
        },
        _ => error_page(
            StatusCode::BAD_REQUEST,
            "Invalid balance",
            "Enter the balance in rupees, zero or more, with at most two decimals.",
            Some("/admin"),
        ),
    }
}

/// `POST /admin/withdrawals/{id}/{paid|rejected}` (form).
pub async fn admin_withdrawal(
    State(st): State<SandboxState>,
    Path((id, decision)): Path<(String, String)>,
) -> Response {
    let paid = match decision.as_str() {
        "paid" => true,
        "rejected" => false,
        _ => {
            return error_page(StatusCode::NOT_FOUND, "Unknown decision", "Use paid or rejected.", Some("/admin"));
        }
    };
    match ops::decide_withdrawal(&st, &id, paid).await {
        Ok(_) => Redirect::to("/admin").into_response(),
        Err(OpError::Db(e)) => db_error(&e),
        Err(e) => error_page(e.status(), "Not possible", &e.to_string(), Some("/admin")),
    }
}

// --------------------------------------------------------- delivery log

/// `GET /deliveries?order_id=..`: every postback and every attempt, newest
/// first.
pub async fn deliveries(State(st): State<SandboxState>, RawQuery(q): RawQuery) -> Response {
    let filter = delivery_filter(q.as_deref());
    let list = match ops::deliveries(&st, filter.as_deref(), 200).await {
        Ok(l) => l,
        Err(e) => return db_error(&e),
    };
    let body = html! {
        main {
            div.card {
                h1 { "Postback deliveries" }
                form method="get" action="/deliveries" {
                    label { "Order or withdrawal id " input name="order_id" value=(filter.as_deref().unwrap_or_default()); }
                    button.btn.small type="submit" { "Filter" }
                    " "
                    a.btn.small.secondary href="/deliveries" { "All" }
                }
                p.muted {
                    "Postbacks go to " code { (st.config.postback_url) }
                    ". Success = HTTP 200 with {\"status\":\"ok\"}. Times are UTC+08:00."
                }
            }
            @if list.is_empty() { div.card { p.muted { "No postbacks yet." } } }
            @for (p, attempts) in &list {
                div.card {
                    h2 {
                        "#" (p.id) " " (p.kind) " "
                        a href={ "/deliveries?order_id=" (url_encode(&p.ref_id)) } { code { (p.ref_id) } }
                        " "
                        span class={ "status " (p.state) } { (p.state) }
                    }
                    p.muted {
                        @if p.copy_no > 0 { "duplicate copy " (p.copy_no) " · " }
                        @if p.forged { "forged copy (bad signature) · " }
                        (p.attempts) " attempt(s) · queued " (when(p.created_at_ms)) " · "
                        @if p.state == "pending" { "next attempt " (when(p.next_attempt_ms)) }
                        @else if let Some(f) = p.finished_at_ms { "finished " (when(f)) }
                    }
                    details { summary { "Body" } pre { (p.body) } }
                    @if !attempts.is_empty() {
                        div.scroll {
                            table {
                                tr { th { "#" } th { "Time" } th { "HTTP" } th { "Latency" } th { "Result" } th { "Answer / error" } }
                                @for a in attempts {
                                    tr {
                                        td { (a.attempt_no) }
                                        td { (when(a.at_ms)) }
                                        td { @match a.http_status { Some(s) => { (s) }, None => { "—" } } }
                                        td { (a.latency_ms) " ms" }
                                        td { span class={ "status " (if a.ok { "delivered" } else { "failed" }) } { (if a.ok { "ok" } else { "failed" }) } }
                                        td { code { (a.response_body) } @if let Some(e) = &a.error { span.err { (e) } } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    (
        [(header::CACHE_CONTROL, "no-store")],
        respond(StatusCode::OK, page("Postback deliveries", "en", None, true, body)),
    )
        .into_response()
}
