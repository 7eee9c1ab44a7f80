//! The budget as the transport meets it: before each attempt a `Gate` waits for a grant
//! (within the call's total timeout), and the `Pass` it hands out settles the grant with
//! the response's headers, sets the shared cooldown on a 429 with Retry-After, and gives
//! the grant back if no response came. The budget is advisory: if its file cannot be used,
//! the call goes ahead (and says so with `-v`).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::error::{Failure, Kind};

use super::{Acquired, Budget, BudgetKey, ClientLimits, Ticket, Wait};

/// Where an endpoint's budget lives and the configured client-side limits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateConfig {
    pub dir: PathBuf,
    pub limits: ClientLimits,
    /// Show a wait on stderr as it counts down (a terminal).
    pub show_wait: bool,
}

/// One call's way through the budget: the budget and the call's estimated tokens.
#[derive(Clone, Debug)]
pub struct Gate {
    budget: Budget,
    tokens: u64,
    show_wait: bool,
}

/// A grant for one attempt; settle it with the response, or drop it to give it back.
pub struct Pass<'a> {
    budget: &'a Budget,
    ticket: Option<Ticket>,
}

impl Gate {
    /// The gate for `provider` at `base_url` with this key material; `None` (no budget)
    /// when the directory cannot be made.
    pub fn open(
        config: &RateConfig,
        provider: &str,
        base_url: &str,
        key: &str,
        tokens: u64,
    ) -> Option<Gate> {
        let key = BudgetKey::new(provider, base_url, key);
        let budget = Budget::open(&config.dir, &key, config.limits).ok()?;
        Some(Gate {
            budget,
            tokens,
            show_wait: config.show_wait,
        })
    }

    /// Waits for a grant; `log` hears each wait. A rate-limit failure when the budget frees
    /// up only after `deadline`.
    pub fn enter(
        &self,
        deadline: SystemTime,
        log: &dyn Fn(String),
    ) -> anyhow::Result<Option<Pass<'_>>> {
        let mut said = false;
        let got = self.budget.acquire(self.tokens, deadline, |wait: &Wait| {
            if self.show_wait {
                eprint!(
                    "\r\x1b[2K⠿ waiting for the rate budget: {:.1}s ({})",
                    wait.remaining().as_secs_f64(),
                    wait.reason.describe()
                );
            }
            if !said {
                log(format!(
                    "rate budget: waiting {:.1}s: {}",
                    wait.remaining().as_secs_f64(),
                    wait.reason.describe()
                ));
                said = true;
            }
        });
        if said && self.show_wait {
            eprint!("\r\x1b[2K");
        }
        match got {
            Ok(Acquired::Go(ticket)) => Ok(Some(Pass {
                budget: &self.budget,
                ticket: Some(ticket),
            })),
            Ok(Acquired::PastDeadline(wait)) => Err(Failure::new(
                Kind::RateLimited,
                format!(
                    "the rate budget frees up only in {:.0}s ({}), after the total timeout",
                    wait.remaining().as_secs_f64().ceil(),
                    wait.reason.describe()
                ),
            )
            .hint("raise total_timeout, or run fewer calls at once")
            .into()),
            Err(e) => {
                log(format!("rate budget unavailable, sending anyway: {e}"));
                Ok(None)
            }
        }
    }
}

impl Pass<'_> {
    /// Settles the grant with the response's status and headers; a 429 that asked for a
    /// wait holds every process until then.
    pub fn settle(
        mut self,
        status: u16,
        headers: &[(String, String)],
        retry_after: Option<Duration>,
    ) {
        if let Some(ticket) = self.ticket.take() {
            let _ = self.budget.observe(
                ticket,
                headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            );
        }
        if status == 429
            && let Some(wait) = retry_after
        {
            let _ = self.budget.cooldown(SystemTime::now() + wait);
        }
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            let _ = self.budget.release(ticket);
        }
    }
}
