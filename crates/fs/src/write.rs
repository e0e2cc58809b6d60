//! Files written safely: whole or not at all, never through a link someone else planted.

use std::io::Write as _;

/// Who may read a file gatesctl creates (a file it replaces keeps its mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readers {
    /// The owner only (0600): saved plans, uploaded as CI artifacts, hold the whole configuration.
    Owner,
    /// Everyone may read it (0644): configuration files meant for git.
    Everyone,
}

/// Writes a file whole or not at all: to a temporary file beside it, flushed to disk, then
/// renamed over it. A Ctrl-C or a full disk half-way through `import -o gates.toml --force`
/// must not leave half a configuration where the old one was. The temporary file has a random
/// name and is created exclusively (`O_EXCL`, so a symbolic link planted in its place is never
/// followed); a symbolic link at the destination is written through (it stays a link) only when
/// it belongs to whoever runs gatesctl, and what is not a regular file (`-o /dev/stdout`) is
/// written to directly.
pub fn write_file(path: &std::path::Path, contents: &[u8], readers: Readers) -> std::io::Result<()> {
    write_checked(path, contents, readers, || Ok(()))
}

/// Why a file read earlier was not replaced.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceError {
    /// Someone changed it since it was read: writing would lose their change.
    #[error("it changed on disk since gatesctl read it; nothing was written, so that change is kept")]
    Changed,
    /// Its owner made it read-only: gatesctl leaves it as it is.
    #[error("it is read-only (its owner made it so); gatesctl leaves it as it is: make it writable first")]
    ReadOnly,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Replaces a file gatesctl read, as [`write_file`] writes one, but only over what it read:
/// the file is compared with `read` again right before the new text takes its place, so an
/// edit made meanwhile (a colleague's, an editor's save) is never lost. A file its owner made
/// read-only is refused, and one with several hard links is written in place, so that every
/// name keeps seeing it (a rename would leave the other names on the old text).
pub fn replace_read_file(path: &std::path::Path, read: &[u8], contents: &[u8]) -> Result<(), ReplaceError> {
    check_replaceable(path, read)?;
    let meta = std::fs::metadata(path)?;
    let unchanged = || match std::fs::read(path) {
        Ok(now) if now == read => Ok(()),
        Ok(_) => Err(std::io::Error::other(Changed)),
        Err(e) => Err(e),
    };
    let result = if hard_linked(&meta) {
        refuse_foreign_link(path).and_then(|()| {
            unchanged()?;
            let mut file = std::fs::OpenOptions::new().write(true).truncate(true).open(path)?;
            file.write_all(contents)?;
            file.sync_all()
        })
    } else {
        write_checked(path, contents, Readers::Everyone, unchanged)
    };
    result.map_err(|e| match e.get_ref().is_some_and(|inner| inner.is::<Changed>()) {
        true => ReplaceError::Changed,
        false => ReplaceError::Io(e),
    })
}

/// Whether [`replace_read_file`] would replace the file now: it holds what was read, and its
/// owner has not made it read-only. For checking several files before writing any.
pub fn check_replaceable(path: &std::path::Path, read: &[u8]) -> Result<(), ReplaceError> {
    if owner_read_only(&std::fs::metadata(path)?) {
        return Err(ReplaceError::ReadOnly);
    }
    if std::fs::read(path)? != read {
        return Err(ReplaceError::Changed);
    }
    Ok(())
}

/// The marker of a file found changed, carried through `io::Error`.
#[derive(Debug)]
struct Changed;

impl std::fmt::Display for Changed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("changed since it was read")
    }
}

impl std::error::Error for Changed {}

/// The owner may not write it (a 0444 file): a choice to respect, though the folder would let
/// a rename replace it.
fn owner_read_only(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o200 == 0
    }
    #[cfg(not(unix))]
    meta.permissions().readonly()
}

fn hard_linked(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.nlink() > 1
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// [`write_file`], `check` called right before the new file takes the old one's place.
fn write_checked(
    path: &std::path::Path,
    contents: &[u8],
    readers: Readers,
    check: impl FnOnce() -> std::io::Result<()>,
) -> std::io::Result<()> {
    let permissions = match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return std::fs::write(path, contents),
        Ok(meta) => Some(meta.permissions()),
        Err(_) => None,
    };
    let target = if permissions.is_some() { std::fs::canonicalize(path)? } else { path.to_path_buf() };
    let mut file = tempfile::Builder::new().prefix(".gatesctl-").suffix(".tmp").tempfile_in(folder_of(&target))?;
    // The temporary file is ours: its owner is who runs gatesctl.
    refuse_link(path, || file.as_file().metadata())?;
    file.write_all(contents)?;
    match permissions {
        // The file replaced keeps its mode.
        Some(permissions) => file.as_file().set_permissions(permissions)?,
        None =>
        {
            #[cfg(unix)]
            if readers == Readers::Everyone {
                use std::os::unix::fs::PermissionsExt;
                file.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
            }
        }
    }
    file.as_file().sync_all()?;
    check()?;
    file.persist(&target).map(|_| ()).map_err(|e| e.error)
}

/// The folder a path is in; `.` for a bare name.
fn folder_of(path: &std::path::Path) -> std::path::PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

/// Refuses a path that is a symbolic link gatesctl must not write through: one to nothing (the
/// write would create a file wherever it points), or one owned by another user (planted in a
/// shared folder). A link of one's own to an existing file is fine. Who runs gatesctl is
/// learnt from a probe file created beside the link, as [`write_file`] learns it from its
/// temporary file.
pub fn refuse_foreign_link(path: &std::path::Path) -> std::io::Result<()> {
    refuse_link(path, || {
        tempfile::Builder::new().prefix(".gatesctl-").tempfile_in(folder_of(path))?.as_file().metadata()
    })
}

/// The rule of [`refuse_foreign_link`]; `ours` is a file gatesctl created, asked for only when
/// the path is a link.
fn refuse_link(
    path: &std::path::Path,
    ours: impl FnOnce() -> std::io::Result<std::fs::Metadata>,
) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    let Ok(link) = std::fs::symlink_metadata(path) else { return Ok(()) };
    if !link.file_type().is_symlink() {
        return Ok(());
    }
    if std::fs::metadata(path).is_err() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "it is a symbolic link to nothing: remove it, or name another file",
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if link.uid() != ours()?.uid() {
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                "it is a symbolic link owned by another user: gatesctl does not write through it (remove it, or name another file)",
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = ours;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{replace_read_file, write_file, Readers, ReplaceError};

    #[test]
    #[cfg(unix)]
    fn a_file_read_earlier_is_replaced_only_as_it_was_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gates.toml");
        std::fs::write(&file, "old\nmine\n").unwrap();
        // Changed since it was read: kept.
        let refused = replace_read_file(&file, b"old\n", b"new\n");
        assert!(matches!(refused, Err(ReplaceError::Changed)), "{refused:?}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "old\nmine\n");
        // Read-only: kept, though the folder is writable.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
        let refused = replace_read_file(&file, b"old\nmine\n", b"new\n");
        assert!(matches!(refused, Err(ReplaceError::ReadOnly)), "{refused:?}");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        // Hard-linked: written in place, so the other name sees it too.
        let other = dir.path().join("other.toml");
        std::fs::hard_link(&file, &other).unwrap();
        replace_read_file(&file, b"old\nmine\n", b"new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "new\n", "the link is kept");
        // Otherwise replaced whole.
        std::fs::remove_file(&other).unwrap();
        replace_read_file(&file, b"new\n", b"newer\n").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "newer\n");
    }

    #[test]
    #[cfg(unix)]
    fn files_are_replaced_whole_keeping_links_and_modes_and_leaving_nothing_beside() {
        let dir = tempfile::tempdir().unwrap();
        let (file, link) = (dir.path().join("gates.toml"), dir.path().join("link.toml"));
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        std::os::unix::fs::symlink(&file, &link).unwrap();
        write_file(&link, b"new", Readers::Everyone).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is kept");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o640, "and its mode");
        write_file(&dir.path().join("plan.json"), b"{}", Readers::Owner).unwrap();
        let mode = std::fs::metadata(dir.path().join("plan.json")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a saved plan is for its owner only");
        write_file(&dir.path().join("new.toml"), b"x", Readers::Everyone).unwrap();
        let mode = std::fs::metadata(dir.path().join("new.toml")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        let mut names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        names.sort();
        assert_eq!(names, ["gates.toml", "link.toml", "new.toml", "plan.json"], "no temporary file left");
    }
}
