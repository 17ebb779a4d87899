//! Accounts under attack (issue 7, part 3), tried as an attacker would,
//! through real HTTP against the real portal, on SQLite and on PostgreSQL:
//! password guessing, a flood of sign-ins, login CSRF, open redirects, idle
//! sessions, cookies and cache headers, and messages written into URLs.

mod common;
use common::TestApp;
use portal::server::db::Backend;

const PASSWORD: &str = "pw-123456";

/// A sign-in as a program calls the server function (no `Accept: text/html`).
async fn api_sign_in(app: &TestApp, login: &str, password: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.http.post(app.url("/api/sign-in")).form(&[("login", login), ("password", password)]);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("sign-in request")
}

/// A sign-in as a browser's form posts it.
async fn form_sign_in(app: &TestApp, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.http.post(app.url("/api/sign-in")).header("accept", "text/html").form(fields);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("sign-in request")
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_string()
}

fn has_set_cookie(resp: &reqwest::Response) -> bool {
    resp.headers().get("set-cookie").is_some()
}

async fn forty_guesses_are_throttled(app: TestApp) {
    app.sign_up("alice", PASSWORD).await;
    app.sign_up("bob", PASSWORD).await;
    for i in 0..40 {
        let resp = api_sign_in(&app, "alice", &format!("guess-{i:04}"), &[]).await;
        let status = resp.status().as_u16();
        assert!(!has_set_cookie(&resp), "guess {i} set a cookie");
        let body = resp.text().await.unwrap_or_default();
        if i < 10 {
            assert_ne!(status, 429, "guess {i} is judged: {body}");
        } else {
            assert_eq!(status, 429, "guess {i} is refused: {body}");
            assert!(body.contains("Too many attempts; try again in 15 minutes."), "{body}");
        }
    }
    // While throttled, even the right password is refused, without a session...
    let resp = api_sign_in(&app, "alice", PASSWORD, &[]).await;
    assert_eq!(resp.status(), 429);
    assert!(
        resp.headers().get("retry-after").is_some_and(|v| v.to_str().unwrap_or("").parse::<u64>().is_ok_and(|s| s > 0))
    );
    assert!(!has_set_cookie(&resp));
    // ...and a browser is sent back to the form with the fixed message.
    let resp = form_sign_in(&app, &[("login", "alice"), ("password", PASSWORD)], &[]).await;
    assert_eq!(resp.status(), 302);
    assert!(common::session_cookie(&resp).is_none());
    let loc = location(&resp);
    assert!(loc.starts_with("/signin?error=too_many_attempts&wait=15&"), "{loc}");
    let (_, page) = app.get_html(&loc, None).await;
    assert!(page.contains("Too many attempts; try again in 15 minutes."));
    // The throttle is in the database; ten failures are counted for the login.
    assert_eq!(app.count("SELECT COUNT(*) FROM auth_attempts WHERE kind = 'login' AND key = 'alice'").await, 10);

    // Another login from the same address is unaffected, and a success clears its failures.
    let wrong = api_sign_in(&app, "bob", "not-his-password", &[]).await;
    assert_ne!(wrong.status(), 429);
    let resp = form_sign_in(&app, &[("login", "bob"), ("password", PASSWORD)], &[]).await;
    assert!(common::session_cookie(&resp).is_some(), "bob signs in: {:?}", resp.headers());
    assert_eq!(app.count("SELECT COUNT(*) FROM auth_attempts WHERE kind = 'login' AND key = 'bob'").await, 0);

    // When the window has passed, alice can sign in again.
    sqlx::query("UPDATE auth_attempts SET at = at - 900000").execute(app.db().writer()).await.unwrap();
    let resp = form_sign_in(&app, &[("login", "alice"), ("password", PASSWORD)], &[]).await;
    assert!(common::session_cookie(&resp).is_some(), "after the window: {}", location(&resp));
    app.stop().await;
}

async fn the_throttle_is_shared_by_two_portal_processes(app: TestApp) {
    app.sign_up("alice", PASSWORD).await;
    let second = common::spawn_second_instance(&app).await;
    for i in 0..10 {
        let on = if i % 2 == 0 { &app } else { &second };
        assert_ne!(api_sign_in(on, "alice", &format!("guess-{i}"), &[]).await.status(), 429, "guess {i}");
    }
    for on in [&app, &second] {
        let resp = api_sign_in(on, "alice", PASSWORD, &[]).await;
        assert_eq!(resp.status(), 429, "both processes refuse");
    }
    second.stop().await;
    app.stop().await;
}

async fn one_address_is_limited_across_logins(app: TestApp) {
    // AUTH_ADDRESS_MAX_FAILURES=5 here (100 by default), TRUST_X_FORWARDED_FOR=on.
    app.sign_up("carol", PASSWORD).await;
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    for i in 0..5 {
        let resp = api_sign_in(&app, &format!("nobody-{i}"), "guess", &from("203.0.113.7")).await;
        assert_ne!(resp.status(), 429, "failure {i}");
    }
    // A sixth login from that address is refused, even the right password of another account.
    let resp = api_sign_in(&app, "carol", PASSWORD, &from("203.0.113.7")).await;
    assert_eq!(resp.status(), 429);
    assert!(resp.text().await.unwrap().contains("Too many attempts; try again in"));
    // Another address is not.
    let resp = form_sign_in(&app, &[("login", "carol"), ("password", PASSWORD)], &from("198.51.100.20")).await;
    assert!(common::session_cookie(&resp).is_some(), "{}", location(&resp));
    // The proxy's entry counts, not what the client wrote before it.
    let resp = api_sign_in(&app, "carol", PASSWORD, &[("x-forwarded-for", "198.51.100.20, 203.0.113.7")]).await;
    assert_eq!(resp.status(), 429);
    app.stop().await;
}

async fn sign_up_is_limited_per_address(app: TestApp) {
    // SIGNUP_MAX_PER_ADDRESS_PER_HOUR=3 here (20 by default).
    for i in 0..3 {
        app.sign_up(&format!("user-{i}"), PASSWORD).await;
    }
    let fields = [("login", "user-3"), ("password", PASSWORD), ("password_confirm", PASSWORD)];
    let resp = app.http.post(app.url("/api/sign-up")).header("accept", "text/html").form(&fields).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    assert!(!has_set_cookie(&resp));
    let loc = location(&resp);
    assert!(loc.starts_with("/signup?error=signup_limited&wait="), "{loc}");
    let (_, page) = app.get_html(&loc, None).await;
    assert!(page.contains("Too many accounts were created from your network; try again in"), "{loc}");
    let resp = app.http.post(app.url("/api/sign-up")).form(&fields).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 3);
    app.stop().await;
}

async fn cross_site_sign_in_is_refused(app: TestApp) {
    app.sign_up("alice", PASSWORD).await;
    let fields = [("login", "alice"), ("password", PASSWORD)];
    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
        vec![("referer", "https://evil.example/landing")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", "https://evil.example"), ("referer", &*app.url("/signin"))],
    ] {
        let resp = form_sign_in(&app, &fields, &headers).await;
        assert_eq!(resp.status(), 403, "{headers:?}");
        assert!(!has_set_cookie(&resp), "{headers:?}: no cookie");
        assert!(resp.text().await.unwrap().contains("Cross-site request refused."));
    }
    // Nothing was counted against the account either.
    assert_eq!(app.count("SELECT COUNT(*) FROM auth_attempts WHERE kind IN ('login', 'address')").await, 0);

    // The same form from the portal's own page works.
    let own = app.base.clone();
    let resp = form_sign_in(
        &app,
        &fields,
        &[("origin", &own), ("referer", &app.url("/signin")), ("sec-fetch-site", "same-origin")],
    )
    .await;
    assert_eq!(resp.status(), 302);
    let cookie = common::session_cookie(&resp).expect("same-origin sign-in starts a session");

    // Every other state-changing form is covered too (a signed-in visitor's deposit).
    let resp = app
        .http
        .post(app.url("/api/create-deposit"))
        .header("accept", "text/html")
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .form(&[("amount", "250"), ("method", "qr")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM deposits").await, 0);
    // The provider's postback route is not a browser form: it is judged by its signature.
    let resp = app
        .http
        .post(app.url("/api/paykassma/postback"))
        .header("origin", "https://evil.example")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_ne!(resp.status(), 403);
    app.stop().await;
}

async fn next_only_local_paths(app: TestApp) {
    app.sign_up("alice", PASSWORD).await;
    for (next, expected) in [
        ("/balance", "/balance"),
        ("/deposits/dep_1?all=1", "/deposits/dep_1?all=1"),
        ("//evil.example/x", "/deposit"),
        ("/\\evil.example", "/deposit"),
        ("https://evil.example/", "/deposit"),
        ("javascript:alert(1)", "/deposit"),
        ("/x\r\nSet-Cookie: stolen=1", "/deposit"),
        ("/a\u{0}b", "/deposit"),
        ("/caf\u{e9}", "/deposit"),
    ] {
        let resp = form_sign_in(&app, &[("login", "alice"), ("password", PASSWORD), ("next", next)], &[]).await;
        assert_eq!(resp.status(), 302, "{next:?}");
        assert_eq!(location(&resp), expected, "{next:?}");
        let cookies: Vec<_> = resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
        assert!(cookies.iter().all(|c| !c.contains("stolen")), "{cookies:?}");
    }
    // The sign-in page never carries a foreign `next` into its form.
    let (_, page) = app.get_html("/signin?next=//evil.example", None).await;
    assert!(!page.contains("evil.example"));
    let (status, _) = app.get_html("/signin?next=%0d%0a%00", None).await;
    assert_eq!(status, 200);
    app.stop().await;
}

async fn idle_sessions_end(app: TestApp) {
    // SESSION_IDLE_TIMEOUT_SECONDS=2 here.
    let cookie = app.sign_up("alice", PASSWORD).await;
    let (_, html) = app.get_html("/", Some(&cookie)).await;
    assert!(html.contains(">alice<"));
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let (_, html) = app.get_html("/", Some(&cookie)).await;
    assert!(!html.contains("signed-in-user"), "idle for longer than the timeout: signed out");
    // The purge deletes it (the background task does the same every few minutes).
    assert_eq!(portal::server::auth::purge_sessions(app.db(), 2_000).await.unwrap(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    app.stop().await;
}

async fn a_session_in_use_stays_open_and_is_marked_seen_sparingly(app: TestApp) {
    let cookie = app.sign_up("alice", PASSWORD).await;
    let seen = || app.count("SELECT last_seen_at FROM sessions");
    let first = seen().await;
    // Used within the minute: not written again.
    app.get_html("/", Some(&cookie)).await;
    assert_eq!(seen().await, first);
    // Last used 11 h 59 min ago (the default timeout is 12 h): still open, marked seen now.
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 43140000").execute(app.db().writer()).await.unwrap();
    let (_, html) = app.get_html("/", Some(&cookie)).await;
    assert!(html.contains(">alice<"));
    assert!(seen().await >= first, "marked seen again");
    // Last used 12 h 1 min ago: signed out, and purged.
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 43260000").execute(app.db().writer()).await.unwrap();
    let (_, html) = app.get_html("/", Some(&cookie)).await;
    assert!(!html.contains("signed-in-user"));
    // Old attempts are purged too.
    sqlx::query("INSERT INTO auth_attempts (kind, key, at) VALUES ('login', 'old', 1)")
        .execute(app.db().writer())
        .await
        .unwrap();
    let limits = portal::server::config::AuthLimits::default();
    assert_eq!(portal::server::throttle::purge(app.db(), &limits).await.unwrap(), 1);
    assert_eq!(portal::server::auth::purge_sessions(app.db(), 43_200_000).await.unwrap(), 1);
    app.stop().await;
}

async fn cookies_and_cache_headers_over_http(app: TestApp) {
    let resp = common::post_sign_up(&app.http, &app.base, "alice", PASSWORD).await;
    let set_cookie = resp.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(set_cookie.starts_with("portal_session=") && set_cookie.contains("Path=/"), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax") && !set_cookie.contains("Secure"));
    assert_eq!(resp.headers().get("cache-control").unwrap(), "no-store", "server-function answers");
    assert!(resp.headers().get("strict-transport-security").is_none(), "no HSTS over plain http");
    let cookie = common::session_cookie(&resp).unwrap();

    let signed_in = app.http.get(app.url("/balance")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(signed_in.headers().get("cache-control").unwrap(), "no-store", "signed-in pages");
    let api = app.http.post(app.url("/api/me")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(api.headers().get("cache-control").unwrap(), "no-store");
    let anonymous = app.http.get(app.url("/")).send().await.unwrap();
    assert!(anonymous.headers().get("cache-control").is_none_or(|v| v != "no-store"), "public pages may be cached");
    app.stop().await;
}

async fn cookies_and_hsts_under_https(app: TestApp) {
    // PORTAL_PUBLIC_URL=https://pay.example.test here (TLS ends at a proxy in front).
    let resp = common::post_sign_up(&app.http, &app.base, "alice", PASSWORD).await;
    let set_cookie = resp.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(set_cookie.starts_with("__Host-portal_session="), "{set_cookie}");
    assert!(
        set_cookie.contains("; Path=/") && set_cookie.contains("; Secure") && !set_cookie.contains("Domain"),
        "{set_cookie}"
    );
    assert_eq!(resp.headers().get("strict-transport-security").unwrap(), "max-age=31536000");
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let (_, html) = app.get_html("/", Some(&cookie)).await;
    assert!(html.contains(">alice<"), "the __Host- cookie signs in");
    let plain = cookie.replacen("__Host-portal_session", "portal_session", 1);
    let (_, html) = app.get_html("/", Some(&plain)).await;
    assert!(!html.contains("signed-in-user"), "a cookie without the prefix is ignored under https");
    let page = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.headers().get("strict-transport-security").unwrap(), "max-age=31536000");
    // The https origin is the portal's own.
    let resp =
        form_sign_in(&app, &[("login", "alice"), ("password", PASSWORD)], &[("origin", "https://pay.example.test")])
            .await;
    assert_eq!(resp.status(), 302);
    let resp =
        form_sign_in(&app, &[("login", "alice"), ("password", PASSWORD)], &[("origin", "http://pay.example.test")])
            .await;
    assert_eq!(resp.status(), 403);
    app.stop().await;
}

async fn messages_come_from_fixed_codes(app: TestApp) {
    for path in [
        "/signin?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/signin?error=Your%20account%20is%20locked.%20Call%20%2B91%2098765%2043210",
        "/signup?error=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    ] {
        let (status, page) = app.get_html(path, None).await;
        assert_eq!(status, 200);
        for leaked in ["<script>alert", "alert(1)", "onerror", "98765", "locked"] {
            assert!(!page.contains(leaked), "{path} shows {leaked}");
        }
        assert!(!page.contains(r#"role="alert""#), "{path}: an unknown code shows nothing");
    }
    let (_, page) = app.get_html("/signin?error=wrong_credentials", None).await;
    assert!(page.contains("Wrong login or password."));
    let (_, page) = app.get_html("/signin?error=too_many_attempts&wait=%3Cb%3E", None).await;
    assert!(page.contains("Too many attempts; try again later.") && !page.contains("&lt;b"));
    let cookie = app.sign_up("alice", PASSWORD).await;
    let (_, page) = app.get_html("/deposit?error=%3Cscript%3Ex%3C%2Fscript%3E", Some(&cookie)).await;
    assert!(!page.contains("<script>x") && !page.contains(r#"role="alert""#));
    app.stop().await;
}

on_both_backends!(
    forty_guesses_are_throttled,
    the_throttle_is_shared_by_two_portal_processes,
    cross_site_sign_in_is_refused,
    next_only_local_paths,
    a_session_in_use_stays_open_and_is_marked_seen_sparingly,
    cookies_and_cache_headers_over_http,
    messages_come_from_fixed_codes,
);

on_both_backends_with!(
    one_address_is_limited_across_logins => &[("AUTH_ADDRESS_MAX_FAILURES", "5"), ("TRUST_X_FORWARDED_FOR", "on")],
    sign_up_is_limited_per_address => &[("SIGNUP_MAX_PER_ADDRESS_PER_HOUR", "3")],
    idle_sessions_end => &[("SESSION_IDLE_TIMEOUT_SECONDS", "2")],
    cookies_and_hsts_under_https => &[("PORTAL_PUBLIC_URL", "https://pay.example.test")],
);

// ---------------------------------------------------------------------------
// 400 clients signing in at once, against the real binary in its own process,
// so its peak memory (VmHWM) can be read from /proc.

struct Portal {
    child: std::process::Child,
    base: String,
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

async fn spawn_portal_process(database_url: &str) -> Portal {
    let port = free_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_portal"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("SANDBOX", "off")
        .env("PAYKASSMA_API_URL", "http://127.0.0.1:9")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("the portal binary starts");
    let portal = Portal { child, base: format!("http://127.0.0.1:{port}") };
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if http.get(format!("{}/readyz", portal.base)).send().await.is_ok_and(|r| r.status() == 200) {
            return portal;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the portal did not become ready");
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

async fn four_hundred_concurrent_sign_ins(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((database_url, pg)) = common::fresh_database(backend, dir.path()).await else { return };
    let portal = spawn_portal_process(&database_url).await;
    let pid = portal.child.id();
    let before = peak_rss_kib(pid);

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(120))
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let started = std::time::Instant::now();
    let mut clients = Vec::new();
    for i in 0..400 {
        let http = http.clone();
        let url = format!("{}/api/sign-in", portal.base);
        clients.push(tokio::spawn(async move {
            let login = format!("flood-{i:03}");
            let resp = http.post(url).form(&[("login", login.as_str()), ("password", "wrong-password")]).send().await;
            match resp {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let cookie = r.headers().get("set-cookie").is_some();
                    let location = r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_string();
                    let body = r.text().await.unwrap_or_default();
                    Ok((status, cookie, location, body))
                }
                Err(e) => Err(e.to_string()),
            }
        }));
    }
    let (mut refused, mut throttled, mut busy, mut unavailable) = (0, 0, 0, 0);
    for c in clients {
        let (status, cookie, location, body) = c.await.expect("client task").expect("every client gets an answer");
        assert!(!cookie, "nobody signs in with a wrong password");
        match status {
            200 | 302 if location.starts_with("/signin?error=wrong_credentials") => refused += 1,
            // the database pool's own queue timing out: a refusal, not a crash
            200 | 302 if location.starts_with("/signin?error=unavailable") => unavailable += 1,
            429 if body.contains("Too many attempts") => throttled += 1,
            503 if body.contains("The server is busy; try again in a moment.") => busy += 1,
            _ => panic!("unexpected answer {status} {location} {body}"),
        }
    }
    let peak = peak_rss_kib(pid);
    eprintln!(
        "four_hundred_concurrent_sign_ins on {}: peak RSS (VmHWM) {} MiB (at start {} MiB); \
         {refused} wrong-password, {throttled} throttled, {busy} busy, {unavailable} unavailable; {:.1} s",
        backend.name(),
        peak / 1024,
        before / 1024,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(refused + throttled + busy + unavailable, 400);
    assert!(refused >= 1, "some attempts were judged");
    assert!(peak < 256 * 1024, "peak RSS {} MiB must stay under 256 MiB", peak / 1024);

    // The portal still answers afterwards.
    assert_eq!(http.get(format!("{}/readyz", portal.base)).send().await.unwrap().status(), 200);
    drop(portal);
    if let Some((admin, name)) = pg {
        use sqlx::Connection;
        if let Ok(mut c) = sqlx::postgres::PgConnection::connect(&admin).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut c).await;
            let _ = c.close().await;
        }
    }
}

mod four_hundred_concurrent_sign_ins_stay_under_256_mib {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::four_hundred_concurrent_sign_ins(portal::server::db::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::four_hundred_concurrent_sign_ins(portal::server::db::Backend::Postgres).await;
    }
}
