//! Ctrl-C and SIGTERM. Most commands change nothing, so they stop at once; apply is told to
//! stop starting actions, finishes those in flight, and reports what landed. A second signal
//! stops at once whatever runs.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use crate::error::ExitStatus;
use crate::output::errln;

/// Set by the first signal while an apply runs: no new gate is begun.
pub(super) static STOP: AtomicBool = AtomicBool::new(false);
/// Whether the running command can stop gracefully (an apply in progress).
static GRACEFUL: AtomicBool = AtomicBool::new(false);
/// The signal received, 0 for none.
static SIGNAL: AtomicI32 = AtomicI32::new(0);

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

/// The exit status a signal ends the process with (130 and 143, as shells report them).
fn status_for(signal: i32) -> ExitStatus {
    if signal == SIGTERM {
        ExitStatus::Terminated
    } else {
        ExitStatus::Interrupted
    }
}

#[cfg(unix)]
async fn next_signal() -> i32 {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => SIGINT,
        _ = term.recv() => SIGTERM,
    }
}

#[cfg(not(unix))]
async fn next_signal() -> i32 {
    match tokio::signal::ctrl_c().await {
        Ok(()) => SIGINT,
        Err(_) => std::future::pending().await,
    }
}

/// Wakes those waiting in [`stop_requested`].
static STOPPING: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Watches for signals for the life of the process.
pub(super) async fn watch() {
    loop {
        let signal = next_signal().await;
        SIGNAL.store(signal, Ordering::SeqCst);
        if GRACEFUL.load(Ordering::SeqCst) && !STOP.swap(true, Ordering::SeqCst) {
            errln!(
                "\nStopping: what is in progress is finished, nothing new is started (signal again to stop at once)."
            );
            STOPPING.notify_waiters();
            continue;
        }
        errln!("\nInterrupted.");
        std::process::exit(status_for(signal).code());
    }
}

/// Marks the start and end of a part that stops gracefully.
pub(super) fn graceful(on: bool) {
    GRACEFUL.store(on, Ordering::SeqCst);
}

/// Returns once a signal asked a graceful part to stop.
#[cfg(feature = "sandbox")]
pub(super) async fn stop_requested() {
    loop {
        let woken = STOPPING.notified();
        if STOP.load(Ordering::SeqCst) {
            return;
        }
        woken.await;
    }
}

/// The exit status of the signal that stopped an apply, if one did.
pub(super) fn received() -> Option<ExitStatus> {
    let signal = SIGNAL.load(Ordering::SeqCst);
    (signal != 0).then(|| status_for(signal))
}
