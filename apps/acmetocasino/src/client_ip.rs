//! Who is calling, by network address: the peer, or the client a trusted reverse proxy
//! names in `X-Forwarded-For`. The address is what per-client limits are keyed by.

use actix_web::HttpRequest;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An IP network: an address and a prefix length (`10.0.0.0/8`, `::1/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// `ADDR` (one host) or `ADDR/PREFIX`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (addr, prefix) = s.split_once('/').map_or((s, None), |(a, p)| (a, Some(p)));
        let addr: IpAddr = addr.trim().parse().map_err(|_| format!("{s:?} is not an IP address or CIDR"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be a number from 0 to {max}"))?,
        };
        Ok(Self { addr: addr.to_canonical(), prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                same_prefix(net.to_bits().into(), ip.to_bits().into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => same_prefix(net.to_bits(), ip.to_bits(), self.prefix, 128),
            _ => false,
        }
    }
}

fn same_prefix(a: u128, b: u128, prefix: u8, bits: u8) -> bool {
    let host_bits = u32::from(bits - prefix);
    a.checked_shr(host_bits).unwrap_or(0) == b.checked_shr(host_bits).unwrap_or(0)
}

/// The reverse proxies whose `X-Forwarded-For` is believed (none by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// A comma-separated list of addresses and CIDRs.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',').filter(|s| !s.trim().is_empty()).map(IpNet::parse).collect::<Result<_, _>>().map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client behind `peer`: walking `X-Forwarded-For` from the right (the hop
    /// nearest to us) while the hop so far is a trusted proxy, the first address that
    /// is not. Anything left of it was written by the client and proves nothing; an
    /// entry that is not an address ends the walk at the last trusted hop.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut client = peer.to_canonical();
        for entry in forwarded_for.iter().rev().flat_map(|h| h.rsplit(',')) {
            if !self.trusts(client) {
                break;
            }
            match entry.trim().parse::<IpAddr>() {
                Ok(ip) => client = ip.to_canonical(),
                Err(_) => break,
            }
        }
        client
    }

    /// The client of `req` (see [`TrustedProxies::client`]).
    pub fn client_of(&self, req: &HttpRequest) -> IpAddr {
        let peer = req.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        let headers: Vec<&str> = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).collect();
        self.client(peer, &headers)
    }
}

/// The throttle key of a client: its IPv4 address, or its IPv6 /64 (what one
/// subscriber is given, so cycling through it gains nothing).
pub fn throttle_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("{}/64", Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_match() {
        let net = IpNet::parse("10.1.0.0/16").unwrap();
        assert!(net.contains(ip("10.1.200.3")) && !net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped IPv6");
        assert!(IpNet::parse("0.0.0.0/0").unwrap().contains(ip("203.0.113.5")));
        assert!(IpNet::parse("2001:db8::/32").unwrap().contains(ip("2001:db8:ffff::1")));
        assert!(!IpNet::parse("::1").unwrap().contains(ip("::2")));
        for bad in ["", "10.0.0.0/33", "::/129", "example.com", "10.0.0.0/x", "1.2.3"] {
            assert!(IpNet::parse(bad).is_err(), "{bad}");
        }
        assert!(TrustedProxies::parse("127.0.0.1, 10.0.0.0/8,").is_ok());
        assert!(TrustedProxies::parse("127.0.0.1,nope").is_err());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("203.0.113.9"), &["198.51.100.1"]), ip("203.0.113.9"));
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(proxies.client(ip("10.0.0.2"), &["198.51.100.1"]), ip("198.51.100.1"));
        assert_eq!(proxies.client(ip("10.0.0.2"), &[]), ip("10.0.0.2"), "no header: the proxy itself");
        // The client forged the leftmost entry; the proxy appended the real address.
        assert_eq!(proxies.client(ip("10.0.0.2"), &["1.1.1.1, 198.51.100.1"]), ip("198.51.100.1"));
        // Two proxies in a row, over two headers.
        assert_eq!(proxies.client(ip("10.0.0.2"), &["198.51.100.1", "10.9.9.9"]), ip("198.51.100.1"));
        // A peer that is not a proxy is the client, whatever it claims.
        assert_eq!(proxies.client(ip("198.51.100.7"), &["10.0.0.1"]), ip("198.51.100.7"));
        // Garbage ends the walk at the last trusted hop.
        assert_eq!(proxies.client(ip("10.0.0.2"), &["unknown"]), ip("10.0.0.2"));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(throttle_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(throttle_key(ip("2001:db8:1:2:bbbb::9")), "2001:db8:1:2::/64");
        assert_eq!(throttle_key(ip("::ffff:192.0.2.7")), "192.0.2.7");
    }
}
