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
