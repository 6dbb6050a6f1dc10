//! Where a batch's callback may go: only hosts on the allow-list given at
//! start-up (`--callback-allow`). An entry is a host name (`hooks.example`),
//! a name and port (`hooks.example:8443`), every name under a domain
//! (`*.kent.example`), or an IP address. Whatever the name, the addresses
//! it resolves to when the callback is made are checked too: loopback,
//! private, link-local, shared, unspecified, multicast and IPv4-mapped
//! IPv6 forms of those are refused unless the entry that matched names the
//! host exactly (an operator who lists `10.1.2.3` or `casetool.internal`
//! means it; a wildcard does not). The addresses come from the system's
//! resolver, which reads every spelling of an address (`2130706433`,
//! `0x7f.1`, `[::ffff:127.0.0.1]`) as the address it is.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

/// One entry of the allow-list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// A host name, any port or this one.
    Host(String, Option<u16>),
    /// Every name under a domain (`*.kent.example`).
    Under(String),
    /// An IP address, any port or this one.
    Ip(IpAddr, Option<u16>),
}

/// The callback allow-list. Empty: no callback is allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allow {
    entries: Vec<Entry>,
}

/// How an entry matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Matched {
    /// By name, address or name and port: special addresses are allowed.
    Exactly,
    /// Under a listed domain: special addresses are not.
    Wildcard,
}

impl Allow {
    /// The list from `--callback-allow` entries; the entries that are not
    /// hosts, domains or addresses are `Err`.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut out = Vec::new();
        for raw in entries.iter().flat_map(|e| e.split(',')) {
            let e = raw.trim().to_ascii_lowercase();
            if e.is_empty() {
                continue;
            }
            if let Some(domain) = e.strip_prefix("*.") {
                if domain.is_empty() || domain.contains(['/', ':', '*']) {
                    return Err(format!("`{raw}` is not a domain (*.example.org)"));
                }
                out.push(Entry::Under(domain.to_owned()));
                continue;
            }
            let (host, port) = split_port(&e).ok_or_else(|| format!("`{raw}`: bad port"))?;
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = bare.parse::<IpAddr>() {
                out.push(Entry::Ip(ip, port));
            } else if !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
            {
                out.push(Entry::Host(host.to_owned(), port));
            } else {
                return Err(format!("`{raw}` is not a host name, domain or address"));
            }
        }
        Ok(Self { entries: out })
    }

    /// Whether the list is empty (no callbacks at all).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn matching(&self, host: &str, port: u16) -> Option<Matched> {
        let host = host.to_ascii_lowercase();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let literal = bare.parse::<IpAddr>().ok();
        // An entry without a port allows the web's own ports only, so a
        // callback cannot be used to find which of a host's ports answer.
        let port_ok = |p: &Option<u16>| p.map_or(port == 80 || port == 443, |p| p == port);
        self.entries.iter().find_map(|e| match e {
            Entry::Host(name, p) if *name == host && port_ok(p) => Some(Matched::Exactly),
            Entry::Ip(ip, p) if literal.map(canonical) == Some(canonical(*ip)) && port_ok(p) => {
                Some(Matched::Exactly)
            }
            Entry::Under(domain)
                if literal.is_none() && host.ends_with(&format!(".{domain}")) && port_ok(&None) =>
            {
                Some(Matched::Wildcard)
            }
            _ => None,
        })
    }

    /// Whether `url`'s host is on the list (checked when a batch is made).
    pub fn names(&self, url: &str) -> Result<(), String> {
        let (host, port) = host_port(url)?;
        self.matching(&host, port).map(drop).ok_or_else(|| {
            format!(
                "callbacks go only to the hosts the service's operators allow (--callback-allow); {host} is not one of them"
            )
        })
    }

    /// Whether `url` may be called now: its host on the list, and every
    /// address it resolves to allowed by the entry that matched. Gives the
    /// addresses checked.
    pub fn check(&self, url: &str) -> Result<Vec<IpAddr>, String> {
        let (host, port) = host_port(url)?;
        let matched = self
            .matching(&host, port)
            .ok_or_else(|| format!("{host} is not on the callback allow-list"))?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addresses: Vec<IpAddr> = (bare, port)
            .to_socket_addrs()
            .map_err(|_| format!("{host} could not be resolved"))?
            .map(|a| a.ip())
            .collect();
        if addresses.is_empty() {
            return Err(format!("{host} could not be resolved"));
        }
        if matched == Matched::Wildcard
            && let Some(ip) = addresses.iter().find(|ip| special(**ip))
        {
            return Err(format!(
                "{host} resolves to {ip}, a loopback, private or link-local address; list the host itself to allow it"
            ));
        }
        Ok(addresses)
    }
}

/// `host` and `port` of `text` (`name:8080`, `[::1]:8080`, `name`).
fn split_port(text: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (_, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(p) => Some((&text[..text.len() - after.len()], Some(p.parse().ok()?))),
            None if after.is_empty() => Some((text, None)),
            None => None,
        };
    }
    match text.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h, Some(p.parse().ok()?))),
        Some(_) => Some((text, None)),
        None => Some((text, None)),
    }
}

/// The host and port a URL calls.
fn host_port(url: &str) -> Result<(String, u16), String> {
    let uri: ureq::http::Uri = url.parse().map_err(|e| format!("not a URL: {e}"))?;
    let host = uri.host().ok_or("the callback URL has no host")?.to_owned();
    let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    });
    Ok((host, port))
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether an address is not a public one: loopback, private, link-local,
/// shared (CGNAT), unspecified, broadcast, multicast, documentation, or
/// their IPv4-mapped and unique-local IPv6 forms.
pub(super) fn special(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn special_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let first = segments[0];
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    let nat64 = segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    let [.., a, b, c, d] = ip.octets();
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        // Site-local (deprecated) and 6to4, which reaches IPv4 addresses.
        || (first & 0xffc0) == 0xfec0
        || first == 0x2002
        || (nat64 && special_v4(Ipv4Addr::new(a, b, c, d)))
        || ip.to_ipv4().is_some_and(special_v4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(entries: &[&str]) -> Allow {
        Allow::parse(&entries.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn only_listed_hosts_are_called_back() {
        let a = allow(&[
            "hooks.example:8443",
            "*.kent.example",
            "127.0.0.1:9000",
            "10.1.2.3",
        ]);
        assert!(a.names("https://hooks.example:8443/x").is_ok());
        assert!(a.names("https://hooks.example/x").is_err());
        assert!(a.names("https://case.kent.example/x").is_ok());
        assert!(a.names("https://kent.example.evil.org/x").is_err());
        assert!(a.names("http://127.0.0.1:9000/x").is_ok());
        assert!(a.names("https://case.kent.example:22/x").is_err());
        // Without a port, only the web's own.
        assert!(a.names("http://10.1.2.3/x").is_ok());
        assert!(a.names("https://10.1.2.3/x").is_ok());
        assert!(a.names("http://10.1.2.3:6379/x").is_err());
        assert!(Allow::default().names("https://hooks.example/").is_err());
        assert!(Allow::parse(&["bad host!".into()]).is_err());
    }

    #[test]
    fn special_addresses_in_any_spelling_are_refused_unless_listed() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "fec0::1",
        ] {
            let parsed: IpAddr = ip.parse().unwrap_or_else(|e| panic!("{ip}: {e}"));
            assert!(special(parsed), "{ip}");
        }
        assert!(!special(
            "93.184.216.34".parse().unwrap_or_else(|e| panic!("{e}"))
        ));
        // Other spellings of loopback are not a listed name, and resolve to
        // loopback in any case.
        let a = allow(&["localhost.example"]);
        for url in [
            "http://2130706433/",
            "http://0x7f.1/",
            "http://[::ffff:7f00:1]/",
            "http://127.1/",
        ] {
            assert!(a.check(url).is_err(), "{url}");
        }
        // Listed by address (in another spelling): allowed.
        let listed = allow(&["[::ffff:127.0.0.1]:9"]);
        assert!(listed.check("http://127.0.0.1:9/").is_ok());
        // A wildcard that resolves to loopback is refused.
        let wildcard = allow(&["*.localhost"]);
        assert!(wildcard.check("http://a.localhost/").is_err());
    }
}
