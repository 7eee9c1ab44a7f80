//! Which proxy, if any, carries a request: chosen per URL from the typed configuration
//! settings reads out of the environment (`http_proxy`/`HTTP_PROXY` for `http://`,
//! `https_proxy`/`HTTPS_PROXY` for `https://`, `all_proxy`/`ALL_PROXY` for either,
//! `no_proxy`/`NO_PROXY` for the exceptions). Loopback hosts are never proxied.
//!
//! Proxy URLs may be `http://` or `https://` (a CONNECT tunnel), or `socks4://`,
//! `socks4a://`, `socks5://` (the name resolved here) and `socks5h://` (resolved by the
//! proxy). Any other scheme is refused when settings are read, never silently bypassed.

use std::fmt;
use std::net::IpAddr;

use crate::error::{Failure, usage};

/// One proxy: the variable it came from and what it says.
#[derive(Clone)]
pub struct Proxy {
    /// The variable that set it, for messages.
    pub from: String,
    proxy: ureq::Proxy,
}

impl Proxy {
    /// A proxy URL from variable `from`; exit 2 for a malformed URL or an unknown scheme.
    pub fn parse(from: &str, url: &str) -> Result<Proxy, Failure> {
        let url = url.trim();
        let scheme = url
            .split_once("://")
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_else(|| "http".into());
        let refuse = |why: &str| {
            usage(format!("{from} is not a proxy cellmage can use: {why}")).hint(
                "use http://HOST:PORT, https://HOST:PORT or socks5://HOST:PORT (socks5h, socks4, socks4a too)",
            )
        };
        if !matches!(
            scheme.as_str(),
            "http" | "https" | "socks4" | "socks4a" | "socks5" | "socks5h"
        ) {
            return Err(refuse(&format!("unsupported scheme {scheme}://")));
        }
        let proxy = ureq::Proxy::new(url).map_err(|_| refuse("not a valid URL"))?;
        Ok(Proxy {
            from: from.to_string(),
            proxy,
        })
    }

    pub(super) fn ureq(&self) -> ureq::Proxy {
        self.proxy.clone()
    }
}

/// Shows where the proxy is, never its password.
impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = self.proxy.uri().scheme_str().unwrap_or("http");
        write!(f, "{scheme}://{}:{}", self.proxy.host(), self.proxy.port())
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self} (from {})", self.from)
    }
}

/// The proxies for each scheme and the hosts that go direct.
#[derive(Clone, Debug, Default)]
pub struct Proxies {
    pub http: Option<Proxy>,
    pub https: Option<Proxy>,
    /// `NO_PROXY` entries, trimmed and lower-cased: `*`, a host or domain (`example.com`
    /// also covers its subdomains; a leading `.` or `*.` is allowed), `host:port`, an IP
    /// address or an IP range (`10.0.0.0/8`).
    pub no_proxy: Vec<String>,
}

impl Proxies {
    /// Reads the conventional variables through `get` (lower case first, as curl does).
    pub fn from_vars<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Proxies, Failure> {
        let first = |names: [&'static str; 2]| names.into_iter().find_map(|n| Some((n, get(n)?)));
        let parse = |names| {
            first(names)
                .map(|(name, url)| Proxy::parse(name, url))
                .transpose()
        };
        let all = parse(["all_proxy", "ALL_PROXY"])?;
        let http = parse(["http_proxy", "HTTP_PROXY"])?.or_else(|| all.clone());
        let https = parse(["https_proxy", "HTTPS_PROXY"])?.or(all);
        let no_proxy = first(["no_proxy", "NO_PROXY"])
            .map(|(_, list)| {
                list.split(',')
                    .map(|e| e.trim().to_ascii_lowercase())
                    .filter(|e| !e.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Proxies {
            http,
            https,
            no_proxy,
        })
    }

    /// The proxy for this URL: by its scheme, unless the host is loopback or excepted.
    pub fn for_url(&self, url: &str) -> Option<&Proxy> {
        let uri: ureq::http::Uri = url.parse().ok()?;
        let proxy = match uri.scheme_str()? {
            s if s.eq_ignore_ascii_case("https") => self.https.as_ref()?,
            s if s.eq_ignore_ascii_case("http") => self.http.as_ref()?,
            _ => return None,
        };
        let host = uri
            .host()?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => 443,
            _ => 80,
        });
        if is_loopback(&host) || self.no_proxy.iter().any(|e| excepts(e, &host, port)) {
            return None;
        }
        Some(proxy)
    }
}

/// `localhost`, `*.localhost`, 127.0.0.0/8 and ::1.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether one `NO_PROXY` entry covers this host and port.
fn excepts(entry: &str, host: &str, port: u16) -> bool {
    if entry == "*" {
        return true;
    }
    if let Some((net, bits)) = entry.split_once('/') {
        return in_range(net, bits, host);
    }
    let entry = entry.trim_start_matches('[');
    let (name, entry_port) = match entry.rsplit_once(']') {
        Some((ip6, rest)) => (ip6, rest.strip_prefix(':')),
        None => match entry.rsplit_once(':') {
            Some((n, p)) if !n.contains(':') => (n, Some(p)),
            _ => (entry, None),
        },
    };
    if entry_port.is_some_and(|p| p.parse() != Ok(port)) {
        return false;
    }
    let name = name.trim_start_matches('*').trim_start_matches('.');
    !name.is_empty()
        && (host == name
            || host
                .strip_suffix(name)
                .is_some_and(|head| head.ends_with('.')))
}

/// Whether `host` is an IP address inside `net/bits`.
fn in_range(net: &str, bits: &str, host: &str) -> bool {
    let (Ok(net), Ok(bits), Ok(ip)) = (
        net.parse::<IpAddr>(),
        bits.parse::<u32>(),
        host.parse::<IpAddr>(),
    ) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(h)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(n) & mask == u32::from(h) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(h)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(n) & mask == u128::from(h) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(vars: &[(&str, &str)]) -> Proxies {
        Proxies::from_vars(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| *v)).unwrap()
    }

    fn via(p: &Proxies, url: &str) -> Option<String> {
        p.for_url(url).map(|p| p.to_string())
    }

    #[test]
    fn the_scheme_chooses_the_proxy() {
        let p = proxies(&[("HTTP_PROXY", "http://h:1"), ("HTTPS_PROXY", "http://s:2")]);
        assert_eq!(via(&p, "http://api.test/v1").as_deref(), Some("http://h:1"));
        assert_eq!(
            via(&p, "https://api.test/v1").as_deref(),
            Some("http://s:2")
        );
        let p = proxies(&[("HTTPS_PROXY", "http://s:2")]);
        assert_eq!(via(&p, "http://api.test/v1"), None);
        let p = proxies(&[("ALL_PROXY", "socks5h://a:3"), ("https_proxy", "s:4")]);
        assert_eq!(
            via(&p, "http://api.test/").as_deref(),
            Some("socks5h://a:3")
        );
        assert_eq!(via(&p, "https://api.test/").as_deref(), Some("http://s:4"));
        let p = proxies(&[
            ("http_proxy", "http://lower:1"),
            ("HTTP_PROXY", "http://UP:2"),
        ]);
        assert_eq!(via(&p, "http://x.test/").as_deref(), Some("http://lower:1"));
    }

    #[test]
    fn loopback_and_no_proxy_go_direct() {
        let p = proxies(&[
            ("ALL_PROXY", "http://p:1"),
            (
                "NO_PROXY",
                " internal.test , .corp.test,*.wild.test, 10.0.0.0/8,host.test:8080, [::5]",
            ),
        ]);
        let direct = [
            "http://localhost:1/",
            "http://LOCALHOST/",
            "http://app.localhost/",
            "http://127.0.0.1:9/",
            "http://127.8.9.1/",
            "http://[::1]:80/",
            "https://internal.test/",
            "https://a.internal.test/",
            "https://x.corp.test/",
            "https://corp.test/",
            "https://y.wild.test/",
            "http://10.2.3.4/",
            "http://host.test:8080/",
            "http://[::5]/",
        ];
        for url in direct {
            assert_eq!(via(&p, url), None, "{url}");
        }
        let proxied = [
            "https://api.test/",
            "https://notinternal.test/",
            "http://11.0.0.1/",
            "http://host.test:9090/",
            "http://128.0.0.1/",
        ];
        for url in proxied {
            assert!(via(&p, url).is_some(), "{url}");
        }
        let all = proxies(&[("ALL_PROXY", "http://p:1"), ("no_proxy", "*")]);
        assert_eq!(via(&all, "https://api.test/"), None);
    }

    #[test]
    fn unknown_schemes_are_refused_and_passwords_never_shown() {
        let err = Proxies::from_vars(|n| (n == "HTTPS_PROXY").then_some("ftp://p:1")).unwrap_err();
        assert!(err.message.contains("HTTPS_PROXY"), "{}", err.message);
        assert!(err.message.contains("ftp://"), "{}", err.message);
        let p = proxies(&[("HTTPS_PROXY", "http://user:hunter22@p:3128")]);
        let shown = format!("{} {:?}", p.https.as_ref().unwrap(), p);
        assert!(!shown.contains("hunter22"), "{shown}");
    }
}
