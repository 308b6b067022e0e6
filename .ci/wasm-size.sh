#!/usr/bin/env bash
# Size budgets of the wasm builds (issue 3), checked after `make wasm`:
#   decision module (target/wasm/sendcloud_gate_core_decide.wasm, wasm-opt -Oz)  <= 64 KiB
#   pkg/ wasm (pkg/dist/web/sendcloud_gate_bg.wasm)                              <= 256 KiB, <= 100 KiB gzipped
#   pkg/ compiler module (pkg/dist/compiler/sendcloud_gate_compiler_bg.wasm)    <= 256 KiB, <= 100 KiB gzipped
#     (its own module: the policy compiler on serde + serde_json + ipnet, and src/export.rs,
#     `sendcloud-gate/compiler`; the decision package has no compiler, so a host that decides with stored bytes never
#     loads it. The same budget as a pkg/ wasm: a page that compiles loads both)
# The full core module (target/wasm/sendcloud_gate_core.wasm: the decision module plus the policy compiler) is
# reported, not budgeted: with the compiler it is about twice 64 KiB, so the core is split as issue 4 allows into
# the decision module a request loads and the full module used when a policy is compiled (docs/core-abi.md).
# Prints one line per figure; exits 1 if a budget is exceeded, unless --report-only (or WASM_SIZE_REPORT_ONLY=1).
# With --bench it also runs the Node benchmark (pkg/bench/decide.mjs), whose figures are informative only.
set -euo pipefail
cd "$(dirname "$0")/.."

report_only=${WASM_SIZE_REPORT_ONLY:-0}
bench=0
for a in "$@"; do
  case "$a" in
    --report-only) report_only=1 ;;
    --bench) bench=1 ;;
    *) echo "usage: $0 [--report-only] [--bench]" >&2; exit 2 ;;
  esac
done

fail=0
check() { # label file limit_bytes|- [gzip]
  local label=$1 file=$2 limit=$3 mode=${4:-raw} size verdict budget
  if [ ! -f "$file" ]; then
    echo "wasm-size: $file is missing: run \`make wasm\`" >&2
    exit 1
  fi
  if [ "$mode" = gzip ]; then size=$(gzip -9c "$file" | wc -c); else size=$(stat -c%s "$file"); fi
  if [ "$limit" = - ]; then
    verdict=reported budget='    no budget'
  else
    if [ "$size" -le "$limit" ]; then verdict=ok; else verdict=OVER; fail=1; fi
    budget=$(printf 'budget %4d KiB' $((limit / 1024)))
  fi
  printf 'wasm-size: %-34s %7d bytes (%6.1f KiB)  %s  %s\n' \
    "$label" "$size" "$(awk "BEGIN{print $size/1024}")" "$budget" "$verdict"
}

check "core decision module" target/wasm/sendcloud_gate_core_decide.wasm $((64 * 1024))
check "core module with the compiler" target/wasm/sendcloud_gate_core.wasm -
check "pkg wasm" pkg/dist/web/sendcloud_gate_bg.wasm $((256 * 1024))
check "pkg wasm, gzip -9" pkg/dist/web/sendcloud_gate_bg.wasm $((100 * 1024)) gzip
check "pkg compiler module" pkg/dist/compiler/sendcloud_gate_compiler_bg.wasm $((256 * 1024))
check "pkg compiler module, gzip -9" pkg/dist/compiler/sendcloud_gate_compiler_bg.wasm $((100 * 1024)) gzip

if [ "$bench" = 1 ]; then
  node pkg/bench/decide.mjs
fi

if [ "$fail" = 1 ]; then
  if [ "$report_only" = 1 ]; then
    echo "wasm-size: over budget (report only)"
  else
    echo "wasm-size: over budget" >&2
    exit 1
  fi
fi
