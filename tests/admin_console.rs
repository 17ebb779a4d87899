//! The admin console: the postback log, the postback inspector, balances with
//! manual adjustments, and the audit trail. Every case on both backends.

mod common;
use common::{TestApp, location, signed_postback};
use portal::paykassma::json::{self, JsonValue};
use portal::paykassma::signature::postback_signature;
use portal::server::config::{DEMO_ACCESS_KEY, DEMO_PRIVATE_KEY as KEY};
use portal::views::InspectorView;

/// How many rows of a rendered table carry `data-{attr}="{value}"` (all rows
/// with that attribute when `value` is None).
fn rows_with(html: &str, attr: &str, value: Option<&str>) -> usize {
    match value {
        Some(v) => html.matches(&format!("<tr data-{attr}=\"{v}\"")).count(),
        None => html.matches(&format!("<tr data-{attr}=\"")).count(),
    }
}

/// Every table the admin console could change, as numbers, plus each user's buckets.
async fn snapshot(app: &TestApp) -> (Vec<i64>, Vec<(String, i64, i64)>, Vec<(String, String)>) {
    let mut counts = Vec::new();
    for table in ["postbacks", "provider_payments", "ledger_entries", "admin_actions", "deposits", "users"] {
        counts.push(app.count(&format!("SELECT COUNT(*) FROM {table}")).await);
    }
    let users: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT login, available_paise, held_paise FROM users ORDER BY login")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    let deposits: Vec<(String, String)> =
        sqlx::query_as("SELECT id, status FROM deposits ORDER BY id").fetch_all(app.db().pool()).await.unwrap();
    (counts, users, deposits)
}

/// The inspector's server function, called as a program calls it (JSON answer).
async fn inspect_json(app: &TestApp, cookie: Option<&str>, fields: &[(&str, &str)]) -> (u16, String) {
    let mut request = app.http.post(app.url("/api/admin/inspect-postback")).form(fields);
    if let Some(c) = cookie {
        request = request.header("cookie", c);
    }
    let resp = request.send().await.expect("inspect");
    (resp.status().as_u16(), resp.text().await.unwrap_or_default())
}

fn expected_signature(body: &str, private_key: &str) -> String {
    let root = json::parse(body).unwrap();
    postback_signature(DEMO_ACCESS_KEY, private_key, root.get("additional_data").unwrap())
}

fn signature_of(body: &str) -> String {
    json::parse(body).unwrap().get("signature").and_then(JsonValue::as_str).unwrap().to_string()
}

async fn the_postback_log_filters_by_verdict(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&alice, "250", "window").await.unwrap();
    let good = signed_postback("alice", "250", &[("500000000001", "250", &dep)], KEY);
    assert_eq!(app.post_postback(&good).await.0, 200);
    assert_eq!(app.post_postback(&good).await.0, 200, "the resend is a duplicate");
    assert_eq!(app.post_postback(&signed_postback("ghost", "99", &[("500000000002", "99", "")], KEY)).await.0, 200);
    assert_eq!(
        app.post_postback(&signed_postback("alice", "250", &[("500000000003", "250", &dep)], "forged")).await.0,
        403
    );
    assert_eq!(app.post_postback("not json at all").await.0, 400);

    let admin = app.admin_cookie("boss").await;
    let (status, html) = app.get_html("/admin/postbacks", Some(&admin)).await;
    assert_eq!(status, 200);
    assert_eq!(rows_with(&html, "verdict", None), 5, "every postback, accepted or refused");
    assert!(!html.contains(&signature_of(&good)), "signatures are redacted");
    assert!(html.contains("[redacted]"));
    assert!(html.contains(&format!("/admin/deposits/{dep}")), "the credited postback links its deposit");
    assert!(html.contains("/admin/postbacks/inspect?id="), "rows link to the inspector");
    assert!(html.contains(r#"class="admin-nav""#));

    for verdict in ["credited", "duplicate", "suspense", "rejected", "malformed", "review"] {
        let expected = app.count(&format!("SELECT COUNT(*) FROM postbacks WHERE verdict = '{verdict}'")).await;
        let (_, html) = app.get_html(&format!("/admin/postbacks?verdict={verdict}"), Some(&admin)).await;
        assert_eq!(rows_with(&html, "verdict", Some(verdict)) as i64, expected, "{verdict}");
        assert_eq!(rows_with(&html, "verdict", None) as i64, expected, "{verdict}: only matching rows");
        if expected == 0 {
            assert!(html.contains("No postbacks match."), "{verdict}");
        }
    }
    // The verdicts in use are offered by the filter.
    for verdict in portal::server::postback::VERDICTS {
        assert!(html.contains(&format!(r#"<option value="{verdict}""#)), "{verdict}");
    }

    // Keyset pagination: 60 more refused postbacks, 50 a page, newest first.
    for i in 0..60 {
        sqlx::query(
            "INSERT INTO postbacks (received_at, remote_addr, body, direction, verdict, detail, http_status)
             VALUES ($1, '127.0.0.1', $2, '', 'malformed', 'test row', 400)",
        )
        .bind(1_795_500_000_000i64 + i)
        .bind(format!("row {i}"))
        .execute(app.db().pool())
        .await
        .unwrap();
    }
    let (_, first) = app.get_html("/admin/postbacks?verdict=malformed", Some(&admin)).await;
    assert_eq!(rows_with(&first, "verdict", Some("malformed")), 50);
    let next = first.split(r#"rel="next" href=""#).nth(1).and_then(|r| r.split('"').next()).expect("a next link");
    let next = next.replace("&amp;", "&");
    assert!(next.starts_with("/admin/postbacks?verdict=malformed&before="), "{next}");
    let (_, second) = app.get_html(&next, Some(&admin)).await;
    assert_eq!(rows_with(&second, "verdict", Some("malformed")), 11);
    assert!(!second.contains(r#"rel="next""#));
    assert!(first.contains("row 59") && !first.contains("row 9<") && second.contains("not json at all"));

    // Admins only, the page and its server function.
    let (_, html) = app.get_html("/admin/postbacks", Some(&alice)).await;
    assert!(html.contains("Admins only") && !html.contains("postback-log"));
    let r = app.http.post(app.url("/api/admin/postbacks")).header("cookie", &alice).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = app.http.post(app.url("/api/admin/postbacks")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    app.stop().await;
}

async fn the_inspector_shows_each_step_and_changes_nothing(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&alice, "250", "window").await.unwrap();
    let admin = app.admin_cookie("boss").await;
    let good = signed_postback("alice", "250", &[("500000000101", "250", &dep)], KEY);
    let forged = signed_postback("alice", "250", &[("500000000101", "250", &dep)], "forged-key");
    let expected = expected_signature(&good, KEY);
    assert_eq!(expected, signature_of(&good));
    let before = snapshot(&app).await;

    // A forged body, pasted into the page's form (no JavaScript).
    let r = app.post_form("/admin/postbacks/inspect", Some(&admin), &[("body", &forged)]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"data-testid="inspection-steps""#), "{html}");
    assert!(html.contains("does not match"));
    assert!(html.contains("Would be refused: HTTP 403"));
    assert!(html.contains(&expected[..8]), "the expected signature's first 8 characters");
    assert!(!html.contains(&expected), "never the whole expected signature (a signing oracle)");
    assert!(!html.contains(&expected[8..]));
    assert!(!html.contains(KEY), "never the private key");
    assert!(html.contains(DEMO_ACCESS_KEY), "the public access key may be shown");

    // The same, as a program calls the server function.
    let (status, text) = inspect_json(&app, Some(&admin), &[("body", &forged)]).await;
    assert_eq!(status, 200, "{text}");
    assert!(!text.contains(&expected[8..]) && !text.contains(KEY));
    let view: InspectorView = serde_json::from_str(&text).unwrap();
    let i = view.inspection.unwrap();
    assert_eq!((i.verified, i.http_status, i.verdict.as_str()), (false, 403, "rejected"));
    assert_eq!(i.signature_matches, Some(false));
    assert_eq!(i.access_key_matches, Some(true));
    assert_eq!(i.expected_signature_masked.unwrap(), format!("{}{}", &expected[..8], "•".repeat(32)));
    assert!(i.items.is_empty(), "a forged body's items are never read");

    // A good body: the match, and where its item would go.
    let (_, text) = inspect_json(&app, Some(&admin), &[("body", &good)]).await;
    assert!(!text.contains(&expected), "{text}");
    let i = serde_json::from_str::<InspectorView>(&text).unwrap().inspection.unwrap();
    assert_eq!((i.verified, i.http_status, i.verdict.as_str()), (true, 200, "credited"));
    assert_eq!(i.signature_matches, Some(true));
    let ad = json::parse(&good).unwrap();
    assert_eq!(i.signed_json.as_deref(), Some(json::php_encode(ad.get("additional_data").unwrap()).as_str()));
    assert_eq!(i.items.len(), 1);
    let item = &i.items[0];
    assert_eq!((item.kind.as_str(), item.verdict.as_str()), ("payment", "credited"));
    assert_eq!(item.deposit_id.as_deref(), Some(dep.as_str()));
    assert_eq!(item.owner_login.as_deref(), Some("alice"));
    assert_eq!(item.amount_paise, 25_000);
    let r = app.post_form("/admin/postbacks/inspect", Some(&admin), &[("body", &good)]).await;
    let html = r.text().await.unwrap();
    assert!(html.contains("Would be accepted: HTTP 200"));
    assert!(html.contains(&format!("credit to alice for deposit {dep}")), "{html}");
    assert!(html.contains(i.signed_json_md5.as_deref().unwrap()));

    // A payment for no deposit, and bad input: each explained, never a panic.
    let orphan = signed_postback("ghost", "99", &[("500000000102", "99", "")], KEY);
    let i = serde_json::from_str::<InspectorView>(&inspect_json(&app, Some(&admin), &[("body", &orphan)]).await.1)
        .unwrap()
        .inspection
        .unwrap();
    assert_eq!(i.verdict, "suspense");
    assert!(i.items[0].explanation.contains("no deposit has the signed plugin_custom_order_id"));
    assert!(i.items[0].flags.contains(&"unmatched".to_string()));
    for (body, status, reason) in [
        ("not json", 400, "not valid JSON"),
        ("[1,2]", 400, "not a JSON object"),
        ("{}", 400, "no `signature` field"),
        (r#"{"signature":"abc","access_key":"x","additional_data":[]}"#, 400, "40 lowercase"),
    ] {
        let (code, text) = inspect_json(&app, Some(&admin), &[("body", body)]).await;
        assert_eq!(code, 200, "{body}: {text}");
        let i = serde_json::from_str::<InspectorView>(&text).unwrap().inspection.unwrap();
        assert_eq!(i.http_status, status, "{body}");
        assert!(i.refusal.as_deref().unwrap_or("").contains(reason), "{body}: {:?}", i.refusal);
    }
    let huge = format!(r#"{{"x":"{}"}}"#, "a".repeat(70_000));
    let (code, text) = inspect_json(&app, Some(&admin), &[("body", &huge)]).await;
    assert_eq!(code, 413);
    assert!(text.contains("larger than BODY_LIMIT_BYTES"), "{text}");
    let html = app.post_form("/admin/postbacks/inspect", Some(&admin), &[("body", &huge)]).await.text().await.unwrap();
    assert!(html.contains("larger than BODY_LIMIT_BYTES"), "over the limit, under what the form reads");
    let enormous = "a".repeat(300_000);
    let r = app.post_form("/admin/postbacks/inspect", Some(&admin), &[("body", &enormous)]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("larger than BODY_LIMIT_BYTES"), "over what the form reads");

    assert_eq!(snapshot(&app).await, before, "the inspector changed nothing");
    assert_eq!(app.balance("alice").await, (0, 0));

    // The real endpoint credits it; the stored postback inspects as received.
    assert_eq!(app.post_postback(&good).await.0, 200);
    assert_eq!(app.balance("alice").await, (25_000, 25_000));
    let id: i64 = sqlx::query_scalar("SELECT MAX(id) FROM postbacks").fetch_one(app.db().pool()).await.unwrap();
    let after = snapshot(&app).await;
    let (_, html) = app.get_html(&format!("/admin/postbacks/inspect?id={id}"), Some(&admin)).await;
    assert!(html.contains(&format!("Postback #{id}")), "{html}");
    assert!(!html.contains(&expected) && html.contains("[redacted]"));
    let (_, text) = inspect_json(&app, Some(&admin), &[("id", &id.to_string())]).await;
    let i = serde_json::from_str::<InspectorView>(&text).unwrap().inspection.unwrap();
    assert_eq!(i.stored.as_ref().map(|p| p.verdict.as_str()), Some("credited"));
    assert_eq!(i.verdict, "duplicate", "sent again now, it would change nothing");
    assert_eq!(i.items[0].claimed_by_postback, Some(id));
    let (_, html) = app.get_html("/admin/postbacks/inspect?id=999999", Some(&admin)).await;
    assert!(html.contains("No postback has that id."));
    assert_eq!(snapshot(&app).await, after);

    // Admins only.
    assert_eq!(inspect_json(&app, Some(&alice), &[("body", &good)]).await.0, 403);
    assert_eq!(inspect_json(&app, None, &[("body", &good)]).await.0, 401);
    let html = app.post_form("/admin/postbacks/inspect", Some(&alice), &[("body", &good)]).await.text().await.unwrap();
    assert!(html.contains("Admins only") && !html.contains(&expected[..8]));
    assert!(portal::server::ledger::check(app.db()).await.unwrap().is_empty());
    app.stop().await;
}

/// The text of the element marked `data-testid="{id}"`.
fn stat<'a>(html: &'a str, id: &str) -> &'a str {
    let rest = html.split(&format!(r#"data-testid="{id}""#)).nth(1).unwrap_or_default();
    let text = rest.split_once('>').map(|(_, t)| t).unwrap_or_default();
    text.split('<').next().unwrap_or_default()
}

/// The one-time key rendered into a user page's adjustment form.
async fn form_key(app: &TestApp, admin: &str, login: &str) -> String {
    let (status, html) = app.get_html(&format!("/admin/users/{login}"), Some(admin)).await;
    assert_eq!(status, 200);
    let key = html.split(r#"name="key" value=""#).nth(1).and_then(|r| r.split('"').next()).expect("a form key");
    assert_eq!(key.len(), 32, "{key}");
    key.to_string()
}

async fn adjust(
    app: &TestApp,
    cookie: &str,
    login: &str,
    direction: &str,
    amount: &str,
    reason: &str,
    key: &str,
) -> String {
    let r = app
        .post_form(
            "/api/admin/adjust",
            Some(cookie),
            &[("login", login), ("direction", direction), ("amount", amount), ("reason", reason), ("key", key)],
        )
        .await;
    location(&r)
}

/// `portal ledger check`, the real binary, on the test's database.
fn ledger_check_passes(app: &TestApp) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(["ledger", "check"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("portal runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("ledger ok"), "{stdout}");
}

async fn an_adjustment_shows_in_the_ledger_the_balance_and_the_audit_trail(app: TestApp) {
    let _alice = app.sign_up("alice", "pw-123456").await;
    let admin = app.admin_cookie("boss").await;
    let key = form_key(&app, &admin, "alice").await;
    let loc = adjust(&app, &admin, "alice", "credit", "150.50", "goodwill for ticket 4821", &key).await;
    assert_eq!(loc, "/admin/users/alice?notice=adjusted");
    assert_eq!(app.balance("alice").await, (15_050, 15_050));

    let (_, html) = app.get_html(&loc, Some(&admin)).await;
    assert!(html.contains("The balance was adjusted."));
    assert_eq!(stat(&html, "balance"), "₹150.50");
    assert_eq!(stat(&html, "available"), "₹150.50");
    assert_eq!(stat(&html, "held"), "₹0.00");
    assert!(html.contains(&format!("adjustment:{key}")), "the ledger entry and its reference");
    assert!(html.contains("goodwill for ticket 4821"));
    assert!(html.contains("adjust_balance"), "the user's history");
    assert_ne!(form_key(&app, &admin, "alice").await, key, "every form gets a fresh key");

    let key2 = form_key(&app, &admin, "alice").await;
    assert_eq!(
        adjust(&app, &admin, "alice", "debit", "50", "duplicate goodwill", &key2).await,
        "/admin/users/alice?notice=adjusted"
    );
    assert_eq!(app.balance("alice").await, (10_050, 10_050));
    let entries: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT amount_paise, reference, memo FROM ledger_entries ORDER BY id")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    assert_eq!(
        entries,
        vec![
            (15_050, format!("adjustment:{key}"), "goodwill for ticket 4821".to_string()),
            (-5_000, format!("adjustment:{key2}"), "duplicate goodwill".to_string()),
        ]
    );

    // The audit trail: who, what, target (linked), before and after.
    let (_, html) = app.get_html("/admin/audit", Some(&admin)).await;
    assert_eq!(rows_with(&html, "action", Some("adjust_balance")), 2);
    assert!(html.contains(r#"href="/admin/users/alice""#));
    assert!(html.contains("boss"));
    assert!(html.contains("₹150.50") && html.contains("₹100.50"), "before and after, in rupees: {html}");
    let states: Vec<(String, String)> =
        sqlx::query_as("SELECT before_state, after_state FROM admin_actions ORDER BY id")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    let state = |paise: i64| format!(r#"{{"available_paise":{paise},"balance_paise":{paise},"held_paise":0}}"#);
    assert_eq!(states, vec![(state(0), state(15_050)), (state(15_050), state(10_050))]);

    // Filter by action: only that action's rows.
    assert_eq!(app.post_postback(&signed_postback("ghost", "99", &[("500000000201", "99", "")], KEY)).await.0, 200);
    let r = app
        .post_form(
            "/api/admin/assign-suspense",
            Some(&admin),
            &[("transaction_id", "500000000201"), ("login", "alice")],
        )
        .await;
    assert_eq!(location(&r), "/admin?notice=payment_assigned");
    let (_, html) = app.get_html("/admin/audit", Some(&admin)).await;
    assert_eq!(rows_with(&html, "action", None), 3);
    let (_, html) = app.get_html("/admin/audit?action=assign_suspense", Some(&admin)).await;
    assert_eq!((rows_with(&html, "action", Some("assign_suspense")), rows_with(&html, "action", None)), (1, 1));
    assert!(html.contains("/admin/postbacks/inspect?id="), "a payment target links to the postback that carried it");
    let (_, html) = app.get_html("/admin/audit?action=adjust_balance", Some(&admin)).await;
    assert_eq!((rows_with(&html, "action", Some("adjust_balance")), rows_with(&html, "action", None)), (2, 2));

    // Balances list: found by a part of the login.
    let (_, html) = app.get_html("/admin/users?q=lic", Some(&admin)).await;
    assert!(html.contains(r#"href="/admin/users/alice""#) && !html.contains(r#"href="/admin/users/boss""#));
    assert!(html.contains("₹199.50"), "alice's balance: 100.50 + 99.00");

    assert!(portal::server::ledger::check(app.db()).await.unwrap().is_empty());
    ledger_check_passes(&app);
    app.stop().await;
}

async fn a_debit_beyond_the_balance_is_refused_and_changes_nothing(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    let admin = app.admin_cookie("boss").await;
    let key = form_key(&app, &admin, "alice").await;
    assert_eq!(
        adjust(&app, &admin, "alice", "credit", "100", "opening", &key).await,
        "/admin/users/alice?notice=adjusted"
    );
    let before = snapshot(&app).await;

    let key = form_key(&app, &admin, "alice").await;
    let loc = adjust(&app, &admin, "alice", "debit", "100.01", "too much", &key).await;
    assert!(loc.starts_with("/admin/users/alice?error=debit_exceeds_available"), "{loc}");
    assert_eq!(snapshot(&app).await, before, "nothing changed");
    assert_eq!(app.balance("alice").await, (10_000, 10_000));
    let (_, html) = app.get_html(&loc, Some(&admin)).await;
    assert!(html.contains("The debit is more than the user's available balance. Nothing was changed."), "{html}");
    assert!(html.contains(r#"value="100.01""#), "what was typed is kept");

    // Every other refusal changes nothing either.
    for (fields, code) in [
        (("credit", "abc", "r", key.as_str()), "amount_not_a_number"),
        (("credit", "0", "r", key.as_str()), "amount_not_positive"),
        (("credit", "10", "  ", key.as_str()), "reason_required"),
        (("sideways", "10", "r", key.as_str()), "adjust_direction"),
        (("credit", "10", "r", "not-a-key"), "adjust_form_expired"),
    ] {
        let (direction, amount, reason, key) = fields;
        let loc = adjust(&app, &admin, "alice", direction, amount, reason, key).await;
        assert!(loc.starts_with(&format!("/admin/users/alice?error={code}")), "{loc}");
    }
    let long = "x".repeat(501);
    assert!(adjust(&app, &admin, "alice", "credit", "10", &long, &key).await.contains("error=reason_too_long"));
    assert!(adjust(&app, &admin, "nobody", "credit", "10", "r", &key).await.contains("error=unknown_user"));
    // A user cannot adjust, not even their own balance.
    let r = app
        .post_form(
            "/api/admin/adjust",
            Some(&alice),
            &[("login", "alice"), ("direction", "credit"), ("amount", "10"), ("reason", "me"), ("key", &key)],
        )
        .await;
    assert!(!location(&r).contains("notice"), "{}", location(&r));
    let r = app
        .http
        .post(app.url("/api/admin/adjust"))
        .header("cookie", &alice)
        .form(&[("login", "alice"), ("direction", "credit"), ("amount", "10"), ("reason", "me"), ("key", &key)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(snapshot(&app).await, before, "nothing changed");

    // The refused debit's key is still good for a debit that fits.
    assert_eq!(
        adjust(&app, &admin, "alice", "debit", "100", "closing", &key).await,
        "/admin/users/alice?notice=adjusted"
    );
    assert_eq!(app.balance("alice").await, (0, 0));
    assert!(portal::server::ledger::check(app.db()).await.unwrap().is_empty());
    ledger_check_passes(&app);
    app.stop().await;
}

async fn the_same_adjustment_form_posted_twice_adjusts_once(app: TestApp) {
    let _alice = app.sign_up("alice", "pw-123456").await;
    let admin = app.admin_cookie("boss").await;
    let key = form_key(&app, &admin, "alice").await;
    let send = || adjust(&app, &admin, "alice", "credit", "75", "refund", &key);
    assert_eq!(send().await, "/admin/users/alice?notice=adjusted");
    assert_eq!(send().await, "/admin/users/alice?notice=adjusted_already", "the back button, then send again");
    assert_eq!(app.balance("alice").await, (7_500, 7_500));
    // The same form with other values: refused, nothing changes.
    let loc = adjust(&app, &admin, "alice", "credit", "80", "refund", &key).await;
    assert!(loc.starts_with("/admin/users/alice?error=adjust_key_used"), "{loc}");
    let loc = adjust(&app, &admin, "alice", "debit", "75", "refund", &key).await;
    assert!(loc.starts_with("/admin/users/alice?error=adjust_key_used"), "{loc}");
    let (_, html) = app.get_html("/admin/users/alice?notice=adjusted_already", Some(&admin)).await;
    assert!(html.contains("This adjustment was already made"));

    // A double click: two submissions of one form at the same moment.
    let key = form_key(&app, &admin, "alice").await;
    let (a, b) = tokio::join!(
        adjust(&app, &admin, "alice", "credit", "25", "double click", &key),
        adjust(&app, &admin, "alice", "credit", "25", "double click", &key)
    );
    let mut answers = [a, b];
    answers.sort();
    assert_eq!(answers, ["/admin/users/alice?notice=adjusted", "/admin/users/alice?notice=adjusted_already"]);
    assert_eq!(app.balance("alice").await, (10_000, 10_000));
    assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'adjustment'").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM admin_actions WHERE action = 'adjust_balance'").await, 2);
    assert!(portal::server::ledger::check(app.db()).await.unwrap().is_empty());
    ledger_check_passes(&app);
    app.stop().await;
}

on_both_backends!(
    the_postback_log_filters_by_verdict,
    the_inspector_shows_each_step_and_changes_nothing,
    an_adjustment_shows_in_the_ledger_the_balance_and_the_audit_trail,
    a_debit_beyond_the_balance_is_refused_and_changes_nothing,
    the_same_adjustment_form_posted_twice_adjusts_once,
);
