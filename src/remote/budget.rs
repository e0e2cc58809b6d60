//! The API's rate limit, learnt from the `X-RateLimit-*` headers of every answer, so that no
//! request is sent once the budget of the current window is spent.
//!
//! The reset comes in whole seconds (rounded up), so each answer bounds the end of its window
//! from above; the smallest bound seen within one window is the one waited for. Only then does
//! a new window begin, with the last known limit, less the requests still in flight.

use std::sync::Mutex;
use std::time::Duration;

// tokio's clock, so that tests can pause it; the same as std's otherwise.
use tokio::time::Instant;

/// What one answer said about the rate limit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RateHeaders {
    pub(crate) limit: Option<u32>,
    pub(crate) remaining: u32,
    /// Seconds until the window resets.
    pub(crate) reset: Duration,
}

/// How long to wait for news when the budget is spent but no answer has told when it resets.
const POLL: Duration = Duration::from_millis(10);

#[derive(Debug, Default)]
struct State {
    /// Counts windows as this client sees them; answers to requests sent in an earlier one
    /// carry stale figures and are ignored.
    epoch: u64,
    /// Requests left in the window, from this window's answers, counted down as requests go.
    remaining: Option<u32>,
    /// The earliest end of window that an answer of this window allows.
    reset_at: Option<Instant>,
    /// Requests a window allows, once an answer said so.
    limit: Option<u32>,
    /// Requests sent in this window, and those of earlier windows still unanswered (they may
    /// land in this one): together they spend its budget until an answer says how much is left.
    sent: u32,
    stale: u32,
    /// Requests sent and not yet answered.
    in_flight: u32,
}

#[derive(Debug, Default)]
pub(crate) struct RateBudget {
    state: Mutex<State>,
}

/// A request counted against the budget; give it back to [`RateBudget::answered`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Permit {
    epoch: u64,
}

impl RateBudget {
    /// Waits until a request may be sent, and counts it. Returns the permit and the time waited.
    pub(crate) async fn acquire(&self) -> (Permit, Duration) {
        let mut waited = Duration::ZERO;
        loop {
            let wait = {
                let mut s = self.state.lock().unwrap();
                let now = Instant::now();
                if s.reset_at.is_some_and(|r| now >= r) {
                    // A new window, as large as the last: when it ends, its answers will say.
                    s.epoch += 1;
                    s.remaining = None;
                    s.reset_at = None;
                    s.sent = 0;
                    s.stale = s.in_flight;
                }
                let allowed = match (s.remaining, s.limit) {
                    (Some(remaining), _) => remaining > 0,
                    (None, Some(limit)) => s.sent + s.stale < limit,
                    (None, None) => true,
                };
                if allowed {
                    s.remaining = s.remaining.map(|n| n - 1);
                    s.sent += 1;
                    s.in_flight += 1;
                    return (Permit { epoch: s.epoch }, waited);
                }
                // Spent: wait for the reset, or, before this window's first answer, for news.
                s.reset_at.map_or(POLL, |r| r - now)
            };
            waited += wait;
            tokio::time::sleep(wait).await;
        }
    }

    /// Records the answer to a permitted request (`None`: no answer, or no rate-limit headers).
    pub(crate) fn answered(&self, permit: Permit, headers: Option<RateHeaders>) {
        let mut s = self.state.lock().unwrap();
        s.in_flight = s.in_flight.saturating_sub(1);
        if permit.epoch != s.epoch {
            s.stale = s.stale.saturating_sub(1);
            return;
        }
        let Some(h) = headers else { return };
        s.limit = h.limit.or(s.limit);
        let reset_at = Instant::now() + h.reset;
        // What the server saw, less what is still on its way to it. Within one window the
        // figures can only tighten: a window ends when `reset_at` passes, never because an
        // answer (perhaps late, perhaps out of order) reports more budget.
        let server_view = h.remaining.saturating_sub(s.in_flight);
        s.remaining = Some(s.remaining.map_or(server_view, |r| r.min(server_view)));
        s.reset_at = Some(s.reset_at.map_or(reset_at, |r| r.min(reset_at)));
    }

    /// After a 429: nothing is left until the reset.
    pub(crate) fn exhausted(&self, reset: Duration) {
        let mut s = self.state.lock().unwrap();
        s.remaining = Some(0);
        let reset_at = Instant::now() + reset;
        s.reset_at = Some(s.reset_at.map_or(reset_at, |r| r.max(reset_at)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(limit: u32, remaining: u32, reset: u64) -> Option<RateHeaders> {
        Some(RateHeaders { limit: Some(limit), remaining, reset: Duration::from_secs(reset) })
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_the_reset_once_the_budget_is_spent() {
        let budget = RateBudget::default();
        let (p, waited) = budget.acquire().await;
        assert_eq!(waited, Duration::ZERO);
        budget.answered(p, headers(3, 1, 10));
        // One left: it goes at once; the next one must wait for the window to reset.
        let (p, waited) = budget.acquire().await;
        assert_eq!(waited, Duration::ZERO);
        budget.answered(p, headers(3, 0, 10));
        let (_, waited) = budget.acquire().await;
        assert!(waited >= Duration::from_secs(9), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn requests_in_flight_spend_the_budget() {
        let budget = RateBudget::default();
        let (p, _) = budget.acquire().await;
        budget.answered(p, headers(3, 2, 10));
        budget.acquire().await;
        budget.acquire().await;
        // Two in flight, none answered, none left: the third waits for the reset.
        let (_, waited) = budget.acquire().await;
        assert!(waited >= Duration::from_secs(9), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn late_answers_of_a_window_do_not_raise_the_budget() {
        let budget = RateBudget::default();
        let (a, _) = budget.acquire().await;
        let (b, _) = budget.acquire().await;
        budget.answered(b, headers(10, 0, 10));
        budget.answered(a, headers(10, 1, 10));
        let (_, waited) = budget.acquire().await;
        assert!(waited >= Duration::from_secs(9), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_earliest_reset_of_a_window_is_the_one_waited_for() {
        let budget = RateBudget::default();
        let (a, _) = budget.acquire().await;
        budget.answered(a, headers(10, 9, 1));
        tokio::time::advance(Duration::from_millis(600)).await;
        // Rounded up, a later answer of the same window says 1 s again: the window still ends at 1 s.
        let (b, _) = budget.acquire().await;
        budget.answered(b, Some(RateHeaders { limit: Some(10), remaining: 0, reset: Duration::from_secs(1) }));
        let (_, waited) = budget.acquire().await;
        assert!(waited <= Duration::from_millis(400), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_window_allows_only_the_limit() {
        let budget = RateBudget::default();
        let (p, _) = budget.acquire().await;
        budget.answered(p, headers(2, 0, 1));
        // Spent: the next two wait for the reset, then go; a third waits for an answer of the new window.
        let start = Instant::now();
        let (p1, _) = budget.acquire().await;
        let (p2, _) = budget.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(1));
        budget.answered(p1, headers(2, 1, 1));
        budget.answered(p2, headers(2, 0, 1));
        let before_third = Instant::now();
        budget.acquire().await;
        assert!(before_third.elapsed() >= Duration::from_millis(900), "{:?}", before_third.elapsed());
    }
}

#[cfg(test)]
mod stale_tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_of_the_last_window_still_in_flight_count_until_answered() {
        let budget = Arc::new(RateBudget::default());
        let (first, _) = budget.acquire().await;
        budget.answered(first, Some(RateHeaders { limit: Some(2), remaining: 1, reset: Duration::from_secs(1) }));
        let (late, _) = budget.acquire().await;
        // The window resets while `late` is unanswered: it may land in the new one, so one is left.
        tokio::time::advance(Duration::from_secs(1)).await;
        let (_, waited) = budget.acquire().await;
        assert_eq!(waited, Duration::ZERO);
        let waiter = tokio::spawn({
            let budget = Arc::clone(&budget);
            async move { budget.acquire().await }
        });
        tokio::time::advance(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "the budget is spent while `late` is in flight");
        // Once `late` is answered (its stale figures ignored), the new window has room again.
        budget.answered(late, Some(RateHeaders { limit: Some(2), remaining: 0, reset: Duration::from_secs(1) }));
        let (_, waited) = waiter.await.unwrap();
        assert!(waited < Duration::from_millis(200), "{waited:?}");
    }
}
