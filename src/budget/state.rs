//! The shared budget's state and the one decision made on it: send now, or wait until when.
//! Pure: the clock, the process id and the liveness check are arguments, so every rule is
//! unit-tested without a file or a sleep.

use serde::{Deserialize, Serialize};

use super::headers::{Learnt, Window};

/// How far back the client-side per-minute limits look.
pub const MINUTE_MS: u64 = 60_000;
/// How long to wait when the budget is spent and the server has not said when it refills:
/// an answer in flight will tell.
pub const POLL_MS: u64 = 100;

/// Client-side limits, for servers that send no rate-limit headers (`rate_limit = { rpm,
/// tpm }` in the config).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientLimits {
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
}

/// One limit as learnt from the server, kept up to date by the grants made since.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learned {
    pub limit: u64,
    /// The lowest remaining reported in this window, less the grants made since.
    pub remaining: u64,
    /// When the window is full again (Unix ms); 0 when unknown.
    pub reset_ms: u64,
    /// Granted in this window (requests, or estimated tokens), by any process.
    pub spent: u64,
}

impl Learned {
    /// What is left now: the lower of what the server reported (less later grants) and
    /// what this budget's own grants leave of the limit. A window past its reset is full
    /// again.
    fn available(&mut self, now: u64) -> u64 {
        if self.reset_ms != 0 && now >= self.reset_ms {
            self.remaining = self.limit;
            self.reset_ms = 0;
            self.spent = 0;
        }
        self.remaining.min(self.limit.saturating_sub(self.spent))
    }

    fn grant(&mut self, amount: u64) {
        self.remaining = self.remaining.saturating_sub(amount);
        self.spent += amount;
    }
}

/// A grant that has not been answered yet. It lapses at `expires_ms` (the holder's own
/// deadline) or when its process is gone, so a killed process never holds budget forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub id: u64,
    pub pid: u32,
    pub tokens: u64,
    pub expires_ms: u64,
}

/// The state file's content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    pub version: u32,
    /// No request before this time (Unix ms): a 429 with Retry-After said so.
    pub cooldown_until_ms: u64,
    pub requests: Option<Learned>,
    pub tokens: Option<Learned>,
    /// The server answered without rate-limit headers: only client-side limits apply.
    pub headerless: bool,
    pub reservations: Vec<Reservation>,
    /// `(time, estimated tokens)` of each grant in the last minute.
    pub sent: Vec<(u64, u64)>,
    pub next_id: u64,
}

/// Why a caller must wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A 429 with Retry-After was answered to some process.
    Cooldown,
    /// The server's request limit is spent.
    Requests,
    /// The server's token limit is spent.
    Tokens,
    /// The configured `rpm`.
    ClientRpm,
    /// The configured `tpm`.
    ClientTpm,
    /// The first request to this server is under way; its headers will tell the limits.
    Probe,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Cooldown => "the server asked to retry later",
            Reason::Requests => "the request limit is reached",
            Reason::Tokens => "the token limit is reached",
            Reason::ClientRpm => "the configured rpm is reached",
            Reason::ClientTpm => "the configured tpm is reached",
            Reason::Probe => "learning the limits from a first request",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send now; hand the ticket back with `observe` or `release`.
    Go(u64),
    /// Ask again at this time (Unix ms).
    Wait { until_ms: u64, reason: Reason },
}

/// A report merged into what was known. Answers arrive out of order, and the server has
/// not counted grants still in flight: the lower estimate always wins, so a stale report
/// never reopens spent budget. The first report of a window counts what the server had
/// used, plus what is in flight, as spent.
fn merge(old: Option<Learned>, w: Window, in_flight: u64, now: u64) -> Learned {
    match old {
        Some(mut old) if old.limit == w.limit => {
            old.available(now);
            old.remaining = old.remaining.min(w.remaining);
            old.reset_ms = if old.reset_ms == 0 {
                w.reset_ms
            } else {
                old.reset_ms.max(w.reset_ms)
            };
            old
        }
        _ => Learned {
            limit: w.limit,
            remaining: w.remaining,
            reset_ms: w.reset_ms,
            spent: w.limit.saturating_sub(w.remaining) + in_flight,
        },
    }
}

impl State {
    pub const VERSION: u32 = 1;

    /// Forgets lapsed reservations and grants older than a minute.
    fn prune(&mut self, now: u64, alive: &dyn Fn(u32) -> bool) {
        self.reservations
            .retain(|r| r.expires_ms > now && alive(r.pid));
        self.sent.retain(|(at, _)| at + MINUTE_MS > now);
    }

    /// Grants `tokens` to process `pid` until `expires_ms`, or says how long to wait.
    pub fn decide(
        &mut self,
        now: u64,
        tokens: u64,
        limits: ClientLimits,
        pid: u32,
        expires_ms: u64,
        alive: &dyn Fn(u32) -> bool,
    ) -> Decision {
        self.prune(now, alive);
        let wait = |until_ms: u64, reason| Decision::Wait { until_ms, reason };
        if self.cooldown_until_ms > now {
            return wait(self.cooldown_until_ms, Reason::Cooldown);
        }
        if let Some(rpm) = limits.rpm.filter(|&n| n > 0)
            && self.sent.len() as u64 >= rpm
        {
            // the grant that must leave the minute for one more to fit
            let (at, _) = self.sent[self.sent.len() - rpm as usize];
            return wait(at + MINUTE_MS, Reason::ClientRpm);
        }
        if let Some(tpm) = limits.tpm.filter(|&n| n > 0) {
            let mut used: u64 = self.sent.iter().map(|(_, t)| t).sum();
            if used + tokens > tpm && !self.sent.is_empty() {
                let mut until = now;
                for (at, t) in &self.sent {
                    used -= t;
                    until = at + MINUTE_MS;
                    if used + tokens <= tpm {
                        break;
                    }
                }
                return wait(until, Reason::ClientTpm);
            }
        }
        let in_flight: u64 = self.reservations.len() as u64;
        if let Some(w) = self.requests.as_mut()
            && w.available(now) == 0
        {
            let until = if w.reset_ms > now {
                w.reset_ms
            } else {
                now + POLL_MS
            };
            return wait(until, Reason::Requests);
        }
        if let Some(w) = self.tokens.as_mut() {
            let available = w.available(now);
            // a request larger than the whole limit goes when the window is full
            if available < tokens.min(w.limit) {
                let until = if w.reset_ms > now {
                    w.reset_ms
                } else {
                    now + POLL_MS
                };
                return wait(until, Reason::Tokens);
            }
        }
        let unknown = self.requests.is_none() && self.tokens.is_none() && !self.headerless;
        let client_limited = limits.rpm.is_some() || limits.tpm.is_some();
        if unknown && !client_limited && in_flight > 0 {
            let until = self
                .reservations
                .iter()
                .map(|r| r.expires_ms)
                .min()
                .unwrap_or(now)
                .min(now + POLL_MS);
            return wait(until, Reason::Probe);
        }
        self.next_id += 1;
        let id = self.next_id;
        self.reservations.push(Reservation {
            id,
            pid,
            tokens,
            expires_ms,
        });
        if client_limited {
            self.sent.push((now, tokens));
        }
        if let Some(w) = self.requests.as_mut() {
            w.grant(1);
        }
        if let Some(w) = self.tokens.as_mut() {
            w.grant(tokens);
        }
        Decision::Go(id)
    }

    /// Hands a grant back, with what the answer's headers said (`None`: no answer came).
    pub fn settle(&mut self, ticket: u64, learnt: Option<Learnt>, now: u64) {
        self.reservations.retain(|r| r.id != ticket);
        let Some(learnt) = learnt else { return };
        if learnt.is_empty() {
            if self.requests.is_none() && self.tokens.is_none() {
                self.headerless = true;
            }
            return;
        }
        self.headerless = false;
        // grants still in flight may not be counted in the server's figures yet
        let (flight_requests, flight_tokens) = (
            self.reservations.len() as u64,
            self.reservations.iter().map(|r| r.tokens).sum::<u64>(),
        );
        if let Some(w) = learnt.requests {
            self.requests = Some(merge(self.requests, w, flight_requests, now));
        }
        if let Some(w) = learnt.tokens {
            self.tokens = Some(merge(self.tokens, w, flight_tokens, now));
        }
    }

    /// No request before `until_ms`.
    pub fn cool_down(&mut self, until_ms: u64) {
        self.cooldown_until_ms = self.cooldown_until_ms.max(until_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALIVE: &dyn Fn(u32) -> bool = &|_| true;
    const NONE: ClientLimits = ClientLimits {
        rpm: None,
        tpm: None,
    };

    fn go(state: &mut State, now: u64, tokens: u64, limits: ClientLimits) -> Decision {
        state.decide(now, tokens, limits, 1, now + 30_000, ALIVE)
    }

    fn requests(limit: u64, remaining: u64, reset_ms: u64) -> Learnt {
        Learnt {
            requests: Some(Window {
                limit,
                remaining,
                reset_ms,
            }),
            tokens: None,
        }
    }

    #[test]
    fn first_request_probes_then_headers_open_the_window() {
        let mut s = State::default();
        let Decision::Go(probe) = go(&mut s, 0, 10, NONE) else {
            panic!()
        };
        assert!(matches!(
            go(&mut s, 1, 10, NONE),
            Decision::Wait {
                reason: Reason::Probe,
                ..
            }
        ));
        s.settle(probe, Some(requests(10, 9, 2000)), 1);
        for i in 0..9 {
            assert!(matches!(go(&mut s, 2, 10, NONE), Decision::Go(_)), "{i}");
        }
        assert_eq!(
            go(&mut s, 3, 10, NONE),
            Decision::Wait {
                until_ms: 2000,
                reason: Reason::Requests
            }
        );
        // the window refills at its reset
        assert!(matches!(go(&mut s, 2000, 10, NONE), Decision::Go(_)));
    }

    #[test]
    fn a_server_without_headers_is_not_limited() {
        let mut s = State::default();
        let Decision::Go(t) = go(&mut s, 0, 1, NONE) else {
            panic!()
        };
        s.settle(t, Some(Learnt::default()), 0);
        for _ in 0..100 {
            assert!(matches!(go(&mut s, 1, 1, NONE), Decision::Go(_)));
        }
    }

    #[test]
    fn a_killed_holder_does_not_block() {
        let mut s = State::default();
        assert!(matches!(
            s.decide(0, 1, NONE, 42, 60_000, ALIVE),
            Decision::Go(_)
        ));
        let dead: &dyn Fn(u32) -> bool = &|pid| pid != 42;
        assert!(matches!(
            s.decide(1, 1, NONE, 7, 60_000, dead),
            Decision::Go(_)
        ));
        // and an expired reservation lapses even if the pid lives on
        let mut s = State::default();
        assert!(matches!(
            s.decide(0, 1, NONE, 42, 500, ALIVE),
            Decision::Go(_)
        ));
        assert!(matches!(
            s.decide(501, 1, NONE, 7, 60_000, ALIVE),
            Decision::Go(_)
        ));
    }

    #[test]
    fn cooldown_holds_everyone() {
        let mut s = State::default();
        s.cool_down(5000);
        s.cool_down(3000);
        assert_eq!(
            go(&mut s, 100, 1, NONE),
            Decision::Wait {
                until_ms: 5000,
                reason: Reason::Cooldown
            }
        );
        assert!(matches!(go(&mut s, 5000, 1, NONE), Decision::Go(_)));
    }

    #[test]
    fn client_rpm_and_tpm() {
        let rpm = ClientLimits {
            rpm: Some(2),
            tpm: None,
        };
        let mut s = State::default();
        assert!(matches!(go(&mut s, 0, 1, rpm), Decision::Go(_)));
        assert!(matches!(go(&mut s, 10, 1, rpm), Decision::Go(_)));
        assert_eq!(
            go(&mut s, 20, 1, rpm),
            Decision::Wait {
                until_ms: 60_000,
                reason: Reason::ClientRpm
            }
        );
        assert!(matches!(go(&mut s, 60_000, 1, rpm), Decision::Go(_)));

        let tpm = ClientLimits {
            rpm: None,
            tpm: Some(100),
        };
        let mut s = State::default();
        assert!(matches!(go(&mut s, 0, 60, tpm), Decision::Go(_)));
        assert!(matches!(go(&mut s, 5, 30, tpm), Decision::Go(_)));
        assert_eq!(
            go(&mut s, 10, 50, tpm),
            Decision::Wait {
                until_ms: 60_000,
                reason: Reason::ClientTpm
            }
        );
        // a request bigger than the limit goes once the minute is empty
        let mut s = State::default();
        assert!(matches!(go(&mut s, 0, 500, tpm), Decision::Go(_)));
    }

    #[test]
    fn token_window_and_in_flight_accounting() {
        let mut s = State::default();
        let Decision::Go(t) = go(&mut s, 0, 100, NONE) else {
            panic!()
        };
        let Decision::Go(_) = s.decide(
            0,
            100,
            ClientLimits {
                rpm: Some(99),
                tpm: None,
            },
            1,
            9_999,
            ALIVE,
        ) else {
            panic!()
        };
        s.settle(
            t,
            Some(Learnt {
                requests: None,
                tokens: Some(Window {
                    limit: 1000,
                    remaining: 400,
                    reset_ms: 6000,
                }),
            }),
            0,
        );
        // 400 remain, 100 still in flight: 300 available
        assert!(matches!(go(&mut s, 1, 300, NONE), Decision::Go(_)));
        assert_eq!(
            go(&mut s, 2, 1, NONE),
            Decision::Wait {
                until_ms: 6000,
                reason: Reason::Tokens
            }
        );
    }

    #[test]
    fn spent_window_without_reset_polls() {
        let mut s = State::default();
        let Decision::Go(t) = go(&mut s, 0, 1, NONE) else {
            panic!()
        };
        s.settle(t, Some(requests(1, 1, 0)), 0);
        assert!(matches!(go(&mut s, 1, 1, NONE), Decision::Go(_)));
        assert_eq!(
            go(&mut s, 2, 1, NONE),
            Decision::Wait {
                until_ms: 2 + POLL_MS,
                reason: Reason::Requests
            }
        );
    }

    #[test]
    fn a_late_report_does_not_reopen_spent_budget() {
        let mut s = State::default();
        let Decision::Go(probe) = go(&mut s, 0, 1, NONE) else {
            panic!()
        };
        s.settle(probe, Some(requests(10, 9, 2000)), 1);
        let tickets: Vec<u64> = (0..9)
            .map(|_| match go(&mut s, 2, 1, NONE) {
                Decision::Go(t) => t,
                other => panic!("{other:?}"),
            })
            .collect();
        // the last request's answer arrives first, then an early one's
        s.settle(tickets[8], Some(requests(10, 0, 2000)), 3);
        s.settle(tickets[0], Some(requests(10, 8, 2000)), 4);
        assert!(matches!(
            go(&mut s, 5, 1, NONE),
            Decision::Wait {
                reason: Reason::Requests,
                ..
            }
        ));
        // a report from the next window, once the old one is over, is taken as it is
        s.settle(tickets[1], Some(requests(10, 9, 4000)), 2001);
        assert!(matches!(go(&mut s, 2001, 1, NONE), Decision::Go(_)));
    }
}
