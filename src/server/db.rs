//! One pool chosen by the scheme of DATABASE_URL. Queries are written once, in
//! the SQL both backends accept (`$1` placeholders, `ON CONFLICT`, `RETURNING`),
//! and run through sqlx's `Any` driver. Times are unix milliseconds, money paise.

use sqlx::AnyPool;
use sqlx::ConnectOptions;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, String> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            let scheme = url.split(':').next().unwrap_or("");
            Err(format!(
                "unsupported database '{scheme}:'; use sqlite://path/to/file.db or postgres://user@host:5432/db"
            ))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    Config(String),
    #[error("database unavailable: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Reads go to `pool`. Writes go to `writer`: on SQLite that is a pool of one
/// connection, so write transactions queue in-process instead of failing with
/// SQLITE_BUSY; on PostgreSQL it is the same pool (the database serialises).
#[derive(Clone, Debug)]
pub struct Db {
    pub backend: Backend,
    pool: AnyPool,
    writer: AnyPool,
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

static DRIVERS: std::sync::Once = std::sync::Once::new();

impl Db {
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let backend = Backend::from_url(url).map_err(DbError::Config)?;
        match backend {
            Backend::Sqlite => {
                let url = prepare_sqlite_url(url)?;
                let opts = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
                let pool = sqlite_pool_options(8).connect_with(opts.clone()).await?;
                let writer = sqlite_pool_options(1).connect_with(opts).await?;
                Ok(Db { backend, pool, writer })
            }
            Backend::Postgres => {
                create_postgres_database_if_missing(url).await?;
                let opts = AnyConnectOptions::from_str(url)?.disable_statement_logging();
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(opts)
                    .await?;
                Ok(Db { backend, writer: pool.clone(), pool })
            }
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// A read-only transaction whose reads all see the database at one
    /// moment (a page that reads several tables shows one state, never half
    /// of a change committed between its reads). SQLite in WAL mode keeps
    /// one snapshot per read transaction; PostgreSQL needs REPEATABLE READ.
    pub async fn snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        }
        Ok(tx)
    }

    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.writer).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&self.writer).await?,
        }
        Ok(())
    }

    pub async fn ping(&self) -> bool {
        tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(&self.pool))
            .await
            .map(|r| r.is_ok())
            .unwrap_or(false)
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

fn sqlite_pool_options(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // Money: WAL for concurrent readers, FULL sync so a commit survives power loss.
                for pragma in [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = FULL",
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA busy_timeout = 10000",
                ] {
                    sqlx::query(pragma).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
}

/// Creates the parent directory of the file and asks SQLite to create the file.
fn prepare_sqlite_url(url: &str) -> Result<String, DbError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() {
        return Err(DbError::Config("DATABASE_URL: sqlite URL has no file path".into()));
    }
    if path != ":memory:"
        && let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| DbError::Config(format!("cannot create directory {}: {e}", parent.display())))?;
    }
    Ok(if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// `postgres://.../portal_demo` works on a fresh server: the database is created if missing.
async fn create_postgres_database_if_missing(url: &str) -> Result<(), DbError> {
    use sqlx::Connection;
    use sqlx::postgres::PgConnectOptions;
    let opts = PgConnectOptions::from_str(url)?;
    let Some(name) = opts.get_database().map(str::to_string) else { return Ok(()) };
    if name == "postgres" {
        return Ok(());
    }
    let admin = opts.clone().database("postgres").disable_statement_logging();
    let mut conn = sqlx::postgres::PgConnection::connect_with(&admin).await?;
    let exists: Option<(i32,)> =
        sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1").bind(&name).fetch_optional(&mut conn).await?;
    if exists.is_none() {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        // Two processes may race here; the loser's "already exists" is fine.
        if let Err(e) = sqlx::query(&format!("CREATE DATABASE {quoted}")).execute(&mut conn).await {
            let already = e.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "42P04" || c == "23505");
            if !already {
                return Err(e.into());
            }
        }
    }
    let _ = conn.close().await;
    Ok(())
}

/// True when the error is a unique-constraint violation (another process won a race).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}
