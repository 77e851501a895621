//! The two ways the binary runs besides HTTP: MCP over stdio for local clients, and the
//! container health probe.

use std::{
    io::{Read, Write},
    net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream},
    time::Duration,
};

use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;

use crate::{
    Config,
    app::{clients, mcp_server},
};

/// Serves the tools over stdin/stdout with the key from FAL_KEY until the client closes the stream.
pub async fn serve_stdio(config: &Config) -> Result<(), String> {
    let key = config.stdio_key()?.ok_or("FAL_KEY is not set: export your fal key before starting `fal-mcp stdio`")?;
    let (fal, fetcher) = clients(config)?;
    let server = mcp_server(config, fal, fetcher, CancellationToken::new()).with_default_key(key);
    let running = server.serve(rmcp::transport::stdio()).await.map_err(|e| format!("stdio handshake failed: {e}"))?;
    running.waiting().await.map_err(|e| format!("stdio session failed: {e}"))?;
    Ok(())
}

/// Whether the server at the configured host and port answers `GET /healthz` with 200.
pub fn healthcheck(config: &Config) -> bool {
    let ip: IpAddr = match config.host.parse() {
        Ok(ip) if !IpAddr::is_unspecified(&ip) => ip,
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    let probe = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect_timeout(&SocketAddr::new(ip, config.port), Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head)?;
        Ok(&head == b"HTTP/1.1 200")
    };
    probe().unwrap_or(false)
}
