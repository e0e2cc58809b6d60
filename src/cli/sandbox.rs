use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use crate::error::{exit, CliError};
use crate::sandbox::{EvalSettings, SandboxOptions};

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Loopback address to listen on
    #[arg(long, default_value = "127.0.0.1:8126")]
    pub listen: SocketAddr,
    /// JSON file the state persists to (written atomically after each change)
    #[arg(long, default_value = super::SANDBOX_STATE)]
    pub state: PathBuf,
    /// Polls of a new evaluation answered 404, as the service does right after a trigger
    #[arg(long, default_value_t = 1)]
    pub not_found_polls: u32,
    /// Polls of an evaluation answered in_progress before its result
    #[arg(long, default_value_t = 2)]
    pub pending_polls: u32,
    /// Rule name that always fails evaluation (repeatable)
    #[arg(long = "fail-rule", value_name = "NAME")]
    pub fail_rules: Vec<String>,
}

pub async fn run(args: &SandboxArgs) -> Result<i32, CliError> {
    if !args.listen.ip().is_loopback() {
        return Err(CliError::Refused(format!(
            "the sandbox accepts any key, so it listens on loopback only; use 127.0.0.1:{} instead of {}",
            args.listen.port(),
            args.listen
        )));
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::Other(format!("cannot listen on {}: {e}", args.listen)))?;
    let options = SandboxOptions {
        state_file: Some(args.state.clone()),
        eval: EvalSettings {
            not_found_polls: args.not_found_polls,
            pending_polls: args.pending_polls,
            fail_rules: args.fail_rules.clone(),
        },
    };
    let sandbox = crate::sandbox::start(listener, options)
        .await
        .map_err(CliError::Other)?;
    eprintln!(
        "gatesctl sandbox listening on {} (state: {})",
        sandbox.url(),
        args.state.display()
    );
    eprintln!(
        "Try: DD_API_URL={} DD_API_KEY=x DD_APP_KEY=x gatesctl plan",
        sandbox.url()
    );
    tokio::select! {
        _ = tokio::signal::ctrl_c() => eprintln!("sandbox stopped"),
        _ = sandbox.wait() => {}
    }
    Ok(exit::OK)
}
