//! Writing to stdout and stderr without ever panicking: `gatesctl -v plan 2>&1 | head -1`
//! closes both pipes early, and `println!` would panic there, or kill an apply half-way.
//! A failed write to stdout is remembered, so the command can end with a clear error instead
//! of claiming output nobody received.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

static STDOUT_BROKEN: AtomicBool = AtomicBool::new(false);

type Hook = Arc<dyn Fn(&str) + Send + Sync>;

/// Where stderr lines go while a progress display is drawn, so they never garble it.
static STDERR_HOOK: RwLock<Option<Hook>> = RwLock::new(None);

/// Writes to stdout; after the first failure (a closed pipe), writes nothing more.
pub(crate) fn out(text: &str) {
    if STDOUT_BROKEN.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush()).is_err() {
        STDOUT_BROKEN.store(true, Ordering::Relaxed);
    }
}

/// Writes to stderr, through the progress display when one is drawn; failures are ignored:
/// stderr is where failures would be reported.
pub(crate) fn err(text: &str) {
    let hook = STDERR_HOOK.read().ok().and_then(|h| h.clone());
    match hook {
        Some(hook) => hook(text),
        None => err_direct(text),
    }
}

/// Writes to stderr, bypassing any progress display (the display itself uses this).
pub(crate) fn err_direct(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes()).and_then(|_| stderr.flush());
}

/// Routes [`err`] through `hook` (a progress display) until [`clear_stderr_hook`].
pub(crate) fn set_stderr_hook(hook: Hook) {
    if let Ok(mut h) = STDERR_HOOK.write() {
        *h = Some(hook);
    }
}

pub(crate) fn clear_stderr_hook() {
    if let Ok(mut h) = STDERR_HOOK.write() {
        *h = None;
    }
}

/// Whether some output to stdout was lost.
pub(crate) fn stdout_broken() -> bool {
    STDOUT_BROKEN.load(Ordering::Relaxed)
}

/// `println!` to stdout through [`out`].
macro_rules! outln {
    () => { $crate::output::out("\n") };
    ($($arg:tt)*) => { $crate::output::out(&format!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` to stderr through [`err`].
macro_rules! errln {
    () => { $crate::output::err("\n") };
    ($($arg:tt)*) => { $crate::output::err(&format!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {errln, outln};

/// Hands memory freed by now back to the system. Parsing a large configuration needs many
/// times the file's size for a moment (the TOML parser's tokens and tree); the allocator would
/// otherwise keep those pages resident through the whole command, on top of what the network
/// phase needs. A no-op under another global allocator.
pub(crate) fn release_freed_memory() {
    // SAFETY: mi_collect only walks mimalloc's own heaps; it takes no pointer.
    unsafe { libmimalloc_sys::mi_collect(true) };
}
