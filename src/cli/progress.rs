//! Progress on stderr, so that a long read or apply is never a blank screen: on a terminal a
//! live bar or status line (indicatif) whose elapsed time ticks every second; in CI a plain
//! line when the work starts, every few seconds while it lasts, and when it ends.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::{self, errln};

/// How often CI hears about work in progress.
const CI_EVERY: Duration = Duration::from_secs(5);

pub(super) struct Progress {
    /// The live display, on a terminal only.
    bar: Option<ProgressBar>,
    /// In CI: the label, and when a line was last printed.
    ci: Mutex<(String, Option<Instant>)>,
}

impl Progress {
    fn new(bar: Option<ProgressBar>) -> Progress {
        if let Some(bar) = &bar {
            // Other stderr lines (rate-limit notes, warnings) are printed above the display.
            let display = bar.clone();
            output::set_stderr_hook(Arc::new(move |text: &str| display.suspend(|| output::err_direct(text))));
            bar.enable_steady_tick(Duration::from_secs(1));
        }
        Progress { bar, ci: Mutex::new((String::new(), None)) }
    }

    /// A bar of steps, such as rules read or actions applied.
    pub(super) fn bar(terminal: bool) -> Progress {
        Progress::new(terminal.then(|| {
            let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
                .expect("a valid template")
                .progress_chars("#>-");
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(style)
        }))
    }

    /// A status line with the time elapsed since it began, such as waiting for a verdict.
    pub(super) fn status(terminal: bool) -> Progress {
        Progress::new(terminal.then(|| {
            let style = ProgressStyle::with_template("⏳ [{elapsed_precise}] {msg}").expect("a valid template");
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(style)
        }))
    }

    /// Moves a bar to `done` of `total`, under `label`; in CI, says so now and then.
    pub(super) fn set(&self, label: &str, done: usize, total: usize) {
        match &self.bar {
            Some(bar) => {
                bar.set_prefix(label.to_string());
                bar.set_message("");
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
            None => {
                let mut ci = self.ci.lock().unwrap();
                let new_label = ci.0 != label;
                let due = ci.1.is_none_or(|at| at.elapsed() >= CI_EVERY);
                // The start, the end, and a line every few seconds between.
                if new_label || due || done == total {
                    ci.0 = label.to_string();
                    ci.1 = Some(Instant::now());
                    errln!("{label} {done}/{total}");
                }
            }
        }
    }

    /// Whether a live display is drawn (on a terminal).
    pub(super) fn is_live(&self) -> bool {
        self.bar.is_some()
    }

    /// The status line's text; in CI, a line of its own.
    pub(super) fn message(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.set_message(text),
            None => errln!("{text}"),
        }
    }

    /// The status line's text; in CI, a line every few seconds, and at each `milestone` (a
    /// read begun or ended).
    pub(super) fn throttled(&self, text: String, milestone: bool) {
        match &self.bar {
            Some(bar) => bar.set_message(text),
            None => {
                let mut ci = self.ci.lock().unwrap();
                if milestone || ci.1.is_none_or(|at| at.elapsed() >= CI_EVERY) {
                    ci.1 = Some(Instant::now());
                    errln!("{text}");
                }
            }
        }
    }

    /// A line for stdout, printed above the live display.
    pub(super) fn stdout_line(&self, line: &str) {
        let print = || output::out(&format!("{line}\n"));
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            output::clear_stderr_hook();
            bar.finish_and_clear();
        }
    }
}

/// Reading the remote state, and the monitor check beside it when there is one, on one line:
/// the bar counts the rules read, the message the gates listed or the monitor lookups.
pub(super) struct Reads<'a> {
    progress: &'a Progress,
    counts: Mutex<ReadCounts>,
}

#[derive(Default)]
struct ReadCounts {
    listed: Option<usize>,
    rules: Option<(usize, usize)>,
    monitors: Option<(usize, usize)>,
    /// In CI: the phases begun and ended when a line was last printed, so that each start
    /// and end is said once.
    stage: [bool; 5],
}

impl<'a> Reads<'a> {
    pub(super) fn new(progress: &'a Progress) -> Reads<'a> {
        Reads { progress, counts: Mutex::default() }
    }

    pub(super) fn reading(&self) -> impl Fn(gatesctl_client::Fetched) + Sync + '_ {
        move |fetched| {
            let mut c = self.counts.lock().unwrap();
            match fetched {
                gatesctl_client::Fetched::Gates(n) => c.listed = Some(n),
                gatesctl_client::Fetched::Rules { done, total } => c.rules = Some((done, total)),
            }
            self.show(&mut c);
        }
    }

    pub(super) fn checking(&self) -> impl Fn(usize, usize) + Sync + '_ {
        move |done, total| {
            let mut c = self.counts.lock().unwrap();
            c.monitors = Some((done, total));
            self.show(&mut c);
        }
    }

    fn show(&self, c: &mut ReadCounts) {
        let monitors = c.monitors.filter(|(_, t)| *t > 0).map(|(d, t)| format!("monitor check {d}/{t}"));
        let rules = c.rules.filter(|(_, t)| *t > 0);
        let listed =
            c.listed.map(|n| format!("{} listed", gatesctl_core::text::plural(n, "remote gate", "remote gates")));
        match &self.progress.bar {
            Some(bar) => {
                if let Some((done, total)) = rules {
                    bar.set_prefix("reading rules");
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                    bar.set_message(monitors.unwrap_or_default());
                } else {
                    bar.set_message([listed, monitors].into_iter().flatten().collect::<Vec<_>>().join(" · "));
                }
            }
            None => {
                let rules_text = rules.map(|(d, t)| format!("reading rules {d}/{t}"));
                let line = [rules_text.or(listed), monitors].into_iter().flatten().collect::<Vec<_>>().join(" · ");
                let finished = |p: Option<(usize, usize)>| p.is_some_and(|(d, t)| d == t);
                let stage =
                    [c.listed.is_some(), rules.is_some(), c.monitors.is_some(), finished(rules), finished(c.monitors)];
                let mut ci = self.progress.ci.lock().unwrap();
                let due = ci.1.is_none_or(|at| at.elapsed() >= CI_EVERY);
                if !line.is_empty() && (due || stage != c.stage) {
                    ci.1 = Some(Instant::now());
                    errln!("{line}");
                }
                c.stage = stage;
            }
        }
    }
}
