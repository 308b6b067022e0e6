#!/usr/bin/env bash
# Throughput of `sendcloud-gate replay` on 1,000,000 combined-format lines (Sendcloud, browser, impostor and
# refused requests mixed), the summary and --json, best of three runs each; beside it, in the same run, the anchor
# `check --json --requests` (.ci/bench-cli.sh) on 100,000 request lines.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release -p sendcloud-gate-cli --bin sendcloud-gate
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir/access.log" <<'PY'
import sys
sc = "SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)"
browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
shapes = [
    '94.232.247.10 - - [23/Nov/2025:10:00:02 +0100] "GET /wp-json/wc/v3/orders?status=processing HTTP/1.1" 200 812 "-" "%s"' % sc,
    '198.51.100.23 - - [23/Nov/2025:10:00:03 +0100] "GET /shop/?page=2 HTTP/2.0" 200 5120 "https://shop.example/" "%s"' % browser,
    '94.232.247.10 - - [23/Nov/2025:10:00:04 +0100] "PATCH /wp-json/wc/v3/orders/12 HTTP/1.1" 403 199 "-" "%s"' % sc,
    '203.0.113.7 - - [23/Nov/2025:10:00:05 +0100] "POST /wp-json/wc/v3/orders HTTP/1.1" 403 0 "-" "Sendcloud/1.0.0"',
]
with open(sys.argv[1], "w") as f:
    for i in range(1_000_000):
        f.write(shapes[i % len(shapes)] + "\n")
PY
best() {
  local best=""
  for _ in 1 2 3; do
    local start end ms
    start=$(date +%s%N)
    "$@" > "$dir/out"
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}
lines=1000000
ms=$(best target/release/sendcloud-gate replay "$dir/access.log")
grep -q "Refused by the server: 250,000 of 500,000" "$dir/out" || { cat "$dir/out"; echo "bench-replay: unexpected summary" >&2; exit 1; }
echo "replay (summary): $lines combined lines in ${ms} ms (best of 3) = $(( lines * 1000 / (ms > 0 ? ms : 1) )) lines/s"
ms=$(best target/release/sendcloud-gate replay --json "$dir/access.log")
echo "replay --json:     $lines combined lines in ${ms} ms (best of 3) = $(( lines * 1000 / (ms > 0 ? ms : 1) )) lines/s"
echo "anchor, same run:"
bash .ci/bench-cli.sh
