//! The admin overview: only admins see it; it shows deposits, postbacks and suspense.

mod common;
use common::{TestApp, signed_postback};
use portal::server::config::DEMO_PRIVATE_KEY as KEY;

async fn only_admins_see_the_admin_pages(app: TestApp) {
    let user = app.sign_up("alice", "pw-123456").await;
    let (_, html) = app.get_html("/admin", Some(&user)).await;
    assert!(html.contains("Admins only"));
    assert!(!html.contains("admin-deposits"));
    let (_, html) = app.get_html("/admin", None).await;
    assert!(html.contains("Please sign in"));
    // the server function refuses too, not only the page
    let r =
        app.http.post(app.url("/api/admin/overview")).header("cookie", &user).form(&[("q", "")]).send().await.unwrap();
    assert!(!r.status().is_success());
    app.stop().await;
}

async fn admins_review_deposits_postbacks_and_suspense(app: TestApp) {
    let user = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&user, "250", "window").await.unwrap();
    assert_eq!(app.post_postback(&signed_postback("alice", "250", &[("500000000001", "250", &dep)], KEY)).await.0, 200);
    assert_eq!(app.post_postback(&signed_postback("ghost", "99", &[("500000000002", "99", "")], KEY)).await.0, 200);
    assert_eq!(
        app.post_postback(&signed_postback("alice", "250", &[("500000000003", "250", &dep)], "forged")).await.0,
        403
    );
    let admin = app.admin_cookie("boss").await;
    let (status, html) = app.get_html("/admin", Some(&admin)).await;
    assert_eq!(status, 200);
    assert!(html.contains(&dep) && html.contains("500000000001"));
    let count = html
        .split(r#"data-testid="suspense-count""#)
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, after)| after.chars().next());
    assert_eq!(count, Some('1'), "one payment in suspense");
    assert!(html.contains("500000000002"));
    assert!(html.contains("rejected"), "forged postback visible");
    // search and filter
    let (_, html) = app.get_html(&format!("/admin?q={}", &dep[4..12]), Some(&admin)).await;
    assert!(html.contains(&dep));
    let (_, html) = app.get_html("/admin?status=failed", Some(&admin)).await;
    assert!(html.contains("No deposits match."));
    app.stop().await;
}

async fn assign(app: &TestApp, cookie: &str, txn: &str, login: &str) -> String {
    let r =
        app.post_form("/api/admin/assign-suspense", Some(cookie), &[("transaction_id", txn), ("login", login)]).await;
    common::location(&r)
}

async fn an_admin_assigns_a_suspense_payment_exactly_once(app: TestApp) {
    let alice = app.sign_up("alice", "pw-123456").await;
    assert_eq!(
        app.post_postback(&signed_postback("ghost", "99.50", &[("500000000009", "99.50", "")], KEY)).await.0,
        200
    );
    // a user cannot assign
    let loc = assign(&app, &alice, "500000000009", "alice").await;
    assert!(!loc.contains("notice"), "{loc}");
    assert_eq!(app.balance("alice").await.0, 0);

    let admin = app.admin_cookie("boss").await;
    let loc = assign(&app, &admin, "500000000009", "nobody").await;
    assert_eq!(loc, "/admin?error=unknown_user");
    assert_eq!(app.count("SELECT COUNT(*) FROM provider_payments WHERE status = 'suspense'").await, 1);

    let loc = assign(&app, &admin, "500000000009", "alice").await;
    assert_eq!(loc, "/admin?notice=payment_assigned");
    assert_eq!(app.balance("alice").await, (9_950, 9_950));
    let loc = assign(&app, &admin, "500000000009", "boss").await;
    assert_eq!(loc, "/admin?error=not_in_suspense", "assigned at most once");
    assert_eq!(app.balance("alice").await.0, 9_950);
    assert_eq!(app.count("SELECT COUNT(*) FROM admin_actions WHERE action = 'assign_suspense'").await, 1);
    // the provider resending the same payment later changes nothing
    assert_eq!(
        app.post_postback(&signed_postback("ghost", "99.50", &[("500000000009", "99.50", "")], KEY)).await.0,
        200
    );
    assert_eq!(app.balance("alice").await.0, 9_950);
    assert!(portal::server::ledger::check(app.db()).await.unwrap().is_empty());
    let (_, html) = app.get_html(&loc, Some(&admin)).await;
    assert!(html.contains("No payment in suspense has that UPI reference"));
    app.stop().await;
}

on_both_backends!(
    only_admins_see_the_admin_pages,
    admins_review_deposits_postbacks_and_suspense,
    an_admin_assigns_a_suspense_payment_exactly_once,
);
