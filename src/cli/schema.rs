use clap::{Args, ValueEnum};

use crate::error::{exit, CliError};

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema: of the configuration file, or of `plan --format json`
    #[arg(value_enum, default_value_t = Which::Config)]
    pub which: Which,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Which {
    Config,
    Plan,
}

pub fn run(args: &SchemaArgs) -> Result<i32, CliError> {
    match args.which {
        Which::Config => print!("{}", crate::config::wire::schema_json()),
        Which::Plan => print!("{}", crate::render::json::schema_json()),
    }
    Ok(exit::OK)
}
