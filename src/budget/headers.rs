//! What a response's headers say about the rate limit: requests and tokens, each with its
//! limit, what remains and when the window is full again.
//!
//! OpenAI (platform.openai.com/docs/guides/rate-limits, "Rate limits in headers"):
//! `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests`,
//! `x-ratelimit-reset-requests` and the same three for `tokens`; the reset is a duration
//! until the limit "resets to its initial state", as Go prints them: `1s`, `6m0s`, `12ms`,
//! `7.66s`, `1h2m3s`.
//!
//! Anthropic (docs.anthropic.com/en/api/rate-limits, "Response headers"):
//! `anthropic-ratelimit-requests-{limit,remaining,reset}`,
//! `anthropic-ratelimit-tokens-{limit,remaining,reset}` (the most restrictive token limit in
//! effect) and the `input-tokens` / `output-tokens` variants; the reset is an RFC 3339 time
//! such as `2025-08-21T12:40:59Z`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One limit as the server reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub limit: u64,
    pub remaining: u64,
    /// When the window is full again, in milliseconds since the Unix epoch.
    pub reset_ms: u64,
}

/// The limits learnt from one response; `None` where the headers said nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Learnt {
    pub requests: Option<Window>,
    pub tokens: Option<Window>,
}

impl Learnt {
    pub fn is_empty(&self) -> bool {
        self.requests.is_none() && self.tokens.is_none()
    }
}

/// Reads the rate-limit headers of either provider; `now_ms` turns OpenAI's durations into
/// times. Unparseable values are ignored (a quirky header must never fail a call).
pub fn parse<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>, now_ms: u64) -> Learnt {
    let headers: Vec<(String, &str)> = headers
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim()))
        .collect();
    let get = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
    let window = |limit: &str, remaining: &str, reset: &str| -> Option<Window> {
        let limit = get(limit)?.parse().ok()?;
        let remaining = get(remaining)?.parse().ok()?;
        let reset = get(reset)?;
        let reset_ms = match parse_go_duration(reset) {
            Some(d) => now_ms + d.as_millis() as u64,
            None => parse_rfc3339_ms(reset)?,
        };
        Some(Window {
            limit,
            remaining,
            reset_ms,
        })
    };
    let openai = |kind: &str| {
        window(
            &format!("x-ratelimit-limit-{kind}"),
            &format!("x-ratelimit-remaining-{kind}"),
            &format!("x-ratelimit-reset-{kind}"),
        )
    };
    let anthropic = |kind: &str| {
        window(
            &format!("anthropic-ratelimit-{kind}-limit"),
            &format!("anthropic-ratelimit-{kind}-remaining"),
            &format!("anthropic-ratelimit-{kind}-reset"),
        )
    };
    Learnt {
        requests: openai("requests").or_else(|| anthropic("requests")),
        tokens: openai("tokens")
            .or_else(|| anthropic("tokens"))
            .or_else(|| anthropic("input-tokens")),
    }
}

/// A Go duration as OpenAI sends it: `6m0s`, `1s`, `12ms`, `7.66s`, `1h2m3s`, `0s`.
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    let mut rest = text;
    let mut total = 0f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * seconds;
    }
    Duration::try_from_secs_f64(total).ok()
}

/// An RFC 3339 time (`2025-08-21T12:40:59Z`, fractions allowed) in Unix milliseconds.
pub fn parse_rfc3339_ms(text: &str) -> Option<u64> {
    let time = humantime::parse_rfc3339_weak(text).ok()?;
    Some(time.duration_since(UNIX_EPOCH).ok()?.as_millis() as u64)
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        for (text, ms) in [
            ("1s", 1000),
            ("6m0s", 360_000),
            ("12ms", 12),
            ("7.66s", 7660),
            ("1h2m3s", 3_723_000),
            ("0s", 0),
            ("500us", 0),
        ] {
            assert_eq!(
                parse_go_duration(text).map(|d| d.as_millis() as u64),
                Some(ms),
                "{text}"
            );
        }
        for bad in ["", "s", "1x", "2025-08-21T12:40:59Z", "-1s"] {
            assert_eq!(parse_go_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn openai_headers() {
        let headers = [
            ("x-ratelimit-limit-requests", "60"),
            ("X-RateLimit-Remaining-Requests", "59"),
            ("x-ratelimit-reset-requests", "1s"),
            ("x-ratelimit-limit-tokens", "150000"),
            ("x-ratelimit-remaining-tokens", "149984"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ];
        let learnt = parse(headers, 1_000_000);
        assert_eq!(
            learnt.requests,
            Some(Window {
                limit: 60,
                remaining: 59,
                reset_ms: 1_001_000
            })
        );
        assert_eq!(
            learnt.tokens,
            Some(Window {
                limit: 150_000,
                remaining: 149_984,
                reset_ms: 1_360_000
            })
        );
    }

    #[test]
    fn anthropic_headers() {
        let headers = [
            ("anthropic-ratelimit-requests-limit", "1000"),
            ("anthropic-ratelimit-requests-remaining", "999"),
            ("anthropic-ratelimit-requests-reset", "2025-08-21T12:40:59Z"),
            ("anthropic-ratelimit-input-tokens-limit", "80000"),
            ("anthropic-ratelimit-input-tokens-remaining", "79000"),
            (
                "anthropic-ratelimit-input-tokens-reset",
                "2025-08-21T12:41:00.500Z",
            ),
        ];
        let learnt = parse(headers, 0);
        let r = learnt.requests.unwrap();
        assert_eq!(
            (r.limit, r.remaining, r.reset_ms),
            (1000, 999, 1_755_780_059_000)
        );
        let t = learnt.tokens.unwrap();
        assert_eq!(
            (t.limit, t.remaining, t.reset_ms),
            (80_000, 79_000, 1_755_780_060_500)
        );
    }

    #[test]
    fn missing_or_broken_headers_say_nothing() {
        assert!(parse([("content-type", "application/json")], 0).is_empty());
        let half = [
            ("x-ratelimit-limit-requests", "60"),
            ("x-ratelimit-remaining-requests", "many"),
            ("x-ratelimit-reset-requests", "1s"),
        ];
        assert!(parse(half, 0).is_empty());
    }
}
