#!/usr/bin/env python3
"""The release build matrix, read from Cargo.toml's [package.metadata.release], as JSON.

With a tag argument, also refuses a tag that is not `v` + the crate's version, so that a
release's archives always hold the version they are named for.
"""
import json
import sys
import tomllib
from pathlib import Path

cargo = tomllib.loads((Path(__file__).resolve().parents[2] / "Cargo.toml").read_text())
release = cargo["package"]["metadata"]["release"]
# Every crate of the workspace has its version: [workspace.package].
version = cargo["workspace"]["package"]["version"]

if len(sys.argv) > 1 and sys.argv[1] != f"v{version}":
    sys.exit(f"tag {sys.argv[1]} is not v{version}, the version in Cargo.toml: bump it first")

include = []
for entry in release["targets"]:
    target = entry["target"]
    windows = "-windows-" in target
    name = release["archive"].replace("{target}", target)
    include.append(
        {
            "target": target,
            "runner": entry["runner"],
            "dir": name,
            "archive": f"{name}.{'zip' if windows else 'tar.gz'}",
            "binary": "gatesctl.exe" if windows else "gatesctl",
        }
    )
print(json.dumps({"include": include}, separators=(",", ":")))
