//! Which addresses the server may fetch from: never loopback, private, link-local, unique-local,
//! CGNAT, multicast, unspecified, reserved or cloud-metadata space, in any IPv4 or IPv6 spelling.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Why an address is refused, or None when it is a public unicast address.
pub(crate) fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "an unspecified (0.0.0.0/8) address",
        (127, _, _) => "a loopback address",
        (10, _, _) | (192, 168, _) => "a private address",
        (172, 16..=31, _) => "a private address",
        (169, 254, _) => "a link-local or cloud-metadata address",
        (100, 64..=127, _) => "a carrier-grade NAT (100.64.0.0/10) address",
        (192, 0, 0) => "an IETF-reserved address",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (198, 18..=19, _) => "a benchmarking address",
        (224..=239, _, _) => "a multicast address",
        (240..=255, _, _) => "a reserved or broadcast address",
        // Azure's wire server and instance metadata.
        (168, 63, 129) if ip.octets()[3] == 16 => "a cloud-metadata address",
        _ => return None,
    })
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = embedded_v4(ip) {
        return forbidden_v4(v4).map(|_| "an IPv6 address that embeds a refused IPv4 address");
    }
    let s = ip.segments();
    Some(match s[0] {
        _ if ip.is_unspecified() => "the unspecified address",
        _ if ip.is_loopback() => "a loopback address",
        0xfe80..=0xfebf => "a link-local address",
        0xfec0..=0xfeff => "a site-local address",
        0xfc00..=0xfdff => "a unique-local (or cloud-metadata) address",
        0xff00..=0xffff => "a multicast address",
        0x2001 if s[1] == 0 => "a Teredo address",
        0x2001 if s[1] == 0x0db8 => "a documentation address",
        0x0100 if s[1..4] == [0, 0, 0] => "a discard-only address",
        0 => "a reserved address",
        _ => return None,
    })
}

/// The IPv4 address inside IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d),
/// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(tail),
        [0, 0, 0, 0, 0, 0, _, _] if !ip.is_loopback() && !ip.is_unspecified() => Some(tail),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)),
        _ => None,
    }
}

/// Checks a URL before any connection: http or https, a host, and, when the host is an IP literal
/// (in any of the spellings the URL standard folds to one), an address that is not refused.
/// Host names are checked again, address by address, when they are resolved.
pub(crate) fn check_url(url: &Url, allow_private: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("only http and https URLs can be fetched, not {}:", url.scheme()));
    }
    let refused = |why: &str| Err(format!("{} points to {why}", url.host_str().unwrap_or("the URL")));
    match url.host() {
        None => Err("the URL has no host".into()),
        Some(_) if allow_private => Ok(()),
        Some(Host::Ipv4(ip)) => forbidden_v4(ip).map_or(Ok(()), refused),
        Some(Host::Ipv6(ip)) => forbidden_v6(ip).map_or(Ok(()), refused),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") { refused("a loopback address") } else { Ok(()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_every_private_and_special_range() {
        let refused = [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.0.1",
            "100.64.0.1",
            "100.100.100.200",
            "100.127.255.255",
            "192.0.0.192",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "198.18.0.1",
            "192.0.2.1",
            "168.63.129.16",
            "::",
            "::1",
            "fe80::1",
            "fe80::abcd:1%0".split('%').next().unwrap(),
            "fc00::1",
            "fd00:ec2::254",
            "ff02::1",
            "fec0::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "2001::1",
            "2001:db8::1",
            "100::1",
        ];
        for ip in refused {
            let parsed: IpAddr = ip.parse().unwrap();
            assert!(forbidden(parsed).is_some(), "{ip} was allowed");
        }
    }

    #[test]
    fn allows_public_unicast() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "34.123.59.101",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert_eq!(forbidden(ip.parse().unwrap()), None, "{ip} was refused");
        }
    }

    #[test]
    fn url_spellings_of_private_addresses_are_refused() {
        let refused = [
            "http://127.0.0.1/x",
            "http://localhost:8080/",
            "http://LOCALHOST./",
            "http://a.localhost/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://0x7f.0.0.1/",
            "http://127.1/",
            "http://017700000001/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[0:0:0:0:0:0:0:1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/",
            "http://0/",
            "http://10.1/",
            "http://192.168.0.1:22/",
            "http://[fe80::1]/",
            "http://user:pw@127.0.0.1/",
            "http://3232235777/",
            "file:///etc/passwd",
            "ftp://example.com/x",
            "gopher://example.com/",
            "data:text/plain,hi",
            "javascript:alert(1)",
            "dict://127.0.0.1:11211/",
        ];
        for raw in refused {
            let url = Url::parse(raw).unwrap();
            assert!(check_url(&url, false).is_err(), "{raw} was allowed");
        }
        for raw in ["https://example.com/cat.png", "http://8.8.8.8/a", "https://[2606:4700:4700::1111]/"] {
            assert!(check_url(&Url::parse(raw).unwrap(), false).is_ok(), "{raw} was refused");
        }
        assert!(check_url(&Url::parse("http://127.0.0.1/").unwrap(), true).is_ok(), "the test escape lifts the check");
        assert!(check_url(&Url::parse("file:///etc/passwd").unwrap(), true).is_err(), "but never for other schemes");
    }
}
