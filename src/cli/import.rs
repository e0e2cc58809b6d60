use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::GlobalArgs;
use crate::config::wire::{DefaultsSpec, FileSpec, GateSpec, RuleSpec, RuleTypeSpec};
use crate::error::{exit, CliError};
use crate::model::{Rule, RuleOptions, RuleType, DEFAULT_IDENTIFIER};
use crate::remote::{self, RemoteState};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Only these services (exact names or globs); repeatable
    #[arg(long = "service", value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Only these envs (exact names or globs); repeatable
    #[arg(long = "env", value_name = "ENV")]
    pub envs: Vec<String>,
    /// File format; default: from the -o extension, else toml
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to FILE instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite FILE if it exists
    #[arg(long)]
    pub force: bool,
    /// Requests in flight at once
    #[arg(long, default_value_t = remote::DEFAULT_PARALLELISM, value_parser = super::parse_parallelism)]
    pub parallelism: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Toml,
    Yaml,
}

fn patterns(list: &[String], flag: &str) -> Result<Vec<glob::Pattern>, CliError> {
    list.iter()
        .map(|p| glob::Pattern::new(p).map_err(|e| CliError::Other(format!("--{flag} {p:?}: {}", e.msg))))
        .collect()
}

fn rule_spec(rule: &Rule, default_dry_run: bool) -> RuleSpec {
    let mut spec = RuleSpec {
        name: rule.name.clone(),
        rule_type: match rule.rule_type() {
            RuleType::Monitor => RuleTypeSpec::Monitor,
            RuleType::FaultyDeploymentDetection => RuleTypeSpec::FaultyDeploymentDetection,
        },
        dry_run: (rule.dry_run != default_dry_run).then_some(rule.dry_run),
        query: None,
        duration: None,
        excluded_resources: None,
        allowed_resources: None,
    };
    match &rule.options {
        RuleOptions::Monitor { query, duration } => {
            spec.query = Some(query.clone());
            spec.duration = *duration;
        }
        RuleOptions::FaultyDeploymentDetection { duration, excluded_resources, allowed_resources } => {
            spec.duration = *duration;
            spec.excluded_resources = (!excluded_resources.is_empty()).then(|| excluded_resources.clone());
            spec.allowed_resources = (!allowed_resources.is_empty()).then(|| allowed_resources.clone());
        }
    }
    spec
}

/// The remote gates as a file: sorted, with the most common `dry_run` factored into [defaults].
pub fn file_spec(remote: &RemoteState) -> FileSpec {
    let mut votes: BTreeMap<bool, usize> = BTreeMap::new();
    for gate in remote.gates.values() {
        *votes.entry(gate.dry_run).or_default() += 1;
        for r in remote.rules.get(&gate.key).into_iter().flatten() {
            *votes.entry(r.rule.dry_run).or_default() += 1;
        }
    }
    let default_dry_run = votes.get(&true).copied().unwrap_or(0) > votes.get(&false).copied().unwrap_or(0);
    let gates = remote
        .gates
        .values()
        .map(|gate| {
            let mut rules: Vec<&Rule> = remote.rules.get(&gate.key).into_iter().flatten().map(|r| &r.rule).collect();
            rules.sort_by(|a, b| a.name.cmp(&b.name));
            // Two remote rules with one name cannot both be declared: keep the first.
            rules.dedup_by(|a, b| a.name == b.name);
            GateSpec {
                service: gate.key.service.clone(),
                env: Some(gate.key.env.clone()),
                envs: None,
                identifier: (gate.key.identifier != DEFAULT_IDENTIFIER).then(|| gate.key.identifier.clone()),
                dry_run: (gate.dry_run != default_dry_run).then_some(gate.dry_run),
                rules: rules.into_iter().map(|r| rule_spec(r, default_dry_run)).collect(),
            }
        })
        .collect();
    FileSpec {
        version: 1,
        defaults: Some(DefaultsSpec { dry_run: Some(default_dry_run) }),
        manage: None,
        safety: None,
        gates,
    }
}

pub fn serialise(spec: &FileSpec, format: Format, source: &str) -> Result<String, String> {
    let header = format!("# Deployment gates imported by gatesctl from {source}.\n");
    match format {
        Format::Toml => {
            let body = toml::to_string_pretty(spec).map_err(|e| e.to_string())?;
            Ok(format!("{header}{body}"))
        }
        Format::Yaml => {
            let body = serde_yaml::to_string(spec).map_err(|e| e.to_string())?;
            Ok(format!("{header}{body}"))
        }
    }
}

pub async fn run(args: &ImportArgs, global: &GlobalArgs) -> Result<i32, CliError> {
    let format = args.format.unwrap_or_else(|| {
        match args.output.as_ref().and_then(|p| p.extension()).and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => Format::Yaml,
            _ => Format::Toml,
        }
    });
    if let Some(out) = &args.output {
        if out.exists() && !args.force {
            return Err(CliError::Refused(format!("{} exists; pass --force to overwrite it", out.display())));
        }
    }
    let services = patterns(&args.services, "service")?;
    let envs = patterns(&args.envs, "env")?;
    let selected = |k: &crate::model::GateKey| {
        (services.is_empty() || services.iter().any(|p| p.matches(&k.service)))
            && (envs.is_empty() || envs.iter().any(|p| p.matches(&k.env)))
    };
    let connection = global.connect().await?;
    let mut remote = remote::fetch(&connection.client, args.parallelism, selected).await?;
    remote.gates.retain(|k, _| selected(k));
    for (key, rules) in &remote.rules {
        let mut names: Vec<&str> = rules.iter().map(|r| r.rule.name.as_str()).collect();
        names.sort_unstable();
        for pair in names.windows(2).filter(|p| p[0] == p[1]) {
            eprintln!(
                "warning: gate {key} has several rules named {:?}; only one is imported, and a plan with this file deletes the others",
                pair[0]
            );
        }
    }
    let text = serialise(&file_spec(&remote), format, &connection.target)
        .map_err(|e| CliError::Other(format!("cannot write the file: {e}")))?;
    match &args.output {
        None => print!("{text}"),
        Some(out) => {
            std::fs::write(out, text).map_err(|e| CliError::Other(format!("cannot write {}: {e}", out.display())))?;
            let rules: usize = remote.rules.values().map(Vec::len).sum();
            eprintln!("Imported {} gates and {rules} rules into {}.", remote.gates.len(), out.display());
        }
    }
    Ok(exit::OK)
}
