use clap::Args;

use crate::error::{exit, CliError};

#[derive(Debug, Args)]
pub struct SchemaArgs {}

pub fn run(_args: &SchemaArgs) -> Result<i32, CliError> {
    print!("{}", crate::config::wire::schema_json());
    Ok(exit::OK)
}
