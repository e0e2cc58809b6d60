//! Names the build in `gatesctl --version`, as `terraform version` names its platform: the
//! target triple, and the git commit it was built from (`GATESCTL_COMMIT` when building from
//! a source archive without `.git`).
//!
//! The commit is read from the repository's files, without the git program (a container
//! build has none), and only files that exist are watched: Cargo reruns a build script whose
//! watched file is missing on every build, which would rebuild gatesctl every time.

use std::path::{Path, PathBuf};

/// The repository's git directory: `.git` here or above, or where a worktree's `.git` file
/// points.
fn git_dir(start: &Path) -> Option<PathBuf> {
    for dir in start.ancestors() {
        let dot = dir.join(".git");
        if dot.is_dir() {
            return Some(dot);
        }
        if let Ok(text) = std::fs::read_to_string(&dot) {
            let target = text.strip_prefix("gitdir:")?.trim();
            return Some(dir.join(target));
        }
    }
    None
}

/// The commit HEAD names, and the files that say so (each exists).
fn head(git: &Path) -> (Option<String>, Vec<PathBuf>) {
    let mut watched = vec![git.join("HEAD")];
    let Ok(head) = std::fs::read_to_string(git.join("HEAD")) else { return (None, Vec::new()) };
    let head = head.trim();
    let Some(reference) = head.strip_prefix("ref:").map(str::trim) else {
        return (Some(head.to_string()), watched);
    };
    // A worktree keeps its refs in the common directory.
    let common = std::fs::read_to_string(git.join("commondir"))
        .map(|c| git.join(c.trim()))
        .unwrap_or_else(|_| git.to_path_buf());
    // A commit writes the branch's loose file, creating it when the branch was only packed:
    // its folder is watched, and it exists.
    let loose = common.join(reference);
    if let Some(folder) = loose.parent().filter(|f| f.is_dir()) {
        watched.push(folder.to_path_buf());
    }
    let packed = common.join("packed-refs");
    if packed.is_file() {
        watched.push(packed.clone());
    }
    let commit = std::fs::read_to_string(&loose).ok().map(|c| c.trim().to_string()).or_else(|| {
        let text = std::fs::read_to_string(&packed).ok()?;
        text.lines().find_map(|line| {
            let (commit, name) = line.split_once(' ')?;
            (name.trim() == reference).then(|| commit.to_string())
        })
    });
    (commit, watched)
}

fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown-target".into());
    println!("cargo:rustc-env=GATESCTL_TARGET={target}");
    println!("cargo:rerun-if-env-changed=GATESCTL_COMMIT");
    println!("cargo:rerun-if-changed=build.rs");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let (found, watched) = git_dir(&manifest).map(|git| head(&git)).unwrap_or_default();
    for path in watched.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let commit = std::env::var("GATESCTL_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or(found)
        .filter(|c| c.len() >= 7 && c.chars().all(|ch| ch.is_ascii_hexdigit()))
        .map(|c| c.chars().take(12).collect::<String>())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=GATESCTL_COMMIT={commit}");
}
