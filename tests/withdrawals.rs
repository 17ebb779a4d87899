//! IMPS withdrawals end to end over real HTTP: the form and its checks, the
//! hold before the provider call, every answer the provider can give, result
//! postbacks (twice, late, out of order, lying), admin cancels, and
//! concurrent withdrawals. Every case runs on SQLite and on PostgreSQL.

mod common;
use common::{TestApp, location};
use portal::server::config::DEMO_PRIVATE_KEY;
use sqlx::Row;

const ACCOUNT: &str = "000123456789";
const NAME: &str = "Sita Devi";
const IFSC: &str = "HDFC0001234";

/// Deposits `rupees` for the user through the real form and a signed postback.
async fn fund(app: &TestApp, cookie: &str, login: &str, rupees: i64) {
    let deposit = app.start_deposit(cookie, &rupees.to_string(), "qr").await.expect("deposit starts");
    let txn = format!("UPI{}", deposit.trim_start_matches("dep_"));
    let body =
        common::signed_postback(login, &rupees.to_string(), &[(&txn, &rupees.to_string(), &deposit)], DEMO_PRIVATE_KEY);
    assert_eq!(app.post_postback(&body).await.0, 200);
}

/// The form step: `POST /withdraw` as a browser without JavaScript; the page.
async fn review(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let resp = app.post_form("/withdraw", Some(cookie), fields).await;
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"")? + 7;
    Some(tag[v..v + tag[v..].find('"')?].to_string())
}

/// Review then confirm, as a user does; the redirect after the confirmation.
async fn withdraw(app: &TestApp, cookie: &str, rupees: &str) -> String {
    let (status, html) =
        review(app, cookie, &[("amount", rupees), ("account_number", ACCOUNT), ("account_name", NAME), ("ifsc", IFSC)])
            .await;
    assert_eq!(status, 200);
    let key = hidden(&html, "request_key").unwrap_or_else(|| panic!("a confirmation for {rupees}: {html}"));
    confirm(app, cookie, rupees, &key).await
}

async fn confirm(app: &TestApp, cookie: &str, rupees: &str, key: &str) -> String {
    let resp = app
        .post_form(
            "/api/withdraw",
            Some(cookie),
            &[
                ("amount", rupees),
                ("account_number", ACCOUNT),
                ("account_name", NAME),
                ("ifsc", IFSC),
                ("request_key", key),
            ],
        )
        .await;
    location(&resp)
}

async fn newest(app: &TestApp, login: &str) -> (String, String) {
    let r = sqlx::query(
        "SELECT w.id, w.status FROM withdrawals w JOIN users u ON u.id = w.user_id WHERE u.login = $1
         ORDER BY w.created_at DESC, w.id DESC LIMIT 1",
    )
    .bind(login)
    .fetch_one(app.db().pool())
    .await
    .expect("a withdrawal");
    (r.get(0), r.get(1))
}

async fn status_of(app: &TestApp, id: &str) -> (String, String) {
    let r = sqlx::query("SELECT status, flags FROM withdrawals WHERE id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .expect("withdrawal row");
    (r.get(0), r.get(1))
}

async fn wait_status(app: &TestApp, id: &str, want: &str) {
    for _ in 0..150 {
        if status_of(app, id).await.0 == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("withdrawal {id} did not become {want}: {:?}", status_of(app, id).await);
}

/// (available, held) in paise.
async fn buckets(app: &TestApp, login: &str) -> (i64, i64) {
    let r = sqlx::query("SELECT available_paise, held_paise FROM users WHERE login = $1")
        .bind(login)
        .fetch_one(app.db().pool())
        .await
        .expect("user");
    (r.get(0), r.get(1))
}

async fn sandbox_decide(app: &TestApp, id: &str, decision: &str) {
    let r = app
        .http
        .post(format!("{}/sandbox/api/withdrawals/{id}/{decision}", app.sandbox))
        .send()
        .await
        .expect("sandbox hook");
    assert!(r.status().is_success(), "{decision} {id}: {}", r.status());
}

async fn sandbox_hook(app: &TestApp, path: &str, body: serde_json::Value) {
    let r = app.http.post(format!("{}/sandbox/api/{path}", app.sandbox)).json(&body).send().await.expect("hook");
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

async fn ledger_clean(app: &TestApp) {
    assert!(portal::server::ledger::check(app.db()).await.expect("ledger check").is_empty(), "ledger check");
}

/// A signed withdrawal result of `rupees`, as the provider sends it.
fn result_body(withdrawal_id: &str, txn: &str, rupees: i64, status: i64) -> String {
    common::signed_withdrawal_result(withdrawal_id, txn, rupees * 100, status)
}

async fn the_sandbox_pays_a_held_withdrawal_once(app: TestApp) {
    let cookie = app.sign_up("sita", "pw-sita-123").await;
    fund(&app, &cookie, "sita", 1000).await;
    assert_eq!(withdraw(&app, &cookie, "400").await, "/balance?notice=withdrawal_submitted");
    let (id, status) = newest(&app, "sita").await;
    assert_eq!(status, "submitted");
    assert_eq!(buckets(&app, "sita").await, (60_000, 40_000), "₹600 available, ₹400 held");
    // The balance page shows it apart.
    let (_, html) = app.get_html("/balance", Some(&cookie)).await;
    assert!(html.contains("With the bank") && html.contains("₹600.00") && html.contains("••••••••6789"), "{html}");
    assert!(!html.contains(ACCOUNT), "the whole account number is not on the balance page");
    // The sandbox lists it with the id its hooks take, newest first.
    let list: serde_json::Value =
        app.http.get(format!("{}/sandbox/api/withdrawals", app.sandbox)).send().await.unwrap().json().await.unwrap();
    assert_eq!(list[0]["id"], serde_json::json!(id));
    assert_eq!(list[0]["amount_paise"], serde_json::json!(40_000));
    assert_eq!(list[0]["status_text"], serde_json::json!("pending"));

    sandbox_decide(&app, &id, "paid").await;
    wait_status(&app, &id, "paid").await;
    assert_eq!(buckets(&app, "sita").await, (60_000, 0));
    assert_eq!(app.balance("sita").await, (60_000, 60_000));
    // The same result again, and a late "rejected": nothing moves.
    let txn: String = sqlx::query_scalar("SELECT transaction_id FROM provider_payments WHERE kind = 'withdrawal'")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(app.post_postback(&result_body(&id, &txn, 400, 1)).await, (200, r#"{"status":"ok"}"#.into()));
    assert_eq!(app.post_postback(&result_body(&id, &txn, 400, 5)).await.0, 200);
    assert_eq!(buckets(&app, "sita").await, (60_000, 0));
    let (status, flags) = status_of(&app, &id).await;
    assert_eq!((status.as_str(), flags.as_str()), ("paid", "rejected_after_paid"));
    assert_eq!(app.count("SELECT COUNT(*) FROM holds WHERE status = 'captured'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'withdrawal_payout'").await, 1);
    let (_, html) = app.get_html("/balance", Some(&cookie)).await;
    assert!(html.contains("Withdrawal paid") && html.contains(r#"data-status="paid""#), "history shows the payout");
    ledger_clean(&app).await;
    app.stop().await;
}

async fn a_rejected_withdrawal_gives_the_money_back(app: TestApp) {
    let cookie = app.sign_up("ravi", "pw-ravi-123").await;
    fund(&app, &cookie, "ravi", 1000).await;
    withdraw(&app, &cookie, "400").await;
    let (id, _) = newest(&app, "ravi").await;
    sandbox_decide(&app, &id, "rejected").await;
    wait_status(&app, &id, "rejected").await;
    assert_eq!(buckets(&app, "ravi").await, (100_000, 0));
    // A "paid" for it now would be a payout we already gave back: flagged, no money moves.
    assert_eq!(app.post_postback(&result_body(&id, "IMPS-LATE-1", 400, 1)).await.0, 200);
    assert_eq!(buckets(&app, "ravi").await, (100_000, 0));
    assert_eq!(status_of(&app, &id).await, ("rejected".into(), "paid_after_rejected".into()));
    ledger_clean(&app).await;
    app.stop().await;
}

async fn a_refusal_by_the_provider_releases_the_hold_at_once(app: TestApp) {
    let cookie = app.sign_up("meena", "pw-meena-123").await;
    fund(&app, &cookie, "meena", 1000).await;
    sandbox_hook(&app, "merchant", serde_json::json!({"balance_paise": 10_000})).await;
    assert_eq!(withdraw(&app, &cookie, "400").await, "/balance?error=withdrawal_rejected");
    let (id, status) = newest(&app, "meena").await;
    assert_eq!(status, "rejected");
    assert_eq!(buckets(&app, "meena").await, (100_000, 0));
    let reason: Option<String> = sqlx::query_scalar("SELECT failure_reason FROM withdrawals WHERE id = $1")
        .bind(&id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert!(reason.is_some_and(|r| r.contains("merchant's payout balance")));
    assert_eq!(app.count("SELECT COUNT(*) FROM holds WHERE status = 'released'").await, 1);
    ledger_clean(&app).await;
    app.stop().await;
}

async fn a_lost_answer_keeps_the_money_held_until_the_result(app: TestApp) {
    let cookie = app.sign_up("arun", "pw-arun-123").await;
    fund(&app, &cookie, "arun", 1000).await;
    sandbox_hook(&app, "chaos", serde_json::json!({"withdrawal_answer_lost_next": 2})).await;
    assert_eq!(withdraw(&app, &cookie, "300").await, "/balance?notice=withdrawal_unknown");
    let (first, status) = newest(&app, "arun").await;
    assert_eq!(status, "unknown");
    assert_eq!(buckets(&app, "arun").await, (70_000, 30_000), "still held");
    // Asked again with the same id: the provider has it.
    sqlx::query("UPDATE withdrawals SET next_submit_at = 0").execute(app.db().pool()).await.unwrap();
    let state = app.running.as_ref().unwrap().state.clone();
    assert_eq!(portal::server::withdrawals::resubmit_due(&state).await.unwrap(), 1);
    assert_eq!(status_of(&app, &first).await.0, "submitted");
    let sent: i64 = app.count("SELECT COUNT(*) FROM withdrawals").await;
    assert_eq!(sent, 1, "never a new id");
    // A process that died between the hold and the provider's answer leaves
    // it `requested`: asked again with the same id, the provider still has it once.
    sqlx::query("UPDATE withdrawals SET status = 'requested', next_submit_at = 0")
        .execute(app.db().pool())
        .await
        .unwrap();
    assert_eq!(portal::server::withdrawals::resubmit_due(&state).await.unwrap(), 1);
    assert_eq!(status_of(&app, &first).await.0, "submitted");
    assert_eq!(portal::server::withdrawals::resubmit_due(&state).await.unwrap(), 0, "nothing is due any more");
    // The second lost answer is resolved by the result postback alone.
    withdraw(&app, &cookie, "200").await;
    let (second, status) = newest(&app, "arun").await;
    assert_eq!(status, "unknown");
    sandbox_decide(&app, &second, "paid").await;
    wait_status(&app, &second, "paid").await;
    sandbox_decide(&app, &first, "paid").await;
    wait_status(&app, &first, "paid").await;
    assert_eq!(buckets(&app, "arun").await, (50_000, 0));
    let at_sandbox: serde_json::Value =
        app.http.get(format!("{}/sandbox/api/withdrawals", app.sandbox)).send().await.unwrap().json().await.unwrap();
    assert_eq!(at_sandbox.as_array().map(Vec::len), Some(2), "the provider got each withdrawal once");
    ledger_clean(&app).await;
    app.stop().await;
}

async fn six_at_once_never_spend_more_than_is_available(app: TestApp) {
    let cookie = app.sign_up("priya", "pw-priya-123").await;
    fund(&app, &cookie, "priya", 1000).await;
    let mut keys = Vec::new();
    for _ in 0..6 {
        let (_, html) = review(
            &app,
            &cookie,
            &[("amount", "300"), ("account_number", ACCOUNT), ("account_name", NAME), ("ifsc", IFSC)],
        )
        .await;
        keys.push(hidden(&html, "request_key").expect("confirmation"));
    }
    let c = |i: usize| confirm(&app, &cookie, "300", &keys[i]);
    let (a, b, c2, d, e, f) = tokio::join!(c(0), c(1), c(2), c(3), c(4), c(5));
    let answers = [a, b, c2, d, e, f];
    let ok = answers.iter().filter(|a| *a == "/balance?notice=withdrawal_submitted").count();
    let refused = answers.iter().filter(|a| *a == "/withdraw?error=withdrawal_insufficient").count();
    assert_eq!((ok, refused), (3, 3), "{answers:?}");
    assert_eq!(buckets(&app, "priya").await, (10_000, 90_000));
    assert_eq!(app.count("SELECT COUNT(*) FROM withdrawals").await, 3, "a refused one leaves no row");
    // The same confirmation sent again is the same withdrawal.
    assert_eq!(confirm(&app, &cookie, "300", &keys[0]).await, answers[0]);
    assert_eq!(app.count("SELECT COUNT(*) FROM withdrawals").await, 3);
    ledger_clean(&app).await;
    app.stop().await;
}

async fn the_form_says_what_is_wrong_next_to_each_field_and_holds_nothing(app: TestApp) {
    let cookie = app.sign_up("kiran", "pw-kiran-123").await;
    fund(&app, &cookie, "kiran", 1000).await;
    let (status, html) = review(
        &app,
        &cookie,
        &[("amount", "1500"), ("account_number", "12ab"), ("account_name", "Kiran K."), ("ifsc", "HDFC1001234")],
    )
    .await;
    assert_eq!(status, 200);
    for (field, message) in [
        ("amount", "The amount is more than your available balance (₹1,000.00)."),
        ("account_number", "The account number must contain digits only."),
        ("account_name", "The account holder&#x27;s name may contain only English letters and spaces."),
        ("ifsc", "The IFSC code must look like HDFC0001234"),
    ] {
        let at = html.find(&format!("data-testid=\"error-{field}\"")).unwrap_or_else(|| panic!("{field}: {html}"));
        let shown = &html[at..at + 400];
        assert!(shown.contains(message) || shown.contains(&message.replace("&#x27;", "'")), "{field}: {shown}");
    }
    assert!(hidden(&html, "request_key").is_none(), "no confirmation with errors");
    assert!(html.contains("value=\"Kiran K.\""), "what was typed is kept");
    // Lower case IFSC and spaces in the number are tidied, not refused.
    let (_, html) = review(
        &app,
        &cookie,
        &[("amount", "250"), ("account_number", "0001 2345 6789"), ("account_name", NAME), ("ifsc", "hdfc0001234")],
    )
    .await;
    let ifsc_at = html.find("data-testid=\"confirm-ifsc\"").unwrap_or_else(|| panic!("a confirmation: {html}"));
    assert!(html[ifsc_at..ifsc_at + 80].contains(">HDFC0001234<"), "{}", &html[ifsc_at..ifsc_at + 80]);
    assert!(html.contains(">000123456789<"), "the number without its spaces");
    // The server checks the confirmation again: a tampered one holds nothing.
    let key = hidden(&html, "request_key").expect("confirmation");
    let resp = app
        .post_form(
            "/api/withdraw",
            Some(&cookie),
            &[
                ("amount", "250"),
                ("account_number", ACCOUNT),
                ("account_name", NAME),
                ("ifsc", "BAD"),
                ("request_key", &key),
            ],
        )
        .await;
    assert_eq!(location(&resp), "/withdraw?error=withdrawal_fields_invalid");
    let resp = app
        .post_form(
            "/api/withdraw",
            Some(&cookie),
            &[
                ("amount", "250.50"),
                ("account_number", ACCOUNT),
                ("account_name", NAME),
                ("ifsc", IFSC),
                ("request_key", &key),
            ],
        )
        .await;
    assert_eq!(location(&resp), "/withdraw?error=withdrawal_fields_invalid");
    // Posted from another site with the user's cookie: refused before anything runs.
    let resp = app
        .http
        .post(app.url("/api/withdraw"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .form(&[
            ("amount", "250"),
            ("account_number", ACCOUNT),
            ("account_name", NAME),
            ("ifsc", IFSC),
            ("request_key", key.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM withdrawals").await, 0);
    assert_eq!(buckets(&app, "kiran").await, (100_000, 0));
    // Signed out: the page asks to sign in, the endpoint sends to sign-in.
    let (_, html) = app.get_html("/withdraw", None).await;
    assert!(html.contains("Please sign in"));
    let resp = app
        .post_form(
            "/api/withdraw",
            None,
            &[
                ("amount", "250"),
                ("account_number", ACCOUNT),
                ("account_name", NAME),
                ("ifsc", IFSC),
                ("request_key", &key),
            ],
        )
        .await;
    assert!(location(&resp).starts_with("/signin"));
    assert_eq!(app.count("SELECT COUNT(*) FROM withdrawals").await, 0);
    app.stop().await;
}

async fn results_that_do_not_fit_change_nothing(app: TestApp) {
    let cookie = app.sign_up("dev", "pw-dev-1234").await;
    fund(&app, &cookie, "dev", 1000).await;
    withdraw(&app, &cookie, "400").await;
    let (id, _) = newest(&app, "dev").await;
    // A status that is neither paid nor rejected: still pending, flagged.
    assert_eq!(app.post_postback(&result_body(&id, "IMPS-X-1", 400, 3)).await.0, 200);
    assert_eq!(status_of(&app, &id).await, ("submitted".into(), "unknown_provider_status".into()));
    // Paid, but for another amount: nothing moves, flagged for an admin.
    assert_eq!(app.post_postback(&result_body(&id, "IMPS-X-2", 900, 1)).await.0, 200);
    assert_eq!(status_of(&app, &id).await.0, "submitted");
    assert_eq!(buckets(&app, "dev").await, (60_000, 40_000));
    // A result for a withdrawal we never made: kept for review.
    assert_eq!(app.post_postback(&result_body("wd_nobodys", "IMPS-X-3", 400, 1)).await.0, 200);
    let verdict: String = sqlx::query_scalar("SELECT verdict FROM postbacks ORDER BY id DESC LIMIT 1")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(verdict, "review");
    // A forged result: refused, nothing moves.
    let genuine = result_body(&id, "IMPS-X-4", 400, 1);
    let at = genuine.find("\"signature\":\"").expect("signature") + 13;
    let flipped = if &genuine[at..at + 1] == "0" { "1" } else { "0" };
    let forged = format!("{}{flipped}{}", &genuine[..at], &genuine[at + 1..]);
    assert_eq!(app.post_postback(&forged).await.0, 403);
    assert_eq!(status_of(&app, &id).await.0, "submitted");
    // The transaction id of a deposit payment is never a withdrawal's result.
    let payment_txn: String = sqlx::query_scalar("SELECT transaction_id FROM provider_payments WHERE kind = 'payment'")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(app.post_postback(&result_body(&id, &payment_txn, 400, 5)).await.0, 200);
    assert_eq!(status_of(&app, &id).await.0, "submitted");
    let verdict: String = sqlx::query_scalar("SELECT verdict FROM postbacks ORDER BY id DESC LIMIT 1")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(verdict, "review", "kept for an admin, not dropped as a duplicate");
    assert_eq!(buckets(&app, "dev").await, (60_000, 40_000));
    // The genuine result settles it.
    assert_eq!(app.post_postback(&result_body(&id, "IMPS-X-5", 400, 5)).await.0, 200);
    assert_eq!(status_of(&app, &id).await.0, "rejected");
    assert_eq!(buckets(&app, "dev").await, (100_000, 0));
    ledger_clean(&app).await;
    app.stop().await;
}

async fn an_admin_cancels_a_waiting_withdrawal_once(app: TestApp) {
    let cookie = app.sign_up("asha", "pw-asha-123").await;
    fund(&app, &cookie, "asha", 1000).await;
    withdraw(&app, &cookie, "400").await;
    let (id, _) = newest(&app, "asha").await;
    let admin = app.admin_cookie("boss").await;
    let (status, html) = app.get_html(&format!("/admin/withdrawals/{id}"), Some(&admin)).await;
    assert_eq!(status, 200);
    assert!(html.contains("Cancel and release the hold") && html.contains("••••••••6789"), "{html}");
    // A user cannot call it.
    let resp = app.post_form("/api/admin/withdrawal-cancel", Some(&cookie), &[("id", &id), ("reason", "mine")]).await;
    assert_eq!(resp.status(), 403);
    let resp = app.post_form("/api/admin/withdrawal-cancel", Some(&admin), &[("id", &id), ("reason", "")]).await;
    assert!(location(&resp).contains("error=cancel_reason_required"));
    assert_eq!(status_of(&app, &id).await.0, "submitted");
    let resp =
        app.post_form("/api/admin/withdrawal-cancel", Some(&admin), &[("id", &id), ("reason", "user asked")]).await;
    assert!(location(&resp).contains("notice=withdrawal_cancelled"), "{}", location(&resp));
    assert_eq!(status_of(&app, &id).await.0, "cancelled");
    assert_eq!(buckets(&app, "asha").await, (100_000, 0));
    let (_, mine) = app.get_html("/balance", Some(&cookie)).await;
    assert!(mine.contains("Cancelled by support") && !mine.contains("user asked"), "the admin's reason stays internal");
    let resp = app.post_form("/api/admin/withdrawal-cancel", Some(&admin), &[("id", &id), ("reason", "again")]).await;
    assert!(location(&resp).contains("error=withdrawal_not_cancellable"));
    assert_eq!(app.count("SELECT COUNT(*) FROM admin_actions WHERE action = 'cancel_withdrawal'").await, 1);
    // The provider pays it after all: flagged, the money does not move twice.
    sandbox_decide(&app, &id, "paid").await;
    for _ in 0..100 {
        if status_of(&app, &id).await.1.contains("paid_after_cancelled") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status_of(&app, &id).await, ("cancelled".into(), "paid_after_cancelled".into()));
    assert_eq!(buckets(&app, "asha").await, (100_000, 0));
    let (_, html) = app.get_html(&format!("/admin/withdrawals/{id}"), Some(&admin)).await;
    assert!(html.contains("paid after cancelled") && html.contains("cancel_withdrawal by boss"), "{html}");
    let (_, list) = app.get_html("/admin/transactions?kind=withdrawal&flag=paid_after_cancelled", Some(&admin)).await;
    assert!(list.contains(&id), "the list filters withdrawals by flag");
    ledger_clean(&app).await;
    app.stop().await;
}

const FAST: &[(&str, &str)] = &[("SANDBOX_RETRY_SCHEDULE", "1s")];
/// The test drives `resubmit_due` itself: the background pass stays out of its way.
const FAST_NO_RECONCILER: &[(&str, &str)] = &[("SANDBOX_RETRY_SCHEDULE", "1s"), ("RECONCILE_INTERVAL_SECONDS", "3600")];

on_both_backends_with!(
    the_sandbox_pays_a_held_withdrawal_once => super::FAST,
    a_rejected_withdrawal_gives_the_money_back => super::FAST,
    a_refusal_by_the_provider_releases_the_hold_at_once => super::FAST,
    a_lost_answer_keeps_the_money_held_until_the_result => super::FAST_NO_RECONCILER,
    six_at_once_never_spend_more_than_is_available => super::FAST,
    the_form_says_what_is_wrong_next_to_each_field_and_holds_nothing => super::FAST,
    results_that_do_not_fit_change_nothing => super::FAST,
    an_admin_cancels_a_waiting_withdrawal_once => super::FAST,
);

/// A database that already holds a withdrawal with an active hold upgrades
/// through 0009 (SQLite rebuilds the table that `holds` references).
#[tokio::test]
async fn the_withdrawals_migration_keeps_existing_withdrawals_and_holds() {
    use sqlx::{Connection, SqliteConnection};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/upgrade.db?mode=rwc", dir.path().display());
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("PRAGMA foreign_keys = ON").execute(&mut conn).await.unwrap();
    let migrator = sqlx::migrate!("migrations/sqlite");
    for m in migrator.iter().filter(|m| m.version < 9) {
        let sql = m.sql.to_string();
        let mut tx = conn.begin().await.unwrap();
        sqlx::raw_sql(&sql).execute(&mut *tx).await.unwrap_or_else(|e| panic!("migration {}: {e}", m.version));
        tx.commit().await.unwrap();
    }
    sqlx::raw_sql(
        "INSERT INTO users (login, password_hash, held_paise, created_at) VALUES ('old', 'x', 40000, 0);
         INSERT INTO withdrawals (id, user_id, amount_paise, account_number, account_name, ifsc, status, created_at, updated_at)
             VALUES ('wd_old', 1, 40000, '000123456789', 'Sita Devi', 'HDFC0001234', 'submitted', 0, 0);
         INSERT INTO holds (user_id, withdrawal_id, amount_paise, status, created_at) VALUES (1, 'wd_old', 40000, 'active', 0);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let m = migrator.iter().find(|m| m.version == 9).expect("migration 0009");
    let mut tx = conn.begin().await.unwrap();
    sqlx::raw_sql(m.sql.as_ref()).execute(&mut *tx).await.expect("0009 runs");
    tx.commit().await.expect("0009 commits with its foreign keys satisfied");
    let row: (String, String, String) =
        sqlx::query_as("SELECT w.id, w.status, h.status FROM withdrawals w JOIN holds h ON h.withdrawal_id = w.id")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(row, ("wd_old".into(), "submitted".into(), "active".into()));
    let dangling: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check").fetch_all(&mut conn).await.unwrap();
    assert!(dangling.is_empty());
}
