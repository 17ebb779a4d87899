//! Money safety, tried as an attacker would: only signed data moves money.
//! Every case runs on SQLite and on PostgreSQL.
//!
//! The attacker here has seen genuine, validly signed postbacks (a leaked log,
//! a proxy, an admin page) and can resend them with any top-level fields: the
//! signature covers only `additional_data`.

mod common;
use common::TestApp;
use portal::paykassma::json::JsonValue;
use portal::sandbox::postback::{DepositItem, Keys, deposit_item, envelope};
use portal::server::config::{DEMO_ACCESS_KEY, DEMO_PRIVATE_KEY};

const OK: &str = r#"{"status":"ok"}"#;

fn payment_item(txn: &str, rupees: i64, order_ref: &str) -> JsonValue {
    deposit_item(&DepositItem {
        transaction_id: txn,
        amount_paise: rupees * 100,
        order_ref,
        payer_vpa: "payer@okaxis",
        stockpiling_id: 900_001,
        activated_ms: 1_795_500_000_000,
    })
}

/// The item with `key` set to `value` (added at the end if absent).
fn with(item: JsonValue, key: &str, value: JsonValue) -> JsonValue {
    let JsonValue::Object(mut members) = item else { panic!("an item is an object") };
    match members.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => members.push((key.to_string(), value)),
    }
    JsonValue::Object(members)
}

fn without(item: JsonValue, key: &str) -> JsonValue {
    let JsonValue::Object(members) = item else { panic!("an item is an object") };
    JsonValue::Object(members.into_iter().filter(|(k, _)| k != key).collect())
}

fn s(v: &str) -> JsonValue {
    JsonValue::String(v.into())
}

fn n(v: i64) -> JsonValue {
    JsonValue::Number(v.to_string())
}

/// A withdrawal result as the provider signs it (direction `outgoing`).
fn withdrawal_item(txn: &str, rupees: i64, withdrawal_id: &str, status: i64) -> JsonValue {
    let item = payment_item(txn, rupees, "");
    let item = with(item, "plugin_custom_order_id", JsonValue::Null);
    let item = with(item, "transaction_type", n(portal::paykassma::item::WITHDRAWAL_TRANSACTION_TYPE));
    let item = with(item, "wallet_type", s("imps_ib"));
    let item = with(item, "withdrawal_id", s(withdrawal_id));
    with(item, "withdrawal_status", n(status))
}

/// A validly signed body with the given unsigned top-level fields.
fn signed(label: &str, direction: &str, top_rupees: i64, items: Vec<JsonValue>) -> String {
    let keys = Keys { access_key: DEMO_ACCESS_KEY, private_key: DEMO_PRIVATE_KEY, forged: false };
    envelope(&keys, "upi_s", top_rupees * 100, label, direction, 1_795_500_005_000, JsonValue::Array(items))
}

/// The signed part of a body, re-wrapped with other unsigned fields: still valid.
fn resend_with(body: &str, label: &str, direction: &str, top_rupees: i64) -> String {
    let root = portal::paykassma::json::parse(body).expect("json");
    let data = root.get("additional_data").expect("additional_data").clone();
    let resent = signed(label, direction, top_rupees, data.as_array().expect("array").to_vec());
    assert_ne!(resent, body, "the resend differs in unsigned fields only");
    resent
}

async fn a_withdrawal_result_replayed_as_a_deposit_credits_nobody(app: TestApp) {
    app.sign_up("alice", "pw-123456").await;
    app.sign_up("mallory", "pw-123456").await;
    // The genuine withdrawal result: recorded, no balance moves here.
    let genuine = signed("alice", "outgoing", 4000, vec![withdrawal_item("700000000001", 4000, "wd-1", 1)]);
    assert_eq!(app.post_postback(&genuine).await, (200, OK.to_string()));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM provider_payments WHERE kind = 'withdrawal' AND status = 'withdrawal'").await,
        1
    );
    // Replayed with direction "ingoing" and another label: the same signed
    // transaction_id is already claimed, and the item is still a withdrawal.
    let replay = resend_with(&genuine, "mallory", "ingoing", 4000);
    assert_eq!(app.post_postback(&replay).await, (200, OK.to_string()));
    assert_eq!(app.balance("mallory").await, (0, 0));
    assert_eq!(app.balance("alice").await, (0, 0));
    assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM postbacks WHERE verdict = 'duplicate'").await, 1);
    app.stop().await;
}

async fn a_withdrawal_result_first_seen_as_ingoing_is_still_a_withdrawal(app: TestApp) {
    app.sign_up("mallory", "pw-123456").await;
    // The attacker is first: the provider's own delivery has not arrived yet.
    let forged_direction = signed("mallory", "ingoing", 4000, vec![withdrawal_item("700000000002", 4000, "wd-2", 1)]);
    assert_eq!(app.post_postback(&forged_direction).await, (200, OK.to_string()));
    assert_eq!(app.balance("mallory").await, (0, 0));
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM provider_payments WHERE kind = 'withdrawal' AND flags LIKE '%direction_mismatch%'"
        )
        .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries").await, 0);
    app.stop().await;
}

async fn the_unsigned_label_never_picks_who_is_credited(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    app.sign_up("mallory", "pw-123456").await;
    let dep = app.start_deposit(&alice, "250", "window").await.unwrap();
    // Label swap on a matched payment: alice's deposit is credited to alice.
    let genuine = signed("alice", "ingoing", 250, vec![payment_item("700000000003", 250, &dep)]);
    let swapped = resend_with(&genuine, "mallory", "ingoing", 250);
    assert_eq!(app.post_postback(&swapped).await, (200, OK.to_string()));
    assert_eq!(app.balance("alice").await.0, 25_000);
    assert_eq!(app.balance("mallory").await.0, 0);
    assert!(app.deposit_status(&dep).await.2.contains("label_mismatch"));
    // Unmatched payment labelled with a real login: suspense, not credited.
    let unmatched = signed("mallory", "ingoing", 999, vec![payment_item("700000000004", 999, "no-such-deposit")]);
    assert_eq!(app.post_postback(&unmatched).await, (200, OK.to_string()));
    assert_eq!(app.balance("mallory").await.0, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM provider_payments WHERE transaction_id = '700000000004' AND status = 'suspense' AND label = 'mallory'").await,
        1,
        "kept in suspense, with the unsigned label as a hint"
    );
    app.stop().await;
}

async fn a_signed_item_in_another_currency_goes_to_suspense(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&alice, "250", "window").await.unwrap();
    let usd = with(payment_item("700000000005", 250, &dep), "currency_code", s("USD"));
    let body = signed("alice", "ingoing", 250, vec![usd]);
    assert_eq!(app.post_postback(&body).await, (200, OK.to_string()));
    assert_eq!(app.balance("alice").await.0, 0, "dollars are never credited as rupees");
    assert_eq!(app.deposit_status(&dep).await.0, "pending");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM provider_payments WHERE status = 'suspense' AND currency = 'USD' AND reason LIKE '%not INR%'").await,
        1
    );
    // An admin cannot assign it as rupees either.
    let admin = app.admin_cookie("boss").await;
    let r = app
        .post_form(
            "/api/admin/assign-suspense",
            Some(&admin),
            &[("transaction_id", "700000000005"), ("login", "alice")],
        )
        .await;
    assert!(r.status().is_redirection());
    assert_eq!(app.balance("alice").await.0, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM provider_payments WHERE status = 'suspense'").await,
        1,
        "still in suspense"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM admin_actions").await, 0);
    app.stop().await;
}

async fn an_item_whose_kind_the_signature_does_not_tell_is_kept_for_review(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&alice, "250", "window").await.unwrap();
    let cases = [
        ("700000000006", without(payment_item("700000000006", 250, &dep), "transaction_type")),
        ("700000000007", with(payment_item("700000000007", 250, &dep), "transaction_type", n(7))),
        // says payment, carries withdrawal fields: contradictory
        ("700000000008", with(payment_item("700000000008", 250, &dep), "withdrawal_id", s("wd-3"))),
    ];
    for (txn, item) in cases {
        let body = signed("alice", "ingoing", 250, vec![item]);
        assert_eq!(app.post_postback(&body).await, (200, OK.to_string()), "{txn}");
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM provider_payments WHERE transaction_id = '{txn}' AND status = 'suspense' AND kind = 'unknown' AND reason <> ''"
            ))
            .await,
            1,
            "{txn} is kept for review, not credited"
        );
    }
    assert_eq!(app.balance("alice").await.0, 0);
    assert_eq!(app.deposit_status(&dep).await.0, "pending");
    app.stop().await;
}

async fn a_signed_item_that_cannot_be_read_is_kept_for_review_and_acknowledged(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&alice, "250", "window").await.unwrap();
    for (i, item) in [
        without(payment_item("700000000009", 250, &dep), "amount"),
        // sub-paise (an exponent such as "2.5e2" is exact wire text and is read as 250)
        with(payment_item("700000000010", 250, &dep), "amount", s("2.5e-3")),
        with(payment_item("700000000011", 250, &dep), "amount", s("-250")),
    ]
    .into_iter()
    .enumerate()
    {
        let body = signed("alice", "ingoing", 250, vec![item]);
        assert_eq!(
            app.post_postback(&body).await,
            (200, OK.to_string()),
            "case {i}: acknowledged so the provider stops resending"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM postbacks WHERE verdict = 'review'").await,
        3,
        "kept with the raw body for an admin"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM postbacks WHERE verdict = 'review' AND body LIKE '%700000000009%'").await,
        1
    );
    assert_eq!(app.balance("alice").await.0, 0);
    // An empty signed list, too.
    assert_eq!(app.post_postback(&signed("alice", "ingoing", 0, vec![])).await, (200, OK.to_string()));
    assert_eq!(app.count("SELECT COUNT(*) FROM postbacks WHERE verdict = 'review'").await, 4);
    app.stop().await;
}

async fn admin_pages_never_show_a_signature(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&alice, "250", "window").await.unwrap();
    let body = signed("alice", "ingoing", 250, vec![payment_item("700000000012", 250, &dep)]);
    let root = portal::paykassma::json::parse(&body).unwrap();
    let signature = root.get("signature").and_then(|s| s.as_str()).unwrap().to_string();
    assert_eq!(app.post_postback(&body).await.0, 200);
    // and a forged one, recorded raw
    let forged = body.replace(&signature, &"0".repeat(40));
    assert_eq!(app.post_postback(&forged).await.0, 403);
    let admin = app.admin_cookie("boss").await;
    for page in [format!("/admin/deposits/{dep}"), "/admin/postbacks".to_string()] {
        let (status, html) = app.get_html(&page, Some(&admin)).await;
        assert_eq!(status, 200, "{page}");
        assert!(html.contains("700000000012"), "the postback is listed on {page}");
        assert!(!html.contains(&signature), "a replayable signature is never shown on {page}");
        assert!(html.contains("[redacted]"), "{page}");
    }
    app.stop().await;
}

async fn the_ledger_refuses_what_would_mint_money(app: TestApp) {
    use portal::server::ledger::{self, Adjustment, LedgerError, Posted};
    app.sign_up("alice", "pw-123456").await;
    let user_id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE login = 'alice'").fetch_one(app.db().pool()).await.unwrap();
    let mut tx = app.db().writer().begin().await.unwrap();
    for bad in [0, -100] {
        assert!(matches!(
            ledger::credit_deposit(&mut tx, user_id, bad, "payment:x", "").await,
            Err(LedgerError::NotPositive)
        ));
        assert!(matches!(ledger::hold(&mut tx, user_id, bad, "withdrawal:x").await, Err(LedgerError::NotPositive)));
        assert!(matches!(
            ledger::release(&mut tx, user_id, bad, "withdrawal:x", "").await,
            Err(LedgerError::NotPositive)
        ));
        assert!(matches!(ledger::payout(&mut tx, user_id, bad, "withdrawal:x").await, Err(LedgerError::NotPositive)));
        assert!(matches!(
            ledger::adjust(&mut tx, user_id, Adjustment::Credit, bad, "adj:x", "").await,
            Err(LedgerError::NotPositive)
        ));
    }
    assert_eq!(ledger::credit_deposit(&mut tx, user_id, 10_000, "payment:p1", "").await.unwrap(), Posted::New);
    assert_eq!(
        ledger::credit_deposit(&mut tx, user_id, 10_000, "payment:p1", "").await.unwrap(),
        Posted::AlreadyPosted
    );
    assert!(matches!(
        ledger::credit_deposit(&mut tx, user_id, 99_999, "payment:p1", "").await,
        Err(LedgerError::ConflictingEntry { .. })
    ));
    assert!(matches!(
        ledger::adjust(&mut tx, user_id, Adjustment::Debit, 10_001, "adj:1", "too much").await,
        Err(LedgerError::InsufficientFunds)
    ));
    tx.commit().await.unwrap();
    assert_eq!(app.balance("alice").await, (10_000, 10_000));
    assert!(ledger::check(app.db()).await.unwrap().is_empty());
    app.stop().await;
}

async fn every_page_says_test_mode_in_sandbox_mode(app: TestApp) {
    for path in ["/", "/signin", "/deposit"] {
        let (status, html) = app.get_html(path, None).await;
        let head: String = html.chars().take(600).collect();
        assert!(
            html.contains(r#"data-testid="test-mode""#),
            "{path} shows the test-mode banner (HTTP {status}, page begins: {head})"
        );
    }
    app.stop().await;
}

on_both_backends!(
    a_withdrawal_result_replayed_as_a_deposit_credits_nobody,
    a_withdrawal_result_first_seen_as_ingoing_is_still_a_withdrawal,
    the_unsigned_label_never_picks_who_is_credited,
    a_signed_item_in_another_currency_goes_to_suspense,
    an_item_whose_kind_the_signature_does_not_tell_is_kept_for_review,
    a_signed_item_that_cannot_be_read_is_kept_for_review_and_acknowledged,
    admin_pages_never_show_a_signature,
    the_ledger_refuses_what_would_mint_money,
    every_page_says_test_mode_in_sandbox_mode,
);
