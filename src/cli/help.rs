//! The part of each command's `--help` that says which environment variables it reads and
//! what its exit codes mean: what a CI author needs without opening the README.

/// Environment lines several commands share, written once.
macro_rules! api_key {
    () => {
        "  DD_API_KEY, DATADOG_API_KEY   API key (DATADOG_* wins when both are set; never printed)\n"
    };
}

macro_rules! site {
    () => {
        concat!(
            "  DD_SITE, DATADOG_SITE         Site: datadoghq.com (default), us3, us5, eu, ap1, ap2, uk1, gov\n",
            "  DD_API_URL, DD_HOST           A full API base URL instead of the site\n"
        )
    };
}

macro_rules! network {
    () => {
        concat!(
            "  HTTPS_PROXY, NO_PROXY         Proxy for https requests, and hosts that bypass it\n",
            "  SSL_CERT_FILE                 CA certificates (PEM) to trust in place of the system's store\n"
        )
    };
}

macro_rules! no_color {
    () => {
        "  NO_COLOR                      No colour, whatever the terminal\n"
    };
}

/// What a command that reads the files reads of GitHub Actions.
macro_rules! github {
    () => {
        concat!(
            "  GITHUB_ACTIONS                `true`: problems in the files are also printed as workflow\n",
            "                                commands, annotations on the pull request (--annotations)\n",
            "  GITHUB_WORKSPACE              Annotations name files from this folder (the repository root)\n",
        )
    };
}

macro_rules! signals {
    () => {
        "  130  interrupted (Ctrl-C); 143 terminated (SIGTERM)"
    };
}

/// The environment of a command that only reads gates.
macro_rules! reading_environment {
    () => {
        concat!(
            "Environment:\n",
            api_key!(),
            "  DD_APP_KEY, DATADOG_APP_KEY   Application key, with deployment_gates_read\n",
            site!(),
            network!(),
            github!(),
            no_color!(),
        )
    };
}

pub(super) const PLAN: &str = concat!(
    "Environment:\n",
    api_key!(),
    "  DD_APP_KEY, DATADOG_APP_KEY   Application key, with deployment_gates_read (and monitors_read\n",
    "                                for the monitor check)\n",
    site!(),
    network!(),
    github!(),
    "  GITHUB_STEP_SUMMARY           A file the Markdown plan is appended to (the job's summary)\n",
    "  GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID\n",
    "                                Where a capped Markdown comment points for the full plan\n",
    no_color!(),
    "\n",
    "Exit codes:\n",
    "  0    no changes; with changes too, unless --detailed-exitcode (monitor check warnings, and a\n",
    "       key without monitors_read, do not change it)\n",
    "  2    changes (with --detailed-exitcode)\n",
    "  1    invalid files or flags, API or network error, refused by a safety threshold or by a\n",
    "       change that breaks an error-level policy; with --strict, a problem the monitor check\n",
    "       found (a query matching no monitor or more than 50, a monitor or group of monitor_ids\n",
    "       that does not exist)\n",
    signals!(),
);

pub(super) const REPORT: &str = concat!(
    "Environment:\n",
    api_key!(),
    "  DD_APP_KEY, DATADOG_APP_KEY   Application key, with deployment_gates_read (monitors_read for\n",
    "                                the monitor check, dora_metrics_read for each gate's record\n",
    "                                against the failures that followed: without them, a warning)\n",
    site!(),
    network!(),
    github!(),
    no_color!(),
    "\n",
    "Exit codes:\n",
    "  0    reported (and with --write, the files written), whatever the recommendations\n",
    "  1    invalid files or flags, --since over 30 days, API or network error, a file that\n",
    "       cannot be written (nothing is written then)\n",
    signals!(),
);

pub(super) const COVERAGE: &str = concat!(
    "Environment:\n",
    api_key!(),
    "  DD_APP_KEY, DATADOG_APP_KEY   Application key, with dora_metrics_read and deployment_gates_read\n",
    site!(),
    network!(),
    github!(),
    no_color!(),
    "\n",
    "Exit codes:\n",
    "  0    measured, whatever it found\n",
    "  1    invalid files or flags, --since over 30 days, a key without dora_metrics_read, API or\n",
    "       network error\n",
    signals!(),
);

pub(super) const AUDIT: &str = concat!(
    "Environment:\n",
    api_key!(),
    "  DD_APP_KEY, DATADOG_APP_KEY   Application key, with deployment_gates_read, dora_metrics_read,\n",
    "                                monitors_read and apm_service_catalog_read (and _write for\n",
    "                                --publish-scorecard)\n",
    site!(),
    network!(),
    github!(),
    no_color!(),
    "\n",
    "Exit codes:\n",
    "  0    every error-level policy holds (warnings may be shown)\n",
    "  1    an error-level policy is broken; or invalid files or flags, no policy declared, a key\n",
    "       without a permission the policies need, API or network error\n",
    signals!(),
);

pub(super) const APPLY: &str = concat!(
    "Environment:\n",
    api_key!(),
    "  DD_APP_KEY, DATADOG_APP_KEY   Application key, with deployment_gates_read and _write\n",
    site!(),
    network!(),
    github!(),
    no_color!(),
    "\n",
    "Exit codes:\n",
    "  0    applied, or nothing to apply\n",
    "  1    an action failed, the plan was refused (threshold, error-level policy, stale saved plan,\n",
    "       no confirmation),\n",
    "       invalid files or flags, API or network error\n",
    "  130  interrupted (Ctrl-C): the gates begun were finished, the rest not started\n",
    "  143  terminated (SIGTERM), as for 130",
);

pub(super) const DRIFT: &str = concat!(
    reading_environment!(),
    "\n",
    "Exit codes:\n",
    "  0    in sync\n",
    "  2    drift found\n",
    "  1    invalid files or flags, API or network error\n",
    signals!(),
);

pub(super) const IMPORT: &str = concat!(
    "Environment:\n",
    api_key!(),
    "  DD_APP_KEY, DATADOG_APP_KEY   Application key, with deployment_gates_read\n",
    site!(),
    network!(),
    "\n",
    "Exit codes:\n",
    "  0    written (with --from-terraform, the way out of Terraform is printed too)\n",
    "  1    the output file exists (without --force), a Terraform file that cannot be carried over\n",
    "       exactly (the error names the resource), API or network error\n",
    signals!(),
);

pub(super) const EVALUATE: &str = concat!(
    "Environment:\n",
    api_key!(),
    "  DD_APP_KEY, DATADOG_APP_KEY   Application key, with deployment_gates_evaluate\n",
    site!(),
    "  DATADOG_FIPS, DATADOG_FIPS_IGNORE_ERROR\n",
    "                                As --fips and --fips-ignore-error\n",
    network!(),
    no_color!(),
    "\n",
    "Exit codes (as datadog-ci deployment gate):\n",
    "  0    the gate passed, or no verdict could be had and --fail-on-error is not set (fail-open)\n",
    "  1    the gate failed; the API refused the evaluation (no such gate, 4xx); no verdict with\n",
    "       --fail-on-error; invalid flags\n",
    "  3    with --detailed-exitcode: no verdict could be had, or the API refused the evaluation\n",
    signals!(),
);

pub(super) const VALIDATE: &str = concat!(
    "Environment:\n",
    "  DD_API_KEY, DATADOG_API_KEY, DD_APP_KEY, DATADOG_APP_KEY, DD_SITE, DATADOG_SITE, DD_API_URL,\n",
    "  HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE\n",
    "                                With --online only, as for plan (monitors_read)\n",
    github!(),
    no_color!(),
    "  COLUMNS                       Width of the diagnostics\n",
    "\n",
    "Exit codes:\n",
    "  0    valid (warning-level policies broken, and with --online the monitor check's warnings\n",
    "       and notes, are printed, not failed)\n",
    "  1    invalid: every problem is reported, each with its code, file and line; or an\n",
    "       error-level policy the files break; with --online --strict, a problem the monitor\n",
    "       check found",
);

pub(super) const SHOW: &str = "\
Environment:
  NO_COLOR                      No colour, whatever the terminal

Exit codes:
  0    shown
  1    not a saved plan, or one of another format";

#[cfg(feature = "sandbox")]
pub(super) const SANDBOX: &str = "\
Environment:
  none: it takes any key (DD_API_KEY, DD_APP_KEY are not read)

Exit codes:
  0    stopped by Ctrl-C or SIGTERM after finishing the requests in flight, or exported
  1    the address is not loopback, it is taken, or the state cannot be opened";

pub(super) const SCHEMA: &str = "\
Environment:
  none

Exit codes:
  0    printed";

pub(super) const COMPLETIONS: &str = "\
Environment:
  none

Exit codes:
  0    printed";

pub(super) const MAN: &str = "\
Environment:
  none

Exit codes:
  0    printed
  1    no such command";

/// The exit codes of gatesctl as a whole, for its own man page.
pub(super) const EXIT_STATUS: &str = "\
  0    success; with --detailed-exitcode, no changes; drift: in sync; evaluate: pass (or skipped,
       fail-open)
  1    error: invalid configuration, usage error, API or network error, refused or stale plan,
       failed apply; evaluate: fail, a refusal, or no verdict with --fail-on-error
  2    plan --detailed-exitcode: changes; drift: drift found
  3    evaluate --detailed-exitcode: no verdict could be had, or the API refused the evaluation
  130  stopped by Ctrl-C (SIGINT)
  143  stopped by SIGTERM";

/// The environment of gatesctl as a whole, for its own man page.
pub(super) const ENVIRONMENT: &str = concat!(
    api_key!(),
    "  DD_APP_KEY, DATADOG_APP_KEY   Application key (each command's page says which permissions)\n",
    site!(),
    network!(),
    github!(),
    "  GITHUB_STEP_SUMMARY           A file plan appends its Markdown to\n",
    no_color!(),
    "  COLUMNS                       Width of the diagnostics\n",
);

pub(super) const FMT: &str = "\
Environment:
  NO_COLOR                      No colour in --check's diff, whatever the terminal

Exit codes:
  0    formatted, or (with --check) already formatted
  1    with --check, a file that is not formatted (the diff is printed); a file that is not
       TOML or YAML, or cannot be read or written";
