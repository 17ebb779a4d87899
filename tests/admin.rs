//! The admin console: only admins reach it (every admin server function is
//! enumerated, so a new one cannot be forgotten); the dashboard, the
//! transactions list (filters, keyset pages, totals, CSV), a deposit's detail
//! (timeline, ledger, re-check, notes) and assigning suspense payments.

mod common;
use common::{TestApp, location, signed_postback};
use portal::server::config::DEMO_PRIVATE_KEY as KEY;

/// The value of `name="..."` on the element marked `data-testid="{testid}"`.
fn attr_of(html: &str, testid: &str, name: &str) -> Option<String> {
    let tag_start = html.find(&format!(r#"data-testid="{testid}""#))?;
    let tag = &html[html[..tag_start].rfind('<')?..];
    let tag = &tag[..tag.find('>')?];
    let key = format!(r#"{name}=""#);
    let from = tag.find(&key)? + key.len();
    Some(tag[from..from + tag[from..].find('"')?].to_string())
}

/// The `href` of the page's `rel="next"` link, decoded from HTML.
fn next_link(html: &str) -> Option<String> {
    let at = html.find(r#"rel="next""#)?;
    let tag = &html[html[..at].rfind('<')?..at + 200.min(html.len() - at)];
    let from = tag.find(r#"href=""#)? + 6;
    Some(tag[from..from + tag[from..].find('"')?].replace("&amp;", "&"))
}

async fn only_admins_see_the_admin_pages(app: TestApp) {
    let user = app.sign_up("alice", "pw-123456").await;
    for page in ["/admin", "/admin/transactions", "/admin/deposits/dep_x"] {
        let (status, html) = app.get_html(page, Some(&user)).await;
        assert!(html.contains("Admins only"), "{page}");
        assert_eq!(status, 403, "{page}");
        assert!(!html.contains(r#"data-testid="transactions""#));
        let (status, html) = app.get_html(page, None).await;
        assert!(html.contains("Please sign in"), "{page}");
        assert_eq!(status, 401, "{page}");
    }
    let csv = app.http.get(app.url("/admin/transactions.csv")).send().await.unwrap();
    assert_eq!(csv.status(), 401);
    let csv = app.http.get(app.url("/admin/transactions.csv")).header("cookie", &user).send().await.unwrap();
    assert_eq!(csv.status(), 403);
    app.stop().await;
}

/// Every registered server function under /api/admin/ answers 401 to an
/// anonymous caller and 403 to a signed-in user, whatever the method, body
/// or Accept header, and changes nothing.
async fn every_admin_server_function_refuses_everyone_but_admins(app: TestApp) {
    let user = app.sign_up("alice", "pw-123456").await;
    let mut admin_fns: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .filter(|(path, _)| path.starts_with(portal::server::http::ADMIN_API_PREFIX))
        .map(|(path, method)| (path.to_string(), method.to_string()))
        .collect();
    admin_fns.sort();
    for known in ["/api/admin/overview", "/api/admin/assign-suspense", "/api/admin/transactions", "/api/admin/recheck"]
    {
        assert!(admin_fns.iter().any(|(p, _)| p == known), "{known} is registered: {admin_fns:?}");
    }
    // Every server function of the crate that takes an admin's power lives under the prefix.
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        let admin_like = path.contains("admin") || path.contains("assign") || path.contains("adjust");
        assert!(!admin_like || path.starts_with("/api/admin/"), "{path} is outside /api/admin/");
    }
    let before = app.count("SELECT COUNT(*) FROM admin_actions").await;
    for (path, method) in &admin_fns {
        for (cookie, want) in [(None, 401), (Some(user.as_str()), 403)] {
            for accept in ["application/json", "text/html", "*/*"] {
                let mut req = match method.as_str() {
                    "GET" => app.http.get(app.url(path)),
                    _ => app.http.post(app.url(path)).form(&[("id", "x"), ("login", "alice"), ("note", "n")]),
                };
                req = req.header("accept", accept).header("referer", app.url("/admin"));
                if let Some(c) = cookie {
                    req = req.header("cookie", c);
                }
                let r = req.send().await.unwrap();
                assert_eq!(r.status().as_u16(), want, "{method} {path} as {cookie:?} accepting {accept}");
            }
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM admin_actions").await, before);
    app.stop().await;
}

async fn an_admin_finds_a_deposit_by_upi_reference_and_reads_its_story(app: TestApp) {
    let user = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&user, "250", "qr").await.unwrap();
    let other = app.start_deposit(&user, "300", "qr").await.unwrap();
    assert_eq!(app.post_postback(&signed_postback("alice", "250", &[("500000000001", "250", &dep)], KEY)).await.0, 200);
    // the provider resends: the timeline shows the duplicate, the ledger one credit
    assert_eq!(app.post_postback(&signed_postback("alice", "250", &[("500000000001", "250", &dep)], KEY)).await.0, 200);
    let admin = app.admin_cookie("boss").await;

    let (status, html) = app.get_html("/admin/transactions?q=500000000001", Some(&admin)).await;
    assert_eq!(status, 200);
    assert_eq!(attr_of(&html, "transactions", "data-total-count").as_deref(), Some("1"));
    assert_eq!(attr_of(&html, "transactions", "data-total-paise").as_deref(), Some("25000"));
    assert!(html.contains(&format!("/admin/deposits/{dep}")));
    assert!(!html.contains(&other), "only the deposit with that reference");

    let (status, html) = app.get_html(&format!("/admin/deposits/{dep}"), Some(&admin)).await;
    assert_eq!(status, 200);
    let timeline = &html[html.find(r#"data-testid="timeline""#).expect("a timeline")..];
    for step in ["Created", "Provider answered", "Postback", "credited, UPI reference 500000000001", "duplicate"] {
        assert!(timeline.contains(step), "timeline shows {step}");
    }
    assert!(html.contains("payment:500000000001"), "the ledger entry it caused");
    assert!(html.contains("[redacted]"), "postback bodies are shown with the signature redacted");
    let signature = html.contains(r#""signature":"#) && !html.contains(r#""signature":"[redacted]""#);
    assert!(!signature, "no signature is shown");

    // a note, then a re-check of the other deposit: both audited, both on the timeline
    let r = app.post_form("/api/admin/note", Some(&admin), &[("id", &dep), ("note", "payer called, all fine")]).await;
    assert_eq!(location(&r), format!("/admin/deposits/{dep}?notice=note_added"));
    let r = app.post_form("/api/admin/note", Some(&admin), &[("id", &dep), ("note", "   ")]).await;
    assert_eq!(location(&r), format!("/admin/deposits/{dep}?error=note_empty"));
    let r = app.post_form("/api/admin/recheck", Some(&admin), &[("id", &other)]).await;
    assert!(location(&r).starts_with(&format!("/admin/deposits/{other}?")), "{}", location(&r));
    assert_eq!(app.count("SELECT COUNT(*) FROM admin_actions WHERE action = 'note'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM admin_actions WHERE action = 'recheck'").await, 1);
    let (_, html) = app.get_html(&format!("/admin/deposits/{dep}"), Some(&admin)).await;
    assert!(html.contains("payer called, all fine"));
    let (status, html) = app.get_html(&format!("/admin/deposits/{other}"), Some(&admin)).await;
    assert_eq!(status, 200, "{html}");
    let timeline = html.find(r#"data-testid="timeline""#).map(|at| &html[at..]).unwrap_or(&html);
    assert!(timeline.contains("recheck by boss"), "the re-check is on the timeline: {timeline}");
    let before_after: (String, String) =
        sqlx::query_as("SELECT before_state, after_state FROM admin_actions WHERE action = 'recheck'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert!(before_after.0.contains(r#""status":"pending""#), "{before_after:?}");
    assert!(before_after.1.contains(r#""status":"#), "{before_after:?}");
    app.stop().await;
}

/// Writes `n` deposits for `login` straight into the database (a history far
/// longer than a test could create through the provider), one per second.
async fn insert_history(app: &TestApp, login: &str, n: i64, amount_paise: i64, status: &str) {
    let user_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE login = $1")
        .bind(login)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    for i in 0..n {
        let at = 1_790_829_000_000 + i * 1000;
        sqlx::query(
            "INSERT INTO deposits (id, user_id, amount_paise, method, status, created_at, updated_at, expires_at)
             VALUES ($1, $2, $3, 'qr', $4, $5, $5, $5)",
        )
        .bind(format!("dep_{login}_{i:04}"))
        .bind(user_id)
        .bind(amount_paise)
        .bind(status)
        .bind(at)
        .execute(app.db().pool())
        .await
        .unwrap();
    }
}

async fn filters_pages_totals_and_csv_agree(app: TestApp) {
    app.sign_up("alice", "pw-123456").await;
    app.sign_up("bob", "pw-123456").await;
    insert_history(&app, "alice", 120, 25_000, "expired").await;
    insert_history(&app, "bob", 7, 99_900, "failed").await;
    let admin = app.admin_cookie("boss").await;

    // walking the pages of alice's deposits gives each exactly once, newest first
    let mut url = "/admin/transactions?user=alice".to_string();
    let mut seen: Vec<String> = Vec::new();
    let mut pages = 0;
    loop {
        let (status, html) = app.get_html(&url, Some(&admin)).await;
        assert_eq!(status, 200, "{url}");
        assert_eq!(attr_of(&html, "transactions", "data-total-count").as_deref(), Some("120"), "totals on every page");
        assert_eq!(attr_of(&html, "transactions", "data-total-paise").as_deref(), Some("3000000"));
        for part in html.split(r#"data-id=""#).skip(1) {
            seen.push(part[..part.find('"').unwrap()].to_string());
        }
        pages += 1;
        match next_link(&html) {
            Some(next) => url = next,
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..120).rev().map(|i| format!("dep_alice_{i:04}")).collect();
    assert_eq!(seen, expected);

    // a filtered view and its CSV hold exactly the same rows
    let filter = "kind=deposit&min=500&status=failed&from=2026-10-01&to=2026-10-01";
    let (_, html) = app.get_html(&format!("/admin/transactions?{filter}"), Some(&admin)).await;
    assert_eq!(attr_of(&html, "transactions", "data-total-count").as_deref(), Some("7"));
    let r = app
        .http
        .get(app.url(&format!("/admin/transactions.csv?{filter}")))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], portal::server::admin::transactions::CSV_HEADER.trim_end());
    assert_eq!(lines.len(), 1 + 7);
    for (i, line) in lines[1..].iter().enumerate() {
        assert!(line.starts_with(&format!("deposit,dep_bob_{:04},bob,999.00,,failed,qr,", 6 - i)), "{line}");
    }
    let all = app.http.get(app.url("/admin/transactions.csv")).header("cookie", &admin).send().await.unwrap();
    assert_eq!(all.text().await.unwrap().lines().count(), 1 + 127);

    // what does not parse is said, and nothing is listed in its place
    let (status, html) = app.get_html("/admin/transactions?min=lots&to=2026-02-30", Some(&admin)).await;
    assert_eq!(status, 200);
    assert!(html.contains("min: &#x27;lots&#x27; is not an amount") || html.contains("min: 'lots' is not an amount"));
    assert!(html.contains("is not a date"));
    assert!(html.contains("No transactions match."));
    let bad =
        app.http.get(app.url("/admin/transactions.csv?flag=nonsense")).header("cookie", &admin).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    app.stop().await;
}

async fn the_dashboard_shows_the_day_and_bursts_of_refused_postbacks(app: TestApp) {
    let user = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&user, "250", "window").await.unwrap();
    app.start_deposit(&user, "300", "window").await.unwrap();
    assert_eq!(app.post_postback(&signed_postback("alice", "250", &[("500000000001", "250", &dep)], KEY)).await.0, 200);
    assert_eq!(app.post_postback(&signed_postback("ghost", "99", &[("500000000002", "99", "")], KEY)).await.0, 200);
    for n in 0..3 {
        let forged = signed_postback("alice", "250", &[(&format!("50000000010{n}"), "250", &dep)], "forged");
        assert_eq!(app.post_postback(&forged).await.0, 403);
    }
    let admin = app.admin_cookie("boss").await;
    let (status, html) = app.get_html("/admin", Some(&admin)).await;
    assert_eq!(status, 200);
    assert!(html.contains("₹250.00"), "today's credited sum");
    assert!(html.contains("2 deposits · 1 credited · 50.0%"), "count and success rate");
    let value = |id: &str| {
        let at = html.find(&format!(r#"data-testid="{id}""#)).unwrap();
        let rest = &html[at..];
        rest[rest.find('>').unwrap() + 1..rest.find('<').unwrap()].to_string()
    };
    assert_eq!(value("pending-count"), "1");
    assert_eq!(value("suspense-count"), "1");
    assert_eq!(value("refused-hour"), "3");
    let chart = &html[html.find(r#"data-testid="hour-chart""#).unwrap()..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    assert_eq!(chart.matches("<rect").count(), 48, "one bar per hour, drawn on the server");
    assert!(chart.contains("2 deposits in the last 48 hours"));
    // the old search bookmark lands on the list
    let r = app
        .http
        .get(app.url(&format!("/admin?q={dep}&status=credited")))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/admin/transactions?status=credited&q={dep}"));
    app.stop().await;
}

async fn assign(app: &TestApp, cookie: &str, txn: &str, login: &str) -> String {
    let r =
        app.post_form("/api/admin/assign-suspense", Some(cookie), &[("transaction_id", txn), ("login", login)]).await;
    location(&r)
}

async fn an_admin_assigns_a_suspense_payment_exactly_once(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    assert_eq!(
        app.post_postback(&signed_postback("ghost", "99.50", &[("500000000009", "99.50", "")], KEY)).await.0,
        200
    );
    // a user cannot assign
    let r = app
        .post_form(
            "/api/admin/assign-suspense",
            Some(&alice),
            &[("transaction_id", "500000000009"), ("login", "alice")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.balance("alice").await.0, 0);

    let admin = app.admin_cookie("boss").await;
    let loc = assign(&app, &admin, "500000000009", "nobody").await;
    assert_eq!(loc, "/admin?error=unknown_user");
    assert_eq!(app.count("SELECT COUNT(*) FROM provider_payments WHERE status = 'suspense'").await, 1);

    // the list shows it as a suspense payment
    let (_, html) = app.get_html("/admin/transactions?flag=suspense", Some(&admin)).await;
    assert_eq!(attr_of(&html, "transactions", "data-total-count").as_deref(), Some("1"));
    assert!(html.contains(r#"data-id="500000000009""#));

    // eight clicks at once, by two admins: one credit, one audit entry
    let second = app.admin_cookie("boss2").await;
    let mut clicks = Vec::new();
    for i in 0..8 {
        let cookie = if i % 2 == 0 { admin.clone() } else { second.clone() };
        let http = app.http.clone();
        let base = app.base.clone();
        clicks.push(tokio::spawn(async move {
            let r = common::post_form(
                &http,
                &base,
                "/api/admin/assign-suspense",
                Some(&cookie),
                &[("transaction_id", "500000000009"), ("login", "alice")],
            )
            .await;
            location(&r)
        }));
    }
    let mut answers = Vec::new();
    for c in clicks {
        answers.push(c.await.unwrap());
    }
    assert_eq!(answers.iter().filter(|l| *l == "/admin?notice=payment_assigned").count(), 1, "{answers:?}");
    assert_eq!(answers.iter().filter(|l| *l == "/admin?error=not_in_suspense").count(), 7, "{answers:?}");
    assert_eq!(app.balance("alice").await, (9_950, 9_950));
    assert_eq!(app.count("SELECT COUNT(*) FROM admin_actions WHERE action = 'assign_suspense'").await, 1);
    let audit: (String, String, String) =
        sqlx::query_as("SELECT target, before_state, after_state FROM admin_actions WHERE action = 'assign_suspense'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(audit.0, "payment:500000000009");
    assert!(audit.1.contains("suspense") && audit.2.contains("alice"), "{audit:?}");
    // the provider resending the same payment later changes nothing
    assert_eq!(
        app.post_postback(&signed_postback("ghost", "99.50", &[("500000000009", "99.50", "")], KEY)).await.0,
        200
    );
    assert_eq!(app.balance("alice").await.0, 9_950);
    assert!(portal::server::ledger::check(app.db()).await.unwrap().is_empty());
    let (_, html) = app.get_html("/admin?error=not_in_suspense", Some(&admin)).await;
    assert!(html.contains("No payment in suspense has that UPI reference"));
    app.stop().await;
}

/// A payment in suspense with the deposit's amount is offered on the deposit's
/// page; assigning it from there returns to the deposit.
async fn a_deposit_offers_its_likely_suspense_payment(app: TestApp) {
    let user = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&user, "450", "window").await.unwrap();
    // paid with a reference no deposit has (say, the payer typed the wrong note)
    assert_eq!(app.post_postback(&signed_postback("alice", "450", &[("500000000077", "450", "")], KEY)).await.0, 200);
    let admin = app.admin_cookie("boss").await;
    let (_, html) = app.get_html(&format!("/admin/deposits/{dep}"), Some(&admin)).await;
    assert!(html.contains("500000000077") && html.contains("Assign to alice"));
    let back = format!("/admin/deposits/{dep}");
    let r = app
        .post_form(
            "/api/admin/assign-suspense",
            Some(&admin),
            &[("transaction_id", "500000000077"), ("login", "alice"), ("back", &back)],
        )
        .await;
    assert_eq!(location(&r), format!("{back}?notice=payment_assigned"));
    assert_eq!(app.balance("alice").await.0, 45_000);
    // `back` is only ever an admin page
    let r = app
        .post_form(
            "/api/admin/assign-suspense",
            Some(&admin),
            &[("transaction_id", "500000000077"), ("login", "alice"), ("back", "//evil.example/x")],
        )
        .await;
    assert_eq!(location(&r), "/admin?error=not_in_suspense");
    app.stop().await;
}

on_both_backends!(
    only_admins_see_the_admin_pages,
    every_admin_server_function_refuses_everyone_but_admins,
    an_admin_finds_a_deposit_by_upi_reference_and_reads_its_story,
    filters_pages_totals_and_csv_agree,
    the_dashboard_shows_the_day_and_bursts_of_refused_postbacks,
    an_admin_assigns_a_suspense_payment_exactly_once,
    a_deposit_offers_its_likely_suspense_payment,
);
