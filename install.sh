#!/usr/bin/env bash
# Installs a gatesctl release binary: picks the archive for this machine, downloads it with the
# release's SHA256SUMS, refuses it unless the checksum matches, and puts `gatesctl` in a folder.
# `./install.sh --help` lists the options.
set -euo pipefail

repository="${GATESCTL_REPOSITORY:-gatesctl/gatesctl}"
version="${GATESCTL_VERSION:-latest}"
install_dir="${GATESCTL_INSTALL_DIR:-${HOME:-.}/.local/bin}"
target=""
mode="install"

usage() {
    cat <<'USAGE'
Installs a gatesctl release binary, verified against the release's SHA256SUMS.

  curl -fsSL https://raw.githubusercontent.com/gatesctl/gatesctl/main/install.sh | bash
  ./install.sh --version v0.1.0 --to /usr/local/bin

Options (environment variables in brackets):
  --version TAG       a release tag such as v0.1.0, or latest  [GATESCTL_VERSION; latest]
  --to DIR            where to put the binary                  [GATESCTL_INSTALL_DIR; ~/.local/bin]
  --repository O/R    the GitHub repository of the releases    [GATESCTL_REPOSITORY]
  --target TRIPLE     an archive's target instead of this machine's
  --dry-run           say what would be downloaded, download nothing
  --print-target      print this machine's target and stop
  --archive-name      print the archive name for the target and stop
GATESCTL_DOWNLOAD_URL replaces https://github.com/O/R/releases/download/TAG (a mirror).
USAGE
}

die() {
    echo "install.sh: error: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case "$1" in
        --version) version="${2:?--version needs a tag}"; shift 2 ;;
        --to) install_dir="${2:?--to needs a folder}"; shift 2 ;;
        --repository) repository="${2:?--repository needs OWNER/REPO}"; shift 2 ;;
        --target) target="${2:?--target needs a target triple}"; shift 2 ;;
        --dry-run) mode="dry-run"; shift ;;
        --print-target) mode="print-target"; shift ;;
        --archive-name) mode="archive-name"; shift ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

# The machine's target: static musl builds run on every Linux, whatever its libc. The uname
# answers can be given for tests and for cross-installs.
detect_target() {
    local os arch
    os="${GATESCTL_UNAME_S:-$(uname -s)}"
    arch="${GATESCTL_UNAME_M:-$(uname -m)}"
    case "$arch" in
        x86_64 | amd64 | x64) arch="x86_64" ;;
        aarch64 | arm64 | armv8*) arch="aarch64" ;;
        *) die "no gatesctl release for the $arch processor; build from source: cargo install --locked --git https://github.com/$repository" ;;
    esac
    case "$os" in
        Linux) echo "$arch-unknown-linux-musl" ;;
        Darwin)
            # An x86_64 shell under Rosetta on Apple silicon: the native binary is better.
            if [ "$arch" = "x86_64" ] && [ -z "${GATESCTL_UNAME_M:-}" ] \
                && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = "1" ]; then
                arch="aarch64"
            fi
            echo "$arch-apple-darwin"
            ;;
        MINGW* | MSYS* | CYGWIN* | Windows_NT)
            [ "$arch" = "x86_64" ] || die "no gatesctl release for Windows on $arch; the x86_64 one runs under emulation: --target x86_64-pc-windows-msvc"
            echo "x86_64-pc-windows-msvc"
            ;;
        *) die "no gatesctl release for $os; build from source: cargo install --locked --git https://github.com/$repository" ;;
    esac
}

[ -n "$target" ] || target="$(detect_target)"
case "$target" in
    *-windows-*) extension="zip"; binary="gatesctl.exe" ;;
    *) extension="tar.gz"; binary="gatesctl" ;;
esac
archive="gatesctl-$target.$extension"

case "$mode" in
    print-target) echo "$target"; exit 0 ;;
    archive-name) echo "$archive"; exit 0 ;;
esac

# "latest" is resolved to a tag first, so that a cache key or a log names what was installed.
if [ "$version" = "latest" ] && [ -z "${GATESCTL_DOWNLOAD_URL:-}" ]; then
    if [ "$mode" = "dry-run" ]; then
        echo "version: latest (resolved from https://github.com/$repository/releases/latest)"
    else
        latest_url="$(curl -fsSLI -o /dev/null -w '%{url_effective}' "https://github.com/$repository/releases/latest")" \
            || die "cannot find the latest release of $repository; give --version vX.Y.Z"
        version="${latest_url##*/}"
        case "$version" in
            v[0-9]*) ;;
            *) die "$repository has no release yet (latest points at $latest_url); give --version or build from source" ;;
        esac
    fi
fi
case "$version" in
    latest | v[0-9]*) ;;
    [0-9]*) version="v$version" ;;
    *) die "--version $version is not a release tag such as v0.1.0" ;;
esac

if [ "$version" = "latest" ]; then
    base="${GATESCTL_DOWNLOAD_URL:-https://github.com/$repository/releases/latest/download}"
else
    base="${GATESCTL_DOWNLOAD_URL:-https://github.com/$repository/releases/download/$version}"
fi
if [ "$mode" = "dry-run" ]; then
    echo "target: $target"
    echo "archive: $base/$archive"
    echo "checksums: $base/SHA256SUMS"
    echo "install: $install_dir/$binary"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "Downloading gatesctl $version for $target…" >&2
curl -fsSL --retry 3 -o "$work/$archive" "$base/$archive" || die "cannot download $base/$archive"
curl -fsSL --retry 3 -o "$work/SHA256SUMS" "$base/SHA256SUMS" || die "cannot download $base/SHA256SUMS"

expected="$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1 }' "$work/SHA256SUMS")"
[ -n "$expected" ] || die "SHA256SUMS of $version lists no $archive"
if command -v sha256sum > /dev/null; then
    actual="$(sha256sum "$work/$archive" | awk '{ print $1 }')"
elif command -v shasum > /dev/null; then
    actual="$(shasum -a 256 "$work/$archive" | awk '{ print $1 }')"
else
    die "neither sha256sum nor shasum is installed: the download cannot be verified"
fi
[ "$expected" = "$actual" ] || die "checksum mismatch for $archive (expected $expected, got $actual): not installed"

case "$extension" in
    tar.gz) tar -xzf "$work/$archive" -C "$work" ;;
    zip)
        if command -v unzip > /dev/null; then
            unzip -q "$work/$archive" -d "$work"
        else
            powershell -NoProfile -Command "Expand-Archive -Path '$work/$archive' -DestinationPath '$work'"
        fi
        ;;
esac
[ -f "$work/gatesctl-$target/$binary" ] || die "$archive holds no gatesctl-$target/$binary"
mkdir -p "$install_dir"
cp "$work/gatesctl-$target/$binary" "$install_dir/$binary.tmp"
chmod 755 "$install_dir/$binary.tmp"
mv -f "$install_dir/$binary.tmp" "$install_dir/$binary"
echo "Installed $("$install_dir/$binary" --version) in $install_dir/$binary" >&2
case ":$PATH:" in
    *":$install_dir:"*) ;;
    *) echo "note: $install_dir is not on PATH; add it, or run $install_dir/$binary" >&2 ;;
esac
