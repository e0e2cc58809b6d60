use clap::{Args, ValueEnum};

use super::{GlobalArgs, PlanFlags};
use crate::error::{exit, CliError};
use crate::plan::PlanOptions;
use crate::render::drift::{self, DriftKind};

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub flags: PlanFlags,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

pub async fn run(args: &DriftArgs, global: &GlobalArgs) -> Result<i32, CliError> {
    let desired = args.flags.files.load()?;
    let options = PlanOptions { prune: false, targets: args.flags.targets.clone() };
    let connection = global.connect().await?;
    let (plan, _) = super::plan::compute(&connection.client, &desired, &options, args.flags.parallelism).await?;
    // With a [manage] scope, undeclared gates outside it belong to someone else: not drift.
    let items: Vec<_> = drift::drift(&plan)
        .into_iter()
        .filter(|d| {
            d.kind != DriftKind::UndeclaredGate || desired.scope.is_empty() || {
                let key = crate::model::GateKey::new(&d.gate.service, &d.gate.env, &d.gate.identifier);
                desired.scope.contains(&key)
            }
        })
        .collect();
    let text = match args.format {
        Format::Text => drift::render_text(&items, global.stdout_palette()),
        Format::Json => drift::render_json(&items),
        Format::Markdown => drift::render_markdown(&items),
    };
    print!("{text}");
    Ok(if items.is_empty() { exit::OK } else { exit::CHANGES })
}
