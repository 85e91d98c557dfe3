#!/usr/bin/env bash
# demo-app/build.sh: builds the demo page into demo-app/dist (idempotent; safe to re-run).
#
#   demo-app/build.sh            install what is missing, build the wasm package and the page
#   demo-app/build.sh --if-needed   install what is missing; rebuild only when an input changed
#
# Steps, each announced with "==>":
#  1. Node.js 20+ and npm must exist (installed with apt-get when missing and we are root).
#  2. `npm ci` when node_modules is missing or older than package-lock.json.
#  3. The `weft` npm package (bindings/js): its own build script compiles the wasm.
#  4. esbuild bundles src/main.js (CodeMirror + weft) into dist/app.js; index.html, the
#     stylesheet and the .wasm file are copied next to it.
# Works without a terminal and without stdin (CI=true).
set -euo pipefail

DEMO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$DEMO_DIR/.." && pwd)"
JS_DIR="$ROOT/bindings/js"
DIST="$DEMO_DIR/dist"
cd "$DEMO_DIR"

say() { printf '==> %s\n' "$*"; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

if_needed=0
for arg in "$@"; do
    case "$arg" in
    --if-needed) if_needed=1 ;;
    -h | --help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' && exit 0 ;;
    *) die "unknown argument $arg" ;;
    esac
done

# 1. Node.js and npm.
node_ok() {
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
        [ "$(node -p 'Number(process.versions.node.split(".")[0])')" -ge 20 ]
}
if ! node_ok; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing Node.js and npm with apt-get (needed to build the demo page)"
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm
    fi
    node_ok || die "the demo page needs Node.js 20 or newer and npm; install them and run this again"
fi
say "using Node.js $(node --version), npm $(npm --version)"

# 2. npm dependencies (CodeMirror, esbuild, playwright-core), exactly as locked.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing the page's npm dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
else
    say "npm dependencies already installed"
fi

# dist/ is stale when any input of the page is newer than dist/.stamp: the page's sources, the
# lock file, this script, the weft package's JS and Rust sources, and the crates it compiles.
stale_input() {
    find "$DEMO_DIR/src" "$DEMO_DIR/index.html" "$DEMO_DIR/package-lock.json" "$DEMO_DIR/build.sh" \
        "$DEMO_DIR/bundle.mjs" "$JS_DIR" "$ROOT/crates/core/src" "$ROOT/crates/sync/src" \
        \( -name node_modules -o -name dist -o -name target -o -name test \) -prune -o \
        -type f -newer "$DIST/.stamp" -print -quit 2>/dev/null
}
if [ "$if_needed" -eq 1 ] && [ -f "$DIST/.stamp" ]; then
    changed="$(stale_input)"
    if [ -z "$changed" ]; then
        say "the demo page is up to date (${DIST#"$ROOT"/})"
        exit 0
    fi
    say "rebuilding the demo page: ${changed#"$ROOT"/} changed"
fi

# 3. The weft npm package (wasm + JS glue), built by bindings/js's own script.
[ -d "$JS_DIR" ] || die "bindings/js is missing: the demo page needs the weft JavaScript package"
JS_BUILD=""
for candidate in "$JS_DIR/build.sh" "$JS_DIR/scripts/build.sh"; do
    if [ -f "$candidate" ]; then
        JS_BUILD="$candidate"
        break
    fi
done
[ -n "$JS_BUILD" ] || die "no build script found in bindings/js (looked for build.sh, scripts/build.sh)"
say "building the weft wasm package (${JS_BUILD#"$ROOT"/})"
bash "$JS_BUILD"

# 4. Bundle the page.
say "bundling the page with esbuild into ${DIST#"$ROOT"/}"
rm -rf "$DIST.tmp"
mkdir -p "$DIST.tmp"
node "$DEMO_DIR/bundle.mjs" "$DIST.tmp"
cp "$DEMO_DIR/index.html" "$DEMO_DIR/src/app.css" "$DIST.tmp/"
touch "$DIST.tmp/.stamp"
rm -rf "$DIST"
mv "$DIST.tmp" "$DIST"
say "the demo page is ready: $DIST ($(du -sh "$DIST" | cut -f1))"
