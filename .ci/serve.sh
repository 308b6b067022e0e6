#!/usr/bin/env bash
# `make serve`: the rule tester page on http://127.0.0.1:8080/www/ with the default policy (the Sendcloud preset).
# Builds the engine's JS package (make wasm) first when its browser build is missing, then serves the repository
# root in the foreground (the page imports ../pkg/web.js and ../pkg/compiler.js). PORT=... to use another port.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f pkg/dist/web/sendcloud_gate_bg.wasm ] || [ ! -f pkg/dist/web/sendcloud_gate.js ] \
  || [ ! -f pkg/dist/compiler/sendcloud_gate_compiler_bg.wasm ]; then
  echo "serve: pkg/dist/web or pkg/dist/compiler (the compiler module) is missing; building them with make wasm"
  make wasm
fi
command -v node >/dev/null || { echo "serve: node is required" >&2; exit 2; }
exec node www/serve.mjs --port "${PORT:-8080}" --host 127.0.0.1
