//! gatesctl, the binary: the commands (`cli`, one file each), one operation per command
//! (`ops`: orchestration over the client, the files and the core's decisions), one view per
//! command (`views`: text, Markdown and JSON), how a command ends (`error`) and printing that
//! survives a closed pipe (`output`). The decisions live in `gatesctl_core`, the files in
//! `gatesctl_files`, the API in `gatesctl_client`, the local API in `gatesctl_sandbox`.

pub(crate) mod output;

pub(crate) mod error;
pub mod views;

pub mod ops;

pub mod cli;
