//! Redirects: where a 3xx points, whether it stays on the same origin, which headers are
//! secret, and the failure when a request does not follow it. Pure, no I/O.

use super::failure::printable;
use super::{AttemptError, HeaderValue, Hints, Request};
use crate::error::{Failure, Kind};

/// A status that redirects (304 Not Modified does not).
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Headers that carry credentials: every secret value, and these names whatever their
/// value.
pub fn is_secret(name: &str, value: &HeaderValue) -> bool {
    matches!(value, HeaderValue::Secret(_))
        || [
            "authorization",
            "proxy-authorization",
            "x-api-key",
            "cookie",
        ]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
}

/// The absolute URL a redirect from `from` points to; exit 8 without a usable `Location`.
pub fn target(
    from: &str,
    status: u16,
    location: Option<&str>,
    hints: &Hints,
) -> Result<String, AttemptError> {
    let fail = |why: String| {
        AttemptError::fatal(
            Failure::new(
                Kind::Server,
                format!("the server at {from} redirects (HTTP {status}) {why}"),
            )
            .hint(hints.url),
        )
    };
    let location = location.map(str::trim).unwrap_or_default();
    if location.is_empty() {
        return Err(fail("without saying where (no Location header)".into()));
    }
    let url = resolve(from, location);
    match url.parse::<ureq::http::Uri>() {
        Ok(uri)
            if uri.host().is_some()
                && matches!(uri.scheme_str(), Some("http" | "https" | "HTTP" | "HTTPS")) =>
        {
            Ok(url)
        }
        _ => Err(fail(format!(
            "to {}, which is not an http(s) URL",
            printable(location)
        ))),
    }
}

/// `location` resolved against `base` (absolute, scheme-relative, absolute-path or
/// relative-path references).
fn resolve(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    if let Some(authority_and_path) = location.strip_prefix("//") {
        return format!("{scheme}://{authority_and_path}");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if location.starts_with('/') {
        return format!("{scheme}://{authority}{location}");
    }
    let path = rest[authority.len()..]
        .split(['?', '#'])
        .next()
        .unwrap_or_default();
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or_default();
    format!("{scheme}://{authority}{dir}/{location}")
}

/// Scheme, host and port (with the scheme's default).
fn origin(url: &str) -> Option<(String, String, u16)> {
    let uri: ureq::http::Uri = url.parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let port = uri
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    Some((scheme, uri.host()?.to_ascii_lowercase(), port))
}

pub fn same_origin(a: &str, b: &str) -> bool {
    matches!((origin(a), origin(b)), (Some(x), Some(y)) if x == y)
}

/// A redirect the request does not follow: an API call follows none, a page at most
/// [`super::MAX_REDIRECTS`]. Exit 8, not retried.
pub fn refused(
    request: &Request,
    from: &str,
    status: u16,
    target: &str,
    hints: &Hints,
) -> AttemptError {
    let target = printable(target);
    let message = match request.follow_redirects {
        0 => format!(
            "the server at {from} redirects (HTTP {status}) to {target}; API calls do not follow redirects"
        ),
        n => format!(
            "too many redirects from {} (more than {n}); the last went to {target}",
            request.url
        ),
    };
    AttemptError::fatal(Failure::new(Kind::Server, message).hint(hints.url))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn locations_resolve_against_the_url() {
        let base = "https://api.test:8443/v1/chat/completions?x=1";
        let table = [
            ("https://other.test/a", "https://other.test/a"),
            ("//cdn.test/b", "https://cdn.test/b"),
            ("/v2/chat", "https://api.test:8443/v2/chat"),
            ("completions2", "https://api.test:8443/v1/chat/completions2"),
        ];
        for (location, want) in table {
            assert_eq!(resolve(base, location), want, "{location}");
        }
    }

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert!(same_origin("https://a.test/x", "https://A.test:443/y"));
        assert!(same_origin("http://a.test/x", "http://a.test:80/"));
        assert!(!same_origin("https://a.test/", "http://a.test/"));
        assert!(!same_origin("https://a.test/", "https://a.test:8443/"));
        assert!(!same_origin("https://a.test/", "https://b.a.test/"));
    }

    #[test]
    fn which_headers_are_secret() {
        let plain = HeaderValue::Plain("v".into());
        assert!(is_secret(
            "X-Custom",
            &HeaderValue::Secret(Secret::new("s"))
        ));
        assert!(is_secret("x-api-key", &plain));
        assert!(is_secret("Authorization", &plain));
        assert!(!is_secret("anthropic-version", &plain));
    }

    #[test]
    fn non_http_targets_are_refused() {
        const HINTS: Hints = Hints {
            auth: "",
            not_found: "",
            too_large: "",
            server: "",
            connect: "",
            url: "u",
            protocol: "",
            timeout: "",
        };
        let from = "http://a.test/v1";
        assert!(target(from, 302, Some("file:///etc/passwd"), &HINTS).is_err());
        assert!(target(from, 302, None, &HINTS).is_err());
        assert_eq!(
            target(from, 302, Some("/x"), &HINTS).ok().as_deref(),
            Some("http://a.test/x")
        );
    }
}
