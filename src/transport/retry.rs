//! When and how long to wait before trying again. Pure: the transport asks, this answers.

use std::time::{Duration, SystemTime};

/// The retry budget and pacing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// The first backoff; doubled each retry, with jitter.
    pub base: Duration,
    /// The longest wait cellmage accepts, from backoff or from the provider's Retry-After.
    pub max_wait: Duration,
}

/// HTTP statuses worth another try.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504 | 529)
}

/// The provider's requested wait: `retry-after-ms`, or `Retry-After` in seconds or as an
/// HTTP date.
pub fn requested_wait(
    retry_after: Option<&str>,
    retry_after_ms: Option<&str>,
    now: SystemTime,
) -> Option<Duration> {
    if let Some(ms) = retry_after_ms.and_then(|v| v.trim().parse::<f64>().ok()) {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    let value = retry_after?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

impl Policy {
    /// Exponential backoff for retry number `n` (1-based), with up to 25% jitter.
    pub fn backoff(&self, n: u32, jitter_seed: u64) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << (n.saturating_sub(1)).min(16));
        let jitter = (jitter_seed % 1000) as f64 / 1000.0 * 0.25;
        exp.mul_f64(1.0 + jitter).min(self.max_wait)
    }
}

/// A jitter seed that differs between processes and calls, without a random-number crate.
pub fn jitter_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    nanos ^ (std::process::id() as u64).wrapping_mul(0x9E37_79B9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let date = httpdate::fmt_http_date(now + Duration::from_secs(7));
        let table: &[(Option<&str>, Option<&str>, Option<Duration>)] = &[
            (Some("3"), None, Some(Duration::from_secs(3))),
            (Some("0.5"), None, Some(Duration::from_millis(500))),
            (None, Some("250"), Some(Duration::from_millis(250))),
            (Some("9"), Some("100"), Some(Duration::from_millis(100))),
            (Some(&date), None, Some(Duration::from_secs(7))),
            (Some("soon"), None, None),
            (None, None, None),
        ];
        for (ra, ms, want) in table {
            assert_eq!(requested_wait(*ra, *ms, now), *want, "{ra:?} {ms:?}");
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = Policy {
            retries: 5,
            base: Duration::from_millis(100),
            max_wait: Duration::from_millis(350),
        };
        assert_eq!(p.backoff(1, 0), Duration::from_millis(100));
        assert_eq!(p.backoff(2, 0), Duration::from_millis(200));
        assert_eq!(p.backoff(3, 0), Duration::from_millis(350));
        assert!(p.backoff(1, 999) <= Duration::from_millis(125));
    }

    #[test]
    fn which_statuses_retry() {
        for s in [429, 500, 502, 503, 504, 529] {
            assert!(retryable_status(s), "{s}");
        }
        for s in [400, 401, 403, 404, 413, 422] {
            assert!(!retryable_status(s), "{s}");
        }
    }
}
