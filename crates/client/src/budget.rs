//! The API's rate limits, learnt from the `X-RateLimit-*` headers of every answer, so that no
//! request is sent once the budget of the current window is spent.
//!
//! Datadog limits endpoints separately and names each limit in `X-RateLimit-Name`: the gates
//! endpoints and the monitor search each have theirs. [`Budgets`] keeps one [`RateBudget`] per
//! name, learnt from the answers; an endpoint whose limit is not known yet sends one request at
//! a time until its first answer says which limit it counts against.
//!
//! The reset comes in whole seconds (rounded up), so each answer bounds the end of its window
//! from above; the smallest bound seen within one window is the one waited for. Only then does
//! a new window begin, with the last known limit, less the requests still in flight.
//!
//! A command gives up on the rate limit once [`Patience`] runs out: so long without any request
//! getting an answer that is not a 429, whatever the server says about its windows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

// tokio's clock, so that tests can pause it; the same as std's otherwise.
use tokio::time::Instant;

/// The longest a single wait for a window to reset may last, whatever the server says.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(60);
/// How long a command waits for the rate limit without a single request getting through before
/// it gives up.
pub(crate) const PATIENCE: Duration = Duration::from_secs(300);
/// Waits longer than this are announced on stderr.
const ANNOUNCE_AFTER: Duration = Duration::from_secs(2);

/// What one answer said about the rate limit.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RateHeaders {
    pub(crate) limit: Option<u32>,
    pub(crate) remaining: u32,
    /// Time until the window resets, at most [`MAX_WAIT`].
    pub(crate) reset: Duration,
    /// Which limit the answer counts against (`X-RateLimit-Name`).
    pub(crate) name: Option<String>,
    /// How long a window lasts (`X-RateLimit-Period`), at most [`MAX_WAIT`].
    pub(crate) period: Option<Duration>,
}

impl RateHeaders {
    /// Reads the header values defensively: numbers that are not numbers, negative or
    /// infinite are ignored, a limit of 0 means nothing (it would stop every request), and a
    /// reset is capped at [`MAX_WAIT`] (a server saying 86400 or 1e20 is not waited for).
    pub(crate) fn parse(limit: Option<&str>, remaining: Option<&str>, reset: Option<&str>) -> Option<RateHeaders> {
        let number =
            |v: Option<&str>| v.and_then(|v| v.trim().parse::<f64>().ok()).filter(|v| v.is_finite() && *v >= 0.0);
        let remaining = number(remaining)?.min(f64::from(u32::MAX)) as u32;
        let reset = number(reset)?.min(MAX_WAIT.as_secs_f64());
        let limit = number(limit).map(|l| l.min(f64::from(u32::MAX)) as u32).filter(|l| *l > 0);
        Some(RateHeaders { limit, remaining, reset: Duration::from_secs_f64(reset), name: None, period: None })
    }

    /// With the window's length, when it reads as a number of seconds.
    pub(crate) fn with_period(mut self, period: Option<&str>) -> RateHeaders {
        self.period = period
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v > 0.0)
            .map(|v| Duration::from_secs_f64(v.min(MAX_WAIT.as_secs_f64())));
        self
    }

    /// With the limit's name, when it is printable text of a sensible length.
    pub(crate) fn named(mut self, name: Option<&str>) -> RateHeaders {
        self.name = name
            .map(str::trim)
            .filter(|n| !n.is_empty() && n.len() <= 100 && n.chars().all(|c| c.is_ascii_graphic()))
            .map(str::to_string);
        self
    }
}

/// How long a command has gone without any request getting through the rate limit: shared by
/// every request of the command, reset by every answer that is not a 429.
pub(crate) struct Patience {
    last_progress: Mutex<Instant>,
    limit: Duration,
    /// Where a long wait is announced.
    say: crate::say::Say,
}

impl std::fmt::Debug for Patience {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Patience").field("limit", &self.limit).finish_non_exhaustive()
    }
}

impl Patience {
    pub(crate) fn new(limit: Duration) -> Patience {
        Patience { last_progress: Mutex::new(Instant::now()), limit, say: crate::say::silent() }
    }

    /// Announcing long waits through `say`.
    pub(crate) fn saying(mut self, say: crate::say::Say) -> Patience {
        self.say = say;
        self
    }

    /// A request got through.
    pub(crate) fn progress(&self) {
        *self.last_progress.lock().unwrap() = Instant::now();
    }

    /// How long without progress, when that is past the limit.
    pub(crate) fn exhausted(&self) -> Option<Duration> {
        let since = self.last_progress.lock().unwrap().elapsed();
        (since >= self.limit).then_some(since)
    }

    /// How long it waits without progress.
    pub(crate) fn limit(&self) -> Duration {
        self.limit
    }

    /// Time left before giving up.
    pub(crate) fn left(&self) -> Duration {
        self.limit.saturating_sub(self.last_progress.lock().unwrap().elapsed())
    }
}

impl Default for Patience {
    fn default() -> Self {
        Patience::new(PATIENCE)
    }
}

/// The budgets of one command: one per rate limit the answers named, and for each endpoint
/// family (the path without its ids) the budget its answers said it counts against.
#[derive(Debug, Default)]
pub(crate) struct Budgets {
    state: Mutex<BudgetMap>,
    pub(crate) patience: Patience,
}

#[derive(Debug, Default)]
struct BudgetMap {
    by_name: HashMap<String, Arc<RateBudget>>,
    /// An endpoint family's budget: learnt, or the probe that waits for its first answer.
    by_family: HashMap<String, Arc<RateBudget>>,
    /// Families whose answers named no limit (or carried no headers): they share one budget.
    unnamed: Option<Arc<RateBudget>>,
}

impl Budgets {
    pub(crate) fn with_patience(patience: Patience) -> Budgets {
        Budgets { state: Mutex::default(), patience }
    }

    /// The budget a request of `family` spends: the one its answers named, or, before any
    /// answer, a budget of its own that lets one request go at a time until one comes back.
    pub(crate) fn of(&self, family: &str) -> Arc<RateBudget> {
        let mut map = self.state.lock().unwrap();
        Arc::clone(map.by_family.entry(family.to_string()).or_default())
    }

    /// Learns from an answer to a request of `family` which limit it counts against; returns
    /// the budget the answer's figures belong to, when another than the one the request spent.
    pub(crate) fn learn(
        &self,
        family: &str,
        spent: &Arc<RateBudget>,
        headers: Option<&RateHeaders>,
    ) -> Option<Arc<RateBudget>> {
        let mut map = self.state.lock().unwrap();
        let current = map.by_family.get(family).cloned();
        if current.as_ref().is_some_and(|c| !c.is_probe()) {
            return None;
        }
        let target = match headers.and_then(|h| h.name.clone()) {
            Some(name) => Arc::clone(map.by_name.entry(name).or_insert_with(|| Arc::new(RateBudget::learnt()))),
            None => Arc::clone(map.unnamed.get_or_insert_with(|| Arc::new(RateBudget::learnt()))),
        };
        map.by_family.insert(family.to_string(), Arc::clone(&target));
        (!Arc::ptr_eq(&target, spent)).then_some(target)
    }
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
    /// How long a window lasts, as far as the answers told (their period, else the longest
    /// reset they gave): a new window ends then at the latest, so that a window is never held
    /// shut for want of answers that say when it ends.
    window: Option<Duration>,
    /// This window's end is only that bound so far: no answer of it has said when it ends.
    tentative: bool,
    /// Requests sent in this window, and those of earlier windows still unanswered (they may
    /// land in this one): together they spend its budget until an answer says how much is left.
    sent: u32,
    stale: u32,
    /// Requests sent and not yet answered.
    in_flight: u32,
    /// The end of window last announced on stderr, so concurrent waiters say it once.
    announced: Option<Instant>,
    /// Whether any request has finished: until then one request goes at a time, so that the
    /// first answer's headers tell the limit before a burst of requests can overrun it.
    heard: bool,
    /// A budget standing in for an endpoint family until its first answer names its limit.
    probe: bool,
}

impl State {
    fn learn_window(&mut self, headers: &RateHeaders) {
        let seen = headers.period.unwrap_or(headers.reset);
        self.window = Some(self.window.map_or(seen, |w| w.max(seen)).min(MAX_WAIT));
    }
}

#[derive(Debug)]
pub(crate) struct RateBudget {
    state: Mutex<State>,
}

/// A request counted against the budget: hand it back with [`RateBudget::answered`]. Dropped
/// unanswered (the request future was cancelled, by a timeout for instance), it is released
/// as a request without news, so the budget never leaks.
#[derive(Debug)]
pub(crate) struct Permit {
    budget: Arc<RateBudget>,
    epoch: u64,
    returned: bool,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.returned {
            self.budget.release(self.epoch, None);
        }
    }
}

/// The rate limit let no request through for the whole [`Patience`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct WaitedTooLong(pub Duration);

impl Default for RateBudget {
    /// A probe: one request at a time until an answer comes.
    fn default() -> Self {
        RateBudget { state: Mutex::new(State { probe: true, ..State::default() }) }
    }
}

impl RateBudget {
    /// A budget of a limit learnt from an answer: its figures come with the next answers.
    fn learnt() -> RateBudget {
        RateBudget { state: Mutex::new(State { heard: true, ..State::default() }) }
    }

    fn is_probe(&self) -> bool {
        self.state.lock().unwrap().probe
    }

    /// Takes an answer's figures that were counted against another budget (the probe of its
    /// endpoint family), as a first answer of this one.
    pub(crate) fn observe(&self, headers: &RateHeaders) {
        let mut s = self.state.lock().unwrap();
        s.learn_window(headers);
        if std::mem::take(&mut s.tentative) {
            s.reset_at = None;
        }
        s.limit = headers.limit.or(s.limit);
        let reset_at = Instant::now() + headers.reset;
        let server_view = headers.remaining.saturating_sub(s.in_flight);
        s.remaining = Some(s.remaining.map_or(server_view, |r| r.min(server_view)));
        s.reset_at = Some(s.reset_at.map_or(reset_at, |r| r.min(reset_at)));
    }

    /// Waits until a request may be sent, and counts it; returns the permit and the time
    /// waited, or gives up once `patience` has run out.
    pub(crate) async fn acquire(self: &Arc<Self>, patience: &Patience) -> Result<(Permit, Duration), WaitedTooLong> {
        let mut waited = Duration::ZERO;
        loop {
            let (wait, announce) = {
                let mut s = self.state.lock().unwrap();
                let now = Instant::now();
                if s.reset_at.is_some_and(|r| now >= r) {
                    // A new window, as large as the last: its answers will say when it ends, and
                    // without them it ends as long a time from now as windows last.
                    s.epoch += 1;
                    s.remaining = None;
                    s.reset_at = s.window.map(|w| now + w);
                    s.tentative = true;
                    s.sent = 0;
                    s.stale = s.in_flight;
                }
                let allowed = match (s.remaining, s.limit) {
                    (Some(remaining), _) => remaining > 0,
                    (None, Some(limit)) => s.sent + s.stale < limit,
                    (None, None) => s.heard || s.in_flight == 0,
                };
                if allowed {
                    s.remaining = s.remaining.map(|n| n - 1);
                    s.sent += 1;
                    s.in_flight += 1;
                    let permit = Permit { budget: Arc::clone(self), epoch: s.epoch, returned: false };
                    return Ok((permit, waited));
                }
                if let Some(since) = patience.exhausted() {
                    return Err(WaitedTooLong(since));
                }
                // Spent: wait for the reset, or, before this window's first answer, for news.
                // A tentative end is a bound, not news: a late answer may make room before it.
                let until_reset = s.reset_at.filter(|_| !s.tentative).map_or(POLL, |r| r - now);
                let wait = until_reset.min(MAX_WAIT).min(patience.left().max(POLL));
                let announce = wait >= ANNOUNCE_AFTER && s.announced != s.reset_at;
                if announce {
                    s.announced = s.reset_at;
                }
                (wait, announce)
            };
            if announce {
                (patience.say)(&format!(
                    "note: the API's rate limit is spent; waiting {} s for its window to reset\n",
                    wait.as_secs_f64().ceil()
                ));
            }
            waited += wait;
            tokio::time::sleep(wait).await;
        }
    }

    /// Records the answer to a permitted request (`None`: no answer, or no rate-limit headers).
    pub(crate) fn answered(&self, mut permit: Permit, headers: Option<RateHeaders>) {
        permit.returned = true;
        self.release(permit.epoch, headers);
    }

    fn release(&self, epoch: u64, headers: Option<RateHeaders>) {
        let mut s = self.state.lock().unwrap();
        s.in_flight = s.in_flight.saturating_sub(1);
        s.heard = true;
        if epoch != s.epoch {
            s.stale = s.stale.saturating_sub(1);
            return;
        }
        let Some(h) = headers else { return };
        s.learn_window(&h);
        // A tentative end was only a fallback: the server's own word replaces it (the server's
        // window began when its first request arrived, after the fallback was set).
        if std::mem::take(&mut s.tentative) {
            s.reset_at = None;
        }
        s.limit = h.limit.or(s.limit);
        let reset_at = Instant::now() + h.reset;
        // What the server saw, less what is still on its way to it. Within one window the
        // figures can only tighten: a window ends when `reset_at` passes, never because an
        // answer (perhaps late, perhaps out of order) reports more budget.
        let server_view = h.remaining.saturating_sub(s.in_flight);
        s.remaining = Some(s.remaining.map_or(server_view, |r| r.min(server_view)));
        s.reset_at = Some(s.reset_at.map_or(reset_at, |r| r.min(reset_at)));
    }

    /// After a 429: nothing is left until the reset (at most [`MAX_WAIT`] away).
    pub(crate) fn exhausted(&self, reset: Duration) {
        let mut s = self.state.lock().unwrap();
        s.window = Some(s.window.map_or(reset, |w| w.max(reset)).min(MAX_WAIT));
        s.tentative = false;
        s.remaining = Some(0);
        let reset_at = Instant::now() + reset.min(MAX_WAIT);
        s.reset_at = Some(s.reset_at.map_or(reset_at, |r| r.max(reset_at)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(limit: u32, remaining: u32, reset: u64) -> Option<RateHeaders> {
        Some(RateHeaders { limit: Some(limit), remaining, reset: Duration::from_secs(reset), name: None, period: None })
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_the_reset_once_the_budget_is_spent() {
        let budget = Arc::new(RateBudget::default());
        let (p, waited) = budget.acquire(&Patience::default()).await.unwrap();
        assert_eq!(waited, Duration::ZERO);
        budget.answered(p, headers(3, 1, 10));
        // One left: it goes at once; the next one must wait for the window to reset.
        let (p, waited) = budget.acquire(&Patience::default()).await.unwrap();
        assert_eq!(waited, Duration::ZERO);
        budget.answered(p, headers(3, 0, 10));
        let (_, waited) = budget.acquire(&Patience::default()).await.unwrap();
        assert!(waited >= Duration::from_secs(9), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn requests_in_flight_spend_the_budget() {
        let budget = Arc::new(RateBudget::default());
        let (p, _) = budget.acquire(&Patience::default()).await.unwrap();
        budget.answered(p, headers(3, 2, 10));
        let _a = budget.acquire(&Patience::default()).await.unwrap();
        let _b = budget.acquire(&Patience::default()).await.unwrap();
        // Two in flight, none answered, none left: the third waits for the reset.
        let (_, waited) = budget.acquire(&Patience::default()).await.unwrap();
        assert!(waited >= Duration::from_secs(9), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn late_answers_of_a_window_do_not_raise_the_budget() {
        let budget = Arc::new(RateBudget::default());
        let (first, _) = budget.acquire(&Patience::default()).await.unwrap();
        budget.answered(first, headers(10, 5, 10));
        let (a, _) = budget.acquire(&Patience::default()).await.unwrap();
        let (b, _) = budget.acquire(&Patience::default()).await.unwrap();
        budget.answered(b, headers(10, 0, 10));
        budget.answered(a, headers(10, 1, 10));
        let (_, waited) = budget.acquire(&Patience::default()).await.unwrap();
        assert!(waited >= Duration::from_secs(9), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_request_goes_alone_until_its_answer_tells_the_limit() {
        let budget = Arc::new(RateBudget::default());
        let (first, _) = budget.acquire(&Patience::default()).await.unwrap();
        let second = tokio::spawn({
            let budget = Arc::clone(&budget);
            async move { budget.acquire(&Patience::default()).await.map(|(_, waited)| waited) }
        });
        tokio::time::advance(Duration::from_millis(50)).await;
        assert!(!second.is_finished(), "a second request waits for the first answer");
        budget.answered(first, None);
        assert!(second.await.unwrap().is_ok(), "it goes once the first is answered");
        // Without rate headers at all, nothing holds requests back after that.
        let _a = budget.acquire(&Patience::default()).await.unwrap();
        let (_, waited) = budget.acquire(&Patience::default()).await.unwrap();
        assert_eq!(waited, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn the_earliest_reset_of_a_window_is_the_one_waited_for() {
        let budget = Arc::new(RateBudget::default());
        let (a, _) = budget.acquire(&Patience::default()).await.unwrap();
        budget.answered(a, headers(10, 9, 1));
        tokio::time::advance(Duration::from_millis(600)).await;
        // Rounded up, a later answer of the same window says 1 s again: the window still ends at 1 s.
        let (b, _) = budget.acquire(&Patience::default()).await.unwrap();
        budget.answered(
            b,
            Some(RateHeaders {
                limit: Some(10),
                remaining: 0,
                reset: Duration::from_secs(1),
                name: None,
                period: None,
            }),
        );
        let (_, waited) = budget.acquire(&Patience::default()).await.unwrap();
        assert!(waited <= Duration::from_millis(400), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_window_allows_only_the_limit() {
        let budget = Arc::new(RateBudget::default());
        let (p, _) = budget.acquire(&Patience::default()).await.unwrap();
        budget.answered(p, headers(2, 0, 1));
        // Spent: the next two wait for the reset, then go; a third waits for an answer of the new window.
        let start = Instant::now();
        let (p1, _) = budget.acquire(&Patience::default()).await.unwrap();
        let (p2, _) = budget.acquire(&Patience::default()).await.unwrap();
        assert!(start.elapsed() >= Duration::from_secs(1));
        budget.answered(p1, headers(2, 1, 1));
        budget.answered(p2, headers(2, 0, 1));
        let before_third = Instant::now();
        budget.acquire(&Patience::default()).await.unwrap();
        assert!(before_third.elapsed() >= Duration::from_millis(900), "{:?}", before_third.elapsed());
    }
}

#[cfg(test)]
mod hostile_tests {
    use super::*;

    #[test]
    fn header_values_are_read_defensively() {
        let parse = RateHeaders::parse;
        let h = parse(Some("100"), Some("7"), Some("1e20")).unwrap();
        assert_eq!((h.limit, h.remaining, h.reset), (Some(100), 7, MAX_WAIT), "a huge reset is capped");
        assert_eq!(h.clone().named(Some("deployment_gates")).name.as_deref(), Some("deployment_gates"));
        assert_eq!(h.named(Some("a\u{1b}[31m")).name, None, "a name that could drive a terminal is not kept");
        assert_eq!(parse(Some("0"), Some("0"), Some("3")).unwrap().limit, None, "a limit of 0 is no limit");
        assert_eq!(parse(None, Some("5"), Some("86400")).unwrap().reset, MAX_WAIT);
        assert!(parse(None, Some("-1"), Some("3")).is_none());
        assert!(parse(None, Some("NaN"), Some("3")).is_none());
        assert!(parse(None, Some("5"), Some("inf")).is_none());
        assert!(parse(None, Some("lots"), Some("3")).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_permit_dropped_unanswered_gives_its_place_back() {
        let budget = Arc::new(RateBudget::default());
        let (p, _) = budget.acquire(&Patience::default()).await.unwrap();
        budget.answered(
            p,
            Some(RateHeaders {
                limit: Some(2),
                remaining: 1,
                reset: Duration::from_secs(30),
                name: None,
                period: None,
            }),
        );
        // A request whose future is dropped (evaluate's timeout) before its answer.
        let (cancelled, _) = budget.acquire(&Patience::default()).await.unwrap();
        drop(cancelled);
        assert_eq!(budget.state.lock().unwrap().in_flight, 0, "nothing stays in flight");
    }

    #[tokio::test(start_paused = true)]
    async fn a_budget_that_never_makes_room_is_given_up_on() {
        let budget = Arc::new(RateBudget::default());
        let (p, _) = budget.acquire(&Patience::default()).await.unwrap();
        budget.answered(
            p,
            Some(RateHeaders { limit: Some(1), remaining: 0, reset: Duration::from_secs(1), name: None, period: None }),
        );
        // The new window's only place goes to a request that never comes back.
        let (_hung, _) = budget.acquire(&Patience::default()).await.unwrap();
        let started = Instant::now();
        let Err(WaitedTooLong(waited)) = budget.acquire(&Patience::default()).await else {
            panic!("no room can ever come")
        };
        assert!(waited >= PATIENCE && started.elapsed() < PATIENCE * 2, "{waited:?}");
    }
}

#[cfg(test)]
mod budgets_tests {
    use super::*;

    fn named(limit: u32, remaining: u32, name: &str) -> RateHeaders {
        RateHeaders {
            limit: Some(limit),
            remaining,
            reset: Duration::from_secs(10),
            name: Some(name.into()),
            period: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn each_named_limit_has_its_own_budget_learnt_from_the_answers() {
        let budgets = Budgets::default();
        let gates = budgets.of("v2/deployment_gates");
        let (p, _) = gates.acquire(&budgets.patience).await.unwrap();
        let learnt = budgets.learn("v2/deployment_gates", &gates, Some(&named(100, 0, "deployment_gates"))).unwrap();
        learnt.observe(&named(100, 0, "deployment_gates"));
        gates.answered(p, None);
        // The gates' budget is spent; the monitor search, another limit, is not held back by it.
        let monitors = budgets.of("v1/monitor");
        let (p, waited) = monitors.acquire(&budgets.patience).await.unwrap();
        assert_eq!(waited, Duration::ZERO);
        let other = budgets.learn("v1/monitor", &monitors, Some(&named(100, 99, "monitors"))).unwrap();
        assert!(!Arc::ptr_eq(&other, &learnt), "two names, two budgets");
        monitors.answered(p, None);
        let (_, waited) = budgets.of("v2/deployment_gates").acquire(&budgets.patience).await.unwrap();
        assert!(waited >= Duration::from_secs(9), "the gates' own window must reset: {waited:?}");
        // A family learnt once keeps its budget: another answer's name does not move it.
        assert!(budgets.learn("v2/deployment_gates", &learnt, Some(&named(5, 5, "other"))).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn patience_is_for_the_whole_command_and_progress_renews_it() {
        let patience = Patience::new(Duration::from_secs(300));
        tokio::time::advance(Duration::from_secs(200)).await;
        assert!(patience.exhausted().is_none());
        patience.progress();
        tokio::time::advance(Duration::from_secs(200)).await;
        assert!(patience.exhausted().is_none(), "progress renews it");
        tokio::time::advance(Duration::from_secs(101)).await;
        assert!(patience.exhausted().is_some());
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_window_whose_reset_passed_opens_again_without_headers() {
        let budget = Arc::new(RateBudget::default());
        let patience = Patience::default();
        // A 429 said: one request per 5 s window, none left.
        let (p, _) = budget.acquire(&patience).await.unwrap();
        budget.answered(
            p,
            Some(RateHeaders { limit: Some(1), remaining: 0, reset: Duration::from_secs(5), name: None, period: None }),
        );
        budget.exhausted(Duration::from_secs(5));
        // The answers of the next windows carry no headers at all.
        for window in 0..3 {
            let started = Instant::now();
            let (p, waited) = budget.acquire(&patience).await.unwrap();
            assert!(waited <= Duration::from_secs(5) + POLL, "window {window}: {waited:?}");
            assert!(started.elapsed() < Duration::from_secs(6));
            budget.answered(p, None);
        }
    }
}

#[cfg(test)]
mod stale_tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_of_the_last_window_still_in_flight_count_until_answered() {
        let budget = Arc::new(RateBudget::default());
        let (first, _) = budget.acquire(&Patience::default()).await.unwrap();
        budget.answered(
            first,
            Some(RateHeaders { limit: Some(2), remaining: 1, reset: Duration::from_secs(1), name: None, period: None }),
        );
        let (late, _) = budget.acquire(&Patience::default()).await.unwrap();
        // The window resets while `late` is unanswered: it may land in the new one, so one is left.
        tokio::time::advance(Duration::from_secs(1)).await;
        let (_held, waited) = budget.acquire(&Patience::default()).await.unwrap();
        assert_eq!(waited, Duration::ZERO);
        let waiter = tokio::spawn({
            let budget = Arc::clone(&budget);
            async move { budget.acquire(&Patience::default()).await.unwrap() }
        });
        tokio::time::advance(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "the budget is spent while `late` is in flight");
        // Once `late` is answered (its stale figures ignored), the new window has room again.
        budget.answered(
            late,
            Some(RateHeaders { limit: Some(2), remaining: 0, reset: Duration::from_secs(1), name: None, period: None }),
        );
        let (_, waited) = waiter.await.unwrap();
        assert!(waited < Duration::from_millis(200), "{waited:?}");
    }
}
