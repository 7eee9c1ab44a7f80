//! A chat server that allows `limit` requests per fixed `window` (windows counted from the
//! server's start) and answers 429 with `Retry-After` beyond it, sending the rate-limit
//! headers of OpenAI (`x-ratelimit-*-requests`, the reset as a Go duration such as
//! `1.234s`) or Anthropic (`anthropic-ratelimit-requests-*`, the reset as an RFC 3339 time)
//! on every answer, as those providers document them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::routed::{RoutedServer, anthropic_error, openai_error};
use super::server::Reply;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    OpenAi,
    Anthropic,
    /// No rate-limit headers at all (a local server); still 429 beyond the limit.
    Headerless,
}

#[derive(Default)]
struct Tally {
    window: u64,
    in_window: u64,
    ok: usize,
    limited: usize,
}

pub struct RateLimitedServer {
    pub server: RoutedServer,
    tally: Arc<Mutex<Tally>>,
}

impl RateLimitedServer {
    pub fn start(flavour: Flavour, limit: u64, window: Duration) -> RateLimitedServer {
        let tally = Arc::new(Mutex::new(Tally::default()));
        let started = Instant::now();
        let t = tally.clone();
        let server = RoutedServer::start(Arc::new(move |_req| {
            let elapsed = started.elapsed();
            let index = (elapsed.as_nanos() / window.as_nanos()) as u64;
            let window_end = window * (index as u32 + 1);
            let reset_in = window_end - elapsed;
            let mut tally = t.lock().unwrap();
            if tally.window != index {
                tally.window = index;
                tally.in_window = 0;
            }
            let allowed = tally.in_window < limit;
            if allowed {
                tally.in_window += 1;
                tally.ok += 1;
            } else {
                tally.limited += 1;
            }
            let remaining = limit - tally.in_window;
            drop(tally);
            let reply = match (allowed, flavour) {
                (true, Flavour::Anthropic) => Reply::anthropic("ok"),
                (true, _) => Reply::openai("ok"),
                (false, Flavour::Anthropic) => anthropic_error(
                    429,
                    "rate_limit_error",
                    "Number of requests has exceeded your rate limit",
                ),
                (false, _) => openai_error(429, "Rate limit reached for requests"),
            };
            let reply = if allowed {
                reply
            } else {
                // whole seconds, rounded up, as Retry-After takes them
                let secs = reset_in.as_millis().div_ceil(1000).max(1);
                reply.with_header("Retry-After", &secs.to_string())
            };
            headers(reply, flavour, limit, remaining, reset_in)
        }));
        RateLimitedServer { server, tally }
    }

    /// Requests answered 200.
    pub fn ok(&self) -> usize {
        self.tally.lock().unwrap().ok
    }

    /// Requests answered 429.
    pub fn limited(&self) -> usize {
        self.tally.lock().unwrap().limited
    }
}

fn headers(
    reply: Reply,
    flavour: Flavour,
    limit: u64,
    remaining: u64,
    reset_in: Duration,
) -> Reply {
    match flavour {
        Flavour::OpenAi => reply
            .with_header("x-ratelimit-limit-requests", &limit.to_string())
            .with_header("x-ratelimit-remaining-requests", &remaining.to_string())
            // rounded up to the millisecond, in Go's duration format
            .with_header("x-ratelimit-reset-requests", &{
                let ms = reset_in.as_micros().div_ceil(1000);
                format!("{}.{:03}s", ms / 1000, ms % 1000)
            }),
        Flavour::Anthropic => {
            // RFC 3339 with whole seconds rounded up, as Anthropic sends it
            let at = SystemTime::now() + reset_in;
            let secs = at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() + 1;
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
            let at = humantime::format_rfc3339_seconds(at).to_string();
            reply
                .with_header("anthropic-ratelimit-requests-limit", &limit.to_string())
                .with_header(
                    "anthropic-ratelimit-requests-remaining",
                    &remaining.to_string(),
                )
                .with_header("anthropic-ratelimit-requests-reset", &at)
        }
        Flavour::Headerless => reply,
    }
}
