//! `gatesctl man`: man pages (roff) generated from the one command definition, with each
//! command's environment and exit codes, so they never fall behind a flag.

use clap::Args;

use crate::error::{Error, ExitStatus, Usage};
use crate::output::out;

#[derive(Debug, Args)]
pub(super) struct ManArgs {
    /// The command whose page to print (`gatesctl man plan` is gatesctl-plan(1)); without one,
    /// gatesctl(1)
    #[arg(value_name = "COMMAND", conflicts_with = "out_dir")]
    command: Option<String>,
    /// Write every page into DIR instead (gatesctl.1, gatesctl-plan.1, …), as packagers want them
    #[arg(long, value_name = "DIR")]
    out_dir: Option<std::path::PathBuf>,
}

/// Text as roff shows it: backslashes escaped, and a line never read as a request.
fn roff(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.replace('\\', "\\e").replace('-', "\\-");
            if line.starts_with('.') || line.starts_with('\'') {
                format!("\\&{line}")
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A section of preformatted lines (the help's own columns kept).
fn section(title: &str, body: &str) -> String {
    format!(".SH \"{title}\"\n.nf\n{}\n.fi\n", roff(body.trim_end()))
}

/// The `Environment:` and `Exit codes…:` parts of a command's after-help.
fn split_after_help(text: &str) -> (Option<&str>, Option<&str>) {
    let exit = text.find("Exit codes");
    let environment = text.find("Environment");
    let part = |start: Option<usize>, end: Option<usize>| {
        start.map(|s| {
            let body = &text[s..end.filter(|e| *e > s).unwrap_or(text.len())];
            body.split_once('\n').map_or("", |(_, rest)| rest)
        })
    };
    (part(environment, exit), part(exit, None))
}

/// `gatesctl man`: gatesctl(1), or with a command, its own page (gatesctl-plan(1)), each with
/// its EXIT STATUS and ENVIRONMENT.
pub(super) fn man(args: &ManArgs, command: clap::Command) -> Result<ExitStatus, Error> {
    let Some(dir) = &args.out_dir else {
        out(&page(args.command.as_deref(), command)?);
        return Ok(ExitStatus::Success);
    };
    let names: Vec<Option<String>> = std::iter::once(None)
        .chain(command.get_subcommands().filter(|s| !s.is_hide_set()).map(|s| Some(s.get_name().to_string())))
        .collect();
    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.clone(), source })?;
    for name in names {
        let file = dir.join(match &name {
            Some(n) => format!("gatesctl-{n}.1"),
            None => "gatesctl.1".to_string(),
        });
        let text = page(name.as_deref(), command.clone())?;
        gatesctl_fs::write::write_file(&file, text.as_bytes(), gatesctl_fs::write::Readers::Everyone)
            .map_err(|source| Error::Write { path: file.clone(), source })?;
        out(&format!("{}\n", gatesctl_core::escape::path(&file)));
    }
    Ok(ExitStatus::Success)
}

/// The page of `wanted` (gatesctl-plan(1)), or of gatesctl itself.
fn page(wanted: Option<&str>, command: clap::Command) -> Result<String, Error> {
    // The release alone: the page is the same for every target and commit.
    let root = command.version(env!("CARGO_PKG_VERSION"));
    let (page_command, name) = match wanted {
        None => (root.clone(), "gatesctl".to_string()),
        Some(wanted) => {
            let sub = root.get_subcommands().find(|s| s.get_name() == wanted && !s.is_hide_set()).ok_or_else(|| {
                let names: Vec<&str> =
                    root.get_subcommands().filter(|s| !s.is_hide_set()).map(|s| s.get_name()).collect();
                let close = gatesctl_core::suggest::suggest(wanted, names.iter().copied()).map(str::to_string);
                let commands = names.iter().map(|n| n.to_string()).collect();
                Usage::NoCommand { wanted: wanted.to_string(), close, commands }
            })?;
            let name = format!("gatesctl-{}", sub.get_name());
            // `evaluate --version` is a flag of its own: no `--version` is added to a page.
            (sub.clone().name(name.clone()).version(env!("CARGO_PKG_VERSION")).disable_version_flag(true), name)
        }
    };
    let man = clap_mangen::Man::new(page_command.clone());
    let mut page = Vec::new();
    let render = |page: &mut Vec<u8>| -> std::io::Result<()> {
        man.render_title(page)?;
        man.render_name_section(page)?;
        man.render_synopsis_section(page)?;
        man.render_description_section(page)?;
        man.render_options_section(page)?;
        if wanted.is_none() {
            man.render_subcommands_section(page)?;
        }
        Ok(())
    };
    render(&mut page).map_err(Error::ManPage)?;
    // Each section comes with the same preamble: one is enough.
    let preamble = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    let rendered = String::from_utf8_lossy(&page).into_owned();
    let mut text = match rendered.split_once(preamble) {
        Some((before, after)) => format!("{before}{preamble}{}", after.replace(preamble, "")),
        None => rendered,
    };
    let after = page_command.get_after_help().map(|h| h.to_string()).unwrap_or_default();
    let (environment, exit) = split_after_help(&after);
    let exit = exit.unwrap_or(super::help::EXIT_STATUS);
    let environment = environment.unwrap_or(super::help::ENVIRONMENT);
    text.push_str(&section("EXIT STATUS", exit));
    text.push_str(&section("ENVIRONMENT", environment));
    let others: Vec<String> = root
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| format!("gatesctl-{}", s.get_name()))
        .chain(std::iter::once("gatesctl".to_string()))
        .filter(|n| *n != name)
        .map(|n| format!("\\fB{}\\fR(1)", n.replace('-', "\\-")))
        .collect();
    text.push_str(&format!(".SH \"SEE ALSO\"\n{}\n", others.join(", ")));
    text.push_str(&format!(".SH VERSION\nv{}\n", env!("CARGO_PKG_VERSION")));
    Ok(text)
}
