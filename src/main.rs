#![recursion_limit = "512"]
//! `portal`: serve the portal (default), run the provider sandbox alone,
//! migrate, manage users, read balances, check the ledger, run one reconcile
//! pass and seed demo data.

use clap::{Parser, Subcommand};
use portal::domain::Login;
use portal::server::config::Config;
use portal::server::db::Db;
use portal::server::{auth, http, ledger, telemetry};
use std::io::BufRead;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "portal", version, about = "UPI deposit portal (Paykassma UPI S) with a built-in provider sandbox")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal (and the sandbox while SANDBOX is on). The default.
    Serve,
    /// Serve only the provider sandbox on SANDBOX_ADDR.
    Sandbox,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Print a user's balance.
    Balance {
        login: String,
        /// One JSON object: {"login":..,"balance_paise":..,"available_paise":..}
        #[arg(long)]
        json: bool,
    },
    /// Ledger tools.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Check open deposits at the provider (expire, fail, flag), as the
    /// background reconciler does; safe beside running portal processes.
    Reconcile {
        /// One pass, then print what it did and exit (without it: a pass every
        /// RECONCILE_INTERVAL_SECONDS until SIGTERM or Ctrl-C).
        #[arg(long)]
        once: bool,
        /// With --once: one JSON object {"checked":..,"expired":..,"failed":..,"flagged":..,"other":..,"unchanged":..,"skipped":..}
        #[arg(long, requires = "once")]
        json: bool,
    },
    /// Fill the database with realistic demo history (users, deposits,
    /// postbacks, ledger entries); every seeded user gets one printed password.
    Seed {
        #[arg(long)]
        users: u32,
        #[arg(long)]
        deposits: u64,
        /// Spread the deposits over the last D days.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// One JSON object with the counts (the password too) instead of lines.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from the first line of stdin.
    Add {
        login: String,
        #[arg(long)]
        admin: bool,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Exit 1 and list every account whose balance differs from the sum of its entries.
    Check,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    #[cfg(not(feature = "sandbox"))]
    if matches!(cli.command, Some(Command::Sandbox)) {
        eprintln!("configuration error: SANDBOX: {}", portal::server::config::NO_SANDBOX);
        return ExitCode::from(2);
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    // Serving logs go to stdout; a command's logs go to stderr, beside its output.
    let serving = matches!(cli.command, None | Some(Command::Serve) | Some(Command::Sandbox));
    telemetry::init(config.log_format, serving);
    match run(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn connect(config: &Config) -> Result<Db, Box<dyn std::error::Error>> {
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

async fn run(command: Command, config: Config) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match command {
        Command::Serve => {
            let running = http::start(config).await?;
            println!("portal: http://{}", running.addr);
            if let Some(sandbox) = running.sandbox_addr {
                println!("sandbox (plays the provider): http://{sandbox}");
            }
            shutdown_signal().await;
            tracing::info!("shutting down");
            running.shutdown().await;
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(not(feature = "sandbox"))]
        Command::Sandbox => Ok(ExitCode::from(2)), // answered before the configuration is read
        #[cfg(feature = "sandbox")]
        Command::Sandbox => {
            if config.provider_env.is_live() {
                eprintln!(
                    "configuration error: PAYKASSMA_ENV: the sandbox never runs with PAYKASSMA_ENV=live (it would sign postbacks with the live private key)"
                );
                return Ok(ExitCode::from(2));
            }
            let listener = tokio::net::TcpListener::bind(config.sandbox_addr).await?;
            let addr = listener.local_addr()?;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let task = portal::sandbox::spawn(http::sandbox_config(&config), listener, stopped).await?;
            println!("sandbox (plays the provider): http://{addr}; postbacks go to {}", config.postback_url());
            shutdown_signal().await;
            let _ = stop.send(true);
            let _ = task.await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let db = connect(&config).await?;
            println!("migrations applied ({})", db.backend.name());
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command: UserCommand::Add { login, admin } } => {
            let login = Login::parse(&login).map_err(|e| format!("login: {e}"))?;
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']);
            let db = connect(&config).await?;
            let id = auth::create_user(&db, &login, password, admin).await?;
            println!("created {}user {login} (id {id})", if admin { "admin " } else { "" });
            Ok(ExitCode::SUCCESS)
        }
        Command::Balance { login, json } => {
            let db = connect(&config).await?;
            match ledger::balance(&db, &login).await? {
                Some(b) if json => {
                    println!("{}", serde_json::to_string(&b)?);
                    Ok(ExitCode::SUCCESS)
                }
                Some(b) => {
                    use portal::domain::Money;
                    println!(
                        "{}: balance {} (available {}, held {})",
                        b.login,
                        Money::from_paise(b.balance_paise),
                        Money::from_paise(b.available_paise),
                        Money::from_paise(b.balance_paise - b.available_paise)
                    );
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!("no user with login '{login}'");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Reconcile { once, json } => {
            let db = connect(&config).await?;
            let config = std::sync::Arc::new(config);
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let state = http::app_state(config.clone(), db.clone(), stopped.clone())?;
            if once {
                let summary = portal::server::deposits::reconcile_once(&state).await?;
                db.close().await;
                if json {
                    println!("{}", serde_json::to_string(&summary)?);
                } else {
                    println!("reconcile: {summary}");
                }
            } else {
                let interval = std::time::Duration::from_secs(config.reconcile_interval_secs);
                let task = tokio::spawn(portal::server::deposits::run_reconciler(state, interval, stopped));
                println!("reconciling every {} s; Ctrl-C or SIGTERM stops", interval.as_secs());
                shutdown_signal().await;
                let _ = stop.send(true);
                let _ = task.await;
                db.close().await;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Seed { users, deposits, days, json } => {
            use portal::server::seed;
            let db = connect(&config).await?;
            let plan = seed::SeedPlan {
                users,
                deposits,
                days,
                password: seed::new_password(),
                access_key: config.postback_access_key.clone(),
                private_key: config.postback_private_key.expose().to_string(),
                deposit_ttl_secs: config.deposit_ttl_secs,
            };
            let started = std::time::Instant::now();
            let report = seed::seed(&db, &plan).await?;
            let seconds = started.elapsed().as_secs_f64();
            db.close().await;
            if json {
                let mut v = serde_json::to_value(&report)?;
                v["password"] = plan.password.clone().into();
                v["seconds"] = ((seconds * 10.0).round() / 10.0).into();
                println!("{v}");
            } else {
                use portal::domain::Money;
                let r = &report;
                println!(
                    "seeded {} users and {} deposits over the last {days} days in {seconds:.1} s ({})",
                    r.users,
                    r.deposits,
                    db.backend.name()
                );
                println!(
                    "  credited {} ({}; {} with another amount than asked), expired {}, failed {}, open {}, unknown {}",
                    r.credited,
                    Money::from_paise(r.credited_paise),
                    r.amount_mismatch,
                    r.expired,
                    r.failed,
                    r.open,
                    r.unknown
                );
                println!(
                    "  flagged: paid_no_postback {}, order_unseen {}; in suspense {}",
                    r.paid_no_postback, r.order_unseen, r.suspense
                );
                println!(
                    "  rows: postbacks {}, provider_payments {}, ledger_entries {}, deposit_events {}",
                    r.postbacks, r.provider_payments, r.ledger_entries, r.deposit_events
                );
                println!("password of every seeded user: {}", plan.password);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Ledger { command: LedgerCommand::Check } => {
            let db = connect(&config).await?;
            let mismatches = ledger::check(&db).await?;
            if mismatches.is_empty() {
                println!("ledger ok: every balance equals the sum of its entries");
                Ok(ExitCode::SUCCESS)
            } else {
                for m in &mismatches {
                    println!(
                        "MISMATCH {}: available {} vs entries {}; held {} vs entries {}",
                        m.login, m.available_paise, m.available_from_entries, m.held_paise, m.held_from_entries
                    );
                }
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
