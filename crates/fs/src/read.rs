//! Small documents read within bounds: a regular file of at most [`MAX_SIZE`], UTF-8, a
//! leading byte order mark dropped (and said).

use std::io::Read as _;
use std::path::Path;

/// The largest document read: far above any real configuration or state, and a bound for
/// `-f /dev/zero`-like mistakes.
pub const MAX_SIZE: u64 = 64 << 20;

/// Why a document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A directory, a named pipe, a device: never opened (a pipe would be waited on forever).
    #[error("not a regular file ({0})")]
    NotAFile(&'static str),
    #[error("larger than {} MiB", MAX_SIZE >> 20)]
    TooLarge,
    /// 1-based line and column (in bytes) of the first byte that is not UTF-8.
    #[error("not UTF-8 text: invalid byte at line {line}, byte {column} (offset {offset})")]
    NotUtf8 { line: usize, column: usize, offset: usize },
}

/// What a path that is not a regular file is, for the message.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The text of a small UTF-8 document, and whether it began with a byte order mark.
pub fn document(path: &Path) -> Result<(String, bool), ReadError> {
    // Checked before opening: opening a named pipe would wait for a writer forever.
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(kind(&meta)));
    }
    if meta.len() > MAX_SIZE {
        return Err(ReadError::TooLarge);
    }
    bounded(std::fs::File::open(path)?)
}

/// The text of at most [`MAX_SIZE`] bytes of `source` (standard input, say), as [`document`].
pub fn bounded(source: impl std::io::Read) -> Result<(String, bool), ReadError> {
    let mut bytes = Vec::new();
    source.take(MAX_SIZE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SIZE {
        return Err(ReadError::TooLarge);
    }
    text(bytes)
}

/// The text of bytes, without a leading byte order mark, and whether it had one.
fn text(bytes: Vec<u8>) -> Result<(String, bool), ReadError> {
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..offset];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = offset - before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) + 1;
        ReadError::NotUtf8 { line, column, offset }
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest.to_string(), true),
        None => (text, false),
    })
}
