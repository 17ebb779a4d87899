//! The provider sandbox: plays Paykassma over HTTP. Never imports `crate::server`.

use std::net::SocketAddr;

pub struct RunningSandbox {
    pub addr: SocketAddr,
}

impl RunningSandbox {
    pub async fn shutdown(self) {}
}

pub async fn start_standalone(_config: &crate::server::config::Config) -> Result<RunningSandbox, std::io::Error> {
    Err(std::io::Error::other("sandbox not built yet"))
}
