#!/usr/bin/env bash
# Builds the two wasm32 builds of the engine (issue 3):
#   target/wasm/sendcloud_gate_core.wasm         the host-neutral core module (docs/core-abi.md), wasm-opt -Oz
#   target/wasm/sendcloud_gate_core_decide.wasm  the same without the compile exports (decision-only)
#   pkg/dist/                                    the wasm-bindgen build behind the npm package in pkg/
# Runs .ci/setup.sh first when a tool is missing. `make wasm` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wasm-bindgen >/dev/null || ! command -v wasm-opt >/dev/null \
  || ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  bash .ci/setup.sh
fi

mkdir -p target/wasm

# The core module: no_std + own allocator, opt-level z, a 16 KiB stack so memory starts small. The flags go through
# RUSTFLAGS here (not .cargo/config) so that native builds are untouched; a separate target dir keeps the two
# flag sets from invalidating each other's caches.
core_build() { # features output
  RUSTFLAGS="-C link-arg=-zstack-size=16384" CARGO_TARGET_DIR=target/wasm/build-core \
    cargo build --quiet --lib --target wasm32-unknown-unknown --profile wasm-core --no-default-features --features "$1"
  wasm-opt -Oz --converge --strip-debug --strip-producers \
    target/wasm/build-core/wasm32-unknown-unknown/wasm-core/sendcloud_gate.wasm -o "$2"
  echo "build-wasm: $2 ($(stat -c%s "$2") bytes)"
}
core_build core-compile target/wasm/sendcloud_gate_core.wasm
core_build core-abi target/wasm/sendcloud_gate_core_decide.wasm

# The JS package: wasm-bindgen --target web output; pkg/node.js loads the same .wasm synchronously with fs.
cargo build --quiet --lib --target wasm32-unknown-unknown --release --no-default-features --features js
rm -rf pkg/dist
wasm-bindgen --target web --out-dir pkg/dist --out-name sendcloud_gate \
  target/wasm32-unknown-unknown/release/sendcloud_gate.wasm
wasm-opt -O3 --strip-debug --strip-producers pkg/dist/sendcloud_gate_bg.wasm -o pkg/dist/sendcloud_gate_bg.wasm
echo "build-wasm: pkg/dist/sendcloud_gate_bg.wasm ($(stat -c%s pkg/dist/sendcloud_gate_bg.wasm) bytes)"
