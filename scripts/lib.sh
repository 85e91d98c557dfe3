# Shared helpers for scripts/test and the CI steps in .ci/steps/. Source it; do not run it.
#
# Every step script starts with:
#   source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
# which turns on strict mode and moves to the repository root.

set -euo pipefail

WEFT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$WEFT_ROOT"

# Prints a line that says what the script is about to do.
say() { printf '==> %s\n' "$*"; }

# Prints a warning to stderr.
warn() { printf 'warning: %s\n' "$*" >&2; }

# Prints an error to stderr and exits with status 1.
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# Prints a command, then runs it.
run() {
    printf '+ %s\n' "$*"
    "$@"
}

# Returns 0 when the Cargo package NAME is a member of this workspace.
workspace_has_package() {
    cargo metadata --format-version 1 --no-deps 2>/dev/null |
        python3 -c 'import json, sys; sys.exit(0 if sys.argv[1] in {p["name"] for p in json.load(sys.stdin)["packages"]} else 1)' "$1"
}

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run '$*' (not root, and sudo is not installed)"
    fi
}

# apt_ensure REASON PACKAGE...: installs the Debian packages that are not installed yet.
# Does nothing (and says so) when all are present. Never prompts.
apt_ensure() {
    local reason="$1"
    shift
    local missing=()
    local pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "Debian packages already installed: $* ($reason)"
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "need the packages ${missing[*]} ($reason), but apt-get is not available on this system; install their equivalents by hand"
    say "installing Debian packages ${missing[*]} ($reason)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Makes sure python3 exists (the steps use it to read `cargo metadata` JSON).
ensure_python3() {
    if ! command -v python3 >/dev/null 2>&1; then
        apt_ensure "python3 reads cargo metadata JSON in the CI steps" python3
    fi
}

# ensure_rustup_component NAME: makes sure a rustup component (rustfmt, clippy) is installed.
ensure_rustup_component() {
    local comp="$1"
    local probe
    case "$comp" in
    rustfmt) probe=(cargo fmt --version) ;;
    clippy) probe=(cargo clippy --version) ;;
    *) probe=(false) ;;
    esac
    if "${probe[@]}" >/dev/null 2>&1; then
        return 0
    fi
    command -v rustup >/dev/null 2>&1 ||
        die "the Rust component '$comp' is missing and rustup is not installed to add it"
    say "installing the rustup component '$comp' (the toolchain does not have it yet)"
    run rustup component add "$comp"
}
