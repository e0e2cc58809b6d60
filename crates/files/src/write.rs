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
    use super::{write_file, Readers};

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
