//! Deposits through the real provider path: portal -> client -> sandbox over
//! HTTP, the sandbox's signed postback back to the portal. Both backends.

mod common;
use common::TestApp;
use std::time::Duration;

async fn wait_for_status(app: &TestApp, deposit: &str, want: &str) -> (String, Option<i64>, String) {
    for _ in 0..100 {
        let s = app.deposit_status(deposit).await;
        if s.0 == want {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("deposit {deposit} never became {want}: {:?}", app.deposit_status(deposit).await);
}

async fn a_qr_deposit_paid_in_the_sandbox_is_credited_by_its_postback(app: TestApp) {
    let cookie = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&cookie, "250.50", "qr").await.unwrap();
    assert_eq!(app.deposit_status(&dep).await.0, "pending");
    // the payment page shows our own QR and the app links built from qr_data
    let (_, html) = app.get_html(&format!("/deposits/{dep}"), Some(&cookie)).await;
    assert!(html.contains("<svg") && html.contains("Scan with any UPI app"));
    let order = app.order_of(&dep).await;
    app.order_action(&order, "pay").await;
    let (_, credited, flags) = wait_for_status(&app, &dep, "credited").await;
    assert_eq!((credited, flags.as_str()), (Some(25_050), ""));
    assert_eq!(app.balance("alice").await, (25_050, 25_050));
    assert!(portal::server::ledger::check(app.db()).await.unwrap().is_empty());
    app.stop().await;
}

async fn a_declined_payment_fails_on_the_status_check_and_credits_nothing(app: TestApp) {
    let cookie = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&cookie, "300", "qr").await.unwrap();
    let order = app.order_of(&dep).await;
    app.order_action(&order, "decline").await;
    let check = app.post_form("/api/deposit-check-form", Some(&cookie), &[("id", dep.as_str())]).await;
    assert_eq!(check.status(), 302);
    let (status, _, _) = wait_for_status(&app, &dep, "failed").await;
    assert_eq!(status, "failed");
    assert_eq!(app.balance("alice").await.0, 0);
    app.stop().await;
}

async fn amounts_outside_the_range_are_refused_before_anything_is_written(app: TestApp) {
    let cookie = app.sign_up("alice", "pw-123456").await;
    for (amount, method, expect) in [
        ("99.99", "qr", "amount_out_of_range"),
        ("100000.01", "qr", "amount_out_of_range"),
        ("12.345", "qr", "amount_decimals"),
        ("abc", "qr", "amount_not_a_number"),
        ("150.50", "window", "whole_rupees_only"),
        ("150", "card", "choose_method"),
    ] {
        let loc = app.start_deposit(&cookie, amount, method).await.unwrap_err();
        assert!(loc.starts_with(&format!("/deposit?error={expect}&")), "{amount} {method}: {loc}");
    }
    // The page says the range from its own settings, not from the URL.
    let (_, page) = app.get_html("/deposit?error=amount_out_of_range&amount=99.99", Some(&cookie)).await;
    assert!(page.contains("The amount must be between ₹100.00 and ₹1,00,000.00."), "{page}");
    assert_eq!(app.count("SELECT COUNT(*) FROM deposits").await, 0);
    app.stop().await;
}

on_both_backends!(
    a_qr_deposit_paid_in_the_sandbox_is_credited_by_its_postback,
    a_declined_payment_fails_on_the_status_check_and_credits_nothing,
    amounts_outside_the_range_are_refused_before_anything_is_written,
);

/// The provider unreachable: the deposit is kept, failed, with a reason a user can read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_cannot_be_reached_leaves_a_failed_deposit_with_a_reason() {
    let app = common::spawn_app_with(
        portal::server::db::Backend::Sqlite,
        &[
            ("SANDBOX", "off"),
            ("PAYKASSMA_API_URL", "http://127.0.0.1:9"),
            ("PAYKASSMA_PLUGIN_URL", "http://127.0.0.1:9/plugin"),
            ("PAYKASSMA_API_SECRET", "s"),
            ("PAYKASSMA_POSTBACK_ACCESS_KEY", "a"),
            ("PAYKASSMA_POSTBACK_PRIVATE_KEY", "p"),
            ("PAYKASSMA_WITHDRAWAL_KEY", "w"),
        ],
    )
    .await
    .expect("app");
    let cookie = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&cookie, "200", "qr").await.expect("the deposit page, not an error page");
    let (status, _, _) = app.deposit_status(&dep).await;
    assert!(status == "failed" || status == "unknown", "{status}");
    let (code, html) = app.get_html(&format!("/deposits/{dep}"), Some(&cookie)).await;
    assert_eq!(code, 200);
    assert!(html.contains("data-status=\"failed\"") || html.contains("data-status=\"unknown\""));
    assert!(html.contains("The payment provider cannot be reached right now."), "the reason in plain words");
    assert!(!html.contains("127.0.0.1:9") && !html.contains("secret="), "no internals on the page");
    app.stop().await;
}
