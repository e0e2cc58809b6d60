use clap::{Args, ValueEnum};

use crate::error::{Error, ExitStatus};
use crate::output::out;

#[derive(Debug, Args)]
pub(super) struct SchemaArgs {
    /// Which schema: of the configuration file, or of a command's JSON output
    #[arg(value_enum, default_value_t = Which::Config)]
    which: Which,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    Config,
    Plan,
    Report,
    Coverage,
    Audit,
    Apply,
    Drift,
    Validate,
    Evaluate,
}

pub(super) fn run(args: &SchemaArgs) -> Result<ExitStatus, Error> {
    match args.which {
        Which::Config => out(&gatesctl_files::wire::schema_json()),
        Which::Plan => out(&crate::views::plan::json::schema_json()),
        Which::Report => out(&crate::views::report::schema_json()),
        Which::Coverage => out(&crate::views::coverage::schema_json()),
        Which::Audit => out(&crate::views::audit::schema_json()),
        Which::Apply => out(&crate::views::apply::schema_json()),
        Which::Drift => out(&crate::views::drift::schema_json()),
        Which::Validate => out(&crate::views::validate::schema_json()),
        Which::Evaluate => out(&crate::views::evaluate::schema_json()),
    }
    Ok(ExitStatus::Success)
}
