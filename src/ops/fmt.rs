//! `fmt`: each file rewritten in the one canonical layout, keeping its comments, or with
//! `--check` compared with it. A file that cannot be formatted or written is said and the
//! others go on: every problem at once.

use std::path::PathBuf;

use crate::error::Error;
use gatesctl_files::fmt;
use gatesctl_files::source::Format;
use gatesctl_fs::write::{replace_read_file, ReplaceError};

/// What `fmt` is asked, its flags checked by the command line.
pub(crate) struct FmtRequest {
    pub(crate) paths: Vec<PathBuf>,
    /// The format of standard input, when told.
    pub(crate) format_in: Option<Format>,
    /// Change nothing: compare.
    pub(crate) check: bool,
}

/// What became of one file.
pub(crate) enum Formatted {
    /// Already in the layout.
    Unchanged,
    /// Standard input formatted, for standard output.
    Stdout(String),
    /// Not in the layout (`--check`): the text as read, and as it would be.
    WouldChange { before: String, after: String },
    /// Rewritten in place.
    Written,
    /// Not formatted, or not written: why.
    Failed(String),
}

/// Each file of the request, and what became of it, in order.
pub(crate) fn run(request: &FmtRequest) -> Result<Vec<(PathBuf, Formatted)>, Error> {
    let mut out = Vec::with_capacity(request.paths.len());
    for path in &request.paths {
        let stdin = gatesctl_files::is_stdin(path);
        let file =
            if stdin { gatesctl_files::read_stdin(request.format_in)? } else { gatesctl_files::read_file(path)? };
        let after = match fmt::format(&file) {
            Ok(text) => file.as_stored(&text),
            Err(e) => {
                out.push((path.clone(), Formatted::Failed(e.to_string())));
                continue;
            }
        };
        let before = file.as_stored(file.text());
        let formatted = match () {
            _ if stdin && !request.check => Formatted::Stdout(after),
            _ if after == before => Formatted::Unchanged,
            _ if request.check => Formatted::WouldChange { before, after },
            // Written only if no one changed it since it was read.
            _ => match replace_read_file(path, before.as_bytes(), after.as_bytes()) {
                Ok(()) => Formatted::Written,
                Err(ReplaceError::Io(source)) => return Err(Error::Write { path: path.clone(), source }),
                Err(refused) => Formatted::Failed(refused.to_string()),
            },
        };
        out.push((path.clone(), formatted));
    }
    Ok(out)
}
