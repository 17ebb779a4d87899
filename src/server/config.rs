//! Typed configuration, read once from the environment (and an optional `.env`),
//! validated at start-up. Every error names the variable and what is wrong.
//! Defaults make the demo work with zero configuration.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;

pub use crate::paykassma::secret::Secret;
use crate::paykassma::secret::demo;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: {}: {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

fn err(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { variable, problem: problem.into() }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// What a build without the cargo feature `sandbox` says when asked for it.
pub const NO_SANDBOX: &str = "this binary was built without the provider sandbox (cargo feature `sandbox`); \
     set SANDBOX=off and PAYKASSMA_API_URL to a provider, or build with the default features";

/// Demo credentials shared by the portal and its built-in sandbox. Only used
/// while the sandbox plays the provider; a real provider URL requires real secrets.
pub const DEMO_API_SECRET: &str = demo::API_SECRET;
pub const DEMO_ACCESS_KEY: &str = demo::ACCESS_KEY;
pub const DEMO_PRIVATE_KEY: &str = demo::PRIVATE_KEY;
pub const DEMO_WITHDRAWAL_KEY: &str = demo::WITHDRAWAL_KEY;
/// Every demo credential, including the spellings older examples used.
pub const DEMO_VALUES: &[&str] = &[
    DEMO_API_SECRET,
    DEMO_ACCESS_KEY,
    DEMO_PRIVATE_KEY,
    DEMO_WITHDRAWAL_KEY,
    "demo_api_secret",
    "demo_access_key",
    "demo_private_key",
    "demo_withdrawal_key",
];

/// `PAYKASSMA_ENV`: which provider the portal talks to. Demo and live never mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderEnv {
    /// The provider sandbox (built in, or its own process): demo keys allowed,
    /// every page says "Test mode".
    Sandbox,
    /// The real provider: every secret set, none equal to a demo value, and no
    /// sandbox (it would sign postbacks with the live private key).
    Live,
}

impl ProviderEnv {
    pub fn is_live(self) -> bool {
        self == ProviderEnv::Live
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub provider_env: ProviderEnv,
    pub database_url: String,
    pub site_addr: SocketAddr,
    pub site_root: String,
    pub public_url: String,
    pub api_url: String,
    pub plugin_url: String,
    pub api_secret: Secret,
    pub postback_access_key: String,
    pub postback_private_key: Secret,
    pub withdrawal_key: Secret,
    pub sandbox: bool,
    pub sandbox_addr: SocketAddr,
    pub sandbox_database_url: String,
    pub deposit_min_paise: i64,
    pub deposit_max_paise: i64,
    /// WITHDRAWAL_MIN_RUPEES / WITHDRAWAL_MAX_RUPEES: whole rupees (the
    /// provider's amount is an integer), within the provider account's own range.
    pub withdrawal_min_paise: i64,
    pub withdrawal_max_paise: i64,
    pub deposit_ttl_secs: i64,
    pub status_check_interval_secs: i64,
    pub provider_timeout_ms: u64,
    pub log_format: LogFormat,
    pub body_limit_bytes: usize,
    pub reconcile_interval_secs: u64,
    pub sandbox_retry_schedule: Vec<std::time::Duration>,
    /// SANDBOX_AUTO_WITHDRAWAL_SECONDS: the sandbox pays each withdrawal by
    /// itself this long after it arrived (unset: decided on its operator page
    /// or by a hook).
    pub sandbox_auto_withdrawal_secs: Option<u64>,
    pub auth: AuthLimits,
    /// Resource limits (slowloris, live streams, rejected postbacks, reconciler).
    pub limits: ResourceLimits,
    /// METRICS_TOKEN: `Authorization: Bearer <it>` may read `GET /metrics`
    /// (unset: only a signed-in admin may). Never printed.
    pub metrics_token: Option<Secret>,
}

/// Limits that keep one client (or a flood of them) from starving the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceLimits {
    /// HTTP_HEADER_READ_TIMEOUT_SECONDS: a request's headers must arrive within this.
    pub header_read_timeout_secs: u64,
    /// HTTP_REQUEST_TIMEOUT_SECONDS: whole request (not the live-status stream).
    pub request_timeout_secs: u64,
    /// HTTP_MAX_CONNECTIONS: open connections; more are closed at once.
    pub max_connections: usize,
    /// LIVE_STREAMS_PER_USER / LIVE_STREAMS_MAX: open live-status streams.
    pub live_streams_per_user: usize,
    pub live_streams_max: usize,
    /// LIVE_STREAM_MAX_SECONDS: a stream ends after this; the browser reconnects.
    pub live_stream_max_secs: u64,
    /// LIVE_STATUS_DB_CONNECTIONS: database connections live status may use at once.
    pub live_status_db_connections: usize,
    /// REJECTED_POSTBACKS_PER_SECOND: rejected postbacks recorded per second (the burst too).
    pub rejected_postbacks_per_sec: u32,
    /// PAID_NO_POSTBACK_MINUTES: paid at the provider, no postback after this: flagged.
    pub paid_no_postback_minutes: i64,
}

/// Limits that keep accounts and the server whole under attack (issue 7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthLimits {
    /// `AUTH_LOGIN_MAX_FAILURES`: failed sign-ins for one login within the window before it is throttled.
    pub login_max_failures: u32,
    /// `AUTH_ADDRESS_MAX_FAILURES`: failed sign-ins from one client address within the window.
    pub address_max_failures: u32,
    /// `AUTH_FAILURE_WINDOW_SECONDS`: the sliding window the failures are counted in.
    pub failure_window_secs: u64,
    /// `SIGNUP_MAX_PER_ADDRESS_PER_HOUR`: accounts created from one client address per hour.
    pub signup_max_per_address_per_hour: u32,
    /// `PASSWORD_HASH_CONCURRENCY`: Argon2 runs at once in this process (19 MiB each).
    pub password_hash_concurrency: u32,
    /// `PASSWORD_HASH_WAIT_MS`: how long a sign-in waits for a hashing slot before "busy".
    pub password_hash_wait_ms: u64,
    /// `SESSION_IDLE_TIMEOUT_SECONDS`: a session unused this long ends.
    pub session_idle_timeout_secs: u64,
    /// `TRUST_X_FORWARDED_FOR`: take the client address from the proxy's header
    /// (only behind a proxy that sets it; otherwise anyone can pick their address).
    pub trust_x_forwarded_for: bool,
}

impl Default for AuthLimits {
    fn default() -> Self {
        AuthLimits {
            login_max_failures: 10,
            address_max_failures: 100,
            failure_window_secs: 900,
            signup_max_per_address_per_hour: 20,
            password_hash_concurrency: 4,
            password_hash_wait_ms: 3_000,
            session_idle_timeout_secs: 43_200,
            trust_x_forwarded_for: false,
        }
    }
}

impl AuthLimits {
    fn from_vars(get: &dyn Fn(&str) -> Option<String>) -> Result<AuthLimits, ConfigError> {
        let d = AuthLimits::default();
        let int = |name: &'static str, default: u64, min: i64, max: i64| {
            parse_int(get(name), default as i64, min, max, name).map(|n| n as u64)
        };
        Ok(AuthLimits {
            login_max_failures: int("AUTH_LOGIN_MAX_FAILURES", d.login_max_failures.into(), 1, 10_000)? as u32,
            address_max_failures: int("AUTH_ADDRESS_MAX_FAILURES", d.address_max_failures.into(), 1, 1_000_000)? as u32,
            failure_window_secs: int("AUTH_FAILURE_WINDOW_SECONDS", d.failure_window_secs, 1, 86_400)?,
            signup_max_per_address_per_hour: int(
                "SIGNUP_MAX_PER_ADDRESS_PER_HOUR",
                d.signup_max_per_address_per_hour.into(),
                1,
                1_000_000,
            )? as u32,
            password_hash_concurrency: int("PASSWORD_HASH_CONCURRENCY", d.password_hash_concurrency.into(), 1, 256)?
                as u32,
            password_hash_wait_ms: int("PASSWORD_HASH_WAIT_MS", d.password_hash_wait_ms, 0, 60_000)?,
            session_idle_timeout_secs: int(
                "SESSION_IDLE_TIMEOUT_SECONDS",
                d.session_idle_timeout_secs,
                1,
                30 * 86_400,
            )?,
            trust_x_forwarded_for: match get("TRUST_X_FORWARDED_FOR").as_deref() {
                None | Some("off") | Some("false") | Some("0") => false,
                Some("on") | Some("true") | Some("1") => true,
                Some(other) => {
                    return Err(err("TRUST_X_FORWARDED_FOR", format!("must be 'on' or 'off', got '{other}'")));
                }
            },
        })
    }
}

impl Config {
    /// Reads the process environment (after loading `.env` if present).
    pub fn from_env() -> Result<Config, ConfigError> {
        let _ = dotenvy::dotenv();
        let vars: HashMap<String, String> = std::env::vars().collect();
        Config::from_map(&vars)
    }

    pub fn from_map(vars: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let get = |k: &str| vars.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());

        let database_url = get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/portal.db".into());
        crate::server::db::Backend::from_url(&database_url).map_err(|p| err("DATABASE_URL", p))?;

        let site_addr = parse_addr(get("LEPTOS_SITE_ADDR"), "127.0.0.1:3000", "LEPTOS_SITE_ADDR")?;
        let site_root = get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into());
        let public_url = match get("PORTAL_PUBLIC_URL") {
            Some(u) => parse_http_url(&u, "PORTAL_PUBLIC_URL")?,
            None => format!("http://{site_addr}"),
        };

        let provider_env = match get("PAYKASSMA_ENV").as_deref() {
            None | Some("sandbox") => ProviderEnv::Sandbox,
            Some("live") => ProviderEnv::Live,
            Some(other) => return Err(err("PAYKASSMA_ENV", format!("must be 'sandbox' or 'live', got '{other}'"))),
        };
        let live = provider_env.is_live();

        let sandbox_addr = parse_addr(get("SANDBOX_ADDR"), "127.0.0.1:3100", "SANDBOX_ADDR")?;
        let api_url_set = get("PAYKASSMA_API_URL");
        let sandbox = match get("SANDBOX").as_deref() {
            None => cfg!(feature = "sandbox") && !live && api_url_set.is_none(),
            Some("on") | Some("true") | Some("1") if !cfg!(feature = "sandbox") => {
                return Err(err("SANDBOX", NO_SANDBOX));
            }
            Some("on") | Some("true") | Some("1") if live => {
                return Err(err(
                    "SANDBOX",
                    "must be off with PAYKASSMA_ENV=live (the sandbox would sign postbacks with the live private key)",
                ));
            }
            Some("on") | Some("true") | Some("1") => true,
            Some("off") | Some("false") | Some("0") => false,
            Some(other) => return Err(err("SANDBOX", format!("must be 'on' or 'off', got '{other}'"))),
        };
        let api_url = match &api_url_set {
            Some(u) => parse_http_url(u, "PAYKASSMA_API_URL")?,
            None if sandbox => format!("http://{sandbox_addr}"),
            None if live => return Err(err("PAYKASSMA_API_URL", "is required with PAYKASSMA_ENV=live")),
            None => return Err(err("PAYKASSMA_API_URL", "is required when SANDBOX=off")),
        };
        let plugin_url = match get("PAYKASSMA_PLUGIN_URL") {
            Some(u) => parse_http_url(&u, "PAYKASSMA_PLUGIN_URL")?,
            None if live => return Err(err("PAYKASSMA_PLUGIN_URL", "is required with PAYKASSMA_ENV=live")),
            // A sandbox of its own process serves its payment window beside its API.
            None => format!("{}/plugin", api_url.trim_end_matches('/')),
        };

        // Demo secrets only in sandbox mode; in live mode every secret is set
        // and none is a demo value (a copied .env must not go live half-demo).
        let secret = |name: &'static str, demo_value: &str| -> Result<String, ConfigError> {
            match get(name) {
                Some(v) if live && DEMO_VALUES.contains(&v.as_str()) => {
                    Err(err(name, "is a demo value; PAYKASSMA_ENV=live needs the provider's real credentials"))
                }
                Some(v) => Ok(v),
                None if !live => Ok(demo_value.to_string()),
                None => Err(err(name, "is required with PAYKASSMA_ENV=live")),
            }
        };
        let api_secret = Secret::new(secret("PAYKASSMA_API_SECRET", DEMO_API_SECRET)?);
        let postback_access_key = secret("PAYKASSMA_POSTBACK_ACCESS_KEY", DEMO_ACCESS_KEY)?;
        let postback_private_key = Secret::new(secret("PAYKASSMA_POSTBACK_PRIVATE_KEY", DEMO_PRIVATE_KEY)?);
        let withdrawal_key = Secret::new(secret("PAYKASSMA_WITHDRAWAL_KEY", DEMO_WITHDRAWAL_KEY)?);

        let sandbox_database_url = get("SANDBOX_DATABASE_URL").unwrap_or_else(|| "sqlite://data/sandbox.db".into());
        if !sandbox_database_url.starts_with("sqlite:") {
            return Err(err("SANDBOX_DATABASE_URL", "must be a sqlite: URL (the sandbox keeps its own SQLite file)"));
        }

        let deposit_min_paise = parse_rupees(get("DEPOSIT_MIN_RUPEES"), "100", "DEPOSIT_MIN_RUPEES")?;
        let deposit_max_paise = parse_rupees(get("DEPOSIT_MAX_RUPEES"), "100000", "DEPOSIT_MAX_RUPEES")?;
        if deposit_min_paise > deposit_max_paise {
            return Err(err("DEPOSIT_MIN_RUPEES", "must not exceed DEPOSIT_MAX_RUPEES"));
        }
        let withdrawal_min_paise = parse_rupees(get("WITHDRAWAL_MIN_RUPEES"), "100", "WITHDRAWAL_MIN_RUPEES")?;
        let withdrawal_max_paise = parse_rupees(get("WITHDRAWAL_MAX_RUPEES"), "50000", "WITHDRAWAL_MAX_RUPEES")?;
        if withdrawal_min_paise % 100 != 0 || withdrawal_max_paise % 100 != 0 {
            return Err(err("WITHDRAWAL_MIN_RUPEES", "withdrawal limits are whole rupees"));
        }
        if withdrawal_min_paise > withdrawal_max_paise {
            return Err(err("WITHDRAWAL_MIN_RUPEES", "must not exceed WITHDRAWAL_MAX_RUPEES"));
        }
        let deposit_ttl_secs = parse_int(get("DEPOSIT_TTL_SECONDS"), 900, 30, 86_400, "DEPOSIT_TTL_SECONDS")?;
        // Floor of 1 s: "Check now" must never turn into a provider hammer.
        let status_check_interval_secs =
            parse_int(get("STATUS_CHECK_INTERVAL_SECONDS"), 5, 1, 3_600, "STATUS_CHECK_INTERVAL_SECONDS")?;
        let limits = ResourceLimits {
            header_read_timeout_secs: parse_int(
                get("HTTP_HEADER_READ_TIMEOUT_SECONDS"),
                10,
                1,
                300,
                "HTTP_HEADER_READ_TIMEOUT_SECONDS",
            )? as u64,
            request_timeout_secs: parse_int(
                get("HTTP_REQUEST_TIMEOUT_SECONDS"),
                30,
                1,
                3_600,
                "HTTP_REQUEST_TIMEOUT_SECONDS",
            )? as u64,
            max_connections: parse_int(get("HTTP_MAX_CONNECTIONS"), 1024, 1, 100_000, "HTTP_MAX_CONNECTIONS")? as usize,
            live_streams_per_user: parse_int(get("LIVE_STREAMS_PER_USER"), 4, 1, 1_000, "LIVE_STREAMS_PER_USER")?
                as usize,
            live_streams_max: parse_int(get("LIVE_STREAMS_MAX"), 512, 1, 100_000, "LIVE_STREAMS_MAX")? as usize,
            live_stream_max_secs: parse_int(get("LIVE_STREAM_MAX_SECONDS"), 600, 1, 86_400, "LIVE_STREAM_MAX_SECONDS")?
                as u64,
            live_status_db_connections: parse_int(
                get("LIVE_STATUS_DB_CONNECTIONS"),
                4,
                1,
                64,
                "LIVE_STATUS_DB_CONNECTIONS",
            )? as usize,
            rejected_postbacks_per_sec: parse_int(
                get("REJECTED_POSTBACKS_PER_SECOND"),
                10,
                1,
                10_000,
                "REJECTED_POSTBACKS_PER_SECOND",
            )? as u32,
            paid_no_postback_minutes: parse_int(
                get("PAID_NO_POSTBACK_MINUTES"),
                10,
                1,
                10_080,
                "PAID_NO_POSTBACK_MINUTES",
            )?,
        };
        let provider_timeout_ms =
            parse_int(get("PAYKASSMA_TIMEOUT_MS"), 10_000, 100, 120_000, "PAYKASSMA_TIMEOUT_MS")? as u64;
        let body_limit_bytes =
            parse_int(get("BODY_LIMIT_BYTES"), 65_536, 1_024, 10_485_760, "BODY_LIMIT_BYTES")? as usize;
        let reconcile_interval_secs =
            parse_int(get("RECONCILE_INTERVAL_SECONDS"), 10, 1, 3_600, "RECONCILE_INTERVAL_SECONDS")? as u64;
        let sandbox_auto_withdrawal_secs = match get("SANDBOX_AUTO_WITHDRAWAL_SECONDS") {
            None => None,
            Some(v) => Some(parse_int(Some(v), 0, 0, 86_400, "SANDBOX_AUTO_WITHDRAWAL_SECONDS")? as u64),
        };
        let sandbox_retry_schedule = match get("SANDBOX_RETRY_SCHEDULE") {
            None => crate::paykassma::POSTBACK_RETRY_SECONDS.into_iter().map(std::time::Duration::from_secs).collect(),
            Some(s) => parse_schedule(&s).map_err(|p| err("SANDBOX_RETRY_SCHEDULE", p))?,
        };
        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(err("LOG_FORMAT", format!("must be 'text' or 'json', got '{other}'"))),
        };

        let auth = AuthLimits::from_vars(&get)?;
        let metrics_token = match get("METRICS_TOKEN") {
            None => None,
            // The value is never echoed: it is a secret.
            Some(t) if t.len() < 16 => return Err(err("METRICS_TOKEN", "must be at least 16 characters long")),
            Some(t) if !t.chars().all(|c| c.is_ascii_graphic()) => {
                return Err(err("METRICS_TOKEN", "must be printable ASCII without spaces (it travels in a header)"));
            }
            Some(t) => Some(Secret::new(t)),
        };

        Ok(Config {
            provider_env,
            database_url,
            site_addr,
            site_root,
            public_url: public_url.trim_end_matches('/').to_string(),
            api_url: api_url.trim_end_matches('/').to_string(),
            plugin_url,
            api_secret,
            postback_access_key,
            postback_private_key,
            withdrawal_key,
            sandbox,
            sandbox_addr,
            sandbox_database_url,
            deposit_min_paise,
            deposit_max_paise,
            withdrawal_min_paise,
            withdrawal_max_paise,
            deposit_ttl_secs,
            status_check_interval_secs,
            provider_timeout_ms,
            log_format,
            body_limit_bytes,
            reconcile_interval_secs,
            sandbox_retry_schedule,
            sandbox_auto_withdrawal_secs,
            auth,
            limits,
            metrics_token,
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// `scheme://host[:port]` of PORTAL_PUBLIC_URL, as browsers write it in `Origin`.
    pub fn public_origin(&self) -> String {
        url::Url::parse(&self.public_url).map(|u| u.origin().ascii_serialization()).unwrap_or_default()
    }

    pub fn postback_url(&self) -> String {
        format!("{}/api/paykassma/postback", self.public_url)
    }
}

/// `5s,30s,2m,10m`: the sandbox's postback resend delays (the last one repeats).
fn parse_schedule(s: &str) -> Result<Vec<std::time::Duration>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (num, unit) = part.split_at(part.find(|c: char| !c.is_ascii_digit()).unwrap_or(part.len()));
        let n: u64 = num.parse().map_err(|_| format!("'{part}' is not like 5s, 500ms or 2m"))?;
        let d = match unit {
            "ms" => std::time::Duration::from_millis(n),
            "s" | "" => std::time::Duration::from_secs(n),
            "m" => std::time::Duration::from_secs(n * 60),
            "h" => std::time::Duration::from_secs(n * 3600),
            _ => return Err(format!("'{part}' has an unknown unit (use ms, s, m or h)")),
        };
        out.push(d);
    }
    if out.is_empty() {
        return Err("must list at least one delay, like 5s,30s,2m".into());
    }
    Ok(out)
}

fn parse_addr(v: Option<String>, default: &str, name: &'static str) -> Result<SocketAddr, ConfigError> {
    let s = v.unwrap_or_else(|| default.to_string());
    s.parse().map_err(|_| err(name, format!("must be an address like 127.0.0.1:3000, got '{s}'")))
}

fn parse_http_url(s: &str, name: &'static str) -> Result<String, ConfigError> {
    let parsed = url::Url::parse(s).map_err(|e| err(name, format!("is not a valid URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(err(name, format!("must start with http:// or https://, got '{}'", parsed.scheme())));
    }
    Ok(s.to_string())
}

fn parse_rupees(v: Option<String>, default: &str, name: &'static str) -> Result<i64, ConfigError> {
    let s = v.unwrap_or_else(|| default.to_string());
    crate::domain::Money::from_user_input(&s).map(|m| m.paise()).map_err(|e| err(name, format!("'{s}': {e}")))
}

fn parse_int(v: Option<String>, default: i64, min: i64, max: i64, name: &'static str) -> Result<i64, ConfigError> {
    match v {
        None => Ok(default),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(err(name, format!("must be a whole number from {min} to {max}, got '{s}'"))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_map(&pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    #[cfg(feature = "sandbox")] // the demo defaults need the built-in sandbox
    fn defaults_run_the_demo_with_the_sandbox() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.sandbox, cfg!(feature = "sandbox"), "on where the binary has it");
        assert_eq!(c.database_url, "sqlite://data/portal.db");
        assert_eq!(c.api_url, "http://127.0.0.1:3100");
        assert_eq!(c.plugin_url, "http://127.0.0.1:3100/plugin");
        assert_eq!(c.postback_url(), "http://127.0.0.1:3000/api/paykassma/postback");
        assert_eq!(c.deposit_min_paise, 10_000);
        assert_eq!((c.withdrawal_min_paise, c.withdrawal_max_paise), (10_000, 5_000_000));
        assert_eq!(c.sandbox_auto_withdrawal_secs, None);
        assert_eq!(c.deposit_max_paise, 10_000_000);
    }

    #[test]
    fn sandbox_on_needs_a_binary_built_with_it() {
        let asked = cfg(&[("SANDBOX", "on")]);
        if cfg!(feature = "sandbox") {
            assert!(asked.unwrap().sandbox);
        } else {
            let e = asked.unwrap_err();
            assert_eq!((e.variable, e.problem.as_str()), ("SANDBOX", NO_SANDBOX));
        }
        assert!(!cfg(&[("SANDBOX", "off"), ("PAYKASSMA_API_URL", "http://127.0.0.1:9")]).unwrap().sandbox);
    }

    #[test]
    fn a_wrong_value_names_the_variable() {
        let e = cfg(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(e.variable, "DATABASE_URL");
        let e = cfg(&[("SANDBOX", "maybe")]).unwrap_err();
        assert_eq!(e.variable, "SANDBOX");
        let e = cfg(&[("LEPTOS_SITE_ADDR", "nope")]).unwrap_err();
        assert_eq!(e.variable, "LEPTOS_SITE_ADDR");
    }

    const LIVE: &[(&str, &str)] = &[
        ("PAYKASSMA_ENV", "live"),
        ("PAYKASSMA_API_URL", "https://api.example.test"),
        ("PAYKASSMA_PLUGIN_URL", "https://plugin.example.test/"),
        ("PAYKASSMA_API_SECRET", "s1"),
        ("PAYKASSMA_POSTBACK_ACCESS_KEY", "a1"),
        ("PAYKASSMA_POSTBACK_PRIVATE_KEY", "p1"),
        ("PAYKASSMA_WITHDRAWAL_KEY", "w1"),
    ];

    fn live_with(change: (&str, Option<&str>)) -> Result<Config, ConfigError> {
        let mut pairs: Vec<(&str, &str)> = LIVE.iter().filter(|(k, _)| *k != change.0).copied().collect();
        if let Some(v) = change.1 {
            pairs.push((change.0, v));
        }
        cfg(&pairs)
    }

    #[test]
    fn live_mode_needs_every_secret_and_never_runs_the_sandbox() {
        let c = cfg(LIVE).unwrap();
        assert_eq!(c.provider_env, ProviderEnv::Live);
        assert!(!c.sandbox);
        for name in [
            "PAYKASSMA_API_SECRET",
            "PAYKASSMA_POSTBACK_ACCESS_KEY",
            "PAYKASSMA_POSTBACK_PRIVATE_KEY",
            "PAYKASSMA_WITHDRAWAL_KEY",
            "PAYKASSMA_API_URL",
            "PAYKASSMA_PLUGIN_URL",
        ] {
            assert_eq!(live_with((name, None)).unwrap_err().variable, name, "{name} missing");
        }
        assert_eq!(live_with(("SANDBOX", Some("on"))).unwrap_err().variable, "SANDBOX");
        assert!(!live_with(("SANDBOX", Some("off"))).unwrap().sandbox);
    }

    #[test]
    fn live_mode_refuses_a_demo_value_naming_the_variable() {
        for (name, demo) in [
            ("PAYKASSMA_API_SECRET", DEMO_API_SECRET),
            ("PAYKASSMA_POSTBACK_ACCESS_KEY", DEMO_ACCESS_KEY),
            ("PAYKASSMA_POSTBACK_PRIVATE_KEY", DEMO_PRIVATE_KEY),
            ("PAYKASSMA_WITHDRAWAL_KEY", "demo_withdrawal_key"),
        ] {
            let e = live_with((name, Some(demo))).unwrap_err();
            assert_eq!(e.variable, name);
            assert!(e.to_string().contains("demo value"), "{e}");
            assert!(!e.to_string().contains(demo), "the error does not repeat the secret: {e}");
        }
        assert_eq!(cfg(&[("PAYKASSMA_ENV", "production")]).unwrap_err().variable, "PAYKASSMA_ENV");
    }

    #[test]
    fn sandbox_mode_may_point_at_a_sandbox_of_its_own_process() {
        let c = cfg(&[("SANDBOX", "off"), ("PAYKASSMA_API_URL", "http://127.0.0.1:3100")]).unwrap();
        assert_eq!(c.provider_env, ProviderEnv::Sandbox);
        assert!(!c.sandbox);
        assert_eq!(c.plugin_url, "http://127.0.0.1:3100/plugin");
        assert_eq!(c.postback_private_key.expose(), DEMO_PRIVATE_KEY);
    }

    #[test]
    #[cfg(feature = "sandbox")] // the demo defaults need the built-in sandbox
    fn auth_limits_have_defaults_and_clear_errors() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.auth, AuthLimits::default());
        assert_eq!(c.auth.login_max_failures, 10);
        assert_eq!(c.auth.address_max_failures, 100);
        assert_eq!(c.auth.failure_window_secs, 900);
        assert_eq!(c.auth.signup_max_per_address_per_hour, 20);
        assert_eq!(c.auth.password_hash_concurrency, 4);
        assert_eq!(c.auth.password_hash_wait_ms, 3_000);
        assert_eq!(c.auth.session_idle_timeout_secs, 43_200);
        assert!(!c.auth.trust_x_forwarded_for);
        let c = cfg(&[
            ("AUTH_LOGIN_MAX_FAILURES", "3"),
            ("TRUST_X_FORWARDED_FOR", "on"),
            ("PASSWORD_HASH_CONCURRENCY", "2"),
        ])
        .unwrap();
        assert_eq!(
            (c.auth.login_max_failures, c.auth.trust_x_forwarded_for, c.auth.password_hash_concurrency),
            (3, true, 2)
        );
        for (name, bad) in [
            ("AUTH_LOGIN_MAX_FAILURES", "0"),
            ("AUTH_ADDRESS_MAX_FAILURES", "many"),
            ("AUTH_FAILURE_WINDOW_SECONDS", "-5"),
            ("SIGNUP_MAX_PER_ADDRESS_PER_HOUR", "1.5"),
            ("PASSWORD_HASH_CONCURRENCY", "0"),
            ("PASSWORD_HASH_WAIT_MS", "99999999"),
            ("SESSION_IDLE_TIMEOUT_SECONDS", "0"),
            ("TRUST_X_FORWARDED_FOR", "yes please"),
        ] {
            let e = cfg(&[(name, bad)]).unwrap_err();
            assert_eq!(e.variable, name, "{e}");
            assert!(e.to_string().contains(bad), "the error shows the value: {e}");
        }
    }

    #[test]
    #[cfg(feature = "sandbox")] // the demo defaults need the built-in sandbox
    fn the_public_origin_is_scheme_host_and_port() {
        assert_eq!(cfg(&[]).unwrap().public_origin(), "http://127.0.0.1:3000");
        let c = cfg(&[("PORTAL_PUBLIC_URL", "https://pay.example.in/")]).unwrap();
        assert_eq!(c.public_origin(), "https://pay.example.in");
        assert!(c.secure_cookies());
    }

    #[test]
    #[cfg(feature = "sandbox")] // the demo defaults need the built-in sandbox
    fn check_now_has_a_floor_of_one_second_and_limits_have_defaults() {
        assert_eq!(
            cfg(&[("STATUS_CHECK_INTERVAL_SECONDS", "0")]).unwrap_err().variable,
            "STATUS_CHECK_INTERVAL_SECONDS"
        );
        assert_eq!(cfg(&[("STATUS_CHECK_INTERVAL_SECONDS", "1")]).unwrap().status_check_interval_secs, 1);
        let l = cfg(&[]).unwrap().limits;
        assert_eq!((l.header_read_timeout_secs, l.request_timeout_secs, l.max_connections), (10, 30, 1024));
        assert_eq!((l.live_streams_per_user, l.live_streams_max, l.live_stream_max_secs), (4, 512, 600));
        assert_eq!(
            (l.live_status_db_connections, l.rejected_postbacks_per_sec, l.paid_no_postback_minutes),
            (4, 10, 10)
        );
        assert_eq!(cfg(&[("LIVE_STREAMS_MAX", "0")]).unwrap_err().variable, "LIVE_STREAMS_MAX");
    }

    #[test]
    #[cfg(feature = "sandbox")] // the demo defaults need the built-in sandbox
    fn the_metrics_token_is_optional_long_and_never_echoed() {
        assert!(cfg(&[]).unwrap().metrics_token.is_none());
        let c = cfg(&[("METRICS_TOKEN", "scrape-token-0123456789")]).unwrap();
        assert_eq!(c.metrics_token.as_ref().map(Secret::expose), Some("scrape-token-0123456789"));
        assert!(!format!("{c:?}").contains("scrape-token-0123456789"));
        for bad in ["short-token", "has a space in it, so no"] {
            let e = cfg(&[("METRICS_TOKEN", bad)]).unwrap_err();
            assert_eq!(e.variable, "METRICS_TOKEN");
            assert!(!e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn withdrawal_limits_are_whole_rupees_in_order() {
        let c = cfg(&[
            ("WITHDRAWAL_MIN_RUPEES", "500"),
            ("WITHDRAWAL_MAX_RUPEES", "2000"),
            ("SANDBOX_AUTO_WITHDRAWAL_SECONDS", "3"),
        ])
        .unwrap();
        assert_eq!(
            (c.withdrawal_min_paise, c.withdrawal_max_paise, c.sandbox_auto_withdrawal_secs),
            (50_000, 200_000, Some(3))
        );
        for bad in [
            vec![("WITHDRAWAL_MIN_RUPEES", "100.50")],
            vec![("WITHDRAWAL_MIN_RUPEES", "3000"), ("WITHDRAWAL_MAX_RUPEES", "2000")],
            vec![("WITHDRAWAL_MAX_RUPEES", "lots")],
            vec![("SANDBOX_AUTO_WITHDRAWAL_SECONDS", "-1")],
        ] {
            let e = cfg(&bad).unwrap_err().to_string();
            assert!(e.contains("WITHDRAWAL") || e.contains("SANDBOX_AUTO"), "{bad:?}: {e}");
        }
    }

    #[test]
    #[cfg(feature = "sandbox")] // the demo defaults need the built-in sandbox
    fn secrets_never_print() {
        let c = cfg(&[]).unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(DEMO_API_SECRET));
        assert!(!dbg.contains(DEMO_PRIVATE_KEY));
        assert!(!dbg.contains(DEMO_WITHDRAWAL_KEY));
    }
}
