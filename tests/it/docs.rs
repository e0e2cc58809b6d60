//! Every example the README and `docs/` show is run, so the pages cannot drift from the tool.
//!
//! A page's ```` ```console ```` blocks are its examples: `$ gatesctl …` is a command (run with
//! `--sandbox` or offline, in a copy of `examples/` made for the page, so a page's commands see
//! what its earlier ones did), the lines after it are what it prints, stdout then stderr (or
//! stderr then stdout), with `…` standing for any text within a line or for any lines on a line
//! of its own, and `# exit N` says the exit status (0 when left out). A fenced block whose info
//! string has `file=NAME` is written into the page's folder, for the commands after it.

use std::path::{Path, PathBuf};

use crate::common::{examples_dir, gatesctl, repo};

/// One example: a command, what it prints, how it ends.
#[derive(Debug)]
struct Example {
    line: usize,
    args: Vec<String>,
    expected: Vec<String>,
    exit: i32,
}

/// What a page asks for, in its order.
#[derive(Debug)]
enum Step {
    Write { name: String, text: String },
    Run(Example),
}

/// The pages with examples: the README and every page of `docs/`.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![repo().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .expect("docs/ exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// A command line as a shell splits it: blanks separate words, quotes group them.
fn words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quote, mut started) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => (quote, started) = (Some(c), true),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (_, c) => (word.push(c), started = true).1,
        }
    }
    assert!(quote.is_none(), "an unclosed quote in `{line}`");
    if started {
        words.push(word);
    }
    words
}

fn steps(page: &str, name: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut lines = page.lines().enumerate();
    while let Some((_, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else { continue };
        let info = info.trim();
        let mut body = Vec::new();
        for (number, line) in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            body.push((number + 1, line));
        }
        if let Some(file) = info.split_whitespace().find_map(|w| w.strip_prefix("file=")) {
            let text = body.iter().map(|(_, l)| format!("{l}\n")).collect();
            steps.push(Step::Write { name: file.to_string(), text });
        } else if info == "console" {
            for (number, line) in body {
                if let Some(command) = line.strip_prefix("$ ") {
                    let args = words(command);
                    assert_eq!(args[0], "gatesctl", "{name}:{number}: a console example runs gatesctl: `{line}`");
                    steps.push(Step::Run(Example {
                        line: number,
                        args: args[1..].to_vec(),
                        expected: Vec::new(),
                        exit: 0,
                    }));
                } else {
                    let Some(Step::Run(example)) = steps.last_mut() else {
                        panic!("{name}:{number}: output before any `$ gatesctl` command")
                    };
                    match line.strip_prefix("# exit ") {
                        Some(code) => example.exit = code.parse().expect("# exit N"),
                        None => example.expected.push(line.to_string()),
                    }
                }
            }
        }
    }
    steps
}

/// Whether `line` is `pattern`, `…` in it standing for any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let pattern = pattern.trim_end();
    let line = line.trim_end();
    let mut parts = pattern.split('…');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = line.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.len() >= part.len() && rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// Whether the lines are the expected ones, a `…` line standing for any lines (none too).
fn lines_match(expected: &[String], lines: &[&str]) -> bool {
    match expected.split_first() {
        None => lines.is_empty(),
        Some((first, rest)) if first.trim() == "…" => (0..=lines.len()).any(|skip| lines_match(rest, &lines[skip..])),
        Some((first, rest)) => {
            lines.first().is_some_and(|line| line_matches(first, line)) && lines_match(rest, &lines[1..])
        }
    }
}

/// How many of the expected lines match the start of what was printed: the next is the first
/// the page has wrong.
fn first_unmatched(expected: &[String], lines: &[&str]) -> usize {
    (0..=expected.len())
        .rev()
        .find(|&k| {
            let mut prefix = expected[..k].to_vec();
            prefix.push("…".into());
            lines_match(&prefix, lines)
        })
        .unwrap_or(0)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        // A sandbox state left by someone's tour is not part of the examples.
        if entry.file_name() == ".gatesctl" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn the_matching_of_documented_output_is_strict_where_it_should_be() {
    assert!(line_matches("Plan: … to create", "Plan: 3 gates to create"));
    assert!(!line_matches("Plan: … to create", "Plan: 3 gates to delete"));
    assert!(!line_matches("exactly", "exactly this"));
    let lines = ["a", "b", "c"];
    assert!(lines_match(&["a".into(), "…".into()], &lines));
    assert!(lines_match(&["…".into(), "c".into()], &lines));
    assert!(!lines_match(&["a".into(), "c".into()], &lines), "lines are not skipped without …");
    assert!(!lines_match(&["a".into(), "b".into()], &lines), "nor trailing ones");
    assert_eq!(
        words(r#"report --target 'pay*/production' --since "14 d""#),
        ["report", "--target", "pay*/production", "--since", "14 d"]
    );
}

#[test]
fn every_documented_example_prints_what_its_page_says() {
    let mut failures = Vec::new();
    let mut examples = 0;
    for page in pages() {
        let name = page.strip_prefix(repo()).unwrap().display().to_string();
        let text = std::fs::read_to_string(&page).unwrap();
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&examples_dir(), dir.path());
        for step in steps(&text, &name) {
            let example = match step {
                Step::Write { name, text } => {
                    std::fs::write(dir.path().join(name), text).unwrap();
                    continue;
                }
                Step::Run(example) => example,
            };
            examples += 1;
            let args: Vec<&str> = example.args.iter().map(String::as_str).collect();
            let run = gatesctl(dir.path(), &args, &[]);
            let stdout: Vec<&str> = run.stdout.lines().collect();
            let stderr: Vec<&str> = run.stderr.lines().collect();
            let matches = lines_match(&example.expected, &[&stdout[..], &stderr[..]].concat())
                || lines_match(&example.expected, &[&stderr[..], &stdout[..]].concat());
            if !matches || run.code != example.exit {
                let both = [&stdout[..], &stderr[..]].concat();
                let first_wrong = first_unmatched(&example.expected, &both);
                let shown = |text: &str| text.lines().take(60).collect::<Vec<_>>().join("\n");
                failures.push(format!(
                    "{name}:{}: gatesctl {}\n  exit {} (documented {})\n  first documented line not printed: {:?}\n--- stdout\n{}\n--- stderr\n{}",
                    example.line,
                    args.join(" "),
                    run.code,
                    example.exit,
                    example.expected.get(first_wrong),
                    shown(&run.stdout),
                    shown(&run.stderr)
                ));
            }
        }
    }
    assert!(examples >= 20, "the pages show {examples} examples: the harness lost them");
    assert!(failures.is_empty(), "{} examples differ from their pages:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn the_readme_s_workflow_is_the_example_that_ci_lints() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme.find("   ```yaml\n   name: gates-plan").expect("the README shows the plan workflow");
    let body = &readme[start + "   ```yaml\n".len()..];
    let block: Vec<&str> =
        body[..body.find("   ```\n").unwrap()].lines().map(|l| l.strip_prefix("   ").unwrap_or(l)).collect();
    let example = std::fs::read_to_string(repo().join("examples/ci/github-plan-comment.yml")).unwrap();
    // The example's opening comment says what the README says around the block.
    let example: Vec<&str> = example.lines().skip_while(|l| l.starts_with('#')).collect();
    assert_eq!(block, example, "README.md's workflow differs from examples/ci/github-plan-comment.yml");
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, blanks as dashes.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn every_link_between_the_pages_leads_somewhere() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let dir = page.parent().unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let target = &rest[..rest.find(')').unwrap_or(0)];
            if target.contains("://") || target.is_empty() {
                continue;
            }
            let (file, fragment) = target.split_once('#').unwrap_or((target, ""));
            let path = if file.is_empty() { page.clone() } else { dir.join(file) };
            let Ok(linked) = std::fs::read_to_string(&path) else {
                broken.push(format!("{}: {target} (no such file)", page.display()));
                continue;
            };
            let headings: Vec<String> =
                linked.lines().filter_map(|l| l.strip_prefix('#')).map(|h| anchor(h.trim_start_matches('#'))).collect();
            if !fragment.is_empty() && !headings.iter().any(|h| h == fragment) {
                broken.push(format!("{}: {target} (no such heading)", page.display()));
            }
        }
    }
    assert!(broken.is_empty(), "links that lead nowhere:\n{}", broken.join("\n"));
}
