//! The layering, checked: crates depend one way (Cargo enforces that), and inside each crate no
//! module imports one that imports it back, nor reaches up to its own crate's root for an item
//! defined there (docs/architecture.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::repo;

/// The crates' source folders, by name.
const CRATES: [(&str, &str); 6] = [
    ("gatesctl-core", "crates/core/src"),
    ("gatesctl-fs", "crates/fs/src"),
    ("gatesctl-files", "crates/files/src"),
    ("gatesctl-client", "crates/client/src"),
    ("gatesctl-sandbox", "crates/sandbox/src"),
    ("gatesctl", "src"),
];

/// Modules by their path, each with the modules it names.
type Graph = BTreeMap<Vec<String>, BTreeSet<Vec<String>>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's module path: `crates/core/src/report/gate.rs` is `report::gate`, `mod.rs` and
/// `lib.rs` their folder's.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// The code of a file without its comments and the tests module at its end (tests may reach
/// anywhere).
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// The paths a file names from `crate::` or `super::`, made absolute, each a list of names;
/// `use crate::{a::B, c}` gives both.
fn paths(module: &[String], text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    for (start, prefix) in text
        .match_indices("crate::")
        .map(|(i, _)| (i, "crate::"))
        .chain(text.match_indices("super::").map(|(i, _)| (i, "super::")))
    {
        if start > 0 && text[..start].chars().last().is_some_and(|c| ident(c) || c == ':') {
            continue;
        }
        // Where `super` leads: the parent of the module (of the folder, for mod.rs and lib.rs).
        let mut base: Vec<String> = if prefix == "crate::" {
            Vec::new()
        } else {
            let mut b = module.to_vec();
            b.pop();
            b
        };
        let mut rest = &text[start + prefix.len()..];
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        let expand = |rest: &str, base: &[String], out: &mut Vec<Vec<String>>| {
            let mut names = base.to_vec();
            let mut tail = rest;
            loop {
                let name: String = tail.chars().take_while(|c| ident(*c)).collect();
                if name.is_empty() {
                    break;
                }
                names.push(name.clone());
                tail = &tail[name.len()..];
                match tail.strip_prefix("::") {
                    Some(t) if !t.starts_with('{') => tail = t,
                    _ => break,
                }
            }
            out.push(names);
        };
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for item in inner.split(',') {
                expand(item.trim(), &base, &mut out);
            }
        } else {
            expand(rest, &base, &mut out);
        }
    }
    out
}

/// Each crate's module graph (an edge to the longest module a path names), and what other
/// files name through the crate's root: an item it defines or re-exports.
fn graph(src: &Path) -> (Graph, Vec<String>) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let root_file = if src.join("lib.rs").is_file() { src.join("lib.rs") } else { src.join("main.rs") };
    let mut edges: Graph = BTreeMap::new();
    let mut up_to_root = Vec::new();
    for file in &files {
        let module = module_of(src, file);
        let text = code(&std::fs::read_to_string(file).unwrap());
        for path in paths(&module, &text) {
            let target =
                (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains(p)).unwrap_or_default();
            // Through the root: an item it defines, or one it re-exports from a module.
            if target.is_empty() && *file != root_file && !path.is_empty() {
                up_to_root.push(format!("{}: {}", file.display(), path.join("::")));
            }
            // A module may name its own submodules: a parent knows its children.
            if target != module && !target.starts_with(&module) {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    (edges, up_to_root)
}

/// A circle of the graph, when it has one.
fn circle(edges: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &Vec<String>,
        edges: &Graph,
        path: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            return Some(path[at..].iter().chain([node]).map(|m| format!("crate::{}", m.join("::"))).collect());
        }
        if !done.insert(node.clone()) {
            return None;
        }
        path.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_one_that_imports_it_back_nor_reaches_up_to_its_crate_root() {
    let mut problems = Vec::new();
    for (name, src) in CRATES {
        let (edges, up) = graph(&repo().join(src));
        if let Some(found) = circle(&edges) {
            problems.push(format!("{name}: a circle: {}", found.join(" → ")));
        }
        problems.extend(up.into_iter().map(|u| format!("{name}: an import of the crate root's own item: {u}")));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_crates_depend_one_way() {
    // Each crate, and the gatesctl crates it may depend on: the layers below it.
    let allowed: [(&str, &[&str]); 6] = [
        ("crates/core", &[]),
        ("crates/fs", &[]),
        ("crates/files", &["gatesctl-core", "gatesctl-fs"]),
        ("crates/client", &["gatesctl-core"]),
        ("crates/sandbox", &["gatesctl-core", "gatesctl-fs"]),
        (".", &["gatesctl-core", "gatesctl-fs", "gatesctl-files", "gatesctl-client", "gatesctl-sandbox"]),
    ];
    for (dir, may) in allowed {
        let manifest: toml::Table =
            toml::from_str(&std::fs::read_to_string(repo().join(dir).join("Cargo.toml")).unwrap()).unwrap();
        let deps = manifest.get("dependencies").and_then(|d| d.as_table()).cloned().unwrap_or_default();
        let ours: Vec<&String> = deps.keys().filter(|k| k.starts_with("gatesctl")).collect();
        for dep in ours {
            assert!(may.contains(&dep.as_str()), "{dir} depends on {dep}, above or beside it");
        }
    }
}

/// A flag is the command line's: the operations never raise a usage error, so none of them
/// names a flag the way a command's own check would (docs/architecture.md).
#[test]
fn only_the_command_line_raises_usage_errors() {
    let mut files = Vec::new();
    rust_files(&repo().join("src/ops"), &mut files);
    assert!(files.len() > 5, "the operations are read: {files:?}");
    let raising: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = code(&std::fs::read_to_string(f).unwrap());
            text.contains("Usage::") || text.contains("Error::Usage")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(raising.is_empty(), "usage errors raised outside cli/: {raising:?}");
}
