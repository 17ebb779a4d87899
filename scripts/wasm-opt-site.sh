#!/usr/bin/env bash
# Size-optimizes target/site/pkg/portal.wasm with binaryen's wasm-opt (npm
# `binaryen`, on PATH from end2end/node_modules/.bin), as cargo-leptos does for
# --release but not for a debug build (whose bundle is built in the
# wasm-release profile, Cargo.toml lib-profile-dev). Skipped when the file is
# already the output of this script (a stamp holds its checksum), so a build
# that changed nothing costs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
wasm=target/site/pkg/portal.wasm
stamp=target/site/.portal.wasm.optimized
[ -f "$wasm" ] || { echo "no $wasm: build first" >&2; exit 1; }
if [ -f "$stamp" ] && [ "$(sha256sum < "$wasm")" = "$(cat "$stamp")" ]; then
  echo "==> wasm-opt: $wasm already optimized"
  exit 0
fi
echo "==> wasm-opt -Oz $wasm"
before=$(stat -c %s "$wasm")
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"
sha256sum < "$wasm" > "$stamp"
echo "    $before -> $(stat -c %s "$wasm") bytes"
