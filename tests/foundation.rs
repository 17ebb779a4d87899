//! The foundation: health, readiness, accounts, sessions, the shell, the CLI's
//! services and the ledger check, on SQLite and on PostgreSQL.

mod common;
use common::TestApp;

async fn health_and_readiness_answer(app: TestApp) {
    let h = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(h.status(), 200);
    let r = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("\"database\":\"ok\""));
    app.stop().await;
}

async fn readiness_fails_when_the_database_is_gone(app: TestApp) {
    app.db().close().await;
    let r = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    // the process itself is still up
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    app.stop().await;
}

async fn the_shell_is_server_rendered_with_security_headers(app: TestApp) {
    let resp = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
    assert!(h.get("content-security-policy").is_some());
    assert!(h.get("x-request-id").is_some());
    let html = resp.text().await.unwrap();
    assert!(html.contains("UPI Portal"));
    assert!(html.contains("Create account"));
    // the islands' bundle, under its content-hashed name once the site is built
    // (`/pkg/portal.<hash>.js`, from LEPTOS_SITE_ROOT, target/site here)
    let scripts: Vec<&str> = html
        .split("\"/pkg/portal.")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|s| s.ends_with("js"))
        .collect();
    assert_eq!(scripts.len(), 1, "one bundle named in the shell: {scripts:?}");
    let built = std::path::Path::new("target/site/pkg/portal.js").exists();
    assert_eq!(scripts[0] != "js", built, "hashed name iff the site is built: {scripts:?}");
    let (status, _) = app.get_html("/no-such-page", None).await;
    assert_eq!(status, 404);
    app.stop().await;
}

async fn sign_up_sign_in_and_sign_out(app: TestApp) {
    let cookie = app.sign_up("alice", "pw-123456").await;
    let (_, html) = app.get_html("/", Some(&cookie)).await;
    assert!(html.contains(r#"data-testid="signed-in-user""#) && html.contains(">alice<"), "header shows the user");

    // The same login cannot be taken twice; the user sees why.
    let resp = app
        .post_form(
            "/api/sign-up",
            None,
            &[("login", "alice"), ("password", "pw-999999"), ("password_confirm", "pw-999999")],
        )
        .await;
    let loc = resp.headers().get("location").unwrap().to_str().unwrap().to_string();
    assert_eq!(loc, "/signup?error=login_taken&login=alice");
    let (_, page) = app.get_html(&loc, None).await;
    assert!(page.contains("That login is taken. Choose another."));

    // Sign out deletes the session in the database, not only the cookie.
    let out = app.post_form("/api/sign-out", Some(&cookie), &[]).await;
    assert_eq!(out.status(), 302);
    let (_, html) = app.get_html("/", Some(&cookie)).await;
    assert!(!html.contains("signed-in-user"), "old cookie no longer signs in");

    // Wrong password, then right password.
    let bad = app.post_form("/api/sign-in", None, &[("login", "alice"), ("password", "nope-nope")]).await;
    assert!(common::session_cookie(&bad).is_none());
    assert!(bad.headers().get("location").unwrap().to_str().unwrap().starts_with("/signin?error=wrong_credentials&"));
    let good = app
        .post_form("/api/sign-in", None, &[("login", "alice"), ("password", "pw-123456"), ("next", "//evil.example/x")])
        .await;
    assert!(common::session_cookie(&good).is_some());
    assert_eq!(good.headers().get("location").unwrap(), "/deposit", "no open redirect");
    let set_cookie = good.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
    app.stop().await;
}

async fn bad_sign_up_input_changes_nothing(app: TestApp) {
    for (login, pw, pw2, expect) in [
        ("al", "pw-123456", "pw-123456", "error=login_length&"),
        ("BOB", "pw-123456", "pw-123456", "error=login_characters&"),
        ("bob", "short", "short", "error=weak_password&"),
        ("bob", "pw-123456", "pw-654321", "error=passwords_differ&"),
    ] {
        let resp =
            app.post_form("/api/sign-up", None, &[("login", login), ("password", pw), ("password_confirm", pw2)]).await;
        assert!(common::session_cookie(&resp).is_none());
        let loc = resp.headers().get("location").unwrap().to_str().unwrap().to_string();
        assert!(loc.contains(expect), "{login}: {loc}");
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(app.db().pool()).await.unwrap();
    assert_eq!(count, 0);
    app.stop().await;
}

async fn a_new_user_has_a_zero_balance_and_the_ledger_checks(app: TestApp) {
    use portal::domain::Login;
    use portal::server::{auth, ledger};
    auth::create_user(app.db(), &Login::parse("carol").unwrap(), "pw-123456", false).await.unwrap();
    let b = ledger::balance(app.db(), "carol").await.unwrap().unwrap();
    assert_eq!(serde_json::to_string(&b).unwrap(), r#"{"login":"carol","balance_paise":0,"available_paise":0}"#);
    assert!(ledger::check(app.db()).await.unwrap().is_empty());
    // A balance changed behind the ledger's back is reported.
    sqlx::query("UPDATE users SET available_paise = 500 WHERE login = 'carol'")
        .execute(app.db().writer())
        .await
        .unwrap();
    let mismatches = ledger::check(app.db()).await.unwrap();
    assert_eq!(mismatches.len(), 1);
    assert_eq!(mismatches[0].login, "carol");
    assert_eq!(mismatches[0].available_from_entries, 0);
    app.stop().await;
}

async fn sessions_are_shared_by_two_portal_processes(app: TestApp) {
    // A second portal on the same database accepts the first one's session.
    let cookie = app.sign_up("dave", "pw-123456").await;
    let second = common::spawn_second_instance(&app).await;
    let (_, html) = second.get_html("/", Some(&cookie)).await;
    assert!(html.contains(">dave<"));
    second.stop().await;
    app.stop().await;
}

/// A page that reads several tables reads them from one snapshot: a change
/// committed between two of its reads is not half seen (the balance page
/// once showed a rejected withdrawal beside the balance from before its hold
/// was released).
async fn a_snapshot_sees_one_moment_whatever_commits_meanwhile(app: TestApp) {
    app.sign_up("alice", "pw-123456").await;
    async fn read(tx: &mut sqlx::AnyConnection) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT available_paise FROM users WHERE login = 'alice'").fetch_one(tx).await
    }
    let mut snap = app.db().snapshot().await.unwrap();
    assert_eq!(read(&mut snap).await.unwrap(), 0);
    sqlx::query("UPDATE users SET available_paise = 500 WHERE login = 'alice'")
        .execute(app.db().writer())
        .await
        .unwrap();
    assert_eq!(read(&mut snap).await.unwrap(), 0, "the snapshot still sees the moment of its first read");
    drop(snap);
    let mut fresh = app.db().snapshot().await.unwrap();
    assert_eq!(read(&mut fresh).await.unwrap(), 500, "a new snapshot sees the commit");
    drop(fresh);
    app.stop().await;
}

on_both_backends!(
    a_snapshot_sees_one_moment_whatever_commits_meanwhile,
    health_and_readiness_answer,
    readiness_fails_when_the_database_is_gone,
    the_shell_is_server_rendered_with_security_headers,
    sign_up_sign_in_and_sign_out,
    bad_sign_up_input_changes_nothing,
    a_new_user_has_a_zero_balance_and_the_ledger_checks,
    sessions_are_shared_by_two_portal_processes,
);
