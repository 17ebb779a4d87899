#![recursion_limit = "512"]
//! `portal`: serve the portal (default), run the provider sandbox alone,
//! migrate, manage users, read balances and check the ledger.

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
    telemetry::init(config.log_format);
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
