//! Writing to stdout and stderr without ever panicking: `gatesctl -v plan 2>&1 | head -1`
//! closes both pipes early, and `println!` would panic there, or kill an apply half-way.
//! A failed write to stdout is remembered, so the command can end with a clear error instead
//! of claiming output nobody received. Files are written whole or not at all ([`write_file`]).

use std::io::Write;
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

/// Writes a file whole or not at all: to a temporary file beside it, flushed to disk, then
/// renamed over it. A Ctrl-C or a full disk half-way through `import -o gates.toml --force`
/// must not leave half a configuration where the old one was. A symbolic link is written
/// through (it stays a link), and what is not a regular file (`-o /dev/stdout`) is written
/// to directly.
pub(crate) fn write_file(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    let (path, permissions) = match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return std::fs::write(path, contents),
        Ok(meta) => (std::fs::canonicalize(path)?, Some(meta.permissions())),
        Err(_) => (path.to_path_buf(), None),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|mut file| {
        file.write_all(contents)?;
        // The file replaced keeps its mode.
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&tmp, &path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// `1 gate`, `2 gates`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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

#[cfg(test)]
mod tests {
    use super::write_file;

    #[test]
    #[cfg(unix)]
    fn files_are_replaced_whole_keeping_links_and_modes_and_leaving_nothing_beside() {
        let dir = tempfile::tempdir().unwrap();
        let (file, link) = (dir.path().join("gates.toml"), dir.path().join("link.toml"));
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink(&file, &link).unwrap();
        write_file(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is kept");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "and its mode");
        write_file(&dir.path().join("plan.json"), b"{}").unwrap();
        let mut names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        names.sort();
        assert_eq!(names, ["gates.toml", "link.toml", "plan.json"], "no temporary file left");
    }
}
