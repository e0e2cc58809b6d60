//! gatesctl's core: what the files want and the API holds, compared, judged and decided,
//! without any I/O. The desired state (with where each thing is written, and the diagnostics
//! that point there), the one typed model of a rule's options, the plan and its drift, the
//! report's recommendations, coverage, the monitor check's judgement and an evaluation's
//! verdict. Every other crate stands on it; it stands on none of them.

pub mod coverage;
pub mod desired;
pub mod diagnostic;
pub mod escape;
pub mod evaluate;
pub mod exit;
pub mod model;
pub mod monitor_check;
pub mod plan;
pub mod policy;
pub mod report;
pub mod source;
pub mod suggest;
pub mod text;

pub use exit::ExitStatus;
