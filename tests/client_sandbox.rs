//! The Paykassma client against the sandbox over real HTTP, and against a
//! closed port and a server that never answers.

#[path = "sandbox_common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use common::{client_for, payment, start, withdrawal};
use portal::domain::{AccountHolder, AccountNumber, Ifsc};
use portal::paykassma::client::PaykassmaClient;
use portal::paykassma::deeplink::parse_upi_uri;
use portal::paykassma::error::ProviderError;
use portal::paykassma::types::{CreatePayment, PaymentStatus, WithdrawalRequest};

const NOWHERE: &str = "http://127.0.0.1:9/postback";

fn decode_png_qr(b64: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().expect("decode").1
}

fn assert_field(e: &ProviderError, field: &str) {
    match e {
        ProviderError::Rejected { fields, .. } => {
            assert!(fields.iter().any(|(f, m)| f == field && !m.is_empty()), "{e:?}")
        }
        other => panic!("expected a field error on {field}, got {other:?}"),
    }
}

#[tokio::test]
async fn create_then_status_processing_then_success_after_paying() {
    let sb = start(NOWHERE, |_| {}).await;
    let c = sb.client();
    let created = c.create_upi_payment(&payment(10050, "t-1")).await.unwrap();
    assert_eq!(created.order_id.len(), 16);
    assert!(created.order_id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(created.message, "QR Code generated successfully");
    let upi = parse_upi_uri(&created.qr_data).unwrap();
    assert_eq!(upi.amount_paise, 10050);
    assert!(created.qr_data.contains("&am=100.5&"), "{}", created.qr_data);
    assert_eq!(upi.tn.as_deref(), Some(created.order_id.as_str()));
    assert_eq!(upi.cu.as_deref(), Some("INR"));
    assert_eq!(decode_png_qr(&created.qr_png_base64), created.qr_data);

    assert_eq!(c.payment_status(&created.order_id).await.unwrap(), PaymentStatus::Processing);
    let (st, order) = sb.order_action(&created.order_id, "pay").await;
    assert_eq!(st, 200, "{order}");
    let txid = order["transaction_id"].as_str().unwrap();
    assert_eq!(txid.len(), 12);
    assert!(txid.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(c.payment_status(&created.order_id).await.unwrap(), PaymentStatus::Success);
    // Paying twice is refused.
    let (st, _) = sb.order_action(&created.order_id, "pay").await;
    assert_eq!(st, 409);
    sb.stop().await;
}

#[tokio::test]
async fn failed_after_decline_and_after_expiry() {
    // Two seconds: long enough that "still processing" right after the create
    // cannot race the clock on a slow machine; the expiry is then awaited.
    let sb = start(NOWHERE, |c| c.order_ttl = Duration::from_secs(2)).await;
    let c = sb.client();
    let a = c.create_upi_payment(&payment(20000, "dec-1")).await.unwrap();
    let b = c.create_upi_payment(&payment(20000, "exp-1")).await.unwrap();
    let d = c.create_upi_payment(&payment(20000, "exp-2")).await.unwrap();
    let (st, _) = sb.order_action(&a.order_id, "decline").await;
    assert_eq!(st, 200);
    assert_eq!(c.payment_status(&a.order_id).await.unwrap(), PaymentStatus::Failed);
    let (st, _) = sb.order_action(&b.order_id, "expire").await;
    assert_eq!(st, 200);
    assert_eq!(c.payment_status(&b.order_id).await.unwrap(), PaymentStatus::Failed);
    // The TTL runs out by itself.
    assert_eq!(c.payment_status(&d.order_id).await.unwrap(), PaymentStatus::Processing);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while c.payment_status(&d.order_id).await.unwrap() != PaymentStatus::Failed {
        assert!(std::time::Instant::now() < deadline, "the order never expired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let o = sb.get_json(&format!("/sandbox/api/orders/{}", d.order_id)).await;
    assert_eq!(o["failure_reason"], "expired");
    // A failed payment sends no postback.
    assert!(sb.deliveries(&a.order_id).await.is_empty());
    // Unknown order.
    let e = c.payment_status("0000000000000000").await.unwrap_err();
    assert!(matches!(e, ProviderError::Rejected { .. }), "{e:?}");
    sb.stop().await;
}

#[tokio::test]
async fn bad_or_missing_secret_is_404() {
    let sb = start(NOWHERE, |_| {}).await;
    let wrong = client_for(&sb.url, "not-the-secret", "x");
    let e = wrong.create_upi_payment(&payment(10000, "s-1")).await.unwrap_err();
    assert_eq!(e, ProviderError::BadSecret);
    assert!(!e.outcome_unknown());
    assert!(!e.user_message().contains("not-the-secret"));
    assert_eq!(wrong.payment_status("abc").await.unwrap_err(), ProviderError::BadSecret);
    let http = reqwest::Client::new();
    for path in ["/api/v1/payment/create/upi_s", "/api/v1/payment/upi_s/status"] {
        let r = http.post(format!("{}{path}", sb.url)).body("{}").send().await.unwrap();
        assert_eq!(r.status().as_u16(), 404);
    }
    sb.stop().await;
}

#[tokio::test]
async fn field_errors() {
    let sb = start(NOWHERE, |_| {}).await;
    let c = sb.client();
    // Below the minimum (₹100 in the demo config) and above the maximum.
    let e = c.create_upi_payment(&payment(9999, "f-1")).await.unwrap_err();
    assert_field(&e, "amount");
    assert!(e.user_message().contains("at least 100"), "{}", e.user_message());
    let e = c.create_upi_payment(&payment(10_000_001, "f-2")).await.unwrap_err();
    assert_field(&e, "amount");
    // Duplicate custom_transaction_id.
    c.create_upi_payment(&payment(10000, "dup-1")).await.unwrap();
    let e = c.create_upi_payment(&payment(10000, "dup-1")).await.unwrap_err();
    assert_field(&e, "custom_transaction_id");
    assert!(!e.outcome_unknown());
    // Our own checks before sending.
    let e = c.create_upi_payment(&payment(0, "f-3")).await.unwrap_err();
    assert!(matches!(e, ProviderError::InvalidRequest(_)));
    let e = c.create_upi_payment(&CreatePayment { label: String::new(), ..payment(10000, "f-4") }).await.unwrap_err();
    assert!(matches!(e, ProviderError::InvalidRequest(_)));

    // Raw requests for what the client never sends: bad wallet type, mode,
    // currency, missing label, too many decimals.
    let url = format!("{}/api/v1/payment/create/upi_s?secret={}", sb.url, sb.config.api_secret.expose());
    let http = reqwest::Client::new();
    let r: serde_json::Value = http
        .post(&url)
        .body(r#"{"mode":"upi_push","amount":100.001,"currency":"USD","wallet_type":"paytm","custom_transaction_id":"r-1"}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "fail");
    for f in ["mode", "amount", "currency", "label", "wallet_type"] {
        assert!(r["message"][f][0].is_string(), "{f}: {r}");
    }
    let e = portal::paykassma::error::classify_answer(
        portal::paykassma::error::Endpoint::Create,
        200,
        r.to_string().as_bytes(),
        "",
    )
    .unwrap_err();
    assert_field(&e, "wallet_type");
    // Not JSON at all.
    let r: serde_json::Value = http.post(&url).body("amount=100").send().await.unwrap().json().await.unwrap();
    assert_eq!(r["status"], "fail");
    assert!(r["message"].is_string());
    // Amount as a string with two decimals is fine.
    let r: serde_json::Value = http
        .post(&url)
        .body(r#"{"mode":"upi_collect_qr","amount":"150.25","currency":"INR","label":"bob","wallet_type":"upi_s","custom_transaction_id":"r-2"}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "ok", "{r}");
    assert!(r["data"]["qr_data"].as_str().unwrap().contains("am=150.25"));
    sb.stop().await;
}

#[tokio::test]
async fn status_answers_that_are_not_json() {
    let sb = start(NOWHERE, |_| {}).await;
    let c = sb.client();
    let created = c.create_upi_payment(&payment(10000, "nj-1")).await.unwrap();
    let (st, chaos) = sb.post_json("/sandbox/api/chaos", serde_json::json!({ "status_errors_for": 2 })).await;
    assert_eq!(st, 200);
    assert_eq!(chaos["status_errors_for"], 2);
    // A 200 with the provider's single-quoted pseudo-JSON.
    let e = c.payment_status(&created.order_id).await.unwrap_err();
    match &e {
        ProviderError::NotJson { status: 200, snippet } => assert!(snippet.contains("'status'"), "{snippet}"),
        other => panic!("{other:?}"),
    }
    assert!(e.outcome_unknown());
    // A 500 HTML page.
    let e = c.payment_status(&created.order_id).await.unwrap_err();
    assert_eq!(e, ProviderError::Http { status: 500 });
    assert!(e.user_message().contains("internal error"));
    // Then back to normal.
    assert_eq!(c.payment_status(&created.order_id).await.unwrap(), PaymentStatus::Processing);
    sb.stop().await;
}

#[tokio::test]
async fn withdrawals_ok_insufficient_bad_signature_duplicate() {
    let sb = start(NOWHERE, |c| c.merchant_balance_paise = 500_000).await;
    let c = sb.client();
    c.create_withdrawal(&withdrawal("wd-1", 300_000)).await.unwrap();
    let m = sb.get_json("/sandbox/api/merchant").await;
    assert_eq!(m["balance_paise"], 200_000);
    let w = sb.get_json("/sandbox/api/withdrawals/wd-1").await;
    assert_eq!(w["status"], 0);
    assert_eq!(w["is_test"], true);
    // Insufficient balance.
    let e = c.create_withdrawal(&withdrawal("wd-2", 300_000)).await.unwrap_err();
    assert_eq!(e, ProviderError::InsufficientBalance);
    assert!(e.user_message().contains("balance"));
    // Signed with the wrong key.
    let wrong = client_for(&sb.url, sb.config.api_secret.expose(), "wrong-key");
    let e = wrong.create_withdrawal(&withdrawal("wd-3", 10_000)).await.unwrap_err();
    assert_field(&e, "signature");
    // Duplicate id.
    let e = c.create_withdrawal(&withdrawal("wd-1", 10_000)).await.unwrap_err();
    assert_field(&e, "withdrawal_id");
    // Below the minimum.
    let e = c.create_withdrawal(&withdrawal("wd-4", 5_000)).await.unwrap_err();
    assert_field(&e, "amount");
    // Checked before sending (bank details cannot even be built wrong:
    // `Ifsc::parse("HDFC1234567")`, `AccountHolder::parse("Sita-Devi")` and
    // `AccountNumber::parse("12AB")` are errors, see domain::bank).
    assert!(Ifsc::parse("HDFC1234567").is_err() && AccountHolder::parse("Sita-Devi").is_err());
    assert!(AccountNumber::parse("12AB").is_err());
    for bad in
        [WithdrawalRequest { amount_paise: 10_050, ..withdrawal("wd-5", 0) }, withdrawal(&"x".repeat(37), 10_000)]
    {
        let e = c.create_withdrawal(&bad).await.unwrap_err();
        assert!(matches!(e, ProviderError::InvalidRequest(_)), "{e:?}");
    }
    // Raw: field errors from the sandbox itself.
    let r: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/v2/withdrawal/create", sb.url))
        .body(r#"{"withdrawal_id":"","payment_system":"upi","amount":10.5,"currency_code":"USD","label":"u","account_number":"12a","account_name":"R2D2","bank_details":{"bank_code":"hdfc0001234","branch_code":"HDFC0001234"},"signature":"x"}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for f in [
        "withdrawal_id",
        "payment_system",
        "amount",
        "currency_code",
        "account_number",
        "account_name",
        "bank_details.bank_code",
    ] {
        assert!(r["message"][f][0].is_string(), "{f}: {r}");
    }
    // A rejection refunds the balance.
    let (st, w) = sb.withdrawal_action("wd-1", "rejected").await;
    assert_eq!(st, 200);
    assert_eq!(w["status"], 5);
    assert_eq!(sb.get_json("/sandbox/api/merchant").await["balance_paise"], 500_000);
    sb.stop().await;
}

#[tokio::test]
async fn closed_port_is_unreachable_quickly() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let c = client_for(&format!("http://{addr}"), "sekrit-value", "k");
    let start = Instant::now();
    let e = c.create_upi_payment(&payment(10000, "u-1")).await.unwrap_err();
    assert!(matches!(e, ProviderError::Unreachable(_)), "{e:?}");
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(!e.outcome_unknown());
    assert!(!format!("{e} {e:?}").contains("sekrit-value"));
    assert!(e.user_message().contains("cannot be reached"));
}

#[tokio::test]
async fn silent_server_times_out_within_the_bound() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock); // accept, read nothing, never answer
        }
    });
    let c = PaykassmaClient::new(
        &format!("http://{addr}"),
        portal::paykassma::secret::Secret::new("sekrit-value"),
        portal::paykassma::secret::Secret::new("k"),
        Duration::from_millis(300),
        Duration::from_millis(500),
    )
    .unwrap();
    let start = Instant::now();
    let e = c.create_upi_payment(&payment(10000, "t-1")).await.unwrap_err();
    let took = start.elapsed();
    assert_eq!(e, ProviderError::Timeout);
    assert!(took >= Duration::from_millis(450) && took < Duration::from_millis(1500), "{took:?}");
    assert!(e.outcome_unknown());
    let e = c.payment_status("abc").await.unwrap_err();
    assert_eq!(e, ProviderError::Timeout);
}
