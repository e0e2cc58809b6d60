//! The module tree the README draws is the one the code has: data flows one way, and no
//! module reaches into one above it.

use std::path::{Path, PathBuf};

/// Every top-level module, lowest first; each may use only those before it.
const LAYERS: &[&str] = &[
    "escape", "suggest", "output", "model", // shared ground
    "config", "sandbox",  // the files, the local API
    "remote",   // the API
    "plan",     // the diff
    "report",   // the judged history
    "coverage", // the deployments measured
    "apply", "render", // executing it, and every output
    "error",  // how commands end
    "ops",    // shared work
    "cli",    // the command line
];

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

/// The top-level module a source file belongs to.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let first = file.strip_prefix(src).ok()?.components().next()?.as_os_str().to_str()?.to_string();
    Some(first.trim_end_matches(".rs").to_string())
}

/// The top-level modules a file names as `crate::module`.
fn uses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            // `$crate::x` in a macro of module x refers to itself.
            if !name.is_empty() {
                out.push(name);
            }
            rest = after;
        }
    }
    out
}

#[test]
fn no_module_uses_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    let mut unknown = Vec::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else { continue };
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(level) = LAYERS.iter().position(|m| *m == module) else {
            unknown.push(module);
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in uses(&text) {
            match LAYERS.iter().position(|m| *m == used) {
                Some(l) if l <= level => {}
                Some(_) => {
                    violations.push(format!("{} uses crate::{used}", file.strip_prefix(&src).unwrap().display()))
                }
                None => unknown.push(used),
            }
        }
    }
    unknown.sort();
    unknown.dedup();
    assert!(unknown.is_empty(), "modules missing from LAYERS (add them where they belong): {unknown:?}");
    assert!(violations.is_empty(), "imports against the flow:\n{}", violations.join("\n"));
}

#[test]
fn remote_knows_nothing_of_the_configuration() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/remote");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!uses(&text).iter().any(|m| m == "config"), "{} uses crate::config", file.display());
    }
}
