//! Where the client's traces (`-v`) and notes (a long rate-limit wait) go: a callback the
//! binary gives it, since only the binary's output layer prints.

/// A line at a time, each ending in a newline.
pub type Say = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// Nowhere: a client nobody told where to say things keeps them to itself.
pub fn silent() -> Say {
    std::sync::Arc::new(|_: &str| {})
}
