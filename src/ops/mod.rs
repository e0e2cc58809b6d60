//! Operations: the work several commands share (computing a plan, checking it against the
//! safety limits, verifying a saved plan, classifying drift, importing, evaluating), so that
//! `cli/` only parses arguments, calls one operation and prints.

pub(crate) mod drift;
pub(crate) mod evaluate;
pub(crate) mod import;
pub(crate) mod plan;
pub(crate) mod saved;
