#!/usr/bin/env bash
# Installs what building and testing the portal needs, skipping whatever is
# already present (a second run is instant). Nothing is downloaded from outside
# the package registries: cargo-leptos finds wasm-bindgen and wasm-opt on PATH.
# Usage: scripts/ensure-tools.sh [--browser]
set -euo pipefail
cd "$(dirname "$0")/.."

LEPTOS_VERSION=0.3.10
BINDGEN_VERSION=0.2.130
want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1
step() { printf '==> %s\n' "$*"; }

if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  step "wasm32 target: present"
else
  step "wasm32 target: installing"
  rustup target add wasm32-unknown-unknown
fi

if cargo leptos --version 2>/dev/null | grep -q " $LEPTOS_VERSION"; then
  step "cargo-leptos $LEPTOS_VERSION: present"
else
  step "cargo-leptos $LEPTOS_VERSION: installing (about 12 minutes on 2 cores)"
  cargo install cargo-leptos --locked --version "$LEPTOS_VERSION"
fi

if wasm-bindgen --version 2>/dev/null | grep -q " $BINDGEN_VERSION"; then
  step "wasm-bindgen-cli $BINDGEN_VERSION: present"
else
  step "wasm-bindgen-cli $BINDGEN_VERSION: installing"
  # --locked makes the resolver fail for this version (see TOOLCHAIN.md)
  cargo install wasm-bindgen-cli --version "$BINDGEN_VERSION" --force
fi

# A copy of the lock file inside node_modules marks an install of exactly that lock.
if [ -x end2end/node_modules/.bin/wasm-opt ] && [ -x end2end/node_modules/.bin/playwright ] \
   && cmp -s end2end/package-lock.json end2end/node_modules/.installed-lock.json 2>/dev/null; then
  step "node modules (playwright, binaryen): present"
else
  step "node modules (playwright, binaryen): npm ci"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.installed-lock.json)
fi

if [ "$want_browser" = 1 ]; then
  if [ -x /usr/lib/chromium/chromium ]; then
    step "chromium: present"
  elif [ "$(id -u)" = 0 ]; then
    step "chromium: installing Debian's package"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "chromium is missing: run 'sudo apt-get install -y --no-install-recommends chromium'" >&2
    exit 1
  fi
fi
