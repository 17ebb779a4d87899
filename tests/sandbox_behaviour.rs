//! The sandbox's own behaviour: postback delivery (retries, chaos, restart),
//! withdrawal postbacks, and the HTML pages.

#[path = "sandbox_common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{payment, receiver, receiver_on, start, start_in, withdrawal};
use portal::paykassma::json::JsonValue;
use portal::paykassma::secret::demo;
use portal::paykassma::signature::verify_postback;
use portal::paykassma::types::WithdrawalRequest;

fn item_str<'a>(v: &'a JsonValue, key: &str) -> &'a str {
    v.get(key).and_then(JsonValue::as_str).unwrap_or_default()
}

#[tokio::test]
async fn retries_until_ok_and_records_every_attempt() {
    let rx = receiver(2).await;
    let sb = start(&rx.url, |_| {}).await;
    let c = sb.client();
    let created = c.create_upi_payment(&payment(25050, "ctid-42")).await.unwrap();
    let (st, order) = sb
        .post_json(
            &format!("/sandbox/api/orders/{}/pay", created.order_id),
            serde_json::json!({ "payer_vpa": "payer@okicici" }),
        )
        .await;
    assert_eq!(st, 200);
    let list = sb.wait_settled(&created.order_id, 1).await;
    assert_eq!(list.len(), 1);
    let p = &list[0];
    assert_eq!(p["state"], "delivered");
    assert_eq!(p["attempts"], 3);
    let log = p["attempt_log"].as_array().unwrap();
    let statuses: Vec<i64> = log.iter().rev().map(|a| a["http_status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, [500, 500, 200]);
    assert_eq!(log[0]["ok"], true);
    assert_eq!(log[1]["response_body"], "oops");
    assert!(log.iter().all(|a| a["latency_ms"].as_i64().unwrap() >= 0));

    let bodies = rx.bodies();
    assert_eq!(bodies.len(), 3);
    assert!(bodies.iter().all(|b| b == &bodies[0]));
    let v = verify_postback(&bodies[0], &sb.config.access_key, sb.config.private_key.expose()).unwrap();
    let root = v.root();
    assert_eq!(item_str(root, "direction"), "ingoing");
    assert_eq!(item_str(root, "wallet_type"), "upi_s");
    assert_eq!(item_str(root, "label"), "alice");
    assert_eq!(root.get("amount"), Some(&JsonValue::Number("250.5".into())));
    let created_dt = item_str(root, "created_datetime");
    assert_eq!(created_dt.len(), 19, "{created_dt}");
    let item = &v.additional_data()[0];
    assert_eq!(item_str(item, "plugin_custom_order_id"), "ctid-42");
    assert_eq!(item_str(item, "amount"), "250.5");
    assert_eq!(item_str(item, "exchanger_identifier"), "payer@okicici");
    assert_eq!(item_str(item, "transaction_id"), order["transaction_id"].as_str().unwrap());
    assert_eq!(item.get("transaction_type"), Some(&JsonValue::Number("0".into())));
    assert!(item.get("withdrawal_id").unwrap().is_null());
    let keys: Vec<&str> = item.as_object().unwrap().iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "activated_datetime",
            "exchanger_identifier",
            "comment",
            "amount",
            "currency_code",
            "wallet_type",
            "stockpiling_id",
            "transaction_id",
            "transaction_type",
            "plugin_custom_order_id",
            "withdrawal_id",
            "withdrawal_status",
            "account_number",
            "account_name",
            "account_email",
            "bank_details"
        ]
    );
    sb.stop().await;
}

#[tokio::test]
async fn duplicate_chaos_sends_n_plus_one_copies_concurrently_and_out_of_order() {
    let rx = receiver(0).await;
    let sb = start(&rx.url, |c| {
        c.chaos.duplicate_postbacks = 2;
        c.chaos.concurrent = true;
    })
    .await;
    let c = sb.client();
    let a = c.create_upi_payment(&payment(10000, "d-1")).await.unwrap();
    sb.order_action(&a.order_id, "pay").await;
    let list = sb.wait_settled(&a.order_id, 3).await;
    assert_eq!(list.len(), 3);
    assert!(list.iter().all(|p| p["state"] == "delivered" && p["attempts"] == 1));
    let bodies = rx.wait_for(3).await;
    assert!(bodies.iter().all(|b| b == &bodies[0]));

    // Switch to out of order with a delay and one extra copy.
    let (_, chaos) = sb
        .post_json(
            "/sandbox/api/chaos",
            serde_json::json!({ "duplicate_postbacks": 1, "concurrent": false, "out_of_order": true, "delay_ms": 100 }),
        )
        .await;
    assert_eq!(chaos["delay_ms"], 100);
    let b = c.create_upi_payment(&payment(10000, "d-2")).await.unwrap();
    sb.order_action(&b.order_id, "pay").await;
    let list = sb.wait_settled(&b.order_id, 2).await;
    assert_eq!(list.len(), 2);
    assert_eq!(rx.wait_for(5).await.len(), 5);
    sb.stop().await;
}

#[tokio::test]
async fn bad_signature_chaos_sends_a_forged_copy_first() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rx = receiver_on(listener, 0, Some((demo::ACCESS_KEY.into(), demo::PRIVATE_KEY.into()))).await;
    let sb = start(&rx.url, |c| c.chaos.bad_signature_next = 1).await;
    let c = sb.client();
    let a = c.create_upi_payment(&payment(10000, "bs-1")).await.unwrap();
    sb.order_action(&a.order_id, "pay").await;
    let list = sb.wait_settled(&a.order_id, 2).await;
    let forged = list.iter().find(|p| p["forged"] == true).unwrap();
    let genuine = list.iter().find(|p| p["forged"] == false).unwrap();
    assert_eq!(forged["state"], "abandoned");
    assert_eq!(forged["attempts"], 1);
    assert_eq!(forged["attempt_log"][0]["http_status"], 400);
    assert_eq!(genuine["state"], "delivered");
    let bodies = rx.bodies();
    assert!(verify_postback(&bodies[0], demo::ACCESS_KEY, demo::PRIVATE_KEY).is_err());
    assert!(verify_postback(&bodies[1], demo::ACCESS_KEY, demo::PRIVATE_KEY).is_ok());
    // Only the next one.
    assert_eq!(sb.get_json("/sandbox/api/chaos").await["bad_signature_next"], 0);
    sb.stop().await;
}

#[tokio::test]
async fn withdrawal_postbacks_paid_rejected_and_automatic() {
    let rx = receiver(0).await;
    let sb = start(&rx.url, |c| c.merchant_balance_paise = 1_000_000).await;
    let c = sb.client();
    let w = |id: &str| WithdrawalRequest { is_test: false, ..withdrawal(id, 150_000) };
    c.create_withdrawal(&w("wd-paid")).await.unwrap();
    c.create_withdrawal(&w("wd-rej")).await.unwrap();
    // Nothing is queued while pending (postbacks are queued in the same
    // transaction as the decision, so the queue itself is the proof).
    assert!(sb.deliveries("wd-paid").await.is_empty() && sb.deliveries("wd-rej").await.is_empty());
    let (st, _) = sb.withdrawal_action("wd-paid", "paid").await;
    assert_eq!(st, 200);
    let (st, _) = sb.withdrawal_action("wd-rej", "rejected").await;
    assert_eq!(st, 200);
    let (st, _) = sb.withdrawal_action("wd-rej", "paid").await;
    assert_eq!(st, 409);
    sb.wait_settled("wd-paid", 1).await;
    sb.wait_settled("wd-rej", 1).await;
    let bodies = rx.wait_for(2).await;
    let mut statuses = Vec::new();
    for b in &bodies {
        let v = verify_postback(b, &sb.config.access_key, sb.config.private_key.expose()).unwrap();
        assert_eq!(item_str(v.root(), "direction"), "outgoing");
        let item = &v.additional_data()[0];
        statuses.push((
            item_str(item, "withdrawal_id").to_owned(),
            item.get("withdrawal_status").and_then(JsonValue::as_number_lexeme).unwrap().to_owned(),
        ));
    }
    statuses.sort();
    assert_eq!(statuses, [("wd-paid".into(), "1".into()), ("wd-rej".into(), "5".into())]);
    assert_eq!(sb.get_json("/sandbox/api/merchant").await["balance_paise"], 850_000);
    sb.stop().await;

    // Automatic decision.
    let rx = receiver(0).await;
    let sb = start(&rx.url, |c| c.auto_withdrawal_after = Some(Duration::from_millis(100))).await;
    sb.client().create_withdrawal(&w("wd-auto")).await.unwrap();
    sb.wait_settled("wd-auto", 1).await;
    assert_eq!(sb.get_json("/sandbox/api/withdrawals/wd-auto").await["status"], 1);
    sb.stop().await;
}

#[tokio::test]
async fn pending_deliveries_survive_a_restart() {
    // A port nobody listens on yet.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let url = format!("http://{addr}/postback");
    let sb = start(&url, |c| c.retry_schedule = vec![Duration::from_millis(100)]).await;
    let a = sb.client().create_upi_payment(&payment(10000, "r-1")).await.unwrap();
    sb.order_action(&a.order_id, "pay").await;
    // Wait for at least one failed attempt.
    loop {
        let list = sb.deliveries(&a.order_id).await;
        if list.first().is_some_and(|p| p["attempts"].as_i64().unwrap_or(0) >= 1) {
            assert!(list[0]["attempt_log"][0]["error"].is_string());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dir: Arc<_> = sb.stop().await;
    // The receiver comes up, then the sandbox restarts on the same file.
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let rx = receiver_on(listener, 0, None).await;
    let sb = start_in(dir, &url, |_| {}).await;
    let list = sb.wait_settled(&a.order_id, 1).await;
    assert_eq!(list[0]["state"], "delivered");
    assert!(list[0]["attempts"].as_i64().unwrap() >= 2);
    assert_eq!(rx.wait_for(1).await.len(), 1);
    // The order itself survived too.
    let o = sb.get_json(&format!("/sandbox/api/orders/{}", a.order_id)).await;
    assert_eq!(o["status"], "success");
    sb.stop().await;
}

async fn get_page(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn payment_window_and_pages() {
    let rx = receiver(0).await;
    let sb = start(&rx.url, |_| {}).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let q = "label=alice&currency_code=INR&lang=en&wallet_type=upi_s&custom_transaction_id=pw-1&fixed_amount=150&payment_url_success_id=2&payment_url_pending_id=3&payment_url_fail_id=1&success_url=abc%2Fdef&fail_url=h1&pending_url=h2";
    let (st, html) = get_page(&format!("{}/plugin?{q}", sb.url)).await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("<svg"), "{html}");
    assert!(html.contains("₹150.00"));
    assert!(html.contains("tez://upi/pay?") && html.contains("phonepe://pay?") && html.contains("paytmmp://pay?"));
    let order_id = html.split("/pay/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    assert_eq!(order_id.len(), 16);
    // Same custom_transaction_id: the same order; also served at "/".
    let (st, again) = get_page(&format!("{}/?{q}", sb.url)).await;
    assert_eq!(st, 200);
    assert!(again.contains(&format!("/pay/{order_id}")));
    // Hindi.
    let (st, hi) = get_page(&format!("{}/plugin?{}", sb.url, q.replace("lang=en", "lang=hi"))).await;
    assert_eq!(st, 200);
    assert!(hi.contains("UPI से भुगतान करें") && hi.contains(r#"lang="hi""#));
    // Same id, different amount: refused.
    let (st, html) =
        get_page(&format!("{}/plugin?{}", sb.url, q.replace("fixed_amount=150", "fixed_amount=151"))).await;
    assert_eq!(st, 400);
    assert!(html.contains("already used"));
    // Invalid parameters, listed, escaped.
    let (st, html) = get_page(&format!(
        "{}/plugin?label=%3Cscript%3E&currency_code=USD&lang=hi&wallet_type=x&fixed_amount=1.5&payment_url_success_id=abc",
        sb.url
    ))
    .await;
    assert_eq!(st, 400);
    assert!(!html.contains("<script>"));
    assert!(html.contains("यह भुगतान लिंक मान्य नहीं है"));
    assert!(html.matches("<li>").count() >= 5, "{html}");
    let (st, html) = get_page(&format!("{}/plugin?lang=fr", sb.url)).await;
    assert_eq!(st, 400);
    assert!(html.contains("en or hi"));

    // The UPI app page and its forms.
    let (st, html) = get_page(&format!("{}/pay/{order_id}", sb.url)).await;
    assert_eq!(st, 200);
    assert!(html.contains("Sandbox Merchant") && html.contains("Decline") && html.contains("Let it expire now"));
    let r = http
        .post(format!("{}/pay/{order_id}/pay", sb.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("amount=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = http
        .post(format!("{}/pay/{order_id}/pay", sb.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("amount=120.75&payer_vpa=me%40ybl")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let o = sb.get_json(&format!("/sandbox/api/orders/{order_id}")).await;
    assert_eq!(o["status"], "success");
    assert_eq!(o["paid_paise"], 12075);
    let bodies = rx.wait_for(1).await;
    let v = verify_postback(&bodies[0], &sb.config.access_key, sb.config.private_key.expose()).unwrap();
    assert_eq!(item_str(&v.additional_data()[0], "amount"), "120.75");
    assert_eq!(item_str(&v.additional_data()[0], "plugin_custom_order_id"), "pw-1");
    // The window now shows the outcome and the return target.
    let (_, html) = get_page(&format!("{}/plugin?{q}", sb.url)).await;
    assert!(html.contains("Payment received") && html.contains("payment_url_success_id=2"));
    let (st, _) = get_page(&format!("{}/pay/nope", sb.url)).await;
    assert_eq!(st, 404);

    // Admin, chaos form, deliveries.
    let (st, html) = get_page(&format!("{}/admin", sb.url)).await;
    assert_eq!(st, 200);
    assert!(html.contains(&order_id) && html.contains("Chaos"));
    let r = http
        .post(format!("{}/admin/chaos", sb.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("duplicate_postbacks=3&concurrent=1&delay_ms=5&status_errors_for=1&bad_signature_next=0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let chaos = sb.get_json("/sandbox/api/chaos").await;
    assert_eq!(chaos["duplicate_postbacks"], 3);
    assert_eq!(chaos["concurrent"], true);
    assert_eq!(chaos["out_of_order"], false);
    let r = http
        .post(format!("{}/admin/chaos", sb.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("delay_ms=-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    sb.wait_settled(&order_id, 1).await;
    let (st, html) = get_page(&format!("{}/deliveries?order_id={order_id}", sb.url)).await;
    assert_eq!(st, 200);
    assert!(html.contains("delivered") && html.contains(&order_id));
    let (st, html) = get_page(&format!("{}/", sb.url)).await;
    assert_eq!(st, 200);
    assert!(html.contains("/plugin?label=demo-user"));
    sb.stop().await;
}
