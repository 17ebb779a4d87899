//! TEMPORARY stub until the sandbox lands.
use std::time::Duration;
pub struct SandboxConfig { pub api_secret: String, pub access_key: String, pub private_key: String, pub withdrawal_key: String, pub postback_url: String, pub database_url: String, pub public_url: String, pub retry_schedule: Vec<Duration> }
impl SandboxConfig { pub fn demo() -> Self { SandboxConfig { api_secret: String::new(), access_key: String::new(), private_key: String::new(), withdrawal_key: String::new(), postback_url: String::new(), database_url: String::new(), public_url: String::new(), retry_schedule: vec![] } } }
pub async fn spawn(_c: SandboxConfig, _l: tokio::net::TcpListener, _s: tokio::sync::watch::Receiver<bool>) -> Result<tokio::task::JoinHandle<()>, std::io::Error> { Ok(tokio::spawn(async {})) }
