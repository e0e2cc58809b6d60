use clap::Args;

use super::{Context, FileArgs};
use crate::config::ConfigError;
use crate::error::{Error, ExitStatus};
use crate::output::{out, outln};
use crate::render::{diagnostics, Format};

#[derive(Debug, Args)]
pub(super) struct ValidateArgs {
    #[command(flatten)]
    files: FileArgs,
    /// Output format: text (labelled excerpts on stderr) or json (for editors and bots, on stdout)
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(super) fn run(args: &ValidateArgs, _ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    let loaded = args.files.paths().and_then(|paths| crate::config::load(&paths));
    if args.format == Format::Json {
        let (declared, found, error) = match &loaded {
            Ok(desired) => (Some((desired.gates.len(), desired.rule_count())), &[][..], None),
            Err(ConfigError::Invalid { diagnostics }) => (None, diagnostics.as_slice(), None),
            Err(other) => (None, &[][..], Some(other.to_string())),
        };
        out(&diagnostics::render_json(declared, found, error.as_deref()));
        return Ok(if loaded.is_ok() { ExitStatus::Success } else { ExitStatus::Error });
    }
    let desired = loaded?;
    outln!("Configuration is valid: {} gates, {} rules.", desired.gates.len(), desired.rule_count());
    Ok(ExitStatus::Success)
}
