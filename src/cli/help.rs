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
    "  GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID\n",
    "                                Where a capped Markdown comment points for the full plan\n",
    no_color!(),
    "\n",
    "Exit codes:\n",
    "  0    no changes; with changes too, unless --detailed-exitcode (monitor check warnings, and a\n",
    "       key without monitors_read, do not change it)\n",
    "  2    changes (with --detailed-exitcode)\n",
    "  1    invalid files or flags, API or network error, refused by a safety threshold; with\n",
    "       --strict, a monitor query matching no monitor or more than 50\n",
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
    no_color!(),
    "\n",
    "Exit codes:\n",
    "  0    measured, whatever it found\n",
    "  1    invalid files or flags, --since over 30 days, a key without dora_metrics_read, API or\n",
    "       network error\n",
    signals!(),
);

pub(super) const APPLY: &str = concat!(
    "Environment:\n",
    api_key!(),
    "  DD_APP_KEY, DATADOG_APP_KEY   Application key, with deployment_gates_read and _write\n",
    site!(),
    network!(),
    no_color!(),
    "\n",
    "Exit codes:\n",
    "  0    applied, or nothing to apply\n",
    "  1    an action failed, the plan was refused (threshold, stale saved plan, no confirmation),\n",
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

pub(super) const VALIDATE: &str = "\
Environment (with --online only, as for plan; the application key needs monitors_read):
  DD_API_KEY, DATADOG_API_KEY, DD_APP_KEY, DATADOG_APP_KEY, DD_SITE, DATADOG_SITE, DD_API_URL,
  HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE
  NO_COLOR                      No colour, whatever the terminal
  COLUMNS                       Width of the diagnostics

Exit codes:
  0    valid (with --online, the monitor check's warnings and notes are printed, not failed)
  1    invalid: every problem is reported, each with its code, file and line; with --online
       --strict, a monitor query matching no monitor or more than 50";

pub(super) const SHOW: &str = "\
Exit codes:
  0    shown
  1    not a saved plan, or one of another format";

pub(super) const SANDBOX: &str = "\
Exit codes:
  0    stopped by Ctrl-C or SIGTERM after finishing the requests in flight, or exported
  1    the address is not loopback, it is taken, or the state cannot be opened";

pub(super) const SCHEMA: &str = "\
Exit codes:
  0    printed";
