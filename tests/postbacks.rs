//! The postback contract, on SQLite and on PostgreSQL.

mod common;
use common::{TestApp, signed_postback};
use portal::server::config::DEMO_PRIVATE_KEY as KEY;

const OK: &str = r#"{"status":"ok"}"#;

async fn a_valid_postback_credits_once_and_a_repeat_changes_nothing(app: TestApp) {
    let cookie = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&cookie, "250", "window").await.unwrap();
    let body = signed_postback("alice", "250", &[("400000000001", "250", &dep)], KEY);
    assert_eq!(app.post_postback(&body).await, (200, OK.to_string()));
    assert_eq!(app.balance("alice").await, (25_000, 25_000));
    assert_eq!(app.deposit_status(&dep).await, ("credited".into(), Some(25_000), String::new()));
    for _ in 0..3 {
        assert_eq!(app.post_postback(&body).await, (200, OK.to_string()));
    }
    assert_eq!(app.balance("alice").await, (25_000, 25_000));
    assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM postbacks").await, 4, "every delivery is kept raw");
    assert_eq!(app.count("SELECT COUNT(*) FROM postbacks WHERE verdict = 'duplicate'").await, 3);
    assert!(portal::server::ledger::check(app.db()).await.unwrap().is_empty());
    app.stop().await;
}

async fn the_signed_order_decides_the_owner_not_the_top_level_label(app: TestApp) {
    let cookie = app.sign_up("alice", "pw-123456").await;
    app.sign_up("mallory", "pw-123456").await;
    let dep = app.start_deposit(&cookie, "300", "window").await.unwrap();
    // Unsigned top-level fields say "mallory" and 9999; the signed item says alice's deposit, 300.
    let body = signed_postback("mallory", "9999", &[("400000000002", "300", &dep)], KEY);
    assert_eq!(app.post_postback(&body).await.0, 200);
    assert_eq!(app.balance("alice").await.0, 30_000);
    assert_eq!(app.balance("mallory").await.0, 0);
    let (_, _, flags) = app.deposit_status(&dep).await;
    assert!(flags.contains("label_mismatch") && flags.contains("top_amount_mismatch"), "{flags}");
    app.stop().await;
}

async fn a_different_amount_credits_what_was_paid_and_flags_it(app: TestApp) {
    let cookie = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&cookie, "500", "window").await.unwrap();
    let body = signed_postback("alice", "450.5", &[("400000000003", "450.5", &dep)], KEY);
    assert_eq!(app.post_postback(&body).await.0, 200);
    assert_eq!(app.balance("alice").await.0, 45_050);
    let (status, credited, flags) = app.deposit_status(&dep).await;
    assert_eq!((status.as_str(), credited), ("credited", Some(45_050)));
    assert!(flags.contains("amount_mismatch"), "{flags}");
    app.stop().await;
}

async fn a_payment_for_no_deposit_goes_to_suspense_never_to_the_label(app: TestApp) {
    app.sign_up("alice", "pw-123456").await;
    // The unsigned label names a real user: that is no reason to credit her.
    let labelled = signed_postback("alice", "120", &[("400000000004", "120", "unknown-order")], KEY);
    assert_eq!(app.post_postback(&labelled).await, (200, OK.to_string()));
    assert_eq!(app.balance("alice").await.0, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM provider_payments WHERE status = 'suspense' AND flags LIKE '%unmatched%' AND label = 'alice'").await, 1);

    let to_nobody = signed_postback("ghost", "130", &[("400000000005", "130", "")], KEY);
    assert_eq!(app.post_postback(&to_nobody).await, (200, OK.to_string()));
    assert_eq!(app.count("SELECT COUNT(*) FROM provider_payments WHERE status = 'suspense'").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries").await, 0, "suspense moves no balance");
    // repeated: still two suspense rows
    assert_eq!(app.post_postback(&to_nobody).await.0, 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM provider_payments WHERE status = 'suspense'").await, 2);
    app.stop().await;
}

async fn forged_postbacks_are_refused_recorded_and_credit_nothing(app: TestApp) {
    let cookie = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&cookie, "250", "window").await.unwrap();
    let forged = signed_postback("alice", "250", &[("400000000006", "250", &dep)], "not-the-private-key");
    let (status, body) = app.post_postback(&forged).await;
    assert_eq!(status, 403);
    assert!(body.contains(r#""status":"fail""#) && body.contains("signature"), "{body}");
    assert!(!body.contains(KEY), "the private key never appears in answers");
    let wrong_key = signed_postback("alice", "250", &[("400000000006", "250", &dep)], KEY)
        .replace(portal::server::config::DEMO_ACCESS_KEY, "someone-elses-key");
    assert_eq!(app.post_postback(&wrong_key).await.0, 403);
    // tampering with a signed field after signing
    let tampered = signed_postback("alice", "250", &[("400000000007", "250", &dep)], KEY)
        .replace(r#""amount":"250""#, r#""amount":"25000""#);
    assert_eq!(app.post_postback(&tampered).await.0, 403);
    assert_eq!(app.balance("alice").await.0, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM postbacks WHERE verdict = 'rejected'").await, 3);
    assert_eq!(app.deposit_status(&dep).await.0, "pending");
    app.stop().await;
}

async fn malformed_and_oversized_postbacks_are_refused(app: TestApp) {
    for body in [
        "{not json",
        "",
        "[]",
        r#"{"signature":"abc"}"#,
        "{\"signature\": 5, \"access_key\": \"x\", \"additional_data\": []}",
    ] {
        let (status, answer) = app.post_postback(body).await;
        assert_eq!(status, 400, "{body:?} -> {answer}");
        assert!(answer.contains(r#""status":"fail""#));
    }
    // a signed item without a transaction id is real but unreadable: kept for
    // review and acknowledged (a resend would not make it readable)
    let no_txn = signed_postback("alice", "250", &[("", "250", "x")], KEY);
    assert_eq!(app.post_postback(&no_txn).await, (200, OK.to_string()));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM postbacks WHERE verdict = 'review' AND detail LIKE '%no transaction_id%'")
            .await,
        1
    );
    let huge = format!(r#"{{"pad":"{}"}}"#, "x".repeat(70 * 1024));
    assert_eq!(app.post_postback(&huge).await.0, 413);
    assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries").await, 0);
    app.stop().await;
}

async fn a_database_failure_answers_503_so_the_provider_retries(app: TestApp) {
    let cookie = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&cookie, "250", "window").await.unwrap();
    let body = signed_postback("alice", "250", &[("400000000008", "250", &dep)], KEY);
    app.db().close().await;
    let (status, answer) = app.post_postback(&body).await;
    assert_eq!(status, 503, "{answer}");
    assert!(!answer.contains("ok\""));
    app.stop().await;
}

async fn concurrent_duplicates_across_two_portal_processes_credit_once(app: TestApp) {
    let cookie = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&cookie, "250", "window").await.unwrap();
    let second = common::spawn_second_instance(&app).await;
    let body = signed_postback("alice", "250", &[("400000000009", "250", &dep)], KEY);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let target =
            if i % 2 == 0 { app.url("/api/paykassma/postback") } else { second.url("/api/paykassma/postback") };
        let http = app.http.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let r = http.post(target).header("content-type", "application/json").body(body).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), (200, OK.to_string()));
    }
    assert_eq!(app.balance("alice").await.0, 25_000);
    assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM postbacks").await, 16);
    second.stop().await;
    app.stop().await;
}

async fn several_items_in_one_postback_are_each_credited_once(app: TestApp) {
    let cookie = app.sign_up("alice", "pw-123456").await;
    let d1 = app.start_deposit(&cookie, "100", "window").await.unwrap();
    let d2 = app.start_deposit(&cookie, "200", "window").await.unwrap();
    let body = signed_postback("alice", "300", &[("400000000010", "100", &d1), ("400000000011", "200", &d2)], KEY);
    assert_eq!(app.post_postback(&body).await.0, 200);
    assert_eq!(app.balance("alice").await.0, 30_000);
    // the second item alone arrives again later: nothing changes
    let again = signed_postback("alice", "200", &[("400000000011", "200", &d2)], KEY);
    assert_eq!(app.post_postback(&again).await.0, 200);
    assert_eq!(app.balance("alice").await.0, 30_000);
    app.stop().await;
}

/// What a provider's HTTP client may send: browsers' defaults, none, a form type.
const HEADER_SETS: &[&[(&str, &str)]] = &[
    &[("content-type", "application/json"), ("accept", "application/json")],
    &[("content-type", "application/json"), ("accept", "text/html"), ("referer", "https://provider.example/panel")],
    &[("content-type", "application/json"), ("accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
    &[("content-type", "application/json"), ("accept", "*/*")],
    &[("content-type", "application/json")],
    &[
        ("content-type", "application/x-www-form-urlencoded"),
        ("accept", "text/html"),
        ("referer", "https://x.example/"),
    ],
    &[("content-type", "text/plain")],
    &[],
];

/// The exact contract of the postback server function, whatever headers the
/// provider's HTTP client sends: status, JSON body, JSON content type, no
/// redirect. Every case is sent with each set of headers.
async fn the_postback_contract_holds_for_any_accept_and_content_type(app: TestApp) {
    use leptos::server_fn::ServerFn;
    assert_eq!(portal::api::postback::PaykassmaPostback::PATH, portal::server::postback::POSTBACK_PATH);
    assert_eq!(portal::server::postback::POSTBACK_PATH, "/api/paykassma/postback", "the provider's URL never moves");
    let cookie = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&cookie, "250", "window").await.unwrap();
    let valid = signed_postback("alice", "250", &[("400000000020", "250", &dep)], KEY);
    let root = portal::paykassma::json::parse(&valid).unwrap();
    let signature = root.get("signature").and_then(|s| s.as_str()).unwrap().to_string();
    let forged = valid.replace(&signature, &"0".repeat(40));
    let huge = format!(r#"{{"pad":"{}"}}"#, "x".repeat(70 * 1024));
    let fail = |message: &str| format!(r#"{{"message":"{message}","status":"fail"}}"#);
    let send = |body: String, headers: &'static [(&'static str, &'static str)]| {
        let mut request = app.http.post(app.url("/api/paykassma/postback")).body(body);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        async move {
            let r = request.send().await.expect("postback request");
            let status = r.status().as_u16();
            let content_type =
                r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            assert!(r.headers().get("location").is_none(), "never a redirect: {headers:?} {status} {:?}", r.headers());
            (status, content_type, r.text().await.unwrap())
        }
    };
    for headers in HEADER_SETS {
        let json = "application/json".to_string();
        assert_eq!(send(valid.clone(), headers).await, (200, json.clone(), OK.to_string()), "{headers:?}");
        let (status, content_type, body) = send("{not json".into(), headers).await;
        assert_eq!((status, &content_type), (400, &json), "{headers:?}: {body}");
        assert!(body.ends_with(r#","status":"fail"}"#) && body.starts_with(r#"{"message":""#), "{body}");
        let (status, content_type, body) = send(forged.clone(), headers).await;
        assert_eq!((status, &content_type), (403, &json), "{headers:?}: {body}");
        assert!(body.ends_with(r#","status":"fail"}"#), "{body}");
        assert_eq!(
            send(huge.clone(), headers).await,
            (413, json.clone(), fail("the body is too large")),
            "{headers:?}"
        );
    }
    // A body without a Content-Length (chunked) is counted as it arrives.
    let (status, head, body) = chunked_post(&app, &huge).await;
    assert_eq!(status, 413, "{head}");
    assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
    assert_eq!(body, fail("the body is too large"));
    let (status, _, body) = chunked_post(&app, &valid).await;
    assert_eq!((status, body.as_str()), (200, OK), "a small chunked body is read whole");
    assert_eq!(app.balance("alice").await.0, 25_000, "credited once, whatever was resent");
    // Not committed: 503, so the provider sends again.
    app.db().close().await;
    for headers in HEADER_SETS {
        let (status, content_type, body) = send(valid.clone(), headers).await;
        assert_eq!((status, content_type.as_str()), (503, "application/json"), "{headers:?}: {body}");
        assert!(body.ends_with(r#","status":"fail"}"#), "{body}");
    }
    app.stop().await;
}

/// A postback sent with `Transfer-Encoding: chunked` over a plain socket.
async fn chunked_post(app: &TestApp, body: &str) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = url::Url::parse(&app.url("/")).unwrap();
    let mut socket = tokio::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap())).await.unwrap();
    let mut request = format!(
        "POST /api/paykassma/postback HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        url.authority()
    );
    for chunk in body.as_bytes().chunks(4096) {
        request.push_str(&format!("{:x}\r\n{}\r\n", chunk.len(), std::str::from_utf8(chunk).unwrap()));
    }
    request.push_str("0\r\n\r\n");
    // The server may answer 413 and close before reading everything.
    let _ = socket.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).to_string();
    let (head, rest) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let mut out = String::new();
        let mut rest = rest;
        while let Some((len, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(len.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.push_str(&tail[..n]);
            rest = &tail[n + 2..];
        }
        out
    } else {
        rest.to_string()
    };
    (status, head.to_string(), body)
}

/// What crediting writes beside the money (one statement on PostgreSQL, one
/// call on SQLite): the deposit's timeline (the credit, each repeat), the
/// deposit's fields, the postback's verdict; a payment for a deposit that is
/// already settled (credited, expired) is added and flagged, its status stays.
async fn a_credit_writes_its_timeline_and_a_late_payment_keeps_the_terminal_state(app: TestApp) {
    use sqlx::Row;
    let cookie = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&cookie, "200", "window").await.unwrap();
    let first = signed_postback("alice", "200", &[("400000000101", "200", &dep)], KEY);
    assert_eq!(app.post_postback(&first).await, (200, OK.to_string()));
    assert_eq!(app.post_postback(&first).await, (200, OK.to_string()));
    let timeline = |id: String| {
        let pool = app.db().pool().clone();
        async move {
            sqlx::query("SELECT detail, postback_id FROM deposit_events WHERE deposit_id = $1 AND kind = 'postback' ORDER BY id")
                .bind(id)
                .fetch_all(&pool)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get::<String, _>(0), r.get::<Option<i64>, _>(1)))
                .collect::<Vec<_>>()
        }
    };
    let events = timeline(dep.clone()).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events[0].0.ends_with("credited, UPI reference 400000000101"), "{events:?}");
    assert_eq!(events[1].0, "duplicate of UPI reference 400000000101");
    assert!(events.iter().all(|e| e.1.is_some()), "each names its postback");
    let row = sqlx::query("SELECT provider_txn_id, next_check_at FROM deposits WHERE id = $1")
        .bind(&dep)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(row.get::<Option<String>, _>(0).as_deref(), Some("400000000101"));
    assert_eq!(row.get::<Option<i64>, _>(1), None, "a credited deposit is not checked again");

    // A second payment for the credited deposit: added, flagged, still credited.
    let late = signed_postback("alice", "200", &[("400000000102", "200", &dep)], KEY);
    assert_eq!(app.post_postback(&late).await, (200, OK.to_string()));
    assert_eq!(app.deposit_status(&dep).await, ("credited".into(), Some(40_000), "late_or_extra_payment".into()));
    // An expired deposit paid late: credited to its owner, stays expired, flagged.
    let expired = app.start_deposit(&cookie, "300", "window").await.unwrap();
    sqlx::query("UPDATE deposits SET status = 'expired' WHERE id = $1")
        .bind(&expired)
        .execute(app.db().writer())
        .await
        .unwrap();
    let paid = signed_postback("alice", "300", &[("400000000103", "300", &expired)], KEY);
    assert_eq!(app.post_postback(&paid).await, (200, OK.to_string()));
    assert_eq!(app.deposit_status(&expired).await, ("expired".into(), Some(30_000), "late_or_extra_payment".into()));
    assert_eq!(app.balance("alice").await, (70_000, 70_000));
    let verdicts: Vec<String> =
        sqlx::query_scalar("SELECT verdict FROM postbacks ORDER BY id").fetch_all(app.db().pool()).await.unwrap();
    assert_eq!(verdicts, ["credited", "duplicate", "credited", "credited"]);
    assert!(portal::server::ledger::check(app.db()).await.unwrap().is_empty());
    app.stop().await;
}

on_both_backends!(
    a_credit_writes_its_timeline_and_a_late_payment_keeps_the_terminal_state,
    the_postback_contract_holds_for_any_accept_and_content_type,
    a_valid_postback_credits_once_and_a_repeat_changes_nothing,
    the_signed_order_decides_the_owner_not_the_top_level_label,
    a_different_amount_credits_what_was_paid_and_flags_it,
    a_payment_for_no_deposit_goes_to_suspense_never_to_the_label,
    forged_postbacks_are_refused_recorded_and_credit_nothing,
    malformed_and_oversized_postbacks_are_refused,
    a_database_failure_answers_503_so_the_provider_retries,
    concurrent_duplicates_across_two_portal_processes_credit_once,
    several_items_in_one_postback_are_each_credited_once,
);
