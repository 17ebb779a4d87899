//! The `portal` command line, run as a user would (the real binary).

mod common;
use std::io::Write;
use std::process::{Command, Stdio};

fn portal(db_url: &str, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portal"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("portal runs");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("portal exits");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

async fn run_cli_flow(db_url: &str) {
    let (code, out, err) = portal(db_url, &["migrate"], None);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = portal(db_url, &["user", "add", "alice"], Some("pw-123456\n"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("created user alice"));
    let (code, _, err) = portal(db_url, &["user", "add", "alice"], Some("pw-123456\n"));
    assert_ne!(code, 0);
    assert!(err.contains("login is taken"), "{err}");
    let (code, _, err) = portal(db_url, &["user", "add", "Bad Login"], Some("pw-123456\n"));
    assert_ne!(code, 0);
    assert!(err.contains("login"), "{err}");
    let (code, out, _) = portal(db_url, &["user", "add", "root1", "--admin"], Some("pw-123456\n"));
    assert_eq!(code, 0);
    assert!(out.contains("admin"));
    let (code, out, err) = portal(db_url, &["balance", "alice", "--json"], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), r#"{"login":"alice","balance_paise":0,"available_paise":0}"#);
    let (code, _, err) = portal(db_url, &["balance", "nobody"], None);
    assert_eq!(code, 1);
    assert!(err.contains("no user"));
    let (code, out, _) = portal(db_url, &["ledger", "check"], None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ledger ok"));
}

#[tokio::test]
async fn cli_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    run_cli_flow(&url).await;
    // A balance edited behind the ledger's back makes `ledger check` fail and name the account.
    let db = portal::server::db::Db::connect(&url).await.unwrap();
    sqlx::query("UPDATE users SET available_paise = 1 WHERE login = 'alice'").execute(db.writer()).await.unwrap();
    db.close().await;
    let (code, out, _) = portal(&url, &["ledger", "check"], None);
    assert_eq!(code, 1);
    assert!(out.contains("MISMATCH alice"), "{out}");
}

#[tokio::test]
async fn cli_on_postgres_creates_the_database_if_missing() {
    let Some(base) = common::postgres_base().await else { return };
    let mut url = url::Url::parse(&base).unwrap();
    let name = common::unique_name("portal_cli");
    url.set_path(&format!("/{name}"));
    run_cli_flow(url.as_str()).await;
    use sqlx::Connection;
    let mut c = sqlx::postgres::PgConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut c).await.unwrap();
}

#[test]
fn a_wrong_config_value_stops_start_up_with_one_line_naming_the_variable() {
    let (code, out, err) = portal("mysql://x", &["migrate"], None);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains("DATABASE_URL") && lines[0].contains("mysql"), "{err}");
}

/// Live mode never starts with a demo key or beside the sandbox, and says
/// which variable is wrong without repeating its value.
#[test]
fn live_mode_refuses_demo_keys_and_the_sandbox() {
    let live = |extra: &[(&str, &str)], args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portal"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", "sqlite://never-created/portal.db")
            .env("PAYKASSMA_ENV", "live")
            .env("PAYKASSMA_API_URL", "https://api.example.test")
            .env("PAYKASSMA_PLUGIN_URL", "https://plugin.example.test")
            .env("PAYKASSMA_API_SECRET", "live-secret-1")
            .env("PAYKASSMA_POSTBACK_ACCESS_KEY", "live-access-1")
            .env("PAYKASSMA_POSTBACK_PRIVATE_KEY", "live-private-1")
            .env("PAYKASSMA_WITHDRAWAL_KEY", "live-withdrawal-1");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("portal runs");
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (code, err) = live(&[("PAYKASSMA_POSTBACK_PRIVATE_KEY", portal::server::config::DEMO_PRIVATE_KEY)], &["serve"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("PAYKASSMA_POSTBACK_PRIVATE_KEY") && err.contains("demo value"), "{err}");
    assert!(!err.contains(portal::server::config::DEMO_PRIVATE_KEY), "the value is not echoed: {err}");
    let (code, err) = live(&[("SANDBOX", "on")], &["serve"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("SANDBOX"), "{err}");
    let (code, err) = live(&[], &["sandbox"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("never runs"), "{err}");
    assert!(!std::path::Path::new("never-created").exists());
}

/// `portal seed` on a fresh database: the counts it reports are the rows
/// written, every credit has its postback, payment and ledger entry, and
/// `portal ledger check` passes.
async fn seed_flow(db_url: &str) {
    let (code, out, err) =
        portal(db_url, &["seed", "--users", "25", "--deposits", "2500", "--days", "7", "--json"], None);
    assert_eq!(code, 0, "{out}{err}");
    let r: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    let n = |k: &str| r[k].as_i64().unwrap_or_else(|| panic!("{k} in {r}"));
    assert_eq!((n("users"), n("deposits")), (25, 2500));
    assert_eq!(n("credited") + n("expired") + n("failed") + n("open") + n("unknown"), 2500, "{r}");
    assert!(n("credited") > 1800 && n("expired") > 0 && n("failed") > 0, "mostly credited: {r}");
    assert!(n("suspense") > 0 && n("amount_mismatch") > 0, "{r}");
    let password = r["password"].as_str().expect("password").to_string();

    let db = portal::server::db::Db::connect(db_url).await.unwrap();
    let count = |sql: &'static str| {
        let pool = db.pool().clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    assert_eq!(count("SELECT COUNT(*) FROM users").await, 25);
    assert_eq!(count("SELECT COUNT(DISTINCT password_hash) FROM users").await, 1, "one hash, computed once");
    assert_eq!(count("SELECT COUNT(*) FROM deposits").await, 2500);
    assert_eq!(count("SELECT COUNT(*) FROM deposits WHERE status = 'credited'").await, n("credited"));
    assert_eq!(count("SELECT COUNT(*) FROM deposits WHERE status = 'expired'").await, n("expired"));
    assert_eq!(count("SELECT COUNT(*) FROM deposits WHERE credited_paise <> amount_paise").await, n("amount_mismatch"));
    assert_eq!(count("SELECT COUNT(*) FROM deposits WHERE flag = 'paid_no_postback'").await, n("paid_no_postback"));
    assert_eq!(count("SELECT COUNT(*) FROM postbacks").await, n("credited") + n("suspense"));
    assert_eq!(count("SELECT COUNT(*) FROM provider_payments WHERE status = 'suspense'").await, n("suspense"));
    assert_eq!(count("SELECT COUNT(*) FROM ledger_entries").await, n("credited"));
    assert_eq!(
        count("SELECT CAST(COALESCE(SUM(amount_paise), 0) AS BIGINT) FROM ledger_entries").await,
        n("credited_paise")
    );
    assert_eq!(count("SELECT CAST(COALESCE(SUM(available_paise), 0) AS BIGINT) FROM users").await, n("credited_paise"));
    assert_eq!(count("SELECT COUNT(*) FROM deposit_events").await, n("deposit_events"));
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM deposits d WHERE d.status = 'credited' AND NOT EXISTS
               (SELECT 1 FROM provider_payments p JOIN ledger_entries l ON l.reference = 'payment:' || p.transaction_id
                WHERE p.deposit_id = d.id AND p.transaction_id = d.provider_txn_id AND l.amount_paise = d.credited_paise)"
        )
        .await,
        0,
        "every credit has its payment and its entry"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM deposits WHERE status = 'credited' AND LENGTH(provider_txn_id) <> 12").await,
        0,
        "UPI references have 12 digits"
    );
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users LIMIT 1").fetch_one(db.pool()).await.unwrap();
    use argon2::PasswordVerifier;
    let parsed = argon2::PasswordHash::new(&hash).expect("a PHC string");
    assert!(argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(), "the printed password");
    db.close().await;

    let (code, out, _) = portal(db_url, &["ledger", "check"], None);
    assert_eq!(code, 0, "{out}");
    // A second seed adds to the first under new logins and references.
    let (code, out, err) = portal(db_url, &["seed", "--users", "3", "--deposits", "100"], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("seeded 3 users and 100 deposits over the last 30 days"), "{out}");
    assert!(out.contains("password of every seeded user: demo-"), "{out}");
    let (code, out, _) = portal(db_url, &["ledger", "check"], None);
    assert_eq!(code, 0, "{out}");
}

#[tokio::test]
async fn seed_on_sqlite_writes_what_it_reports_and_the_ledger_checks() {
    let dir = tempfile::tempdir().unwrap();
    seed_flow(&format!("sqlite://{}/seed.db", dir.path().display())).await;
}

#[tokio::test]
async fn seed_on_postgres_writes_what_it_reports_and_the_ledger_checks() {
    let Some(base) = common::postgres_base().await else { return };
    let mut url = url::Url::parse(&base).unwrap();
    let name = common::unique_name("portal_seed");
    url.set_path(&format!("/{name}"));
    seed_flow(url.as_str()).await;
    use sqlx::Connection;
    let mut c = sqlx::postgres::PgConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut c).await.unwrap();
}
