//! Operations: the work several commands share (computing a plan, checking it against the
//! safety limits, verifying a saved plan, classifying drift, importing, evaluating, checking monitor queries, reading and judging evaluation history, measuring coverage), so that
//! `cli/` only parses arguments, calls one operation and prints.

pub(crate) mod apply;
pub(crate) mod coverage;
pub(crate) mod evaluate;
pub mod execute;
pub(crate) mod history;
pub(crate) mod import;
pub(crate) mod monitors;
pub(crate) mod plan;
pub(crate) mod report;
pub(crate) mod saved;
