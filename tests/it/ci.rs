//! gatesctl in CI: annotations on the pull request's diff, the step summary, and the
//! pre-commit hooks.

use crate::common::{applied, gatesctl, repo, write, TestSandbox, SMALL};

#[test]
fn the_pre_commit_hooks_parse_and_their_entry_validates_the_files_passed() {
    let text = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks = <saphyr::YamlOwned as saphyr::LoadableYamlNode>::load_from_str(&text).unwrap();
    let list = hooks[0].as_vec().expect("a list of hooks");
    assert!(list.len() >= 2);
    let field =
        |hook: &saphyr::YamlOwned, key: &str| hook.as_mapping_get(key).and_then(|v| v.as_str()).map(str::to_string);
    for hook in list {
        for key in ["id", "name", "entry", "language", "files"] {
            assert!(field(hook, key).is_some(), "{key} in {hook:?}");
        }
        let (id, entry) = (field(hook, "id").unwrap(), field(hook, "entry").unwrap());
        let command = if id.starts_with("gatesctl-fmt") { "gatesctl fmt" } else { "gatesctl validate --per-directory" };
        assert_eq!(entry, command, "{id}");
        assert_eq!(field(hook, "exclude").as_deref(), Some("^\\.github/"), "{id}: workflows are not gate files");
    }
    // The hooks the README shows install the wheel of the release (seconds), not a compiler.
    let language = |id: &str| {
        list.iter().find(|h| field(h, "id").as_deref() == Some(id)).and_then(|h| field(h, "language")).unwrap()
    };
    assert_eq!(language("gatesctl-validate"), "python");
    assert_eq!(language("gatesctl-fmt"), "python");
    // pre-commit runs `pip install .` at the root: the shim pins the wheel of this very release.
    let cargo: toml::Table = toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap();
    let version = cargo["workspace"]["package"]["version"].as_str().unwrap();
    let shim: toml::Table = toml::from_str(&std::fs::read_to_string(repo().join("pyproject.toml")).unwrap()).unwrap();
    assert_eq!(shim["project"]["version"].as_str(), Some(version));
    assert_eq!(
        shim["project"]["dependencies"].as_array().unwrap()[0].as_str(),
        Some(format!("gatesctl=={version}").as_str())
    );
    let wheel: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo().join("python/pyproject.toml")).unwrap()).unwrap();
    assert_eq!(wheel["project"]["name"].as_str(), Some("gatesctl"));
    assert_eq!(wheel["tool"]["maturin"]["bindings"].as_str(), Some("bin"));
    // pre-commit runs the entry with the files it checks appended.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.toml", "version = 1\n[[gates]]\nservice = \"a\"\nenv = \"e\"\n");
    write(dir.path(), "b.yaml", "version: 1\ngates:\n  - service: b\n    env: e\n");
    let run = gatesctl(dir.path(), &["validate", "--per-directory", "a.toml", "b.yaml"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("2 gates"), "{run:?}");
    write(dir.path(), "b.yaml", "version: 1\ngates:\n  - service: a\n    env: e\n");
    let twice = gatesctl(dir.path(), &["validate", "--per-directory", "a.toml", "b.yaml"], &[]);
    assert!(twice.code == 1 && twice.stderr.contains("declared in two files"), "{twice:?}");
    // Two independent trees in one repository: each folder is its own configuration.
    let one = "version = 1\n[[gates]]\nservice = \"a\"\nenv = \"e\"\n";
    std::fs::create_dir_all(dir.path().join("org-a")).unwrap();
    std::fs::create_dir_all(dir.path().join("org-b")).unwrap();
    write(&dir.path().join("org-a"), "gates.toml", one);
    write(&dir.path().join("org-b"), "gates.toml", one);
    let trees = gatesctl(dir.path(), &["validate", "--per-directory", "org-a/gates.toml", "org-b/gates.toml"], &[]);
    assert_eq!(trees.code, 0, "{trees:?}");
    // A folder's policies are read with its gates, though pre-commit passes only what changed.
    write(
        &dir.path().join("org-b"),
        "policies.toml",
        "version = 1\n[[policy]]\nname = \"no-dry-run\"\nlevel = \"error\"\nrequire = [\"enforced-rule\"]\n",
    );
    write(
        &dir.path().join("org-b"),
        "gates.toml",
        "version = 1\n[[gates]]\nservice = \"a\"\nenv = \"e\"\ndry_run = true\n",
    );
    let policed = gatesctl(dir.path(), &["validate", "--per-directory", "org-a/gates.toml", "org-b/gates.toml"], &[]);
    assert_eq!(policed.code, 1, "{policed:?}");
    assert!(
        policed.stderr.contains("policy::no-enforced-rule") && policed.stderr.contains("org-b/gates.toml:3:11"),
        "{policed:?}"
    );
    assert_eq!(
        trees.stdout,
        "org-a: configuration is valid: 1 gate, 0 rules.\norg-b: configuration is valid: 1 gate, 0 rules.\n"
    );
    write(&dir.path().join("org-b"), "gates.toml", &one.replace("env", "envv"));
    let broken = gatesctl(dir.path(), &["validate", "--per-directory", "org-a/gates.toml", "org-b/gates.toml"], &[]);
    assert!(broken.code == 1 && broken.stderr.contains("org-b/gates.toml"), "{broken:?}");
}

#[test]
fn the_plan_is_added_to_the_step_summary() {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replace("duration = 300", "duration = 600"));
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let env = [
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ("DD_API_URL", sandbox.url.as_str()),
        ("DD_API_KEY", "k"),
        ("DD_APP_KEY", "k"),
    ];
    let run = gatesctl(dir.path(), &["plan", "--no-monitor-check"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier step\n<!-- gatesctl:plan -->\n### gatesctl plan"), "{text}");
    assert!(text.contains("duration"), "{text}");
}

#[test]
fn under_github_actions_problems_are_annotations_on_their_line() {
    let repo_dir = tempfile::tempdir().unwrap();
    let sub = repo_dir.path().join("gates");
    std::fs::create_dir(&sub).unwrap();
    write(&sub, "gates.toml", "version = 1\n[[gates]]\nservice = \"a\"\nenv = \"e\"\nidentifer = \"x, y: 100%\"\n");
    let workspace = repo_dir.path().to_str().unwrap();
    let ci = [("GITHUB_ACTIONS", "true"), ("GITHUB_WORKSPACE", workspace)];
    let run = gatesctl(&sub, &["validate"], &ci);
    assert_eq!(run.code, 1, "{run:?}");
    let line = run.stderr.lines().find(|l| l.starts_with("::error ")).unwrap_or_else(|| panic!("{run:?}"));
    assert_eq!(
        line,
        "::error file=gates/gates.toml,line=5,col=1,endColumn=10,title=gatesctl gates%3A%3Aunknown-key::unknown key `identifer` in gate #1%0Ahelp: did you mean `identifier`?"
    );
    // Elsewhere, no workflow commands.
    let plain = gatesctl(&sub, &["validate"], &[]);
    assert!(!plain.stderr.contains("::error"), "{plain:?}");

    // The monitor check's findings are warnings on the query's line.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", "version = 1\n[[gates]]\nservice = \"a\"\nenv = \"e\"\n  [[gates.rules]]\n  name = \"r\"\n  type = \"monitor\"\n  query = \"service:nobody\"\n");
    let sandbox = TestSandbox::start(dir.path());
    let env =
        [("GITHUB_ACTIONS", "true"), ("DD_API_URL", sandbox.url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let plan = gatesctl(dir.path(), &["plan"], &env);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stderr.lines().any(|l| l.starts_with("::warning file=gates.toml,line=8,col=11,")
            && l.contains("title=gatesctl gates%3A%3Aquery-matches-no-monitor::monitor query")),
        "{plan:?}"
    );
}

#[test]
fn annotations_follow_the_switch() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", "version = 1\n[[gates]]\nservice = \"a\"\nidentifer = \"x\"\nenv = \"e\"\n");
    let annotated = |env: &[(&str, &str)], args: &[&str]| {
        gatesctl(dir.path(), &[args, &["validate"]].concat(), env).stderr.contains("::error file=gates.toml")
    };
    assert!(!annotated(&[], &[]), "not under GitHub Actions");
    assert!(annotated(&[("GITHUB_ACTIONS", "true")], &[]), "auto, under GitHub Actions");
    assert!(!annotated(&[("GITHUB_ACTIONS", "true")], &["--annotations", "never"]));
    assert!(annotated(&[], &["--annotations", "always"]));
}
