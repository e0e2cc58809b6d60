//! The API's rate limit, learnt from the `X-RateLimit-*` headers of every answer, so that no
//! request is sent once the budget of the current window is spent.

use std::sync::Mutex;
use std::time::Duration;

// tokio's clock, so that tests can pause it; the same as std's otherwise.
use tokio::time::Instant;

/// What one answer said about the rate limit.
#[derive(Clone, Copy, Debug)]
pub struct RateHeaders {
    pub limit: Option<u32>,
    pub remaining: u32,
    /// Seconds until the window resets, as sent (whole seconds, rounded up).
    pub reset: Duration,
    pub period: Option<Duration>,
}

#[derive(Debug, Default)]
struct State {
    /// Requests left in the window: counted down as they are sent, corrected by answers.
    remaining: Option<u32>,
    /// When the window ends, at the latest.
    reset_at: Option<Instant>,
    /// Requests a window allows and its length, once an answer said so.
    limit: Option<u32>,
    period: Option<Duration>,
    /// Requests sent and not yet answered: answers do not count them yet.
    in_flight: u32,
}

#[derive(Debug, Default)]
pub struct RateBudget {
    state: Mutex<State>,
}

impl RateBudget {
    /// Waits until a request may be sent, and counts it. Returns the time waited.
    pub async fn acquire(&self) -> Duration {
        let mut waited = Duration::ZERO;
        loop {
            let wait = {
                let mut s = self.state.lock().unwrap();
                let now = Instant::now();
                if s.reset_at.is_some_and(|r| now >= r) {
                    // A new window: as large as the last one said, until an answer says otherwise.
                    s.remaining = s.limit;
                    s.reset_at = s.period.map(|p| now + p);
                }
                match (s.remaining, s.reset_at) {
                    (Some(0), Some(reset_at)) => Some(reset_at - now),
                    (remaining, _) => {
                        s.remaining = remaining.and_then(|n| n.checked_sub(1));
                        s.in_flight += 1;
                        None
                    }
                }
            };
            match wait {
                None => return waited,
                Some(d) => {
                    waited += d;
                    tokio::time::sleep(d).await;
                }
            }
        }
    }

    /// Records an answer (or a failure: `None`) to a request counted by [`acquire`].
    pub fn answered(&self, headers: Option<RateHeaders>) {
        let at = Instant::now();
        let mut s = self.state.lock().unwrap();
        s.in_flight = s.in_flight.saturating_sub(1);
        let Some(h) = headers else { return };
        s.period = h.period.or(s.period);
        s.limit = h.limit.or(s.limit);
        // What the server saw, less what is still on its way to it.
        let server_view = h.remaining.saturating_sub(s.in_flight);
        let reset_at = at + h.reset;
        let half_period = s.period.unwrap_or(Duration::from_secs(1)) / 2;
        match s.reset_at {
            // Same window: answers may arrive out of order, so keep the tightest figures.
            Some(old) if reset_at < old + half_period => {
                s.remaining = Some(s.remaining.map_or(server_view, |r| r.min(server_view)));
                s.reset_at = Some(old.min(reset_at));
            }
            // First answer, or the first of a new window.
            _ => {
                s.remaining = Some(server_view);
                s.reset_at = Some(reset_at);
            }
        }
    }

    /// After a 429: nothing is left until the reset.
    pub fn exhausted(&self, reset: Duration) {
        let at = Instant::now();
        let mut s = self.state.lock().unwrap();
        s.remaining = Some(0);
        s.reset_at = Some(at + reset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(remaining: u32, reset: u64) -> Option<RateHeaders> {
        Some(RateHeaders {
            limit: Some(3),
            remaining,
            reset: Duration::from_secs(reset),
            period: Some(Duration::from_secs(10)),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_the_reset_once_the_budget_is_spent() {
        let budget = RateBudget::default();
        assert_eq!(budget.acquire().await, Duration::ZERO);
        budget.answered(headers(1, 10));
        // One left: it goes at once; the next one must wait for the window to reset.
        assert_eq!(budget.acquire().await, Duration::ZERO);
        budget.answered(headers(0, 10));
        let waited = budget.acquire().await;
        assert!(waited >= Duration::from_secs(9), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn requests_in_flight_spend_the_budget() {
        let budget = RateBudget::default();
        budget.acquire().await;
        budget.answered(headers(2, 10));
        budget.acquire().await;
        budget.acquire().await;
        // Two in flight, two left: the third waits.
        let waited = budget.acquire().await;
        assert!(waited >= Duration::from_secs(9), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn late_answers_of_a_window_do_not_raise_the_budget() {
        let budget = RateBudget::default();
        budget.acquire().await;
        budget.acquire().await;
        budget.answered(headers(0, 10));
        budget.answered(headers(5, 10));
        let waited = budget.acquire().await;
        assert!(waited >= Duration::from_secs(9), "{waited:?}");
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_new_window_allows_only_the_limit_before_any_answer() {
        let budget = RateBudget::default();
        budget.acquire().await;
        let h = RateHeaders {
            limit: Some(2),
            remaining: 0,
            reset: Duration::from_secs(1),
            period: Some(Duration::from_secs(1)),
        };
        budget.answered(Some(h));
        // Spent: the next two wait for the reset, then go; a third must wait a second window.
        let start = Instant::now();
        budget.acquire().await;
        budget.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(1));
        let before_third = Instant::now();
        budget.acquire().await;
        assert!(before_third.elapsed() >= Duration::from_millis(900), "{:?}", before_third.elapsed());
    }
}
