//! gatesctl's files on disk, whatever they hold: small documents read within bounds (never a
//! pipe waited on, never a gigabyte), and files written whole or not at all, never through a
//! link someone else planted. Shared by the gate files and the sandbox's state, so that the
//! sandbox needs no file parser.

pub mod read;
pub mod write;
