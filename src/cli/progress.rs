//! Progress on stderr, so that a long read or apply is never a blank screen: on a terminal a
//! live bar or status line (indicatif) whose elapsed time ticks every second; in CI a plain
//! line when a read starts or ends, every few seconds while it lasts, and the last counts at
//! the end. One reporter shows every operation's [`Event`]s: reads running side by side share
//! its line.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::ops::progress::{Event, Progress, WaitEvent};
use crate::output::{self, errln};
use crate::views::Palette;
use gatesctl_client::{DoraProgress, Fetched};
use gatesctl_core::text::plural;

/// How often CI hears about work in progress.
const CI_EVERY: Duration = Duration::from_secs(5);

/// Where the line of each applied action goes.
#[derive(Clone, Copy)]
pub(super) enum Applied {
    /// With the text output, on stdout.
    Stdout(Palette),
    /// Beside a JSON document on stdout: on stderr.
    Stderr,
}

pub(super) struct Reporter {
    /// The live display, on a terminal only.
    bar: Option<ProgressBar>,
    counts: Mutex<Counts>,
    started: Instant,
    applied: Applied,
}

/// What every read has got so far, and what was last shown.
#[derive(Default)]
struct Counts {
    listed: Option<usize>,
    rules: Option<(usize, usize)>,
    monitors: Option<(usize, usize)>,
    catalog: Option<usize>,
    deployments: Option<DoraProgress>,
    evaluations: Option<usize>,
    published: Option<(usize, usize)>,
    applying: Option<(usize, usize)>,
    /// On a terminal: whether the bar style (a count of steps) is drawn, not the status line.
    measured: Option<bool>,
    /// In CI: the last line printed, the reads begun and ended then, and when.
    printed: Option<(String, [bool; 12], Instant)>,
}

impl Reporter {
    /// A reporter for `stderr` as it is: live on a terminal, lines in CI.
    pub(super) fn new(terminal: bool) -> Reporter {
        let bar = terminal.then(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()));
        let reporter = Reporter {
            bar,
            counts: Mutex::default(),
            started: Instant::now(),
            applied: Applied::Stdout(Palette::PLAIN),
        };
        if let Some(bar) = &reporter.bar {
            // Until the first count, the status line with the time elapsed; drawn from now on.
            reporter.style(bar, &mut reporter.counts.lock().unwrap(), false);
            // Other stderr lines (rate-limit notes, warnings) are printed above the display.
            let display = bar.clone();
            output::set_stderr_hook(Arc::new(move |text: &str| display.suspend(|| output::err_direct(text))));
            bar.enable_steady_tick(Duration::from_secs(1));
        }
        reporter
    }

    /// Where the line of each applied action goes.
    pub(super) fn applying(mut self, applied: Applied) -> Reporter {
        self.applied = applied;
        self
    }

    fn outcome(&self, outcome: &crate::ops::apply::outcome::Outcome) {
        let line = match self.applied {
            Applied::Stdout(palette) => crate::views::apply::outcome_line(outcome, palette),
            Applied::Stderr => {
                return output::err(&format!("{}\n", crate::views::apply::outcome_line(outcome, Palette::PLAIN)))
            }
        };
        let print = || output::out(&format!("{line}\n"));
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// What a waiting user is told: the live status line on a terminal, one line per event in
    /// CI, each stamped with the time since the wait began.
    fn waiting(&self, event: &WaitEvent) {
        let text = match event {
            WaitEvent::Triggered { evaluation_id } => format!("evaluation {evaluation_id} triggered"),
            WaitEvent::NotReady => "waiting for the evaluation to start".to_string(),
            WaitEvent::InProgress { done, total } => format!("in progress: {done}/{total} rules completed"),
            WaitEvent::Retrying { error } => format!("transient error, retrying: {error}"),
        };
        match (&self.bar, event) {
            // Kept in the log on a terminal too: the live line would overwrite it.
            (_, WaitEvent::Retrying { .. }) | (None, _) => errln!("{}", self.stamped(&text)),
            (Some(bar), _) => {
                self.style(bar, &mut self.counts.lock().unwrap(), false);
                bar.set_message(text);
            }
        }
    }

    /// `[hh:mm:ss] text`: the time since the reporter began, for a log.
    fn stamped(&self, text: &str) -> String {
        let secs = self.started.elapsed().as_secs();
        format!("[{:02}:{:02}:{:02}] {text}", secs / 3600, secs / 60 % 60, secs % 60)
    }

    /// Draws the bar of steps, or the status line with the time elapsed, as `measured` says.
    fn style(&self, bar: &ProgressBar, counts: &mut Counts, measured: bool) {
        if counts.measured == Some(measured) {
            return;
        }
        counts.measured = Some(measured);
        let template = if measured {
            "{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed})"
        } else {
            "⏳ [{elapsed_precise}] {msg}"
        };
        bar.set_style(ProgressStyle::with_template(template).expect("a valid template").progress_chars("#>-"));
    }

    fn show(&self, c: &mut Counts) {
        let (measure, others) = c.parts();
        match &self.bar {
            Some(bar) => {
                self.style(bar, c, measure.is_some());
                if let Some((label, done, total)) = measure {
                    bar.set_prefix(label);
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                }
                bar.set_message(others.join(" · "));
            }
            None => {
                let line = c.line();
                let stage = c.stage();
                // A line that says something new: a read begun or ended, or counts every few seconds.
                let due = c
                    .printed
                    .as_ref()
                    .is_none_or(|(last, was, at)| *last != line && (*was != stage || at.elapsed() >= CI_EVERY));
                if !line.is_empty() && due {
                    errln!("{line}");
                    c.printed = Some((line, stage, Instant::now()));
                }
            }
        }
    }
}

impl Counts {
    /// The count of steps drawn as a bar (applying, else reading rules), and the other reads.
    fn parts(&self) -> (Option<(&'static str, usize, usize)>, Vec<String>) {
        let rules = self.rules.filter(|(_, t)| *t > 0);
        let measure = match (self.applying, rules) {
            (Some((d, t)), _) => Some(("applying", d, t)),
            (None, Some((d, t))) => Some(("reading rules", d, t)),
            (None, None) => None,
        };
        let mut others = Vec::new();
        if rules.is_none() {
            others.extend(self.listed.map(|n| format!("{} listed", plural(n, "remote gate", "remote gates"))));
        }
        others.extend(
            self.catalog.map(|n| format!("reading the Software Catalog: {}", plural(n, "service", "services"))),
        );
        others.extend(self.deployments.map(|p| {
            format!(
                "reading deployments: {} ({})",
                plural(p.events, "deployment", "deployments"),
                plural(p.requests, "answer", "answers")
            )
        }));
        others.extend(
            self.evaluations
                .map(|n| format!("reading evaluation history: {}", plural(n, "gate evaluation", "gate evaluations"))),
        );
        others.extend(self.monitors.filter(|(_, t)| *t > 0).map(|(d, t)| format!("monitor check {d}/{t}")));
        others.extend(self.published.map(|(p, t)| format!("publishing to Scorecards: {p}/{t} outcomes")));
        (measure, others)
    }

    /// The line CI prints.
    fn line(&self) -> String {
        let (measure, others) = self.parts();
        measure
            .map(|(label, d, t)| format!("{label} {d}/{t}"))
            .into_iter()
            .chain(others)
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// Which reads have begun, and which of those with a known length have ended: a change is
    /// worth a line in CI.
    fn stage(&self) -> [bool; 12] {
        let ended = |p: Option<(usize, usize)>| p.is_some_and(|(d, t)| d == t);
        // No rules to read is no read.
        let rules = self.rules.filter(|(_, t)| *t > 0);
        [
            self.listed.is_some(),
            rules.is_some(),
            self.monitors.is_some(),
            self.catalog.is_some(),
            self.deployments.is_some(),
            self.evaluations.is_some(),
            self.published.is_some(),
            self.applying.is_some(),
            ended(rules),
            ended(self.monitors),
            ended(self.published),
            ended(self.applying),
        ]
    }
}

impl Progress for Reporter {
    fn event(&self, event: Event<'_>) {
        let mut c = self.counts.lock().unwrap();
        match event {
            Event::Gates(Fetched::Gates(n)) => c.listed = Some(n),
            Event::Gates(Fetched::Rules { done, total }) => c.rules = Some((done, total)),
            Event::Monitors { done, total } => c.monitors = Some((done, total)),
            Event::Catalog(n) => c.catalog = Some(n),
            Event::Deployments(p) => c.deployments = Some(p),
            Event::Evaluations(n) => c.evaluations = Some(n),
            Event::Published { posted, total } => c.published = Some((posted, total)),
            Event::Applied { outcome, done, total } => {
                self.outcome(outcome);
                c.applying = Some((done, total));
            }
            Event::Waiting(event) => {
                drop(c);
                return self.waiting(event);
            }
        }
        self.show(&mut c);
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        match &self.bar {
            Some(bar) => {
                output::clear_stderr_hook();
                bar.finish_and_clear();
            }
            // The last counts, when the last line printed is not them.
            None => {
                let c = self.counts.lock().unwrap();
                let line = c.line();
                if !line.is_empty() && c.printed.as_ref().is_none_or(|(was, _, _)| *was != line) {
                    errln!("{line}");
                }
            }
        }
    }
}
