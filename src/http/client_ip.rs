//! Who a request comes from, for the per-address limits (the /mcp fair share, the sign-in's
//! attempts): the connection's peer, or the address a trusted proxy wrote into the configured
//! header. A header is believed only from a peer in FAL_MCP_TRUSTED_PROXIES, or when there is no
//! peer at all (a platform runtime such as Vercel's hands the request over, its edge sets the
//! header); from anyone else it would let a caller pick a new address per request.

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, HeaderName};
use ipnet::IpNet;

#[derive(Debug, Default)]
pub(crate) struct ClientIp {
    header: Option<HeaderName>,
    trusted: Vec<IpNet>,
}

impl ClientIp {
    pub(crate) fn new(header: Option<HeaderName>, trusted: Vec<IpNet>) -> Self {
        Self { header, trusted }
    }

    /// The client's address, or None when neither a peer nor a believable header names one.
    pub(crate) fn of(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<IpAddr> {
        let peer_ip = peer.map(|p| p.ip());
        let believed = peer_ip.is_none_or(|ip| self.trusted.iter().any(|net| net.contains(&ip)));
        let from_header = self.header.as_ref().filter(|_| believed).and_then(|name| {
            let value = headers.get(name)?.to_str().ok()?;
            // A proxy appends: the last entry is the one it saw.
            value.rsplit(',').next().map(str::trim).and_then(|a| a.parse::<IpAddr>().ok())
        });
        from_header.or(peer_ip)
    }
}

/// A FAL_MCP_TRUSTED_PROXIES entry: an address or a network (`10.0.0.0/8`, `fd00::/8`).
pub(crate) fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>().or_else(|_| text.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
        format!("FAL_MCP_TRUSTED_PROXIES holds '{text}', which is not an address or a network such as 10.0.0.0/8")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-real-ip", value.parse().unwrap());
        headers
    }

    #[test]
    fn the_header_is_believed_only_from_trusted_proxies_or_without_a_peer() {
        let ip = ClientIp::new(Some(HeaderName::from_static("x-real-ip")), vec![parse_network("10.0.0.0/8").unwrap()]);
        let proxy: SocketAddr = "10.1.2.3:5000".parse().unwrap();
        let stranger: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        assert_eq!(ip.of(&headers("198.51.100.7"), Some(proxy)), Some("198.51.100.7".parse().unwrap()));
        assert_eq!(
            ip.of(&headers("198.51.100.7"), Some(stranger)),
            Some(stranger.ip()),
            "a rotating header is ignored"
        );
        assert_eq!(ip.of(&headers("1.1.1.1, 198.51.100.7"), None), Some("198.51.100.7".parse().unwrap()));
        assert_eq!(ip.of(&headers("not an address"), Some(proxy)), Some(proxy.ip()));
        assert_eq!(ip.of(&HeaderMap::new(), None), None);
        let no_header = ClientIp::new(None, vec![]);
        assert_eq!(no_header.of(&headers("198.51.100.7"), Some(stranger)), Some(stranger.ip()));
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        assert!(parse_network("10.0.0.0/8").unwrap().contains(&"10.9.9.9".parse::<IpAddr>().unwrap()));
        assert!(parse_network(" 192.0.2.1 ").unwrap().contains(&"192.0.2.1".parse::<IpAddr>().unwrap()));
        assert!(parse_network("fd00::/8").is_ok());
        assert!(parse_network("10.0.0.0/33").unwrap_err().contains("FAL_MCP_TRUSTED_PROXIES"));
        assert!(parse_network("proxy.internal").is_err());
    }
}
