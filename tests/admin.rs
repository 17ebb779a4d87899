//! The admin overview: only admins see it; it shows deposits, postbacks and suspense.

mod common;
use common::{signed_postback, TestApp};
use portal::server::config::DEMO_PRIVATE_KEY as KEY;

async fn only_admins_see_the_admin_pages(app: TestApp) {
    let user = app.sign_up("alice", "pw-123456").await;
    let (_, html) = app.get_html("/admin", Some(&user)).await;
    assert!(html.contains("Admins only"));
    assert!(!html.contains("admin-deposits"));
    let (_, html) = app.get_html("/admin", None).await;
    assert!(html.contains("Please sign in"));
    // the server function refuses too, not only the page
    let r = app.http.post(app.url("/api/admin/overview")).header("cookie", &user).form(&[("q", "")]).send().await.unwrap();
    assert!(!r.status().is_success());
    app.stop().await;
}

async fn admins_review_deposits_postbacks_and_suspense(app: TestApp) {
    let user = app.sign_up("alice", "pw-123456").await;
    let dep = app.start_deposit(&user, "250", "window").await.unwrap();
    assert_eq!(app.post_postback(&signed_postback("alice", "250", &[("500000000001", "250", &dep)], KEY)).await.0, 200);
    assert_eq!(app.post_postback(&signed_postback("ghost", "99", &[("500000000002", "99", "")], KEY)).await.0, 200);
    assert_eq!(app.post_postback(&signed_postback("alice", "250", &[("500000000003", "250", &dep)], "forged")).await.0, 403);
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

on_both_backends!(only_admins_see_the_admin_pages, admins_review_deposits_postbacks_and_suspense);
