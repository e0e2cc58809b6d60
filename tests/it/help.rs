//! The help a user reads, per command: any change to a flag, an environment variable or an
//! exit code shows up here for review.

use crate::common::gatesctl;

#[test]
fn help_of_every_command_matches_its_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let root = gatesctl(dir.path(), &["--help"], &[]);
    assert_eq!(root.code, 0, "{root:?}");
    // The commands, as the root help lists them.
    let commands: Vec<String> = root
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 8, "{commands:?}");
    let mut all = format!("$ gatesctl --help\n{}", root.stdout);
    for command in &commands {
        let help = gatesctl(dir.path(), &[command, "--help"], &[]);
        assert_eq!(help.code, 0, "{help:?}");
        all.push_str(&format!("\n$ gatesctl {command} --help\n{}", help.stdout));
    }
    insta::assert_snapshot!(all);
}
