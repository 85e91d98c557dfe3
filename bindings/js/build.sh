#!/usr/bin/env bash
# Builds the `weft` npm package's generated files into bindings/js/dist/:
#   dist/weft_wasm_bg.wasm   the weft-wasm crate compiled for wasm32-unknown-unknown
#   dist/glue.js             wasm-bindgen's JavaScript glue, wrapped in a factory (see
#                            scripts/make-glue.mjs) so the package can start a fresh instance
#                            after a panic
#   dist/weft.js             the browser entry (lib/browser.js and all it imports) bundled and
#                            minified: what browsers and bundlers load (scripts/bundle.mjs)
# Idempotent: run it again after changing the Rust code. It says which toolchain path it took.
#
# Toolchain, the first that works (as in .ci/steps/wasm and ../shared/notes/wasm-toolchain.md):
#  1. rustup: the active toolchain already has the wasm32-unknown-unknown target.
#  2. Debian: rustc-web, cargo-web, rust-web-src and lld-19 (installed with apt-get when
#     missing) give a Rust whose standard library cargo's -Zbuild-std compiles for wasm.
# Then: wasm-bindgen-cli of exactly the version weft-wasm pins (installed with `cargo install`
# when missing), and wasm-opt -Oz when a binaryen of version 116 or later is on PATH or in
# node_modules (the `binaryen` dev dependency); WEFT_WASM_OPT=0 skips it.
#
# Environment: WEFT_WASM_TARGET_DIR (default target/wasm-build, shared with the CI wasm step;
# a CARGO_TARGET_DIR meant for native builds is deliberately not used).
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

PKG="$WEFT_ROOT/bindings/js"
TARGET=wasm32-unknown-unknown
PROFILE=wasm-release
TARGET_DIR="${WEFT_WASM_TARGET_DIR:-$WEFT_ROOT/target/wasm-build}"
DEBIAN_PACKAGES=(rustc-web cargo-web rust-web-src lld-19)
DEBIAN_CARGO=/usr/bin/cargo
DEBIAN_RUSTC=/usr/bin/rustc
DEBIAN_STD_SRC=/usr/lib/rustlib/src/rust/library
WASM_LD=/usr/lib/llvm-19/bin/wasm-ld

# The wasm-bindgen version weft-wasm pins with `=`: the CLI must match it exactly.
WB_VERSION="$(sed -n 's/^wasm-bindgen = .*version = "=\([0-9.]*\)".*/\1/p' "$PKG/Cargo.toml")"
[ -n "$WB_VERSION" ] || die "cannot find the pinned wasm-bindgen version in $PKG/Cargo.toml"

command -v node >/dev/null 2>&1 || apt_ensure "node runs the glue transform and the tests" nodejs

rustup_has_wasm() {
    local sysroot
    sysroot="$(rustc --print sysroot 2>/dev/null)" || return 1
    [ -d "$sysroot/lib/rustlib/$TARGET/lib" ]
}

debian_toolchain_ready() {
    [ -x "$DEBIAN_CARGO" ] && [ -x "$DEBIAN_RUSTC" ] && [ -d "$DEBIAN_STD_SRC" ] && [ -x "$WASM_LD" ] &&
        dpkg-query -W -f='${Status}' cargo-web 2>/dev/null | grep -q 'install ok installed'
}

# --- 1. compile the crate -------------------------------------------------------------------
if rustup_has_wasm; then
    say "path 1 (rustup): the active toolchain ($(rustc --version)) has the $TARGET target"
    # Panics run hooks on this path: record their messages for the JavaScript errors.
    run cargo build --target "$TARGET" --target-dir "$TARGET_DIR" --profile "$PROFILE" -p weft-wasm \
        --features panic-messages
else
    say "path 2 (Debian): the active toolchain has no $TARGET standard library; using Debian's Rust with -Zbuild-std"
    if ! debian_toolchain_ready; then
        apt_ensure "a Rust whose standard-library source can be built for $TARGET, and the wasm linker" \
            "${DEBIAN_PACKAGES[@]}"
        debian_toolchain_ready ||
            die "installed ${DEBIAN_PACKAGES[*]} but $DEBIAN_CARGO, $DEBIAN_RUSTC, $DEBIAN_STD_SRC or $WASM_LD is still missing"
    fi
    say "using $("$DEBIAN_CARGO" --version)"
    [ -d "$TARGET_DIR/$TARGET/$PROFILE" ] ||
        say "first build of $PROFILE in $TARGET_DIR: compiling the standard library for $TARGET too (a minute or two)"
    # RUSTC points cargo at Debian's compiler, not rustup's proxies earlier in PATH. Size flags
    # (build-std needs RUSTC_BOOTSTRAP anyway, so unstable flags are available): std's
    # optimize_for_size code paths; no Debug formatting code; no file/line locations in panic
    # messages (together about 8 KB less gzipped); and panics abort at once, without formatting
    # a message (another 6.6 KB gzipped). A panic still traps and the package still recovers
    # (see lib/instance.js), but the error cannot say what went wrong: set
    # WEFT_WASM_PANIC_MESSAGES=1 for a build that records the message (for debugging; it also
    # turns on weft-wasm's panic hook, which an immediate abort would never run).
    size_flags="-Zlocation-detail=none -Zfmt-debug=none"
    features=()
    if [ "${WEFT_WASM_PANIC_MESSAGES:-0}" = 1 ]; then
        say "keeping panic messages (WEFT_WASM_PANIC_MESSAGES=1): a larger .wasm"
        features=(--features panic-messages)
    else
        size_flags="$size_flags -Cpanic=immediate-abort -Zunstable-options"
    fi
    RUSTFLAGS="${RUSTFLAGS:-} $size_flags" \
        RUSTC="$DEBIAN_RUSTC" RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$WASM_LD" \
        run "$DEBIAN_CARGO" build --target "$TARGET" --target-dir "$TARGET_DIR" --profile "$PROFILE" \
        -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size -p weft-wasm "${features[@]}"
fi
WASM_IN="$TARGET_DIR/$TARGET/$PROFILE/weft_wasm.wasm"
[ -f "$WASM_IN" ] || die "the build did not produce $WASM_IN"

# --- 2. wasm-bindgen --------------------------------------------------------------------------
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WB_VERSION" ]; then
    say "installing wasm-bindgen-cli $WB_VERSION (the version weft-wasm pins; takes a few minutes once)"
    # Without --locked: one locked dependency version is missing from some registry mirrors.
    run cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi
say "using $(wasm-bindgen --version)"
OUT="$TARGET_DIR/weft-js"
rm -rf "$OUT"
run wasm-bindgen --target web --no-typescript --out-dir "$OUT" --out-name weft_wasm "$WASM_IN"

# --- 3. wasm-opt (optional) -----------------------------------------------------------------
# Binaryen before version 116 breaks wasm-bindgen's externref table (the module then fails to
# start), so an older system wasm-opt (Debian 12 ships 108) is not used. The npm package
# `binaryen` (a dev dependency, installed by `npm ci`) provides a current one.
mkdir -p "$PKG/dist"
wasm_opt=""
for candidate in "$(command -v wasm-opt || true)" "$PKG/node_modules/.bin/wasm-opt"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    version="$("$candidate" --version 2>/dev/null | sed -n 's/^wasm-opt version \([0-9]*\).*/\1/p')"
    if [ -n "$version" ] && [ "$version" -ge 116 ]; then
        wasm_opt="$candidate"
        break
    fi
    say "not using $candidate (binaryen ${version:-?} is older than 116)"
done
if [ "${WEFT_WASM_OPT:-1}" != 0 ] && [ -n "$wasm_opt" ]; then
    say "shrinking with $wasm_opt ($("$wasm_opt" --version))"
    # -Oz until nothing more shrinks (--converge), and without the producers and target-features
    # custom sections (about 0.9 KB gzipped together). --low-memory-unused lets wasm-opt fold
    # constant offsets into loads and stores (about 1.1 KB gzipped): wasm-ld leaves the lowest
    # 1 KB of memory unused (the stack comes first, from 1 MiB down, and data after it).
    run "$wasm_opt" -Oz --converge --low-memory-unused --strip-debug --strip-producers --strip-target-features \
        --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
        --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
        "$OUT/weft_wasm_bg.wasm" -o "$PKG/dist/weft_wasm_bg.wasm"
else
    say "wasm-opt not used (none of version 116 or later; run 'npm ci' in bindings/js for one, or WEFT_WASM_OPT=0 was set): the .wasm is larger"
    cp "$OUT/weft_wasm_bg.wasm" "$PKG/dist/weft_wasm_bg.wasm"
fi

# --- 4. glue factory --------------------------------------------------------------------------
# make-glue also minifies the generated glue when esbuild (a dev dependency) is installed: about
# 2.5 KB less gzipped for every browser that loads the package unbundled. WEFT_GLUE_MINIFY=0
# keeps it readable.
run node "$PKG/scripts/make-glue.mjs" "$OUT/weft_wasm.js" "$PKG/dist/glue.js"

# --- 5. browser bundle --------------------------------------------------------------------------
# dist/weft.js: the browser entry and everything it imports in one minified module (esbuild, a
# dev dependency), the JavaScript a browser loads from the package (package.json points
# "browser" and the default export condition at it). Minified it is about 5 KB less gzipped
# than lib/*.js as written. Without esbuild, or with WEFT_JS_MINIFY=0, it re-exports
# lib/browser.js instead.
run node "$PKG/scripts/bundle.mjs"
say "built $PKG/dist: $(wc -c <"$PKG/dist/weft_wasm_bg.wasm") bytes of wasm, $(wc -c <"$PKG/dist/weft.js") bytes of browser JavaScript (dist/weft.js)"
